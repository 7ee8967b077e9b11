"""A newcomer's first run: a fresh venv without the test extras (so without torch), the README's own first
command, then every other user command on its result.

The command is read from README.md's "Quick start" section, so the README and this test cannot drift
apart; small overrides are appended so that it finishes in minutes. pip's cache makes the install cheap
after `tests/run.sh` has installed the same packages.
"""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# An SFT stage of 8 corpus examples, then 1 cycle of 4 training tasks x 2 samples, 7 held-out tasks (0.05 of
# 137), short completions.
OVERRIDES = [
  '--config.sft.num_examples=8',
  '--config.training.gradient_accumulation_steps=1',
  '--config.raft.num_cycles=1',
  '--config.raft.prompts_per_cycle=4',
  '--config.raft.samples_per_prompt=2',
  '--config.generation.max_new_tokens=48',
  '--config.generation.batch_size=4',
  '--config.eval_fraction=0.05',
]


def readme_first_command() -> str:
  """The first command of the README's Quick start: the one that installs and runs the main job."""
  with open(os.path.join(REPO, 'README.md'), encoding='utf-8') as f:
    text = f.read()
  quick_start = text.split('## Quick start', 1)[1].split('\n## ', 1)[0]
  block = re.search(r'```bash\n(.*?)```', quick_start, re.S).group(1)
  return next(line for line in block.splitlines() if line.strip() and not line.startswith('#'))


def _checkout_copy(dest: str) -> str:
  """The files a clone of this checkout would have (tracked and new, not ignored), copied to `dest`."""
  files = (
    subprocess.run(['git', 'ls-files', '-co', '--exclude-standard', '-z'], cwd=REPO, check=True, capture_output=True)
    .stdout.decode()
    .split('\0')
  )
  for name in filter(None, files):
    if os.path.isfile(os.path.join(REPO, name)):
      os.makedirs(os.path.dirname(os.path.join(dest, name)), exist_ok=True)
      shutil.copy2(os.path.join(REPO, name), os.path.join(dest, name))
  return dest


def _shell(command: str, cwd: str, env: dict, timeout: int = 1500) -> subprocess.CompletedProcess:
  out = subprocess.run(['bash', '-c', command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
  assert out.returncode == 0, f'{command}\nexit {out.returncode}\n{out.stdout[-3000:]}\n{out.stderr[-6000:]}'
  return out


@pytest.mark.slow
def test_readme_first_command_in_a_fresh_venv_without_torch(tmp_path):
  command = readme_first_command()
  assert command.startswith('pip install -e . ') and 'python -m raftjax.main --config=configs/raft.py' in command
  repo = _checkout_copy(str(tmp_path / 'raftjax'))
  venv = str(tmp_path / 'venv')
  subprocess.run([sys.executable, '-m', 'venv', venv], check=True)
  env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'VIRTUAL_ENV', 'JAX_PLATFORMS')}
  env.update(
    PATH=os.path.join(venv, 'bin') + os.pathsep + env['PATH'], VIRTUAL_ENV=venv, PIP_DISABLE_PIP_VERSION_CHECK='1'
  )
  out_dir = str(tmp_path / 'run')
  overrides = ' '.join(OVERRIDES)
  _shell(f'{command} --config.output_dir={out_dir} {overrides}', repo, env)

  # torch is a test-only oracle: the user's install has none, and the job above ran without it.
  no_torch = subprocess.run(['python', '-c', 'import torch'], env=env, capture_output=True, text=True)
  assert no_torch.returncode != 0 and "No module named 'torch'" in no_torch.stderr

  # The seed's output layout: the SFT stage, then RAFT from its best epoch.
  assert {'epoch_1', 'final', 'sft_log.json', 'metrics.jsonl'} <= set(os.listdir(os.path.join(out_dir, 'sft')))
  assert sorted(os.listdir(os.path.join(out_dir, 'cycle_1'))) == [
    'checkpoint',
    'kept.jsonl',
    'samples.jsonl',
    'stats.json',
  ]
  assert os.path.isdir(os.path.join(out_dir, 'cycle_1_final', 'checkpoint'))
  with open(os.path.join(out_dir, 'training_log.json')) as f:
    log = json.load(f)
  assert [c['cycle'] for c in log['cycles']] == [1] and log['best_cycle'] == 1
  assert log['config']['sft_checkpoint'] == os.path.join(out_dir, 'sft', 'final')
  with open(os.path.join(out_dir, 'cycle_1', 'samples.jsonl')) as f:
    assert len(f.readlines()) == 4 * 2
  assert log['base']['num_tasks'] == 7

  # raftjax.evaluate evaluates the run's held-out split by default: the numbers of training_log.json.
  cycle = os.path.join(out_dir, 'cycle_1')
  evaluated = _shell(
    f'python -m raftjax.tools.evaluate --config=configs/raft.py {overrides} --checkpoint={cycle}', repo, env
  )
  assert (
    'evaluating 7 tasks: held-out tasks of the built-in task set split by eval_fraction 0.05, seed 0'
    in evaluated.stderr
  )
  metrics = json.loads(evaluated.stdout[evaluated.stdout.index('{') :])
  for key in ('num_tasks', 'compile_rate', 'pass_rate', 'mean_reward', 'stages'):
    assert metrics[key] == log['cycles'][0]['eval'][key], key
  everything = _shell(
    f'python -m raftjax.tools.evaluate --config=configs/raft.py {overrides} --checkpoint=base --split=all '
    '--config.generation.max_new_tokens=8',
    repo,
    env,
  )
  assert 'evaluating 137 tasks: all of the built-in task set' in everything.stderr

  # The other user commands, on this run, without torch.
  _shell(f'python -m raftjax.tools.export --checkpoint={cycle}_final --output={tmp_path}/merged', repo, env)
  assert os.path.isfile(os.path.join(tmp_path, 'merged', 'model.safetensors'))  # on top of SFT: merged
  _shell(f'python -m raftjax.tools.export --checkpoint={out_dir}/sft/final --output={tmp_path}/adapter', repo, env)
  assert os.path.isfile(os.path.join(tmp_path, 'adapter', 'adapter_model.safetensors'))
  _shell(f'python -m raftjax.tools.report --workdir={out_dir}', repo, env)
  assert os.path.isfile(os.path.join(out_dir, 'report', 'report.md'))
  _shell(
    f'python -m raftjax.tools.verify --input={cycle}/samples.jsonl --output={tmp_path}/rewards.jsonl '
    '--config.verifier.run_after_compile=True',
    repo,
    env,
  )
  with open(tmp_path / 'tasks.jsonl', 'w') as f:
    f.write(json.dumps({'id': 'hi', 'prompt': 'Write a C program that prints hi.'}) + '\n')
  _shell(
    f'python -m raftjax.tools.sample --config=configs/raft.py --config.prompts={tmp_path}/tasks.jsonl '
    f'--config.generation.max_new_tokens=16 --output={tmp_path}/sampled.jsonl',
    repo,
    env,
  )
  with open(tmp_path / 'sampled.jsonl') as f:
    assert len(f.readlines()) == 4  # samples_per_prompt of the config file

  # The notebook, as the README installs it (jupyter on top of the user install: still no torch).
  _shell('pip install -q nbclient nbformat ipykernel', repo, env)
  _shell(
    "python -c \"import nbclient, nbformat; nb = nbformat.read('notebooks/raft_run.ipynb', 4); "
    "nbclient.NotebookClient(nb, timeout=300, resources={'metadata': {'path': 'notebooks'}}).execute()\"",
    repo,
    dict(env, RAFTJAX_RUN_DIR=out_dir),
  )
  assert subprocess.run(['python', '-c', 'import torch'], env=env, capture_output=True).returncode != 0
