"""The benchmarks run end to end on the tiny model (smoke tests: their numbers mean nothing)."""

import json
import os
import signal
import subprocess
import sys

import jax.numpy as jnp
import pytest
from flax import nnx

from raftjax.bench import __main__ as bench
from raftjax.bench import sampler as bench_sampler
from raftjax.bench import sides
from raftjax.bench import verifier as bench_verifier
from raftjax.model.llama import Llama, ModelConfig, init_cache
from raftjax.sections import LORA_TARGETS

from helpers import REPO


@pytest.fixture(scope='module')
def model_dir(tiny_dir):
  return os.path.join(tiny_dir, 'model')


def _write_stats(directory: str, seconds: dict, cycle: int):
  os.makedirs(directory)
  with open(os.path.join(directory, 'stats.json'), 'w') as f:
    json.dump({'cycle': cycle, 'seconds': seconds}, f)


@pytest.mark.slow
def test_train_bench_on_tiny_model(model_dir, tmp_path):
  run = tmp_path / 'run'
  seconds = dict(generate_s=5.0, verify_wait_s=1.0, generate_and_verify_s=6.5, train_s=2.0, eval_s=1.0, save_s=0.5)
  _write_stats(str(run / 'cycle_1'), seconds, 1)
  _write_stats(str(run / 'cycle_1_final'), seconds, 1)  # the copy of the best cycle is not a cycle
  os.makedirs(run / 'cycle_2')  # unfinished: no stats yet

  out = bench.bench_train(model_dir, rows=2, seq_len=32, n_steps=1, workdir=str(run))

  assert out['raftjax_tokens_per_s'] > 0 and out['torch_peft_tokens_per_s'] > 0 and out['raftjax_step_cpu_s'] > 0
  assert (out['scan_layers'], out['remat']) == (True, 'dots')  # configs/raft.py's layout
  assert out['trained_targets_per_row'] == 32 - 32 // 4  # a quarter of each row is prompt
  jax_loss, torch_loss = out['first_loss_raftjax_torch']
  assert abs(jax_loss - torch_loss) < 1e-3 * abs(torch_loss)  # both train the same adapters on the same loss
  [cycle] = out['cycle_phases']
  assert cycle['cycle'] == 1 and cycle['total_s'] == 10.0 and cycle['share']['generate_and_verify_s'] == 0.65
  json.dumps(out)  # what the CLI prints


@pytest.mark.slow
def test_sampler_bench_on_tiny_model(model_dir):
  """Also runs the branch an accelerator takes by default (more rows, roofline), here on CPU, and slots."""
  out = bench.bench_sampler(
    model_dir,
    samples_per_prompt=2,
    max_new_tokens=8,
    n_rounds=1,
    large_batches=[8],
    peak_bandwidth_gbs=10.0,
    slots=3,
    unroll_layers=True,
  )

  assert out['rows'] == 4 and out['raftjax_tokens_per_s'] > 0 and out['transformers_tokens_per_s'] > 0
  assert out['speedup'] > 0 and out['backend'] == 'cpu'
  assert out['rows8_tokens_per_s'] > 0 and 0 < out['rows8_fraction_of_limit'] < 1
  assert out['limit_bandwidth_gb_per_s'] == 10.0 and out['limit_bandwidth_source'] == 'peak'
  assert out['measured_read_gb_per_s'] > 0 and out['measured_gemm_gflop_per_s'] > 0
  assert out['unroll_layers'] is True
  assert out['slots'] == 3 and out['raftjax_slots_tokens_per_s'] > 0
  json.dumps(out)


def test_decode_flops_is_what_xla_counts():
  """`decode_flops` (the sampler benchmark's FLOP limit) against XLA's own count of a compiled decode step
  (layers unrolled: XLA counts a scan's body once). XLA also counts the elementwise work (norms, RoPE,
  softmax), a few per mille here."""
  cfg = ModelConfig(
    vocab_size=512, hidden_size=256, intermediate_size=768, num_layers=2, num_heads=4, num_kv_heads=2, head_dim=64
  )
  model = Llama(cfg, rngs=nnx.Rngs(0))
  rows, cache_len = 8, 128
  step = nnx.jit(lambda model, token, position, cache: model(token, position, cache=cache))
  token, position = jnp.zeros((rows, 1), jnp.int32), jnp.full((rows, 1), 5, jnp.int32)
  cost = step.lower(model, token, position, init_cache(cfg, rows, cache_len)).compile().cost_analysis()
  xla = (cost[0] if isinstance(cost, list) else cost)['flops']
  assert 0.98 * xla < bench_sampler.decode_flops(cfg, rows, cache_len) <= xla


def _side_processes() -> list[int]:
  """Child processes of this one that are benchmark sides, running or ended but not reaped (zombies,
  which the sandbox tests' process checks would see)."""
  out = []
  for pid in filter(str.isdigit, os.listdir('/proc')):
    try:
      with open(f'/proc/{pid}/stat') as f:
        state, ppid = f.read().rsplit(')', 1)[1].split()[:2]
      with open(f'/proc/{pid}/cmdline', 'rb') as f:
        spawned = b'multiprocessing.spawn' in f.read()
    except OSError:
      continue
    if int(ppid) == os.getpid() and (state == 'Z' or spawned):
      out.append(int(pid))
  return out


def test_a_side_that_fails_names_the_cause():
  with pytest.raises(RuntimeError, match='/no/such/checkpoint'):
    bench.bench_train('/no/such/checkpoint')
  assert _side_processes() == []


def test_a_side_that_dies_says_so(model_dir):
  tcfg = {
    'lora_rank': 4,
    'lora_alpha': 8.0,
    'lora_targets': LORA_TARGETS,
    'max_seq_len': 16,
    'batch_size': 1,
    'gradient_accumulation_steps': 1,
    'learning_rate': 1e-3,
    'max_grad_norm': 1.0,
    'weight_decay': 0.0,
    'full_finetune': False,
  }
  with sides.Side('raftjax.bench.train:jax_side', checkpoint=model_dir, tcfg=tcfg) as side:
    os.kill(side._process.pid, signal.SIGKILL)
    with pytest.raises(RuntimeError, match='exited with code -9'):
      side('steps', n=1)
  assert _side_processes() == []


@pytest.mark.slow
def test_cli_passes_only_the_flags_a_benchmark_takes(model_dir, tmp_path):
  run = lambda *args: subprocess.run(
    [sys.executable, '-m', 'raftjax.bench', *args],
    cwd=REPO,
    capture_output=True,
    text=True,
    timeout=600,
    env=dict(os.environ, JAX_PLATFORMS='cpu'),
  )
  out = run(
    'train',
    f'--checkpoint={model_dir}',
    '--rows=1',
    '--seq_len=16',
    '--n_steps=1',
    '--n_rounds=1',
    '--noscan_layers',
    '--remat=none',
  )
  assert out.returncode == 0, out.stderr
  result = json.loads(out.stdout)
  assert (result['rows'], result['scan_layers'], result['remat']) == (1, False, 'none')
  jax_loss, torch_loss = result['first_loss_raftjax_torch']  # the unrolled layers train the same loss
  assert abs(jax_loss - torch_loss) < 1e-3 * abs(torch_loss)
  out = run('train', '--max_new_tokens=8')
  assert out.returncode != 0 and 'not --max_new_tokens' in out.stderr
  out = run('nosuch')
  assert out.returncode != 0 and 'expected one benchmark name' in out.stderr


def test_verifier_bench_reports_the_sandbox_cost_per_run():
  program = '```c\n#include <stdio.h>\nint main(void) { int x; scanf("%d", &x); printf("%d\\n", 2 * x); }\n```'
  out = bench_verifier._sandbox_overhead(program)
  weaker = 'uid' if os.geteuid() == 0 else 'pgrp'
  assert out['isolation'] in ('ns', weaker) and out['run_sandboxed_ms'] > out['run_bare_ms'] > 0
  assert out['run_overhead_ms'] == round(out['run_sandboxed_ms'] - out['run_bare_ms'], 2)
  assert out['gcc_overhead_ms'] == round(out['gcc_sandboxed_ms'] - out['gcc_bare_ms'], 2)
  assert (f'run_sandboxed_ms_{weaker}' in out) == (out['isolation'] != weaker)
