"""The SFT study's table and plot (records/sft/README.md) from the evaluations records/sft/run.sh wrote:
python records/sft/table.py [runs/sft_study] [--plot=records/sft/pass_at_4.png]"""

import json
import os
import sys

MODELS = (('base', 'base model'), ('sft', 'SFT'), ('sft_raft', 'SFT + RAFT'), ('sft_raft_hints', 'SFT + RAFT + hints'))
SETS = (('held_out', 'built-in held-out split (27 tasks)'), ('beginner', 'beginner set (51 tasks)'))
COLUMNS = (('compile_rate', 'compile', True), ('pass@1', 'pass@1', True), ('pass@4', 'pass@4', True),
           ('solved', 'tasks solved', False))


def read_eval(path: str) -> dict | None:
  """An evaluation's metrics (tools.evaluate's stdout, log lines before the JSON), or None if not run."""
  if not os.path.exists(path) or not os.path.getsize(path):
    return None
  with open(path) as f:
    text = f.read()
  return json.loads(text[text.index('{'):])


def load(out: str) -> dict:
  """{(seed, model, set): metrics} of every evaluation there is."""
  found = {}
  for seed_dir in sorted(os.listdir(os.path.join(out, 'eval'))):
    for model, _ in MODELS:
      for name, _ in SETS:
        metrics = read_eval(os.path.join(out, 'eval', seed_dir, f'{model}.{name}.json'))
        if metrics:
          found[(seed_dir.removeprefix('seed_'), model, name)] = metrics
  return found


def cell(metrics: list[dict], key: str, pct: bool) -> str:
  values = [len(m['solved']) if key == 'solved' else m[key] for m in metrics]
  text = ' / '.join(f'{100 * v:.1f}%' if pct else str(v) for v in values)
  if len(values) > 1:
    mean = sum(values) / len(values)
    text += f' ({100 * mean:.1f}%)' if pct else f' ({mean:.1f})'
  return text


def table(found: dict) -> str:
  seeds = sorted({s for s, _, _ in found})
  lines = []
  for name, title in SETS:
    lines += [f'**{title}**, seed {" / ".join(seeds)} (mean):', '',
              '| model | ' + ' | '.join(c for _, c, _ in COLUMNS) + ' |', '|---' * (len(COLUMNS) + 1) + '|']
    for model, label in MODELS:
      metrics = [found[(s, model, name)] for s in seeds if (s, model, name) in found]
      if metrics:
        lines.append(f'| {label} | ' + ' | '.join(cell(metrics, k, p) for k, _, p in COLUMNS) + ' |')
    gains = [found[(s, 'sft_raft', name)]['pass@4'] - found[(s, 'sft', name)]['pass@4'] for s in seeds
             if (s, 'sft_raft', name) in found and (s, 'sft', name) in found]
    if gains:
      lines += ['', f'RAFT\'s own contribution (SFT + RAFT minus SFT, pass@4), per seed: '
                + ' / '.join(f'{100 * g:+.1f} points' for g in gains)]
    lines.append('')
  return '\n'.join(lines)


def plot(found: dict, path: str) -> None:
  """Compile rate and pass@4 per model on both task sets: bars at the seeds' mean, a dot per seed."""
  from matplotlib.backends.backend_agg import FigureCanvasAgg
  from matplotlib.figure import Figure
  from matplotlib.ticker import PercentFormatter

  seeds = sorted({s for s, _, _ in found})
  fig = Figure(figsize=(9, 3.4))
  FigureCanvasAgg(fig)
  axes = fig.subplots(1, 2, sharey=True)
  for ax, (name, title) in zip(axes, SETS):
    for k, (key, label) in enumerate((('compile_rate', 'compile'), ('pass@4', 'pass@4'))):
      for i, (model, _) in enumerate(MODELS):
        values = [found[(s, model, name)][key] for s in seeds if (s, model, name) in found]
        if values:
          x = i + (k - 0.5) * 0.38
          ax.bar(x, sum(values) / len(values), 0.36, color=f'C{k}', label=label if i == 0 else None)
          ax.plot([x] * len(values), values, 'k.', markersize=4)
    ax.set_xticks(range(len(MODELS)), [m.replace(' + ', '\n+ ') for _, m in MODELS], fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, 1)
  axes[1].legend(fontsize=8, loc='upper left')  # above the base model's low bars
  fig.suptitle(f'bars: mean of seeds {", ".join(seeds)}; dots: each seed (4 samples per task, T = 0.7)', fontsize=9)
  fig.tight_layout()
  fig.savefig(path, dpi=110)


if __name__ == '__main__':
  args = [a for a in sys.argv[1:] if not a.startswith('--plot=')]
  found = load(args[0] if args else 'runs/sft_study')
  print(table(found))
  for a in sys.argv[1:]:
    if a.startswith('--plot='):
      plot(found, a.removeprefix('--plot='))
