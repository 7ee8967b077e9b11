"""The train benchmark runs end to end on the tiny model (a smoke test: its numbers mean nothing)."""

import json
import os

import tiny
from raftjax import bench


def _write_stats(directory: str, seconds: dict):
  os.makedirs(directory)
  with open(os.path.join(directory, 'stats.json'), 'w') as f:
    json.dump({'seconds': seconds}, f)


def test_train_bench_on_tiny_model(tmp_path):
  model_dir = tiny.make(str(tmp_path / 'tiny'))
  run = tmp_path / 'run'
  seconds = dict(generate_s=5.0, verify_wait_s=1.0, generate_and_verify_s=6.5, train_s=2.0, eval_s=1.0, save_s=0.5)
  _write_stats(str(run / 'cycle_1'), seconds)
  _write_stats(str(run / 'cycle_1_final'), seconds)  # the copy of the best cycle is not a cycle
  os.makedirs(run / 'cycle_2')  # unfinished: no stats yet

  out = bench.bench_train(model_dir, rows=2, seq_len=32, n_steps=1, workdir=str(run))

  assert out['raftjax_tokens_per_s'] > 0 and out['torch_peft_tokens_per_s'] > 0
  jax_loss, torch_loss = out['first_loss_raftjax_torch']
  assert abs(jax_loss - torch_loss) < 1e-3 * abs(torch_loss)  # both train the same adapters on the same loss
  [cycle] = out['cycle_phases']
  assert cycle['cycle'] == 1 and cycle['total_s'] == 10.0 and cycle['share']['generate_and_verify_s'] == 0.65
  json.dumps(out)  # what the CLI prints
