"""The plots of a run (`tools.report` writes them as PNGs, the notebook draws them inline): each
`plot_*(run, ax)` draws one figure's content on a matplotlib Axes it is given."""

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from raftjax.rundir import Run
from raftjax.verifier.reward import LEVELS

LEVEL_NAMES = {
  '0.0': 'does not compile',
  '0.3': 'compiles with warnings',
  '0.5': 'compiles clean',
  '0.7': 'runs (exit 0)',
  '1.0': 'correct output',
}
_LEVEL_COLORS = ('#c0392b', '#e67e22', '#f1c40f', '#7fbf3f', '#1e8449')
PHASES = {
  'generate_s': 'generate',
  'verify_wait_s': 'verify (wait)',
  'train_s': 'train',
  'eval_s': 'held-out eval',
  'save_s': 'save',
}


def _cycle_axis(ax, cycles: list[int], with_base: bool) -> None:
  ticks = ([0] if with_base else []) + cycles
  ax.set_xticks(ticks, ['base' if c == 0 else str(c) for c in ticks])
  ax.set_xlabel('cycle')


def plot_rates(run: Run, ax) -> None:
  """Compile and pass rate per cycle: held-out evaluation (the base model at 0) and training samples.

  The training samples' pass rate is drawn only for cycles that ran the programs (curriculum)."""
  cycles = [s['cycle'] for s in run.cycles]
  evals = ([(0, run.base)] if run.base else []) + [(s['cycle'], s['eval']) for s in run.cycles if s['eval']]
  ran = [s for s in run.cycles if run.setting(s, 'verifier.run_after_compile') is not False]
  for key, color, name in (('compile_rate', 'tab:blue', 'compile'), ('pass_rate', 'tab:green', 'pass')):
    ax.plot([c for c, _ in evals], [e[key] for _, e in evals], 'o-', color=color, label=f'held-out: {name}')
    train = run.cycles if key == 'compile_rate' else ran
    ax.plot(
      [s['cycle'] for s in train],
      [s['train'][key] for s in train],
      's--',
      color=color,
      alpha=0.6,
      label=f'training samples: {name}' + ('' if key == 'compile_rate' else '\n(cycles that ran programs)'),
    )
  _cycle_axis(ax, cycles, bool(run.base))
  ax.yaxis.set_major_formatter(PercentFormatter(1.0))
  ax.set_ylim(0, 1.05)
  ax.set_ylabel('share of samples')
  ax.set_title('Compile and pass rate per cycle')
  ax.grid(alpha=0.3)
  ax.legend(fontsize='small', loc='upper left', bbox_to_anchor=(1.01, 1))


def plot_levels(run: Run, ax) -> None:
  """Share of the training samples at each reward-ladder level, stacked, per cycle."""
  cycles = [s['cycle'] for s in run.cycles]
  bottom = [0.0] * len(cycles)
  for level, color in zip(LEVELS, _LEVEL_COLORS):
    share = [s['train']['levels'].get(level, 0) / max(1, s['train']['total']) for s in run.cycles]
    ax.bar(cycles, share, bottom=bottom, color=color, width=0.6, label=f'{level}  {LEVEL_NAMES[level]}')
    bottom = [b + v for b, v in zip(bottom, share)]
  _cycle_axis(ax, cycles, False)
  ax.yaxis.set_major_formatter(PercentFormatter(1.0))
  ax.set_ylim(0, 1)
  ax.set_ylabel('share of training samples')
  ax.set_title('Reward ladder of the training samples')
  ax.legend(title='reward', fontsize='small', loc='upper left', bbox_to_anchor=(1.01, 1))


def plot_kept(run: Run, ax) -> None:
  """Samples generated and kept for training per cycle, with the kept share and threshold above the bars."""
  cycles = [s['cycle'] for s in run.cycles]
  ax.bar([c - 0.2 for c in cycles], [s['total'] for s in run.cycles], width=0.4, color='0.7', label='generated')
  ax.bar([c + 0.2 for c in cycles], [s['kept'] for s in run.cycles], width=0.4, color='tab:green', label='kept')
  for s in run.cycles:
    ax.annotate(
      f'{s["kept"] / max(1, s["total"]):.0%} kept\n(reward ≥ {run.setting(s, "raft.reward_threshold")})',
      (s['cycle'] + 0.2, s['kept']),
      ha='center',
      va='bottom',
      fontsize='small',
    )
  _cycle_axis(ax, cycles, False)
  ax.yaxis.set_major_locator(MaxNLocator(integer=True))
  ax.set_ylim(0, max([s['total'] for s in run.cycles], default=1) * 1.15)
  ax.set_ylabel('samples')
  ax.set_title('Kept vs generated samples per cycle')
  ax.legend(fontsize='small', loc='upper left')


def plot_seconds(run: Run, ax) -> None:
  """Wall time per phase per cycle, stacked (minutes when a cycle takes over 2 minutes)."""
  cycles = [s['cycle'] for s in run.cycles]
  longest = max((sum(s['seconds'].get(p, 0) for p in PHASES) for s in run.cycles), default=0)
  unit, scale = ('minutes', 60) if longest > 120 else ('seconds', 1)
  bottom = [0.0] * len(cycles)
  for phase, name in PHASES.items():
    values = [s['seconds'].get(phase, 0) / scale for s in run.cycles]
    ax.bar(cycles, values, bottom=bottom, width=0.6, label=name)
    bottom = [b + v for b, v in zip(bottom, values)]
  for c, total in zip(cycles, bottom):
    ax.annotate(f'{total:.1f}', (c, total), ha='center', va='bottom', fontsize='small')
  _cycle_axis(ax, cycles, False)
  ax.set_ylim(0, max(bottom, default=1) * 1.1)
  ax.set_ylabel(unit)
  ax.set_title('Wall time per phase')
  ax.legend(fontsize='small', loc='upper left', bbox_to_anchor=(1.01, 1))


def plot_loss(run: Run, ax) -> None:
  """Training loss of every optimizer step, cycles one after another."""
  start = 0
  for s in run.cycles:
    losses = s.get('losses') or []
    ax.plot(range(start + 1, start + len(losses) + 1), losses, '.-', label=f'cycle {s["cycle"]}')
    start += len(losses)
  ax.xaxis.set_major_locator(MaxNLocator(integer=True))
  ax.set_xlabel('optimizer step (all cycles)')
  ax.set_ylabel('loss (completion tokens)')
  ax.set_title('Training loss')
  ax.grid(alpha=0.3)
  ax.legend(fontsize='small')


def _points(pairs) -> tuple[list, list]:
  """(xs, ys) of the (x, y) pairs whose y is known."""
  known = [(x, y) for x, y in pairs if y is not None]
  return [x for x, _ in known], [y for _, y in known]


def plot_signals(run: Run, ax) -> None:
  """Per cycle, shares of the training samples and prompts (left axis) and, in nats per token (right), the
  policy's token entropy on its training samples and, with a sampled held-out evaluation, its entropy and
  KL to the base there (the base model at 0)."""
  cycles = [s['cycle'] for s in run.cycles]
  signals = [(s['cycle'], s.get('signals', {})) for s in run.cycles]
  for key, name, style in (
    ('unique_ratio', 'distinct completions', 'o-'),
    ('truncated', 'cut by max_new_tokens', 's-'),
    ('all_pass_share', 'prompts: all pass', '^--'),
    ('all_fail_share', 'prompts: all fail', 'v--'),
    ('mixed_share', 'prompts: mixed', 'd--'),
  ):
    ax.plot(*_points((c, x.get(key)) for c, x in signals), style, label=name)
  ax.yaxis.set_major_formatter(PercentFormatter(1.0))
  ax.set_ylim(0, 1.05)
  ax.set_ylabel('share')
  nats = ax.twinx()
  sampled = ([(0, run.base.get('sampled', {}))] if run.base else []) + [
    (s['cycle'], s['eval'].get('sampled', {})) for s in run.cycles
  ]
  nats.plot(*_points((c, x.get('token_entropy')) for c, x in signals), 'k*-', label='entropy, training samples')
  nats.plot(*_points((c, x.get('token_entropy')) for c, x in sampled), 'kx:', label='entropy, held-out samples')
  nats.plot(
    *_points((c, x.get('kl_per_token')) for c, x in sampled),
    'P-',
    color='tab:brown',
    label='KL to base, held-out samples',
  )
  nats.set_ylabel('nats per token')
  nats.set_ylim(bottom=0)
  _cycle_axis(ax, cycles, bool(run.base.get('sampled')))
  ax.set_title('What the samples say about the policy')
  ax.grid(alpha=0.3)
  lines = ax.get_legend_handles_labels()
  more = nats.get_legend_handles_labels()
  ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize='small', loc='upper left', bbox_to_anchor=(1.12, 1))


PLOTS = {
  'rates.png': plot_rates,
  'levels.png': plot_levels,
  'kept.png': plot_kept,
  'seconds.png': plot_seconds,
  'loss.png': plot_loss,
  'signals.png': plot_signals,
}  # file name -> plot; the name is also its alt text


def save_plot(plot, run: Run, path: str) -> None:
  fig = Figure(figsize=(7.5, 4.2), layout='constrained')
  FigureCanvasAgg(fig)  # Agg directly: no pyplot state, no display needed
  plot(run, fig.subplots())
  fig.savefig(path, dpi=110)
