"""`python -m raftjax.bench sampler`: decode tokens/s of raftjax's sampler against transformers' torch
`generate`, each in its own process, and at larger row counts against the machine's limits (memory
bandwidth and GEMM throughput)."""

import dataclasses
import os
import time

from raftjax.bench.sides import Side, import_jax, import_torch, machine, sync, torch_model
from raftjax.sections import ModelSection, SamplingConfig

SAMPLER_PROMPTS = (
  'Write a C program that prints Hello, World!',
  'Write a C program that reads two integers from standard input and prints their sum.',
)
# Peak memory bandwidth (bytes/s) by `device_kind`, for the roofline fraction on accelerators.
PEAK_BANDWIDTH = {
  'NVIDIA H100 80GB HBM3': 3.35e12,
  'NVIDIA H100 PCIe': 2.0e12,
  'NVIDIA H200': 4.8e12,
  'NVIDIA A100-SXM4-80GB': 2.04e12,
  'NVIDIA A100-SXM4-40GB': 1.56e12,
  'TPU v4': 1.2e12,
  'TPU v5 lite': 8.19e11,
  'TPU v5e': 8.19e11,
  'TPU v5p': 2.76e12,
  'TPU v6 lite': 1.64e12,
  'TPU v6e': 1.64e12,
}


def bench_sampler(
  checkpoint: str = 'smollm2-135m-instruct',
  samples_per_prompt: int = 4,
  max_new_tokens: int = 128,
  n_rounds: int = 3,
  large_batches: list[int] | None = None,
  peak_bandwidth_gbs: float = 0.0,
  scan_layers: bool | None = None,
  unroll_layers: bool = False,
  slots: int = 0,
) -> dict:
  """Decode throughput of raftjax's sampler and of transformers' torch `generate`, each in its own process.

  Same prompts and rows (2 prompts x `samples_per_prompt`), T=0.7, top-p 0.95, and exactly
  `max_new_tokens` per row on both sides (eos ignored). Best of interleaved rounds after a warm-up call;
  compile time reported apart. `large_batches` (default: 96 rows on CPU, the default RAFT round; 64 and
  256 on an accelerator) adds raftjax's tokens/s at those row counts, and how close each decode step comes
  to the machine's limit: the bytes it must read (the weights and the whole KV cache, once) over the
  memory bandwidth, or its FLOPs over the GEMM throughput, whichever takes longer. Both limits are
  measured here (`measure_limits`); a known peak bandwidth (`PEAK_BANDWIDTH`, or `peak_bandwidth_gbs` in
  GB/s) replaces the measured one. raftjax's layers are scanned as in the default run unless `scan_layers`
  is False (a Python loop over the layers); `unroll_layers` runs the scanned stack unrolled in the sampler
  only (`generation.unroll_layers`). `slots` > 0 also times raftjax's slot engine (`generation.slots`,
  continuous batching) with that many slots on the same rows, in the same rounds: with eos ignored every
  sample has the same length, so this measures its overhead, not its gain.
  """
  scan_layers = ModelSection.scan_layers if scan_layers is None else scan_layers
  settings = dict(samples_per_prompt=samples_per_prompt, max_new_tokens=max_new_tokens)
  load_before = os.getloadavg()[0]  # other processes on a shared machine skew both sides, torch's most
  layout = dict(scan_layers=scan_layers, unroll_layers=unroll_layers)
  with Side('raftjax.bench.sampler:jax_side', checkpoint=checkpoint, **layout, **settings) as jax_side:
    first = jax_side('generate', seed=0)
    first_slots = jax_side('generate', seed=0, slots=slots) if slots else None
    with Side(
      'raftjax.bench.sampler:torch_side',
      checkpoint=checkpoint,
      prompts=jax_side.info['prompts'],
      pad_id=jax_side.info['pad_id'],
      **settings,
    ) as torch_side:
      rounds = [
        (
          jax_side('generate', seed=i + 1),
          torch_side('generate'),
          slots and jax_side('generate', seed=i + 1, slots=slots),
        )
        for i in range(n_rounds)
      ]
    if large_batches is None:
      large_batches = [96] if jax_side.info['backend'] == 'cpu' else [64, 256]
    large = jax_side(
      'large_batches', rows=list(large_batches), n_rounds=n_rounds, peak_bandwidth=peak_bandwidth_gbs * 1e9
    )
  jax_s, torch_s = min(r[0] for r in rounds), min(r[1] for r in rounds)
  slot_s = min(r[2] for r in rounds) if slots else None
  rows = len(SAMPLER_PROMPTS) * samples_per_prompt
  tokens = rows * max_new_tokens
  info = {k: v for k, v in jax_side.info.items() if k not in ('prompts', 'pad_id')}
  return {
    **info,
    'load_avg_1m_before_after': [round(load_before, 2), round(os.getloadavg()[0], 2)],
    'checkpoint': checkpoint,
    'scan_layers': scan_layers,
    'unroll_layers': unroll_layers,
    'rows': rows,
    'prompts': len(SAMPLER_PROMPTS),
    'max_new_tokens': max_new_tokens,
    'temperature': 0.7,
    'top_p': 0.95,
    'rounds': n_rounds,
    'raftjax_tokens_per_s': round(tokens / jax_s, 1),
    'raftjax_step_ms': round(1000 * jax_s / max_new_tokens, 2),
    'raftjax_compile_s': round(first - jax_s, 1),
    'transformers_tokens_per_s': round(tokens / torch_s, 1),
    'speedup': round(torch_s / jax_s, 2),
    **(
      {
        'slots': slots,
        'raftjax_slots_tokens_per_s': round(tokens / slot_s, 1),
        'slots_compile_s': round(first_slots - slot_s, 1),
      }
      if slots
      else {}
    ),
    **large,
  }


def jax_side(checkpoint: str, samples_per_prompt: int, max_new_tokens: int, scan_layers: bool, unroll_layers: bool):
  jax = import_jax()

  from raftjax.generate import sampler as sample  # pylint: disable=import-outside-toplevel
  from raftjax.model import mesh as mesh_lib  # pylint: disable=import-outside-toplevel
  from raftjax.model import weights  # pylint: disable=import-outside-toplevel
  from raftjax.model.llama import cache_bytes  # pylint: disable=import-outside-toplevel
  from raftjax.model.tokenizer import format_prompt  # pylint: disable=import-outside-toplevel

  mesh = mesh_lib.make_mesh((-1, 1, 1), ('data', 'fsdp', 'tensor'))
  model, tok = weights.load_pretrained(checkpoint, mesh=mesh, scan_layers=scan_layers)
  config = SamplingConfig(max_new_tokens=max_new_tokens, temperature=0.7, top_p=0.95, unroll_layers=unroll_layers)
  prompts = [format_prompt(tok, p) for p in SAMPLER_PROMPTS]
  samplers = {}  # by (number of prompts, slots): a sampler's compiled functions are its own

  def generate(seed: int, batch: list | None = None, slots: int = 0) -> float:
    """Seconds to sample `batch` (default: the 2 prompts), host detokenisation included; `slots` > 0 runs
    the slot engine with that many slots."""
    batch = batch or prompts
    if (len(batch), slots) not in samplers:
      samplers[len(batch), slots] = sample.Sampler(
        model, tok, mesh, dataclasses.replace(config, batch_size=len(batch), slots=slots), eos_ids=()
      )
    sampler = samplers[len(batch), slots]
    t0 = time.perf_counter()
    out = sampler.generate(model, batch, samples_per_prompt, seed)
    assert all(s.num_tokens == max_new_tokens for s in out)
    return time.perf_counter() - t0

  def large_batches(rows: list[int], n_rounds: int, peak_bandwidth: float) -> dict:
    if not rows:
      return {}
    read, gemm = measure_limits(jax, n_rounds)
    peak = peak_bandwidth or PEAK_BANDWIDTH.get(jax.devices()[0].device_kind)
    bandwidth = peak or read
    out = {
      'measured_read_gb_per_s': round(read / 1e9, 1),
      'measured_gemm_gflop_per_s': round(gemm / 1e9, 1),
      'limit_bandwidth_gb_per_s': round(bandwidth / 1e9, 1),
      'limit_bandwidth_source': 'peak' if peak else 'measured',
    }
    for batch_rows in rows:
      many = [prompts[i % len(prompts)] for i in range(max(1, batch_rows // samples_per_prompt))]
      n = len(many) * samples_per_prompt
      generate(0, many)  # compiles for this shape
      seconds = min(generate(seed, many) for seed in range(n_rounds))
      cache_len = sample.prompt_bucket(max(map(len, many)), config.min_prompt_bucket) + max_new_tokens
      step_bytes = weights.param_bytes(model) + cache_bytes(model.cfg, n, cache_len)
      limit_s = max(step_bytes / bandwidth, decode_flops(model.cfg, n, cache_len) / gemm)
      out[f'rows{batch_rows}_tokens_per_s'] = round(n * max_new_tokens / seconds, 1)
      out[f'rows{batch_rows}_step_ms'] = round(1000 * seconds / max_new_tokens, 2)
      out[f'rows{batch_rows}_limit_step_ms'] = round(1000 * limit_s, 2)
      out[f'rows{batch_rows}_fraction_of_limit'] = round(limit_s * max_new_tokens / seconds, 3)
    return out

  info = {**machine(jax), 'prompts': prompts, 'pad_id': tok.pad_token_id}
  return info, {'generate': generate, 'large_batches': large_batches}


def decode_flops(cfg, rows: int, cache_len: int) -> int:
  """FLOPs of one decode step of `rows` rows: every weight product (the LM head included) and attention
  over all `cache_len` cache slots (the sampler computes over every slot and masks the unfilled ones)."""
  d, q, kv = cfg.hidden_size, cfg.num_heads * cfg.head_dim, cfg.num_kv_heads * cfg.head_dim
  per_layer = 2 * (d * q + 2 * d * kv + q * d + 3 * d * cfg.intermediate_size) + 4 * q * cache_len
  return rows * (cfg.num_layers * per_layer + 2 * d * cfg.vocab_size)


def measure_limits(jax, n_rounds: int) -> tuple[float, float]:
  """This machine's limits as XLA meets them: memory read bandwidth (bytes/s; the faster of a jitted sum
  and a matrix-vector product over 512 MiB of float32, far beyond any cache: a decode step reads its
  weights through products like the second) and GEMM throughput (FLOP/s; float32 square products of
  2,048 on CPU, 8,192 on an accelerator)."""
  import jax.numpy as jnp  # pylint: disable=import-outside-toplevel

  def best(fn, *args) -> float:
    jax.block_until_ready(fn(*args))  # compiles
    times = []
    for _ in range(n_rounds):
      t0 = time.perf_counter()
      jax.block_until_ready(fn(*args))
      times.append(time.perf_counter() - t0)
    return min(times)

  matrix = jnp.ones((8192, 16384), jnp.float32)  # 512 MiB
  vector = jnp.ones((16384,), jnp.float32)
  read_s = min(best(jax.jit(jnp.sum), matrix), best(jax.jit(jnp.matmul), matrix, vector))
  del matrix
  n = 2048 if jax.default_backend() == 'cpu' else 8192
  a = jnp.ones((n, n), jnp.float32)
  gemm_s = best(jax.jit(jnp.matmul), a, a)
  return 8192 * 16384 * 4 / read_s, 2 * n**3 / gemm_s


def torch_side(checkpoint: str, prompts: list[list[int]], pad_id: int, samples_per_prompt: int, max_new_tokens: int):
  """transformers' `generate` (torch, float32) on the same token ids, left-padded as it expects."""
  torch = import_torch()

  model = torch_model(checkpoint)
  width = max(map(len, prompts))
  ids = torch.tensor([[pad_id] * (width - len(p)) + p for p in prompts], device=model.device)
  mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=model.device)

  def generate(n: int = max_new_tokens) -> float:
    t0 = time.perf_counter()
    with torch.no_grad():
      out = model.generate(
        input_ids=ids,
        attention_mask=mask,
        do_sample=True,
        temperature=0.7,
        top_p=0.95,
        max_new_tokens=n,
        min_new_tokens=n,
        num_return_sequences=samples_per_prompt,
        pad_token_id=pad_id,
      )
    sync(torch)
    assert out.shape == (len(prompts) * samples_per_prompt, width + n)
    return time.perf_counter() - t0

  generate(8)  # warm-up
  return {}, {'generate': generate}
