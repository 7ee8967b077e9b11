"""The run directory: where every file of a run lives, how it is written and read. No JAX.

  <output_dir>/
    cycle_N/samples.jsonl     every sample of cycle N, streamed as verified (a kill may cut the last line)
    cycle_N/kept.jsonl        the samples trained on
    cycle_N/checkpoint/       Orbax (raftjax.checkpoint)
    cycle_N/stats.json        written last: a cycle with stats.json is finished
    cycle_K_final/            a copy of the best cycle (`best_cycle`)
    training_log.json         config, base-model evaluation, every finished cycle's stats, best cycle, stop reason
    metrics.jsonl, tensorboard/, report/

The loop, the report, the notebook, metrics, export, the benchmarks and the verify CLI all read and
write through here. JSON files are replaced atomically (written beside, then renamed: a reader never
sees half a file, and a failed write leaves no temporary file); JSONL readers take complete lines only.
"""

import dataclasses
import json
import os
import re
import shutil
import tempfile

from raftjax import verify

TRAINING_LOG = 'training_log.json'
_CYCLE = re.compile(r'cycle_(\d+)')

# The reward ladder's levels ('0.0', '0.3', '0.5', '0.7', '1.0'), from the verifier's rewards.
LEVELS = tuple(f'{r:.1f}' for r in sorted({0.0, *verify.REWARD.values()}))


def level_of(reward: float) -> str:
  """The highest ladder level `reward` reached (partial test credit between 0.7 and 1.0 counts as 0.7)."""
  return max((lv for lv in LEVELS if reward >= float(lv)), key=float)


def cycle_dir(output_dir: str, cycle: int) -> str:
  return os.path.join(output_dir, f'cycle_{cycle}')


def final_dir(output_dir: str, cycle: int) -> str:
  return os.path.join(output_dir, f'cycle_{cycle}_final')


def cycle_numbers(output_dir: str) -> list[int]:
  """The N of every `cycle_N` directory, ascending (finished or not)."""
  if not os.path.isdir(output_dir):
    return []
  return sorted(int(m[1]) for m in map(_CYCLE.fullmatch, os.listdir(output_dir)) if m)


def finished_cycles(output_dir: str) -> list[dict]:
  """stats.json of every finished cycle, by cycle number."""
  out = []
  for n in cycle_numbers(output_dir):
    stats = read_json(os.path.join(cycle_dir(output_dir, n), 'stats.json'))
    if stats is not None:
      out.append(stats)
  return out


def best_cycle(cycles: list[dict]) -> int | None:
  """The cycle with the highest held-out mean reward (the earliest among equals); None without cycles."""
  scores = {s['cycle']: s['eval'].get('mean_reward', 0.0) for s in cycles}
  return max(scores, key=lambda c: (scores[c], -c)) if scores else None


def copy_final(output_dir: str, cycle: int) -> str:
  """Makes `cycle_<cycle>_final` a copy of `cycle_<cycle>`, replacing any earlier `*_final`."""
  for name in os.listdir(output_dir):
    if name.endswith('_final') and _CYCLE.fullmatch(name.removesuffix('_final')):
      shutil.rmtree(os.path.join(output_dir, name))
  return shutil.copytree(cycle_dir(output_dir, cycle), final_dir(output_dir, cycle))


# ------------------------------------------------------------------------------------------ files


def read_json(path: str, default=None):
  if not os.path.exists(path):
    return default
  with open(path, encoding='utf-8') as f:
    return json.load(f)


def read_jsonl(path: str) -> list[dict]:
  """The complete lines of a JSONL file ([] if absent): a last line cut by a kill, or still being
  written, is left out."""
  if not os.path.exists(path):
    return []
  with open(path, encoding='utf-8') as f:
    return [json.loads(line) for line in f if line.endswith('\n')]


def jsonl_line(row: dict) -> str:
  """One JSONL line. Non-ASCII is escaped, so any Python string (a lone surrogate included) is written."""
  return json.dumps(row) + '\n'


def _atomic_write(path: str, write) -> None:
  directory = os.path.dirname(os.path.abspath(path))
  fd, tmp = tempfile.mkstemp(dir=directory, prefix=f'.{os.path.basename(path)}.', suffix='.tmp')
  try:
    with os.fdopen(fd, 'w', encoding='utf-8') as f:
      write(f)
    os.replace(tmp, path)
  except BaseException:
    os.unlink(tmp)
    raise


def write_json(path: str, obj) -> None:
  """Replaces `path` atomically with `obj` as indented JSON."""
  _atomic_write(path, lambda f: (json.dump(obj, f, indent=2), f.write('\n')))


def write_jsonl(path: str, rows) -> None:
  """Replaces `path` atomically with one JSON line per row."""
  _atomic_write(path, lambda f: f.writelines(map(jsonl_line, rows)))


# ------------------------------------------------------------------------------------------- a run


@dataclasses.dataclass
class Run:
  """A run as its files show it, finished or still running (what `raftjax.report` and the notebook read)."""
  workdir: str
  log: dict  # training_log.json ({} if not written yet)
  cycles: list[dict]  # stats.json of every finished cycle, by cycle number

  @property
  def base(self) -> dict:
    """The base model's held-out evaluation ({} without held-out tasks or before it is done)."""
    return self.log.get('base') or {}

  @property
  def finished(self) -> bool:
    return self.log.get('best_cycle') is not None  # set once, when the loop ends

  def best_cycle(self) -> int | None:
    """The loop's best cycle; while it runs, the best so far by the same rule."""
    return self.log['best_cycle'] if self.finished else best_cycle(self.cycles)

  def stats(self, cycle: int) -> dict:
    return next(s for s in self.cycles if s['cycle'] == cycle)

  def setting(self, stats: dict, key: str):
    """A config value (e.g. 'raft.reward_threshold') as the cycle ran it: its override, else the config."""
    section, name = key.split('.')
    return stats.get('overrides', {}).get(key, self.log.get('config', {}).get(section, {}).get(name))

  def samples(self, cycle: int, name: str = 'samples.jsonl') -> list[dict]:
    return read_jsonl(os.path.join(cycle_dir(self.workdir, cycle), name))

  def all_samples(self) -> list[dict]:
    """The training samples of every finished cycle."""
    return [r for s in self.cycles for r in self.samples(s['cycle'])]


def load_run(workdir: str) -> Run:
  """The run in `workdir` (a raftjax `output_dir`); FileNotFoundError naming it if there is none."""
  log = read_json(os.path.join(workdir, TRAINING_LOG))
  if log is None and not cycle_numbers(workdir):
    raise FileNotFoundError(f'{workdir}: no raftjax run here (neither {TRAINING_LOG} nor cycle_N/)')
  return Run(workdir, log or {}, finished_cycles(workdir))
