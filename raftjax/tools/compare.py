"""Variants of a run side by side: held-out curves per cycle with the spread over seeds, and a table of
the final numbers. No JAX.

  python -m raftjax.tools.report --compare=runs/sweep                 # a raftjax.tools.sweep directory
  python -m raftjax.tools.report --compare=runs/a,runs/b,runs/c       # or run directories

Writes compare.md and compare.png into --output (default: the first directory's compare/).

Variants: a sweep directory names them (sweep.json); otherwise runs whose configs are equal but for `seed`
and `output_dir` are one variant, named by the keys where the variants' configs differ.

Per variant and cycle, over its seeds: the mean, the min and the max (the band in the plot). The table
takes each run's last finished cycle (unfinished runs count with what they have; the table says how many
cycles each has), shows mean [min, max] over seeds, a 95% Student-t interval of the mean when there are
at least 3 seeds, and the difference to the first variant paired by seed (same seed, same base model
evaluation). Noise floor: one held-out task moves a pass rate by 1 / (tasks x samples per task).
"""

import dataclasses
import json
import math
import os

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from raftjax import rundir

SWEEP_FILE = 'sweep.json'
# What the curves and the table show: (label, path in a cycle's stats.json, a rate shown in percent).
METRICS = (
  ('held-out mean reward (greedy)', ('eval', 'mean_reward'), False),
  ('held-out pass rate (greedy)', ('eval', 'pass_rate'), True),
  ('held-out compile rate (greedy)', ('eval', 'compile_rate'), True),
  ('held-out pass@1 (sampled)', ('eval', 'sampled', 'pass@1'), True),
  ('held-out pass@k (sampled)', ('eval', 'sampled', 'pass@k'), True),
  ('KL to base, nats per sample (sampled)', ('eval', 'sampled', 'kl_to_base'), False),
  ('token entropy, training samples', ('signals', 'token_entropy'), False),
)
# The transfer set's evaluation after the last cycle (training_log.json's `transfer`, table only).
TRANSFER = (
  ('transfer compile rate', ('compile_rate',), True),
  ('transfer pass@1', ('pass@1',), True),
  ('transfer pass@k', ('pass@k',), True),
)
# Two-sided 95% Student-t quantiles by degrees of freedom (n - 1 seeds), for n >= 3.
_T95 = {2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228}


@dataclasses.dataclass
class Variant:
  name: str
  runs: dict[int, rundir.Run]  # by seed


def _value(stats: dict, path: tuple) -> float | None:
  """A number at `path` of stats ('pass@k' means the sampled evaluation's own k)."""
  node = stats
  for key in path:
    if key == 'pass@k' and isinstance(node, dict):
      key = f'pass@{node.get("samples_per_prompt")}'
    node = node.get(key) if isinstance(node, dict) else None
  return node if isinstance(node, (int, float)) else None


def curve(run: rundir.Run, path: tuple) -> dict[int, float]:
  """{cycle: value} of a run, the base model as cycle 0 (evaluations only)."""
  points = {s['cycle']: _value(s, path) for s in run.cycles}
  if path[0] == 'eval' and run.base:
    points[0] = _value({'eval': run.base}, path)
  return {c: v for c, v in sorted(points.items()) if v is not None}


def final(run: rundir.Run, path: tuple) -> float | None:
  """The value after the run's last finished cycle (None before its first)."""
  return _value(run.cycles[-1], path) if run.cycles else None


def transfer(run: rundir.Run, path: tuple, when: str = 'final') -> float | None:
  """The transfer set's value on the base model ('base') or after the run's last cycle ('final')."""
  return _value((run.log.get('transfer') or {}).get(when) or {}, path)


# ------------------------------------------------------------------------------------------ loading


def _flat(config: dict, prefix: str = '') -> dict[str, str]:
  """{'section.key': value as JSON} of a config as training_log.json holds it."""
  out = {}
  for key, value in config.items():
    if isinstance(value, dict):
      out.update(_flat(value, f'{prefix}{key}.'))
    else:
      out[f'{prefix}{key}'] = json.dumps(value, sort_keys=True)
  return out


def _show(text: str | None) -> str:
  """A config value for a variant's name: strings without their quotes."""
  value = json.loads(text) if text is not None else None
  return value if isinstance(value, str) else str(text)


def _started(path: str) -> rundir.Run | None:
  """The run in `path`, or None before it has written anything (a sweep run not started, or loading)."""
  try:
    return rundir.load_run(path)
  except FileNotFoundError:
    return None


def load_variants(directories: list[str]) -> list[Variant]:
  """The variants of sweep directories, or of run directories grouped by config (module docstring)."""
  named: dict[str, Variant] = {}
  grouped: dict[tuple, Variant] = {}  # config without seed and output_dir -> its runs
  for directory in directories:
    sweep = rundir.read_json(os.path.join(directory, SWEEP_FILE))
    for r in sweep['runs'] if sweep else []:
      run = _started(os.path.join(directory, r['dir']))
      if run:
        named.setdefault(r['variant'], Variant(r['variant'], {})).runs[r['seed']] = run
    if sweep:
      continue
    run = rundir.load_run(directory)
    config = _flat(run.log.get('config', {}))
    seed = json.loads(config.pop('seed', '0'))
    config.pop('output_dir', None)
    grouped.setdefault(tuple(sorted(config.items())), Variant('', {})).runs[seed] = run
  configs = [dict(key) for key in grouped]
  differ = sorted(k for k in set().union(*configs) if len({c.get(k) for c in configs}) > 1)
  for config, v in zip(configs, grouped.values()):
    any_run = next(iter(v.runs.values()))
    v.name = ', '.join(f'{k}={_show(config.get(k))}' for k in differ) or os.path.basename(any_run.workdir)
  return list(named.values()) + list(grouped.values())


# -------------------------------------------------------------------------------------- statistics


def spread(values: list[float]) -> dict:
  """mean, min, max and (n >= 3) the 95% t-interval half-width of the mean of `values`."""
  x = np.asarray(values, np.float64)
  out = dict(n=len(x), mean=float(x.mean()), min=float(x.min()), max=float(x.max()), half_width=None)
  if len(x) >= 3:
    out['half_width'] = _T95.get(len(x) - 1, 1.96) * float(x.std(ddof=1)) / math.sqrt(len(x))
  return out


def _cell(values: list[float], pct: bool) -> str:
  if not values:
    return '–'
  s = spread(values)
  f = (lambda v: f'{100 * v:.1f}') if pct else (lambda v: f'{v:.3f}')
  text = f'{f(s["mean"])} [{f(s["min"])}, {f(s["max"])}]'
  return text + (f' ±{f(s["half_width"])}' if s['half_width'] is not None else '')


def table(variants: list[Variant]) -> str:
  """Markdown: per variant, the final numbers over seeds, and the paired difference to the first variant."""
  runs = [r for v in variants for r in v.runs.values()]
  columns = [(label, path, rate, final) for label, path, rate in METRICS]
  if any(transfer(r, TRANSFER[0][1], 'base') is not None for r in runs):
    columns += [(label, path, rate, transfer) for label, path, rate in TRANSFER]
  head = ['variant', 'seeds (cycles)'] + [c[0] for c in columns] + ['Δ mean reward vs ' + variants[0].name]
  rows = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
  reference = variants[0]
  for v in variants:
    cells = [v.name, ', '.join(f'{seed} ({len(run.cycles)})' for seed, run in sorted(v.runs.items()))]
    for _, path, rate, read in columns:
      values = [x for x in (read(run, path) for run in v.runs.values()) if x is not None]
      cells.append(_cell(values, pct=rate))
    pairs = [
      final(run, ('eval', 'mean_reward')) - final(reference.runs[seed], ('eval', 'mean_reward'))
      for seed, run in v.runs.items()
      if seed in reference.runs and run.cycles and reference.runs[seed].cycles
    ]
    cells.append(_cell(pairs, pct=False) if v is not reference else '')
    rows.append('| ' + ' | '.join(cells) + ' |')
  return '\n'.join(rows)


# ------------------------------------------------------------------------------------------- plot


def plot(variants: list[Variant], path: str) -> None:
  """One panel per metric: each variant's mean over seeds per cycle, its min-max band shaded."""
  shown = [(label, p) for label, p, _ in METRICS if any(curve(r, p) for v in variants for r in v.runs.values())]
  cols = 2
  fig = Figure(figsize=(12, 3.4 * math.ceil(len(shown) / cols)), layout='constrained')
  FigureCanvasAgg(fig)
  axes = list(fig.subplots(math.ceil(len(shown) / cols), cols, squeeze=False).flat)
  for ax in axes[len(shown) :]:
    ax.set_visible(False)
  for ax, (label, p) in zip(axes, shown):
    for i, v in enumerate(variants):
      curves = [curve(r, p) for r in v.runs.values()]
      cycles = sorted(set().union(*curves))
      if not cycles:
        continue
      values = [[c[k] for c in curves if k in c] for k in cycles]
      color = f'C{i % 10}'
      ax.plot(cycles, [np.mean(x) for x in values], 'o-', color=color, label=f'{v.name} (n={len(curves)})')
      ax.fill_between(cycles, [min(x) for x in values], [max(x) for x in values], color=color, alpha=0.15)
    ax.set_title(label, fontsize='medium')
    ax.set_xlabel('cycle (0 = base model)')
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
  handles, labels = fig.axes[0].get_legend_handles_labels()
  fig.legend(handles, labels, loc='outside lower center', ncols=2, fontsize='small')
  fig.savefig(path, dpi=100)


def _transfer_base(variants: list[Variant]) -> list[str]:
  """A line with the base model's numbers on the transfer set, over the runs' seeds ([] without one)."""
  runs = [r for v in variants for r in v.runs.values() if transfer(r, ('compile_rate',), 'base') is not None]
  if not runs:
    return []
  base = runs[0].log['transfer']['base']
  cells = [f'{label} {_cell([transfer(r, path, "base") for r in runs], pct=rate)}' for label, path, rate in TRANSFER]
  return [
    f'Transfer set ({base["num_tasks"]} tasks, {base["samples_per_prompt"]} samples per task at temperature '
    f'{base.get("temperature")}), after the last cycle in the table; the base model: {", ".join(cells)}.'
  ]


def write(directories: list[str], output: str | None = None) -> str:
  """Writes compare.png and compare.md into `output` (default: the first directory's compare/); returns
  compare.md's path."""
  variants = [v for v in load_variants(directories) if v.runs]
  if not variants:
    raise FileNotFoundError(f'{", ".join(directories)}: no raftjax runs here')
  output = output or os.path.join(directories[0], 'compare')
  os.makedirs(output, exist_ok=True)
  plot(variants, os.path.join(output, 'compare.png'))
  tasks = {r.base.get('num_tasks') for v in variants for r in v.runs.values() if r.base}
  per_task = ', '.join(f'{100 / n:.1f} points' for n in sorted(t for t in tasks if t))
  md = [
    '# raftjax variants',
    f'Directories: {", ".join(f"`{d}`" for d in directories)}',
    f'One held-out task moves a greedy pass rate by {per_task or "?"}. Cells: mean over seeds [min, max]'
    " (± the 95% t-interval half-width with 3 or more seeds) after each run's last finished cycle; rates"
    ' in percent. Δ: the difference to the first variant, paired by seed.',
    table(variants),
    *_transfer_base(variants),
    '![held-out curves per cycle](compare.png)',
  ]
  path = os.path.join(output, 'compare.md')
  with open(path, 'w') as f:
    f.write('\n\n'.join(md) + '\n')
  return path
