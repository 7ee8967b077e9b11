"""`python -m raftjax.tools.sample`: one line per sample, in task order, that `tools.verify` can grade."""

import json
import os
import subprocess
import sys

import pytest

from helpers import REPO, torch_watch_env


def run_tool(module: str, *args: str, env=None) -> subprocess.CompletedProcess:
  return subprocess.run(
    [sys.executable, '-m', module, *args],
    cwd=REPO,
    capture_output=True,
    text=True,
    timeout=300,
    env=env or dict(os.environ, JAX_PLATFORMS='cpu'),
  )


@pytest.mark.slow
def test_cli_writes_one_line_per_sample_in_task_order(tiny_dir, tmp_path):
  config_file = tmp_path / 'tiny_config.py'
  config_file.write_text(
    f'import sys\nsys.path.insert(0, {os.path.join(REPO, "tests")!r})\n'
    'from helpers import tiny_config\n\n'
    f'def get_config():\n  return tiny_config({tiny_dir!r}, {str(tmp_path / "run")!r})\n'
  )
  output = tmp_path / 'out' / 'samples.jsonl'  # the folder does not exist yet
  env, torch_log = torch_watch_env(tmp_path)
  out = run_tool(
    'raftjax.tools.sample',
    f'--config={config_file}',
    f'--output={output}',
    '--config.raft.samples_per_prompt=2',
    env=env,
  )
  assert out.returncode == 0, out.stderr
  assert not torch_log.exists(), torch_log.read_text()  # installed here, but no user command may load it
  tasks = [json.loads(line)['id'] for line in open(os.path.join(tiny_dir, 'tasks.jsonl'))]
  lines = [json.loads(line) for line in output.read_text().splitlines()]
  assert [(x['prompt_id'], x['sample_index']) for x in lines] == [(t, j) for t in tasks for j in range(2)]
  assert all(0 < x['num_tokens'] <= 40 and x['finish_reason'] in ('eos', 'stop', 'length') for x in lines)
  assert all(isinstance(x['completion'], str) and x['logprob'] < 0 for x in lines)


def test_cli_refuses_an_output_it_cannot_write(tiny_dir, tmp_path):
  config_file = tmp_path / 'tiny_config.py'
  config_file.write_text(
    f'import sys\nsys.path.insert(0, {os.path.join(REPO, "tests")!r})\n'
    'from helpers import tiny_config\n\n'
    f'def get_config():\n  return tiny_config({tiny_dir!r}, {str(tmp_path / "run")!r})\n'
  )
  (tmp_path / 'taken').mkdir()
  env, torch_log = torch_watch_env(tmp_path)  # the check loads the tiny model's tokenizer
  out = run_tool('raftjax.tools.sample', f'--config={config_file}', f'--output={tmp_path / "taken"}', env=env)
  assert out.returncode != 0 and '--output=' in out.stderr.strip().splitlines()[-1]
  assert not torch_log.exists(), torch_log.read_text()
