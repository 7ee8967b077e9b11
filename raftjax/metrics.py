"""Training metrics as JSON lines and TensorBoard scalars.

  with MetricsWriter(config.output_dir, enabled=jax.process_index() == 0) as metrics:
    metrics.cycle(0, {'eval': training_log['base']})           # the base model as cycle 0
    ... metrics.train_step(cycle, step, loss=..., learning_rate=..., tokens_per_s=...)
    metrics.cycle(cycle, stats)                                # the dict written to stats.json

Writes `<output_dir>/metrics.jsonl`, one record per line:
  {"kind": "train_step", "cycle": 1, "step": 7, "global_step": 7, "loss": 0.41, ...}
  {"kind": "cycle", "cycle": 1, "train.compile_rate": 0.28, "eval.pass_rate": 0.04, "seconds.train_s": 238.0,
   "train.levels.0.3": 40, "kept": 26, ...}
and TensorBoard event files under `<output_dir>/tensorboard/` (tensorboardX: no TensorFlow needed):
train steps as `step/<name>` against the global step, cycle records as `<section>/<name>` (`train/`,
`eval/`, `seconds/`, ...; top-level numbers under `cycle/`) against the cycle number.

Global step: `step` counts optimizer steps within a cycle from 1 (as `train.train`'s `on_step` does);
`global_step` = the largest step recorded in each earlier cycle, summed, plus `step`: one running axis
over the whole run.

Resume: reopening the same directory appends (a last line cut by a kill is dropped first) and recovers
the step counts of earlier cycles from metrics.jsonl, so global steps continue where they were. A resumed
run repeats the records of the cycle it did not finish; readers keep the last record per
(kind, cycle, step).

`enabled=False` (every process but 0 of a multi-host run) writes nothing and creates no file.
"""

import json
import os
import re


def flatten(stats: dict, prefix: tuple = ()) -> dict[tuple, float]:
  """{path: number} of every int, float or bool in nested dicts (lists, strings and None are left out)."""
  flat = {}
  for key, value in stats.items():
    path = prefix + (str(key),)
    if isinstance(value, dict):
      flat.update(flatten(value, path))
    elif isinstance(value, (int, float)):  # bool is an int
      flat[path] = value
  return flat


class MetricsWriter:
  """Appends records to `<output_dir>/metrics.jsonl` and `<output_dir>/tensorboard/` (module docstring)."""

  def __init__(self, output_dir: str, enabled: bool = True):
    self.enabled = enabled
    if not enabled:
      return
    self._steps: dict[int, int] = {}  # cycle -> largest train step recorded
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, 'metrics.jsonl')
    for record in _read_and_trim(path):
      if record['kind'] == 'train_step':
        self._steps[record['cycle']] = max(self._steps.get(record['cycle'], 0), record['step'])
    self._jsonl = open(path, 'a')
    tb_dir = os.path.join(output_dir, 'tensorboard')
    # tensorboardX names event files by the second and opens them with 'wb': number each (re)open so a
    # restart within the same second cannot overwrite the previous file.
    opened = len(os.listdir(tb_dir)) if os.path.isdir(tb_dir) else 0
    from tensorboardX import SummaryWriter  # imports torch where installed: after cli.run has hidden it

    self._tb = SummaryWriter(tb_dir, filename_suffix=f'.{opened}')

  def train_step(self, cycle: int, step: int, **scalars: float) -> None:
    """One optimizer step (`step` from 1 within `cycle`), e.g. loss=, learning_rate=, tokens_per_s=."""
    if not self.enabled:
      return
    global_step = sum(n for c, n in self._steps.items() if c < cycle) + step
    self._steps[cycle] = max(self._steps.get(cycle, 0), step)
    self._write(dict(kind='train_step', cycle=cycle, step=step, global_step=global_step, **scalars))
    for name, value in scalars.items():
      self._tb.add_scalar(f'step/{name}', value, global_step)

  def cycle(self, cycle: int, stats: dict) -> None:
    """A finished cycle's stats (nested as in stats.json; only the numbers are kept, flattened)."""
    if not self.enabled:
      return
    flat = {path: v for path, v in flatten(stats).items() if path != ('cycle',)}
    self._write(dict(kind='cycle', cycle=cycle, **{'.'.join(path): v for path, v in flat.items()}))
    for path, value in flat.items():
      # TensorBoard names allow [A-Za-z0-9_./-]: eval/pass@1 is written as eval/pass_1 (what tensorboardX
      # would do, with a warning every cycle).
      name = '/'.join(path if len(path) > 1 else ('cycle',) + path)
      self._tb.add_scalar(re.sub(r'[^\w./-]', '_', name), value, cycle)
    self._tb.flush()  # a cycle is rare and precious; steps are flushed by tensorboardX's timer

  def _write(self, record: dict) -> None:
    self._jsonl.write(json.dumps(record) + '\n')
    self._jsonl.flush()

  def close(self) -> None:
    if self.enabled and not self._jsonl.closed:
      self._jsonl.close()
      self._tb.close()

  def __enter__(self):
    return self

  def __exit__(self, *exc):
    self.close()


def _read_and_trim(path: str) -> list[dict]:
  """The complete records of `path`; truncates a last line cut by a kill so appends start clean."""
  if not os.path.exists(path):
    return []
  with open(path, 'rb+') as f:
    data = f.read()
    end = data.rfind(b'\n') + 1
    if end < len(data):
      f.truncate(end)
  return [json.loads(line) for line in data[:end].splitlines() if line.strip()]
