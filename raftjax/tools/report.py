"""Plots and a Markdown summary of a raftjax run, finished or still running.

  python -m raftjax.tools.report --workdir=runs/raft [--output=DIR]
  python -m raftjax.tools.report --compare=DIR[,DIR...] [--output=DIR]     variants side by side (raftjax.tools.compare)

Writes into `--output` (default WORKDIR/report): rates.png (compile and pass rate per cycle, training
samples and held-out evaluation, the base model as cycle 0), levels.png (the reward ladder of the
training samples), kept.png (kept vs all samples), seconds.png (time per phase), loss.png (training loss
per optimizer step), signals.png (the policy's entropy, KL to the base, distinct and truncated samples,
all-pass / all-fail / mixed prompts) and report.md (a table per cycle, best cycle, stop reason, the plots,
a table of the signals, reward-hacking checks of the kept samples (raftjax.tools.audit), kept samples of the
best cycle, the most common compiler errors). Cycles without stats.json (not finished) are left out.

The notebook (notebooks/raft_run.ipynb) uses the same functions: `load_run`, `raftjax.tools.plots` (each
`plot_*` draws on a matplotlib Axes it is given), `compiler_errors` and `by_level`.
"""

import collections
import os
import re
import sys
import tempfile

from raftjax import cli
from raftjax.data import tasks as tasks_lib
from raftjax.rundir import Run, load_run
from raftjax.tools import audit
from raftjax.tools.plots import PHASES, PLOTS, save_plot
from raftjax.verifier.extract import extract_code
from raftjax.verifier.reward import LEVELS, level_of

STOP_REASONS = {
  'num_cycles': 'all configured cycles ran',
  'plateau': 'the held-out mean reward stopped gaining',
  'degradation': 'the held-out mean reward fell',
}


def by_level(rows: list[dict]) -> dict[str, list[dict]]:
  """Samples grouped by ladder level, every level present (maybe empty)."""
  groups = {lv: [] for lv in LEVELS}
  for r in rows:
    groups[level_of(r['reward'])].append(r)
  return groups


_ERROR = re.compile(r'(?:error: |(?=undefined reference to ))(.*)')
_NAME = re.compile(r"[`'‘][A-Za-z_]\w*['’]")


def first_error(compiler_output: str) -> str | None:
  """The first error of a compile (the one that broke it), names replaced by '…' so that like errors group."""
  for line in compiler_output.splitlines():
    m = _ERROR.search(line)
    if m:
      return _NAME.sub("'…'", m.group(1).strip())
  return None


def compiler_errors(rows: list[dict], top: int = 10) -> list[tuple[str, int]]:
  """(error, number of samples) of the most common first errors among samples that did not compile."""
  errors = (first_error(r.get('compiler_output', '')) for r in rows if r['stage'] == 'compile_error')
  return collections.Counter(e for e in errors if e).most_common(top)


# ----------------------------------------------------------------------------------------- report


def _pct(x) -> str:
  return '–' if x is None else f'{100 * x:.1f}%'


def _num(x, fmt='.3f') -> str:
  return '–' if x is None else format(x, fmt)


def cycle_table(run: Run) -> str:
  best = run.best_cycle()
  rows = [
    '| cycle | keep reward ≥ | programs run | samples: compile | samples: pass | kept / total | '
    'loss first → last | held-out: compile | held-out: pass | held-out: mean reward | minutes |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ]
  if run.base:
    b = run.base
    rows.append(
      f'| base | | | | | | | {_pct(b["compile_rate"])} | {_pct(b["pass_rate"])} | '
      f'{_num(b["mean_reward"])} | {_num(b.get("seconds", 0) / 60, ".1f")} |'
    )
  for s in run.cycles:
    ran = run.setting(s, 'verifier.run_after_compile') is not False
    e, t = s['eval'], s['train']
    loss = f'{s["loss_first"]:.3f} → {s["loss_last"]:.3f}' if s.get('losses') else 'not trained'
    cycle = f'**{s["cycle"]}** (best)' if s['cycle'] == best else str(s['cycle'])
    minutes = sum(s['seconds'].get(p, 0) for p in PHASES) / 60
    rows.append(
      f'| {cycle} | {run.setting(s, "raft.reward_threshold")} | {"yes" if ran else "no"} | '
      f'{_pct(t["compile_rate"])} | {_pct(t["pass_rate"] if ran else None)} | {s["kept"]}/{s["total"]} | '
      f'{loss} | {_pct(e.get("compile_rate"))} | {_pct(e.get("pass_rate"))} | '
      f'{_num(e.get("mean_reward"))} | {minutes:.1f} |'
    )
  return '\n'.join(rows)


def signals_table(run: Run) -> str:
  """Per cycle: the signals of the training samples and prompts, and of the sampled held-out evaluation."""
  rows = [
    '| cycle | entropy (nats/token) | distinct | mean tokens | cut by max_new_tokens | prompts all pass / '
    'all fail / mixed | dropped / refill rounds | adaptive rounds (prompts) | held-out sampled: pass@1 | '
    'pass@k | entropy | KL to base (nats/sample) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ]
  evals = ([('base', {}, {}, run.base.get('sampled'))] if run.base else []) + [
    (str(s['cycle']), s.get('signals', {}), s.get('prompts', {}), s['eval'].get('sampled')) for s in run.cycles
  ]
  for cycle, sig, prompts, sampled in evals:
    sampled = sampled or {}
    k = sampled.get('samples_per_prompt')
    shares = ' / '.join(_pct(sig.get(f'{o}_share')) for o in ('all_pass', 'all_fail', 'mixed')) if sig else ''
    rows.append(
      f'| {cycle} | {_num(sig.get("token_entropy"))} | {_pct(sig.get("unique_ratio"))} | '
      f'{_num(sig.get("mean_tokens"), ".1f")} | {_pct(sig.get("truncated"))} | {shares} | '
      f'{prompts.get("dropped", "–")} / {prompts.get("refill_rounds", "–")} | '
      f'{prompts.get("adaptive_rounds", "–")} ({prompts.get("resampled", "–")}) | '
      f'{_pct(sampled.get("pass@1"))} | {_pct(sampled.get(f"pass@{k}"))}{f" (k={k})" if k else ""} | '
      f'{_num(sampled.get("token_entropy"))} | {_num(sampled.get("kl_to_base"))} |'
    )
  return '\n'.join(rows)


def summary(run: Run) -> str:
  """Status, best cycle and stop reason as Markdown lines."""
  planned = run.log.get('config', {}).get('raft', {}).get('num_cycles')
  lines = [f'- Model: `{run.log.get("config", {}).get("sft_checkpoint", "?")}`']
  if run.finished:
    reason = run.log.get('stop_reason')
    lines.append(
      f'- Finished after {len(run.cycles)} of {planned} cycles; stopped: **{reason}** '
      f'({STOP_REASONS.get(reason, reason)}).'
    )
  else:
    lines.append(f'- In progress: {len(run.cycles)} of {planned} cycles finished.')
  best = run.best_cycle()
  if best is not None:
    e = run.stats(best)['eval']
    where = f', copied to `cycle_{best}_final/`' if run.finished else ' so far'
    lines.append(
      f'- Best cycle: **{best}** (held-out mean reward {_num(e.get("mean_reward"))}, '
      f'compile {_pct(e.get("compile_rate"))}, pass {_pct(e.get("pass_rate"))}){where}.'
    )
  return '\n'.join(lines)


def sampled_kept(run: Run, cycle: int) -> list[dict]:
  """The kept samples the model wrote (kept.jsonl less `raft.demonstrations`' references)."""
  return [r for r in run.samples(cycle, 'kept.jsonl') if r['stage'] != 'reference']


def audit_table(run: Run) -> str:
  """Per cycle: the share of kept samples flagged by each reward-hacking check (raftjax.tools.audit)."""
  config = run.log.get('config', {})
  try:  # the training side: `prompts` and `extra_train_prompts`
    task_list = tasks_lib.load_tasks(config.get('prompts') or None)
    if config.get('extra_train_prompts'):
      task_list += tasks_lib.extra_train_tasks(config['extra_train_prompts'])
  except tasks_lib.TaskFileError as e:
    return f'_Not checked: {e}_'
  by_id = {t['id']: t for t in task_list}
  rows = [
    '| cycle | kept samples | print extra text | hard-code answers | near-duplicate across prompts |',
    '|---|---|---|---|---|',
  ]
  for s in run.cycles:
    a = audit.audit(sampled_kept(run, s['cycle']), by_id)
    rows.append(
      f'| {s["cycle"]} | {a["samples"]} | {_pct(a["extra_text"])} | {_pct(a["hard_coded"])} | '
      f'{_pct(a["near_duplicate"])} |'
    )
  return '\n'.join(rows)


def sample_markdown(row: dict) -> str:
  """A sample's prompt id, reward and stage, and the code gcc saw (the whole completion if none was found)."""
  code = extract_code(row['completion']) or row['completion']
  fence = '`' * max(3, 1 + max(map(len, re.findall('`+', code)), default=0))  # longer than any inside
  return f'**{row["prompt_id"]}**: reward {row["reward"]:.2f} ({row["stage"]})\n\n{fence}c\n{code.rstrip()}\n{fence}'


def kept_examples(run: Run, cycle: int, count: int = 3) -> str:
  """The best-rewarded kept samples of `cycle`, one per prompt, as Markdown with the code in fences."""
  kept = sorted(sampled_kept(run, cycle), key=lambda r: -r['reward'])  # stable: file order in ties
  parts, seen = [], set()
  for r in kept:
    if r['prompt_id'] in seen:
      continue
    seen.add(r['prompt_id'])
    parts.append(sample_markdown(r))
    if len(parts) == count:
      break
  return '\n\n'.join(parts) or '_Nothing was kept._'


def error_table(errors: list[tuple[str, int]], total: int) -> str:
  rows = ['| samples | share of compile errors | first error |', '|---|---|---|']
  for message, n in errors:
    cell = message.replace('`', "'").replace('|', '\\|')
    rows.append(f'| {n} | {n / max(1, total):.0%} | `{cell}` |')
  return '\n'.join(rows)


def write_report(workdir: str, output: str | None = None) -> str:
  """Writes the PNGs and report.md into `output` (default WORKDIR/report); returns report.md's path."""
  run = load_run(workdir)
  rows = run.all_samples()
  failed = sum(r['stage'] == 'compile_error' for r in rows)
  best = run.best_cycle()
  md = [
    f'# raftjax run `{os.path.abspath(workdir)}`',
    summary(run),
    '## Per cycle',
    "Samples: the cycle's training samples (pass rate only where the programs ran). Held-out: greedy "
    'evaluation on the held-out tasks after the cycle, programs always run.',
    cycle_table(run),
    '## Plots',
  ]
  md += [f'![{name[:-4]}]({name})' for name in PLOTS]
  md += [
    '## Signals',
    "Training samples (drawn at the cycle's temperature and top-p): the policy's token entropy "
    'at temperature 1 along them, the share of distinct completions, the mean length, the share cut by '
    "max_new_tokens, the prompts whose samples all pass / all fail / are mixed at the cycle's threshold, "
    'prompts dropped by the filter and refill rounds, adaptive rounds and the prompts they sampled again. '
    'Held-out sampled: evaluation.pass_at_k samples per task from the policy itself (raftjax.rl.diagnostics).',
    signals_table(run),
  ]
  md += [
    '## Reward-hacking checks',
    'Static checks of every kept program against its task (raftjax.tools.audit): '
    'it prints text that no expected output contains (prompts such as "Enter a number: "), it ignores the '
    "input its tests give or writes a test's numeric answer in a string, it is nearly the same program as "
    'one kept for another prompt.',
    audit_table(run),
  ]
  if best is not None:
    md += [f'## Kept samples of cycle {best}', kept_examples(run, best)]
  md += [
    '## Most common compiler errors',
    f'First error of each of the {failed} training samples that did not compile (all cycles).',
    error_table(compiler_errors(rows), failed) if failed else '_No compile errors._',
  ]
  # Everything is read and drawn before the output exists: a run that cannot be reported leaves nothing.
  output = output or os.path.join(workdir, 'report')
  with tempfile.TemporaryDirectory(prefix='.report-', dir=os.path.dirname(os.path.abspath(output))) as partial:
    for name, plot in PLOTS.items():
      save_plot(plot, run, os.path.join(partial, name))
    with open(os.path.join(partial, 'report.md'), 'w') as f:
      f.write('\n\n'.join(md) + '\n')
    os.makedirs(output, exist_ok=True)
    for name in os.listdir(partial):
      os.replace(os.path.join(partial, name), os.path.join(output, name))
  return os.path.join(output, 'report.md')


def main(argv) -> None:
  from absl import app, flags

  from raftjax.tools import compare

  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  f = flags.FLAGS
  if bool(f.workdir) == bool(f.compare):
    raise app.UsageError('give either --workdir=RUN or --compare=DIR[,DIR...]')
  try:
    print(compare.write(f.compare, f.output or None) if f.compare else write_report(f.workdir, f.output or None))
  except (OSError, ValueError) as e:  # no run there, a file of it unreadable or corrupt
    sys.exit(f'raftjax.tools.report: {e}')


if __name__ == '__main__':
  from absl import flags

  flags.DEFINE_string('workdir', None, 'output_dir of a raftjax run')
  flags.DEFINE_list('compare', [], 'sweep directories or run directories to compare (raftjax.tools.compare)')
  flags.DEFINE_string(
    'output',
    '',
    "directory for the plots and report.md (default WORKDIR/report, or the first --compare directory's compare/)",
  )
  cli.run(main)
