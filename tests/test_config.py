"""The command line: config file values are defaults, `--config.a.b=value` wins, bad keys are named."""

import os
import subprocess
import sys

import pytest

from configs import raft as raft_config
from configs import raft_7b
from raftjax import raft

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _main(*flags):
  return subprocess.run([sys.executable, '-m', 'raftjax.main', '--config=configs/raft.py', *flags], cwd=REPO,
                        capture_output=True, text=True, timeout=120, env=dict(os.environ, JAX_PLATFORMS='cpu'))


@pytest.mark.parametrize('flag,named', [
    ('--config.raft.num_cyclez=3', 'num_cyclez'),
    ('--config.raft.num_cycles=three', 'num_cycles'),
    ('--config.raft.reward_threshold=1.5', 'raft.reward_threshold'),
])
def test_bad_override_names_the_key(flag, named, tmp_path):
  out = _main(flag, f'--config.output_dir={tmp_path}')
  assert out.returncode != 0
  assert named in out.stderr
  assert not os.listdir(tmp_path)  # failed before writing anything


def test_default_config_is_valid_and_overrides_apply():
  c = raft_config.get_config()
  raft.check_config(c)
  assert raft.cycle_config(c, 1).raft.reward_threshold == 0.3
  assert raft.cycle_config(c, 3).verifier.run_after_compile
  assert raft.cycle_config(c, 7).raft.reward_threshold == 0.7  # the last entry holds for later cycles


def test_accelerator_config_needs_a_model_and_is_valid_with_one():
  c = raft_7b.get_config()
  with pytest.raises(ValueError, match='sft_checkpoint'):
    raft.check_config(c)
  c.sft_checkpoint = '/models/Qwen2.5-Coder-7B-Instruct'
  raft.check_config(c)
  assert c.model.dtype == 'bfloat16' and c.mesh.shape == (2, 1, 4)
