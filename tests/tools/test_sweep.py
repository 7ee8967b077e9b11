"""The ablation runner (raftjax.tools.sweep) and the comparison of variants (raftjax.tools.compare): the grid, the
runs' configs, a kill and a resume, and `report --compare` on unfinished and finished sweeps."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from raftjax import rundir
from raftjax.data import tasks as tasks_lib
from raftjax.tools import compare, sweep

from helpers import REPO, tiny_config


def test_grid_is_every_combination_seed_major():
  runs = sweep.expand(
    dict(grid={'training.objective': ['sft', 'raft_pp'], 'raft.prompt_filter': ['none', 'both']}, seeds=[0, 1])
  )
  assert [(r.variant, r.seed) for r in runs[:4]] == [
    ('objective=sft,prompt_filter=none', 0),
    ('objective=sft,prompt_filter=both', 0),
    ('objective=raft_pp,prompt_filter=none', 0),
    ('objective=raft_pp,prompt_filter=both', 0),
  ]
  assert [r.seed for r in runs[4:]] == [1] * 4 and runs[5].overrides == {
    'training.objective': 'sft',
    'raft.prompt_filter': 'both',
  }
  assert runs[5].dir == os.path.join('objective=sft,prompt_filter=both', 'seed_1')
  # Keys whose last part is ambiguous keep their section.
  names = [
    r.variant
    for r in sweep.expand(dict(grid={'generation.temperature': [0.5], 'evaluation.temperature': [0.0]}, seeds=[0]))
  ]
  assert names == ['generation.temperature=0.5,evaluation.temperature=0.0']
  named = sweep.expand(dict(variants={'base': {}, 'pp': {'training.objective': 'raft_pp'}}, seeds=[3]))
  assert [(r.variant, r.seed, r.overrides) for r in named] == [
    ('base', 3, {}),
    ('pp', 3, {'training.objective': 'raft_pp'}),
  ]
  with pytest.raises(ValueError, match='either'):
    sweep.expand(dict(grid={}, variants={}, seeds=[0]))


@pytest.mark.parametrize('name', ['sweep_variants.py', 'sweep_efficacy.py', 'sweep_answers.py'])
def test_the_shipped_sweeps_give_checked_configs(name, tmp_path):
  from configs import raft as raft_config

  spec = sweep.load_spec(os.path.join(REPO, 'configs', name))
  runs = sweep.expand(spec)
  assert len(runs) == 2 * len(spec['variants']) >= 4 and sorted({r.seed for r in runs}) == [0, 1]
  for run in runs:
    config = sweep.run_config(raft_config.get_config(), spec, run, str(tmp_path))  # raises on a bad value
    train, held, _ = tasks_lib.task_split(config)
    assert train and held


def test_every_config_is_checked_before_anything_is_written_and_may_not_change(tiny_dir, tmp_path):
  base = tiny_config(tiny_dir, 'unset')
  bad = dict(grid={'training.objective': ['sft', 'nonsense']}, seeds=[0])
  with pytest.raises(ValueError, match="config.training.objective = 'nonsense'"):
    sweep.prepare(base, bad, str(tmp_path))
  assert os.listdir(tmp_path) == []
  spec = dict(
    grid={'training.objective': ['sft']},
    seeds=[0],
    overrides={'cycles': [{'raft.reward_threshold': 0.5}], 'raft.num_cycles': 1},
  )
  (run,) = sweep.prepare(base, spec, str(tmp_path))
  config = rundir.read_json(os.path.join(tmp_path, run.dir, sweep.CONFIG_FILE))
  assert config['cycles'] == [{'raft.reward_threshold': 0.5}] and config['raft']['num_cycles'] == 1
  assert config['seed'] == 0 and config['output_dir'] == os.path.join(tmp_path, run.dir)
  assert rundir.read_json(os.path.join(tmp_path, compare.SWEEP_FILE))['runs'][0]['variant'] == 'objective=sft'
  sweep.prepare(base, spec, str(tmp_path))  # the same sweep again: fine
  with pytest.raises(ValueError, match='was started with another config'):
    sweep.prepare(base, dict(spec, overrides={'raft.num_cycles': 2}), str(tmp_path))


def test_runs_that_evaluate_the_base_alike_share_its_evaluation(tiny_dir, tmp_path):
  base = tiny_config(tiny_dir, 'unset')
  spec = dict(grid={'training.objective': ['sft', 'grpo'], 'evaluation.pass_at_k': [0, 2]}, seeds=[0, 1])
  runs = sweep.prepare(base, spec, str(tmp_path))
  donor = runs[0]  # objective=sft, pass_at_k=0, seed 0
  evaluation = dict(mean_reward=0.25, num_tasks=1)
  rundir.write_json(os.path.join(tmp_path, donor.dir, rundir.TRAINING_LOG), dict(base=evaluation, cycles=[]))
  shared = {r.dir: sweep.share_base(str(tmp_path), r, runs) for r in runs[1:]}
  # Only the other objective with the same evaluation settings and seed shares it.
  assert shared == {runs[1].dir: None, runs[2].dir: donor.dir, runs[3].dir: None, **{r.dir: None for r in runs[4:]}}
  log = rundir.read_json(os.path.join(tmp_path, runs[2].dir, rundir.TRAINING_LOG))
  assert log['base'] == evaluation and log['base_shared_from'] == donor.dir and log['cycles'] == []
  assert log['config']['training']['objective'] == 'grpo'  # its own config
  records = [json.loads(line) for line in open(os.path.join(tmp_path, runs[2].dir, 'metrics.jsonl'))]
  assert records == [{'kind': 'cycle', 'cycle': 0, 'eval.mean_reward': 0.25, 'eval.num_tasks': 1}]
  assert sweep.share_base(str(tmp_path), runs[2], runs) is None  # never over a run's own log


def _sweep(config_file, sweep_file, out) -> subprocess.Popen:
  return subprocess.Popen(
    [
      sys.executable,
      '-m',
      'raftjax.tools.sweep',
      f'--config={config_file}',
      f'--sweep={sweep_file}',
      f'--output={out}',
    ],
    cwd=REPO,
    stdout=subprocess.DEVNULL,
    stderr=subprocess.PIPE,
    text=True,
    env=dict(os.environ, JAX_PLATFORMS='cpu'),
  )


def _run_pids(directory: str) -> list[int]:
  pids = []
  for pid in filter(str.isdigit, os.listdir('/proc')):
    try:
      with open(f'/proc/{pid}/cmdline', 'rb') as f:
        if f'--run={directory}'.encode() in f.read().split(b'\0'):
          with open(f'/proc/{pid}/stat') as s:
            if s.read().rsplit(')', 1)[1].split()[0] != 'Z':
              pids.append(int(pid))
    except (FileNotFoundError, ProcessLookupError):
      continue
  return pids


def _report(*args) -> subprocess.CompletedProcess:
  return subprocess.run(
    [sys.executable, '-m', 'raftjax.tools.report', *args], cwd=REPO, capture_output=True, text=True, timeout=300
  )


@pytest.mark.slow
def test_killed_sweep_resumes_and_compares_unfinished_and_finished(tiny_dir, tmp_path):
  config_file = tmp_path / 'tiny_config.py'
  config_file.write_text(
    f'import sys\nsys.path.insert(0, {os.path.join(REPO, "tests")!r})\n'
    'from helpers import tiny_config\n\n'
    f'def get_config():\n  return tiny_config({tiny_dir!r}, "unset")\n'
  )
  sweep_file = tmp_path / 'sweep.py'
  transfer = os.path.join(tiny_dir, 'eval.jsonl')  # a second held-out set for the test's sake
  sweep_file.write_text(
    "def get_sweep():\n  return dict(grid={'training.objective': ['sft', 'reinforce_rej']}, "
    "seeds=[0], overrides={'raft.num_cycles': 1, 'evaluation.pass_at_k': 2, "
    f"'evaluation.transfer_prompts': {transfer!r}}})\n"
  )
  out = str(tmp_path / 'sweep')
  first, second = (os.path.join(out, f'objective={o}', 'seed_0') for o in ('sft', 'reinforce_rej'))

  proc = _sweep(config_file, sweep_file, out)
  deadline = time.time() + 900
  while not (_run_pids(second) and os.path.exists(os.path.join(second, 'cycle_1', 'samples.jsonl'))):
    assert proc.poll() is None and time.time() < deadline, proc.stderr.read() if proc.poll() is not None else 'slow'
    time.sleep(0.2)
  proc.send_signal(signal.SIGKILL)
  proc.wait(timeout=60)
  deadline = time.time() + 30
  while _run_pids(second):  # the run dies with the sweep
    assert time.time() < deadline, 'the run outlived the killed sweep'
    time.sleep(0.2)
  assert sweep.finished(first) and not sweep.finished(second)
  finished_at = os.path.getmtime(os.path.join(first, rundir.TRAINING_LOG))

  partial = _report(f'--compare={out}', f'--output={tmp_path / "partial"}')
  assert partial.returncode == 0, partial.stderr
  md = (tmp_path / 'partial' / 'compare.md').read_text()
  assert '| objective=sft | 0 (1) |' in md and '| objective=reinforce_rej | 0 (0) |' in md
  assert (tmp_path / 'partial' / 'compare.png').stat().st_size > 10_000

  proc = _sweep(config_file, sweep_file, out)
  assert proc.wait(timeout=900) == 0, proc.stderr.read()
  assert sweep.finished(first) and sweep.finished(second)
  assert os.path.getmtime(os.path.join(first, rundir.TRAINING_LOG)) == finished_at  # not run again
  # The second run took the first's base model evaluation, and never made its own, before or after the kill.
  logs = [rundir.read_json(os.path.join(d, rundir.TRAINING_LOG)) for d in (first, second)]
  assert logs[1]['base'] == logs[0]['base'] and logs[1]['base_shared_from'] == os.path.relpath(first, out)
  assert 'Base: ' not in open(os.path.join(second, sweep.LOG_FILE)).read()
  assert logs[1]['transfer']['base'] == logs[0]['transfer']['base']  # the transfer set's base too
  assert [log['transfer']['final_cycle'] for log in logs] == [1, 1]
  assert logs[0]['transfer']['final']['samples_per_prompt'] == 2  # drawn as the sampled evaluation's
  done = _report(f'--compare={out}')
  assert done.returncode == 0, done.stderr
  md = open(os.path.join(out, 'compare', 'compare.md')).read()
  assert '| objective=sft | 0 (1) |' in md and '| objective=reinforce_rej | 0 (1) |' in md
  assert 'One held-out task moves a greedy pass rate by 100.0 points' in md
  assert '| transfer pass@1 | transfer pass@k |' in md and 'Transfer set (' in md
  # Run directories given one by one are grouped by config and named by what differs.
  variants = compare.load_variants([first, second])
  assert [v.name for v in variants] == ['training.objective=sft', 'training.objective=reinforce_rej']


def test_compare_statistics_and_pairing(tmp_path):
  def run(directory, seed, rewards):
    log = dict(
      config=dict(seed=seed, output_dir=directory, training=dict(objective='x')),
      base=dict(mean_reward=0.1, num_tasks=27),
      cycles=[],
      best_cycle=None,
    )
    os.makedirs(directory)
    for cycle, r in enumerate(rewards, 1):
      os.makedirs(os.path.join(directory, f'cycle_{cycle}'))
      rundir.write_json(
        os.path.join(directory, f'cycle_{cycle}', 'stats.json'),
        dict(cycle=cycle, eval=dict(mean_reward=r, pass_rate=r / 2)),
      )
    rundir.write_json(os.path.join(directory, rundir.TRAINING_LOG), log)
    return rundir.load_run(directory)

  a = compare.Variant('a', {s: run(str(tmp_path / f'a{s}'), s, [0.2, r]) for s, r in enumerate([0.3, 0.5, 0.4])})
  b = compare.Variant('b', {s: run(str(tmp_path / f'b{s}'), s, [r]) for s, r in enumerate([0.35, 0.55])})
  s = compare.spread([0.3, 0.5, 0.4])
  assert (s['mean'], s['min'], s['max']) == pytest.approx((0.4, 0.3, 0.5))
  assert s['half_width'] == pytest.approx(4.303 * 0.1 / 3**0.5)
  assert compare.spread([0.3, 0.5])['half_width'] is None  # two seeds: the range only
  assert compare.curve(a.runs[0], ('eval', 'mean_reward')) == {0: 0.1, 1: 0.2, 2: 0.3}
  md = compare.table([a, b])
  row = next(line for line in md.splitlines() if line.startswith('| b |'))
  assert '| 0 (1), 1 (1) |' in row and '0.450 [0.350, 0.550]' in row
  assert row.endswith('| 0.050 [0.050, 0.050] |')  # b - a per seed, after each run's last cycle: 0.05, 0.05
  assert 'transfer' not in md  # no run has a transfer set
  compare.plot([a, b], str(tmp_path / 'p.png'))
  assert os.path.getsize(tmp_path / 'p.png') > 10_000
  a.runs[0].log['transfer'] = dict(
    base={
      'compile_rate': 0.25,
      'pass@1': 0.0,
      'pass@4': 0.0,
      'samples_per_prompt': 4,
      'num_tasks': 40,
      'temperature': 0.7,
    },
    final={'compile_rate': 0.75, 'pass@1': 0.125, 'pass@4': 0.25, 'samples_per_prompt': 4},
    final_cycle=2,
  )
  row = next(line for line in compare.table([a, b]).splitlines() if line.startswith('| a |'))
  assert row.endswith('| 75.0 [75.0, 75.0] | 12.5 [12.5, 12.5] | 25.0 [25.0, 25.0] |  |')  # only seed 0 has one
  assert compare._transfer_base([a, b]) == [
    'Transfer set (40 tasks, 4 samples per task at temperature 0.7), after '
    'the last cycle in the table; the base model: transfer compile rate 25.0 '
    '[25.0, 25.0], transfer pass@1 0.0 [0.0, 0.0], transfer pass@k 0.0 [0.0, 0.0].'
  ]
