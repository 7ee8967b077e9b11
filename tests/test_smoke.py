"""configs/smoke.py, the two-minute run of the whole job, runs as a user runs it."""

import json
import os
import subprocess
import sys
import time

import pytest

from helpers import REPO


@pytest.mark.slow
def test_the_smoke_config_runs_the_whole_job(tmp_path):
  t0 = time.monotonic()
  out = subprocess.run(
    [sys.executable, '-m', 'raftjax.main', '--config=configs/smoke.py', f'--config.output_dir={tmp_path}/run'],
    cwd=REPO,
    capture_output=True,
    text=True,
    timeout=900,
  )
  assert out.returncode == 0, out.stderr[-3000:]
  log = json.load(open(tmp_path / 'run' / 'training_log.json'))
  sft = json.load(open(tmp_path / 'run' / 'sft' / 'sft_log.json'))
  assert sft['data'].startswith('16 tasks of the built-in corpus') and sft['best_epoch'] == 1
  assert [c['cycle'] for c in log['cycles']] == [1] and log['cycles'][0]['total'] == 4 * 2
  assert log['base']['num_tasks'] == 4 and os.path.isdir(tmp_path / 'run' / 'cycle_1_final')
  print(f'configs/smoke.py: {time.monotonic() - t0:.0f} s')  # BENCHMARKS.md has the quiet machine's time
