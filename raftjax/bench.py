"""Benchmarks: `python -m raftjax.bench <name>` prints one JSON object. Names: see BENCHMARKS."""

import dataclasses
import inspect
import json
import multiprocessing
import os
import statistics
import subprocess
import tempfile
import time
import traceback


def bench_verifier(n_rounds: int = 4) -> dict:
  """Verifier throughput (compile + run 2 tests) for distinct programs: pool, one worker, and ideal.

  ideal = usable cores / time of one program verified alone in this process. The sandbox overhead per
  run is measured against gcc and the binary run directly, without any sandbox.
  """
  from raftjax import verify  # pylint: disable=import-outside-toplevel
  cores = len(os.sched_getaffinity(0))
  cfg = verify.VerifierConfig(run_after_compile=True)
  tests = [{'stdin': '3\n', 'stdout': '6\n'}, {'stdin': '21\n', 'stdout': '42\n'}]
  task = {'id': 'double', 'prompt': '', 'tests': tests}

  def program(i):  # distinct sources, so the per-batch dedup does not help
    return ('```c\n#include <stdio.h>\nint main(void) {\n  int x;\n  if (scanf("%d", &x) != 1) '
            f'return 1;\n  printf("%d\\n", 2 * x + {i} - {i});\n  return 0;\n}}\n```')

  verify.verify(task, program(-1), cfg)  # warm the page cache and build the launcher
  count = iter(range(10**9))  # every program distinct

  def single_s(n=8):
    t0 = time.perf_counter()
    for _ in range(n):
      assert verify.verify(task, program(next(count)), cfg)['stage'] == 'correct'
    return (time.perf_counter() - t0) / n

  def rate(v, n):
    t0 = time.perf_counter()
    results = v.verify_batch([task] * n, [program(next(count)) for _ in range(n)])
    assert all(r['stage'] == 'correct' for r in results)
    return n / (time.perf_counter() - t0)

  # Best of several interleaved rounds: on a shared machine that approximates the quiet-machine speed
  # of each, measured under the same conditions.
  with verify.Verifier(dataclasses.replace(cfg, num_workers=cores)) as pool_v, \
       verify.Verifier(dataclasses.replace(cfg, num_workers=1)) as one_v:
    rate(pool_v, 2 * cores), rate(one_v, 2)  # warm-up
    rounds = [(single_s(), rate(pool_v, 16 * cores), rate(one_v, 16)) for _ in range(n_rounds)]
  single = min(r[0] for r in rounds)
  pool, one = max(r[1] for r in rounds), max(r[2] for r in rounds)
  ideal = cores / single
  return {
      'cores': cores,
      'rounds': n_rounds,
      'single_program_ms': round(1000 * single, 1),
      'programs_per_s_pool': round(pool, 2),
      'programs_per_s_one_worker': round(one, 2),
      'programs_per_s_ideal': round(ideal, 2),
      'pool_fraction_of_ideal': round(pool / ideal, 3),
      **_sandbox_overhead(program(0)),
  }


def _sandbox_overhead(completion: str) -> dict:
  """Best-of-15 ms of gcc and of one run of the program, bare and in the sandbox (at the machine's
  level, and at the weaker level without namespaces), and the sandbox's cost per run."""
  with tempfile.TemporaryDirectory() as workdir:
    return _overhead_in(completion, workdir)


def _overhead_in(completion: str, workdir: str) -> dict:
  from raftjax import sandbox, verify  # pylint: disable=import-outside-toplevel
  with open(os.path.join(workdir, 'main.c'), 'w') as f:
    f.write(verify.extract_code(completion))
  gcc = [verify.resolve_compilers(verify.VerifierConfig()).c_compiler, '-std=c11', '-Wall', '-Wextra', '-O0',
         'main.c', '-o', 'prog', '-lm']
  prog = os.path.join(workdir, 'prog')

  def best_ms(fn, n=15):
    times = []
    for _ in range(n):
      t0 = time.perf_counter()
      fn()
      times.append(time.perf_counter() - t0)
    return round(1000 * min(times), 2)

  env = {'PATH': '/usr/bin:/bin'}
  compile_limits = sandbox.Limits(wall_s=10, memory_mb=2048)
  isolation = sandbox.best_isolation()
  weaker = 'uid' if os.geteuid() == 0 else 'pgrp'
  out = {
      'isolation': isolation,
      'gcc_bare_ms': best_ms(lambda: subprocess.run(gcc, cwd=workdir, env=env, check=True)),
      'gcc_sandboxed_ms': best_ms(lambda: sandbox.run(gcc, workdir, compile_limits, env=env)),
      'run_bare_ms': best_ms(lambda: subprocess.run([prog], input=b'3\n', capture_output=True)),
      'run_sandboxed_ms': best_ms(lambda: sandbox.run([prog], workdir, sandbox.Limits(), stdin=b'3\n', env=env,
                                                        scratch=True)),
  }
  if weaker != isolation:
    out[f'run_sandboxed_ms_{weaker}'] = best_ms(lambda: sandbox.run(
        [prog], workdir, sandbox.Limits(), stdin=b'3\n', env=env, scratch=True, isolation=weaker))
  out['gcc_overhead_ms'] = round(out['gcc_sandboxed_ms'] - out['gcc_bare_ms'], 2)
  out['run_overhead_ms'] = round(out['run_sandboxed_ms'] - out['run_bare_ms'], 2)
  return out


# ----------------------------------------------------------------------- one framework per process


class _Side:
  """One side of a comparison (raftjax or torch) in a process of its own, driven through a pipe.

  Sharing one process, the side that ran second was measurably slower: raftjax's LoRA step took 8.9 s
  alone and 10.9 s after torch had run in the same process (EPYC), the two frameworks' thread pools and
  allocators sharing it. Here only one side computes at a time; the other waits on its pipe.
  `_Side('_jax_train_side', **kwargs)` runs that function of this module in a spawned process; it returns
  (info, calls); `side('steps', n=3)` runs `calls['steps'](n=3)` there and returns what it returns.
  """

  def __init__(self, setup: str, **kwargs):
    context = multiprocessing.get_context('spawn')  # a fresh interpreter: nothing of the parent's runtime
    self._conn, child = context.Pipe()
    self._process = context.Process(target=_serve, args=(child, setup, kwargs), daemon=True)
    self._process.start()
    self.info = self._receive()

  def __call__(self, name: str, **kwargs):
    try:
      self._conn.send((name, kwargs))
    except ConnectionError:  # it is gone: _receive says how
      pass
    return self._receive()

  def _receive(self):
    try:
      status, value = self._conn.recv()
    except (EOFError, ConnectionError):  # it died without a word (killed, out of memory, a native crash)
      status, value = 'died', None
    if status == 'ok':
      return value
    self._end(timeout=10)  # it has ended or is ending after a failure
    if status == 'error':
      raise RuntimeError(f'benchmark process {self._process.name} failed:\n{value}')
    raise RuntimeError(f'benchmark process {self._process.name} exited with code {self._process.exitcode} '
                       'without answering')

  def _end(self, timeout: float) -> None:
    """Waits up to `timeout` s for the process to end, then kills it; either way reaps it (no zombie)."""
    self._process.join(timeout)
    if self._process.is_alive():
      self._process.kill()
      self._process.join()

  def __enter__(self):
    return self

  def __exit__(self, *exc):
    if self._process.is_alive():
      self._conn.send(None)
    self._end(timeout=60)


def _serve(conn, setup: str, kwargs: dict) -> None:
  """A `_Side`'s process: answers (name, kwargs) requests until it receives None."""
  try:
    info, calls = globals()[setup](**kwargs)
    conn.send(('ok', info))
    while (request := conn.recv()) is not None:
      name, kw = request
      conn.send(('ok', calls[name](**kw)))
  except Exception:  # pylint: disable=broad-except
    conn.send(('error', traceback.format_exc()))


def _import_jax():
  """jax for a benchmark side's process. The torch side may share the GPU: jax takes memory as it needs
  it instead of preallocating most of the device."""
  os.environ.setdefault('XLA_PYTHON_CLIENT_PREALLOCATE', 'false')
  import jax  # pylint: disable=import-outside-toplevel
  return jax


def _machine(jax) -> dict:
  import platform  # pylint: disable=import-outside-toplevel
  return {'machine': f'{platform.processor() or platform.machine()}, {len(os.sched_getaffinity(0))} usable cores',
          'devices': f'{jax.devices()[0].device_kind} x {jax.device_count()}', 'backend': jax.default_backend()}


def _import_torch():
  """torch, the reference the sampler and train benchmarks race: a test-only dependency."""
  try:
    import torch  # pylint: disable=import-outside-toplevel
  except ImportError:
    raise RuntimeError('raftjax.bench sampler|train compare with torch (transformers, PEFT), a test-only '
                       'dependency: pip install -e ".[test]"') from None
  return torch


def _torch_model(checkpoint: str):
  """transformers' torch model (float32) of a raftjax checkpoint name, .gguf file or HF directory, on
  the GPU when torch has one (torch's default f32 products there, no TF32), else on CPU."""
  torch = _import_torch()
  from transformers import AutoModelForCausalLM  # pylint: disable=import-outside-toplevel

  from raftjax import weights  # pylint: disable=import-outside-toplevel

  torch.set_num_threads(len(os.sched_getaffinity(0)))
  path = weights.resolve(checkpoint)
  if path.endswith('.gguf'):
    model = AutoModelForCausalLM.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path),
                                                 dtype=torch.float32)
  else:
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
  return model.to('cuda' if torch.cuda.is_available() else 'cpu')


def _sync(torch) -> None:
  """Waits for torch's queued GPU work, so that a timer read after it counts it."""
  if torch.cuda.is_available():
    torch.cuda.synchronize()


# ------------------------------------------------------------------------------------------ sampler

SAMPLER_PROMPTS = (
    'Write a C program that prints Hello, World!',
    'Write a C program that reads two integers from standard input and prints their sum.',
)
# Peak memory bandwidth (bytes/s) by `device_kind`, for the roofline fraction on accelerators.
PEAK_BANDWIDTH = {
    'NVIDIA H100 80GB HBM3': 3.35e12, 'NVIDIA H100 PCIe': 2.0e12, 'NVIDIA H200': 4.8e12,
    'NVIDIA A100-SXM4-80GB': 2.04e12, 'NVIDIA A100-SXM4-40GB': 1.56e12, 'TPU v4': 1.2e12, 'TPU v5 lite': 8.19e11,
    'TPU v5e': 8.19e11, 'TPU v5p': 2.76e12, 'TPU v6 lite': 1.64e12, 'TPU v6e': 1.64e12,
}


def bench_sampler(checkpoint: str = 'smollm2-135m-instruct', samples_per_prompt: int = 4,
                  max_new_tokens: int = 128, n_rounds: int = 3, large_batches: list[int] | None = None,
                  peak_bandwidth_gbs: float = 0.0, scan_layers: bool = True) -> dict:
  """Decode throughput of raftjax's sampler and of transformers' torch `generate`, each in its own process.

  Same prompts and rows (2 prompts x `samples_per_prompt`), T=0.7, top-p 0.95, and exactly
  `max_new_tokens` per row on both sides (eos ignored). Best of interleaved rounds after a warm-up call;
  compile time reported apart. `large_batches` (default: 64 and 256 rows on an accelerator, none on CPU)
  adds raftjax's tokens/s at those row counts and, where the device's peak memory bandwidth is known
  (`PEAK_BANDWIDTH`, or `peak_bandwidth_gbs` in GB/s), the fraction of the roofline: the weights and the
  whole KV cache read once per step. raftjax's layers are scanned as in configs/raft.py unless
  `scan_layers` is False (a Python loop over the layers).
  """
  settings = dict(samples_per_prompt=samples_per_prompt, max_new_tokens=max_new_tokens)
  load_before = os.getloadavg()[0]  # other processes on a shared machine skew both sides, torch's most
  with _Side('_jax_sampler_side', checkpoint=checkpoint, scan_layers=scan_layers, **settings) as jax_side:
    first = jax_side('generate', seed=0)
    with _Side('_torch_sampler_side', checkpoint=checkpoint, prompts=jax_side.info['prompts'],
               pad_id=jax_side.info['pad_id'], **settings) as torch_side:
      rounds = [(jax_side('generate', seed=i + 1), torch_side('generate')) for i in range(n_rounds)]
    if large_batches is None:
      large_batches = [] if jax_side.info['backend'] == 'cpu' else [64, 256]
    large = jax_side('large_batches', rows=list(large_batches), n_rounds=n_rounds,
                     peak_bandwidth=peak_bandwidth_gbs * 1e9)
  jax_s, torch_s = min(r[0] for r in rounds), min(r[1] for r in rounds)
  rows = len(SAMPLER_PROMPTS) * samples_per_prompt
  tokens = rows * max_new_tokens
  info = {k: v for k, v in jax_side.info.items() if k not in ('prompts', 'pad_id')}
  return {
      **info,
      'load_avg_1m_before_after': [round(load_before, 2), round(os.getloadavg()[0], 2)],
      'checkpoint': checkpoint, 'scan_layers': scan_layers, 'rows': rows, 'prompts': len(SAMPLER_PROMPTS),
      'max_new_tokens': max_new_tokens,
      'temperature': 0.7, 'top_p': 0.95, 'rounds': n_rounds,
      'raftjax_tokens_per_s': round(tokens / jax_s, 1),
      'raftjax_step_ms': round(1000 * jax_s / max_new_tokens, 2),
      'raftjax_compile_s': round(first - jax_s, 1),
      'transformers_tokens_per_s': round(tokens / torch_s, 1),
      'speedup': round(torch_s / jax_s, 2),
      **large,
  }


def _jax_sampler_side(checkpoint: str, samples_per_prompt: int, max_new_tokens: int, scan_layers: bool):
  jax = _import_jax()

  from raftjax import mesh as mesh_lib, sample, weights  # pylint: disable=import-outside-toplevel
  from raftjax.model import cache_bytes  # pylint: disable=import-outside-toplevel

  mesh = mesh_lib.make_mesh((-1, 1, 1), ('data', 'fsdp', 'tensor'))
  model, tok = weights.load_pretrained(checkpoint, mesh=mesh, scan_layers=scan_layers)
  config = sample.SamplingConfig(max_new_tokens=max_new_tokens, temperature=0.7, top_p=0.95)
  prompts = [sample.format_prompt(tok, p) for p in SAMPLER_PROMPTS]
  samplers = {}  # by number of prompts: a sampler's compiled functions are its own

  def generate(seed: int, batch: list | None = None) -> float:
    """Seconds to sample `batch` (default: the 2 prompts), host detokenisation included."""
    batch = batch or prompts
    if len(batch) not in samplers:
      samplers[len(batch)] = sample.Sampler(model, tok, mesh, dataclasses.replace(config, batch_size=len(batch)),
                                            eos_ids=())
    sampler = samplers[len(batch)]
    t0 = time.perf_counter()
    out = sampler.generate(model, batch, samples_per_prompt, seed)
    assert all(s.num_tokens == max_new_tokens for s in out)
    return time.perf_counter() - t0

  def large_batches(rows: list[int], n_rounds: int, peak_bandwidth: float) -> dict:
    peak = peak_bandwidth or PEAK_BANDWIDTH.get(jax.devices()[0].device_kind)
    out = {}
    for batch_rows in rows:
      many = [prompts[i % len(prompts)] for i in range(max(1, batch_rows // samples_per_prompt))]
      generate(0, many)  # compiles for this shape
      seconds = min(generate(seed, many) for seed in range(n_rounds))
      out[f'rows{batch_rows}_tokens_per_s'] = round(len(many) * samples_per_prompt * max_new_tokens / seconds, 1)
      if peak:
        cache_len = sample.prompt_bucket(max(map(len, many)), config.min_prompt_bucket) + max_new_tokens
        step_bytes = weights.param_bytes(model) + cache_bytes(model.cfg, len(many) * samples_per_prompt, cache_len)
        out[f'rows{batch_rows}_roofline_fraction'] = round(step_bytes * max_new_tokens / seconds / peak, 3)
    return out

  info = {**_machine(jax), 'prompts': prompts, 'pad_id': tok.pad_token_id}
  return info, {'generate': generate, 'large_batches': large_batches}


def _torch_sampler_side(checkpoint: str, prompts: list[list[int]], pad_id: int, samples_per_prompt: int,
                        max_new_tokens: int):
  """transformers' `generate` (torch, float32) on the same token ids, left-padded as it expects."""
  torch = _import_torch()

  model = _torch_model(checkpoint)
  width = max(map(len, prompts))
  ids = torch.tensor([[pad_id] * (width - len(p)) + p for p in prompts], device=model.device)
  mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=model.device)

  def generate(n: int = max_new_tokens) -> float:
    t0 = time.perf_counter()
    with torch.no_grad():
      out = model.generate(input_ids=ids, attention_mask=mask, do_sample=True, temperature=0.7, top_p=0.95,
                           max_new_tokens=n, min_new_tokens=n, num_return_sequences=samples_per_prompt,
                           pad_token_id=pad_id)
    _sync(torch)
    assert out.shape == (len(prompts) * samples_per_prompt, width + n)
    return time.perf_counter() - t0

  generate(8)  # warm-up
  return {}, {'generate': generate}


# -------------------------------------------------------------------------------------------- train

LORA_TARGETS = ('q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj')
# Top-level phases of a RAFT cycle; generate_s and verify_wait_s are parts of generate_and_verify_s.
CYCLE_PHASES = ('generate_and_verify_s', 'train_s', 'eval_s', 'save_s')


def bench_train(checkpoint: str = 'smollm2-135m-instruct', rows: int = 4, seq_len: int = 256, rank: int = 16,
                alpha: float = 32.0, n_steps: int = 3, n_rounds: int = 2, workdir: str | None = None,
                scan_layers: bool = True, remat: str = 'dots') -> dict:
  """LoRA optimizer-step throughput of raftjax's `train_step` and of transformers + PEFT (torch, fp32).

  Each in its own process (`_Side`). Same token ids, rows x seq_len, rank/alpha/targets, AdamW with
  gradient clipping, loss on completion tokens only (each row is one example: a quarter prompt, the rest
  completion). Blocks of `n_steps` steps alternate between the two (`n_rounds` times) so shared-machine
  load hits both alike. Medians after warm-up steps; raftjax's first step's extra time is its compile
  time, its second's shows that the step is not compiled again once its outputs are fed back (~0).
  Tokens/s counts every token of the batch; `raftjax_step_cpu_s` is the CPU time of raftjax's process per
  step (all its threads), which load from other processes changes less than the wall time. raftjax's
  layers are scanned and rematerialised as in configs/raft.py (`scan_layers`, `remat`: 'none' | 'full' |
  'dots'). With `workdir` (a RAFT output directory) it also reports the time split of each finished cycle.
  """
  from raftjax.config import TrainConfig  # pylint: disable=import-outside-toplevel

  load_before = os.getloadavg()
  tcfg = dataclasses.asdict(TrainConfig(  # configs/raft.py's optimizer settings, one micro-batch per step
      batch_size=rows, gradient_accumulation_steps=1, max_seq_len=seq_len, lora_rank=rank, lora_alpha=alpha,
      lora_targets=LORA_TARGETS, remat=remat))
  with _Side('_jax_train_side', checkpoint=checkpoint, tcfg=tcfg, scan_layers=scan_layers) as jax_side:
    (jax_first, _, jax_loss), (jax_second, _, _) = jax_side('steps', n=2)
    with _Side('_torch_train_side', checkpoint=checkpoint, packed=jax_side.info['packed'], tcfg=tcfg) as torch_side:
      [(torch_first, _, torch_loss)] = torch_side('steps', n=1)
      jax_steps, torch_times = [], []
      for _ in range(n_rounds):
        jax_steps += jax_side('steps', n=n_steps)
        torch_times += [s for s, _, _ in torch_side('steps', n=n_steps)]
  jax_s, torch_s = float(statistics.median(s for s, _, _ in jax_steps)), float(statistics.median(torch_times))
  tokens = rows * seq_len
  info = {k: v for k, v in jax_side.info.items() if k != 'packed'}
  targets = int(jax_side.info['packed']['targets'].sum())
  result = {
      **info,
      'load_avg_1m_before_after': [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
      'checkpoint': checkpoint, 'scan_layers': scan_layers, 'remat': remat, 'rows': rows, 'seq_len': seq_len,
      'trained_targets_per_row': targets // rows,
      'lora_rank': rank, 'lora_alpha': alpha, 'timed_steps': n_steps * n_rounds,
      'raftjax_tokens_per_s': round(tokens / jax_s, 1),
      'raftjax_step_s': round(jax_s, 3),
      'raftjax_step_cpu_s': round(float(statistics.median(c for _, c, _ in jax_steps)), 3),
      'raftjax_compile_s': round(jax_first - jax_s, 1),
      'raftjax_recompile_s': round(jax_second - jax_s, 1),
      'torch_peft_tokens_per_s': round(tokens / torch_s, 1),
      'torch_peft_step_s': round(torch_s, 3),
      'torch_peft_first_step_extra_s': round(torch_first - torch_s, 2),
      'speedup': round(torch_s / jax_s, 2),
      # Equal before any update (LoRA B starts at zero on both sides): a check that both train the same thing.
      'first_loss_raftjax_torch': [round(jax_loss, 4), round(torch_loss, 4)],
  }
  if workdir is None:
    result['cycle_phases'] = 'skipped: pass --workdir=DIR (a RAFT output_dir) to read DIR/cycle_N/stats.json'
  else:
    result['cycle_phases'] = _cycle_phases(workdir)
  return result


def _jax_train_side(checkpoint: str, tcfg: dict, scan_layers: bool = True):
  """raftjax's model with LoRA, one batch of random token ids (returned as `packed`), and its train step."""
  jax = _import_jax()
  import numpy as np  # pylint: disable=import-outside-toplevel

  from raftjax import mesh as mesh_lib, train, weights  # pylint: disable=import-outside-toplevel
  from raftjax.config import TrainConfig  # pylint: disable=import-outside-toplevel
  from raftjax.model import add_lora  # pylint: disable=import-outside-toplevel

  tcfg = TrainConfig(**tcfg)
  mesh = mesh_lib.make_mesh((-1, 1, 1), ('data', 'fsdp', 'tensor'))
  model = weights.load_model(checkpoint, mesh=mesh, scan_layers=scan_layers, remat=tcfg.remat)
  add_lora(model, tcfg.lora_rank, tcfg.lora_alpha, 0.0, tcfg.lora_targets, seed=0)
  rng = np.random.default_rng(0)
  seq_len, prompt_len = tcfg.max_seq_len, tcfg.max_seq_len // 4
  examples = [train.Example(prompt=rng.integers(0, model.cfg.vocab_size, prompt_len).tolist(),
                            completion=rng.integers(0, model.cfg.vocab_size, seq_len - prompt_len).tolist())
              for _ in range(tcfg.batch_size)]
  packed = train.pack(examples, seq_len)
  batch, _ = next(train.batches(packed, tcfg, mesh, rng))
  optimizer = train.make_optimizer(model, tcfg)
  model.train()

  def step() -> float:
    return float(train.train_step(model, optimizer, batch, np.float32(tcfg.learning_rate)))

  return {**_machine(jax), 'packed': packed}, {'steps': lambda n: _timed_steps(step, n)}


def _torch_train_side(checkpoint: str, packed: dict, tcfg: dict):
  """transformers + PEFT LoRA with the same settings on the same rows; `steps` as `_timed_steps`."""
  torch = _import_torch()
  import peft  # pylint: disable=import-outside-toplevel

  torch.manual_seed(0)
  config = peft.LoraConfig(r=tcfg['lora_rank'], lora_alpha=tcfg['lora_alpha'],
                           target_modules=list(tcfg['lora_targets']), lora_dropout=0.0)
  base = _torch_model(checkpoint)
  device = base.device
  model = peft.get_peft_model(base, config)
  model.train()
  params = [p for p in model.parameters() if p.requires_grad]
  optimizer = torch.optim.AdamW(params, lr=tcfg['learning_rate'], weight_decay=tcfg['weight_decay'])
  ids = torch.from_numpy(packed['tokens']).long().to(device)
  # transformers shifts labels itself: label t is the target of position t - 1, as `targets[t]` is in raftjax.
  labels = ids.masked_fill(torch.from_numpy(packed['targets']).to(device) == 0, -100)

  def step() -> float:
    loss = model(input_ids=ids, labels=labels).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, tcfg['max_grad_norm'])
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    _sync(torch)
    return loss.item()

  return {}, {'steps': lambda n: _timed_steps(step, n)}


def _timed_steps(step, n: int) -> list[tuple[float, float, float]]:
  """(seconds, CPU seconds of this process, loss) of each of `n` calls of `step`, which returns the loss
  once its work is done."""
  out = []
  for _ in range(n):
    t0, c0 = time.perf_counter(), time.process_time()
    loss = step()
    out.append((time.perf_counter() - t0, time.process_time() - c0, loss))
  return out


def _cycle_phases(workdir: str) -> list[dict]:
  """Seconds of each phase of every finished cycle (`cycle_N/stats.json`), and each top phase's share."""
  import re  # pylint: disable=import-outside-toplevel
  cycles = sorted(int(m[1]) for m in map(re.compile(r'cycle_(\d+)').fullmatch, os.listdir(workdir)) if m)
  out = []
  for cycle in cycles:
    path = os.path.join(workdir, f'cycle_{cycle}', 'stats.json')
    if not os.path.exists(path):  # an unfinished cycle writes no stats
      continue
    with open(path) as f:
      seconds = json.load(f)['seconds']
    total = sum(seconds[k] for k in CYCLE_PHASES)
    out.append({'cycle': cycle, 'total_s': round(total, 2), **{k: round(v, 2) for k, v in seconds.items()},
                'share': {k: round(seconds[k] / total, 3) for k in CYCLE_PHASES}})
  if not out:
    raise FileNotFoundError(f'{workdir}: no finished cycle_N/stats.json')
  return out


BENCHMARKS = {
    'verifier': bench_verifier,
    'sampler': bench_sampler,
    'train': bench_train,
}


# Every benchmark argument as a flag (defaults are the functions' own; only flags given are passed).
_FLAGS = ('checkpoint', 'samples_per_prompt', 'max_new_tokens', 'n_rounds', 'large_batches', 'peak_bandwidth_gbs',
          'rows', 'seq_len', 'rank', 'alpha', 'n_steps', 'workdir', 'scan_layers', 'remat')


def main(argv: list[str]) -> None:
  """`python -m raftjax.bench NAME [--flag=value ...]`: the flags a benchmark takes are its arguments."""
  from absl import app, flags  # pylint: disable=import-outside-toplevel

  if len(argv) != 2 or argv[1] not in BENCHMARKS:
    raise app.UsageError(f'expected one benchmark name, {" | ".join(BENCHMARKS)}; got {argv[1:]}')
  bench = BENCHMARKS[argv[1]]
  takes = inspect.signature(bench).parameters
  given = {name: flags.FLAGS[name].value for name in _FLAGS if flags.FLAGS[name].present}
  wrong = sorted(set(given) - set(takes))
  if wrong:
    raise app.UsageError(f'{argv[1]} takes --{", --".join(takes)}; not --{", --".join(wrong)}')
  if 'large_batches' in given:
    given['large_batches'] = [int(n) for n in given['large_batches']]
  print(json.dumps(bench(**given), indent=2))


if __name__ == '__main__':
  from absl import app, flags

  flags.DEFINE_string('checkpoint', None, "sampler, train: 'smollm2-135m-instruct', a .gguf or an HF directory")
  flags.DEFINE_integer('samples_per_prompt', None, 'sampler: rows per prompt')
  flags.DEFINE_integer('max_new_tokens', None, 'sampler: tokens per row')
  flags.DEFINE_integer('n_rounds', None, 'interleaved timing rounds')
  flags.DEFINE_list('large_batches', None, 'sampler: extra row counts to time (e.g. 64,256)')
  flags.DEFINE_float('peak_bandwidth_gbs', None, "sampler: the device's peak memory bandwidth, GB/s")
  flags.DEFINE_integer('rows', None, 'train: rows per step')
  flags.DEFINE_integer('seq_len', None, 'train: tokens per row')
  flags.DEFINE_integer('rank', None, 'train: LoRA rank')
  flags.DEFINE_float('alpha', None, 'train: LoRA alpha')
  flags.DEFINE_integer('n_steps', None, 'train: steps per timing block')
  flags.DEFINE_string('workdir', None, 'train: a RAFT output_dir whose cycles to split by phase')
  flags.DEFINE_bool('scan_layers', None, 'sampler, train: layers as one scan (True) or a Python loop (False)')
  flags.DEFINE_enum('remat', None, ('none', 'full', 'dots'), 'train: what each layer keeps for the backward pass')
  app.run(main)
