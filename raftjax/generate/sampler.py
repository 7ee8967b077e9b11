"""Sampling completions from a raftjax model, on the device mesh.

  sampler = Sampler(model, tokenizer, mesh, SamplingConfig(max_new_tokens=256, temperature=0.7, top_p=0.95))
  prompts = [format_prompt(tokenizer, task['prompt']) for task in tasks]
  samples = sampler.generate(model, prompts, samples_per_prompt=4, seed=0)   # prompt i sample j at i*4 + j

How one call runs (per chunk of `batch_size` prompts; with `SamplingConfig.slots` > 0 the slot engine of
raftjax.generate.slots runs it instead, refilling finished rows at once, with the same samples):
  1. prefill: every prompt is run ONCE, right-padded to a bucketed length; pad tokens get an
     out-of-range position so their keys/values are never written. The prompt caches and last logits are
     then repeated `samples_per_prompt` times along the batch axis and the cache padded to its full length.
  2. decode: one jitted `lax.while_loop` samples a token per row and step, and runs the model on it at the
     row's own position (raftjax.generate.decoding). It exits as soon as every row has finished (eos, a stop string, or
     `max_new_tokens`). A finished row stops consuming: its later tokens are `pad`, its log-probs 0, and its
     position is moved past the cache, so its cache writes are dropped.
  3. host: tokens are detokenised; a stop string cuts the completion text (see `Sample`).

Weights are a jit argument (`nnx.split` state), never a closure constant: updated LoRA weights each RAFT
cycle reuse the compiled functions. Recompiles are bounded by bucketing: the prompt length is rounded up
to a power of two (>= `min_prompt_bucket`), the cache length is that plus `max_new_tokens`, and the number
of prompts in a chunk to a power of two (<= `batch_size`). `Sampler.compiles` counts traces.

Randomness: sample j of prompt i (in the order of one `generate` call) draws from
`fold_in(key(seed), i * samples_per_prompt + j)`, folded with its own token count. A sample therefore does
not depend on `batch_size`, on the other prompts of its chunk, on `slots`, or on how rows are spread over
devices, except
through floating point: XLA may sum a product of another shape in another order, and once a logit moves
in its last bits a draw near a boundary can pick another token (SmolLM2's samples change when
`batch_size` does; the tests check exact equality on a tiny model).
"""

import collections
import math
import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from jax.sharding import Mesh

from raftjax.generate.accounting import check_cache_fits
from raftjax.generate.decoding import FINISH_REASONS, Decoder, prompt_bucket, row_axes
from raftjax.generate.slots import SlotEngine
from raftjax.model import mesh as mesh_lib
from raftjax.model.llama import CACHE_AXES, Llama, ModelConfig, cache_shape, init_cache
from raftjax.model.tokenizer import format_prompt
from raftjax.rows import Sample
from raftjax.sections import SamplingConfig


class Decoded(NamedTuple):
  """Device output of one decode call, rows [R] (pad rows included), M = max_new_tokens."""

  tokens: jax.Array  # [R, M] int32, pad after a row's end
  logprobs: jax.Array  # [R, M] float32, 0 after a row's end
  entropies: jax.Array  # [R, M] float32: entropy of the temperature-1 distribution each token was drawn at
  num_tokens: jax.Array  # [R] int32
  finish: jax.Array  # [R] int32, index into FINISH_REASONS
  steps: jax.Array  # [] int32: tokens sampled per row before every row had finished
  cache: tuple  # the final KV cache (returned so that the donated input buffer is reused in place)


class Sampler:
  """Generates samples from a `Llama` on `mesh`; see the module docstring."""

  def __init__(self, model: Llama, tokenizer, mesh: Mesh, config: SamplingConfig, eos_ids: Sequence[int] | None = None):
    """`eos_ids` default to the tokenizer's eos token; () never stops on eos (benchmarks)."""
    self.model_cfg: ModelConfig = model.cfg
    self.graphdef = nnx.split(model)[0]
    self.tokenizer = tokenizer
    self.mesh = mesh
    self.config = config
    self.eos_ids = tuple(int(i) for i in ([tokenizer.eos_token_id] if eos_ids is None else eos_ids))
    pad = tokenizer.pad_token_id
    self.pad_id = int(pad if pad is not None else self.eos_ids[0] if self.eos_ids else 0)
    # Rows are split over the data axes: their number is padded to a multiple of this.
    self.data_size = math.prod(mesh.shape.get(a, 1) for a in mesh_lib.RULES['batch'])
    # Stop strings are checked on the text after decoding (the authority), and on device as their
    # canonical token sequences, right-aligned with -1 = any token, so that rows stop early (`Decoder`).
    seqs = [tokenizer.encode(s, add_special_tokens=False) for s in config.stop_strings]
    width = max((len(s) for s in seqs), default=0)
    self.stop_seqs = np.array([[-1] * (width - len(s)) + list(s) for s in seqs], np.int32).reshape(len(seqs), width)
    self.decoder = Decoder(config, self.pad_id, self.eos_ids, self.stop_seqs, mesh)
    self.compiles = collections.Counter()  # traces per jitted function: no entry grows within a bucket
    # Per call, summed: calls, rows (padding included), decode steps, computed tokens (rows x steps: a
    # finished row still takes its place until every row is done), generated tokens, seconds (`call_stats`).
    # With slots: rows = slots, and computed tokens as raftjax.generate.slots says.
    self.stats = collections.Counter()
    self._prefill = jax.jit(self._prefill_fn, static_argnums=(0, 4, 5))
    self._decode = jax.jit(self._decode_fn, static_argnums=(0,), donate_argnums=(2,))
    self._slots = None  # the slot engine of `config.slots`, made on first use

  # -------------------------------------------------------------------------------------- public API

  def prompt_ids(self, prompt: str) -> list[int]:
    """`format_prompt` with this sampler's tokenizer and system prompt."""
    return format_prompt(self.tokenizer, prompt, self.config.system_prompt, self.config.prompt_format)

  def generate(
    self, model_or_state, prompts: Sequence[Sequence[int]], samples_per_prompt: int, seed: int
  ) -> list[Sample | None]:
    """samples_per_prompt samples of each prompt (token ids, e.g. `format_prompt`), prompt-major.

    In a multi-process run a sample is returned only by the process whose devices hold its row (with
    slots: by the process of its prompt, raftjax.generate.slots); the others get None in its place
    (`raftjax.model.distributed.gather_rows` merges what every process made of its own rows). In a
    single-process run nothing is None.
    """
    graphdef, state = self._split(model_or_state)
    if self.config.slots:
      self._slots = self._slots or SlotEngine(self)
      return self._slots.generate(graphdef, state, prompts, samples_per_prompt, seed)
    out, size = [], self.config.batch_size
    for start in range(0, len(prompts), size):
      chunk = prompts[start : start + size]
      t0 = time.perf_counter()
      decoded = self._decode_chunk(graphdef, state, chunk, samples_per_prompt, seed, start * samples_per_prompt)
      out.extend(self._finish(decoded, len(chunk) * samples_per_prompt))
      rows, steps = decoded.tokens.shape[0], int(decoded.steps)
      self.stats.update(
        calls=1,
        rows=rows,
        steps=steps,
        computed_tokens=rows * steps,
        generated_tokens=int(jnp.sum(decoded.num_tokens)),
        seconds=time.perf_counter() - t0,
      )
    return out

  def stream(
    self,
    model_or_state,
    prompts: Sequence[Sequence[int]],
    samples_per_prompt: int,
    seeds: Sequence[int],
    first_ids: Sequence[int],
    on_sample: Callable[[int, Sample], None],
  ) -> list[Sample]:
    """`generate` in one call over the slots (`config.slots` > 0), where prompt i's samples draw from
    seeds[i] and ids first_ids[i], ...: the samples of several `generate` calls (one per seed), with no
    slot idle at their seams; on_sample(i * N + j, sample) gets each sample as soon as it is done."""
    if not self.config.slots:
      raise ValueError('Sampler.stream needs generation.slots > 0')
    graphdef, state = self._split(model_or_state)
    self._slots = self._slots or SlotEngine(self)
    return self._slots.generate(graphdef, state, prompts, samples_per_prompt, seeds, first_ids, on_sample)

  def decode(
    self, model_or_state, prompts: Sequence[Sequence[int]], samples_per_prompt: int, seed: int, first_sample: int = 0
  ) -> Decoded:
    """Device-level generation for one chunk of prompts, all in one call; rows beyond len(prompts) * N are
    padding. Sample j of prompt i draws from the key of sample first_sample + i * N + j."""
    return self._decode_chunk(*self._split(model_or_state), prompts, samples_per_prompt, seed, first_sample)

  @property
  def num_compiles(self) -> int:
    return sum(self.compiles.values())

  # ---------------------------------------------------------------------------------------- jitted

  def _decode_chunk(self, graphdef, state, prompts, samples_per_prompt, seed, first_sample) -> Decoded:
    n, lengths = samples_per_prompt, self.check_prompts(prompts)
    num_prompts, t, cache_len = self.call_shape(len(prompts), max(lengths))
    rows = num_prompts * n
    check_cache_fits(self.model_cfg, rows, cache_len, self.mesh)

    tokens, prompt_lengths = self.padded_prompts(prompts, num_prompts, t)
    live = np.arange(rows) < len(prompts) * n
    sample_ids = first_sample + np.arange(rows, dtype=np.int32)
    put = self.put_rows
    cache, logits = self._prefill(graphdef, state, put(tokens), put(prompt_lengths), n, cache_len)
    return self._decode(
      graphdef, state, cache, logits, put(np.repeat(prompt_lengths, n)), put(live), put(sample_ids), jnp.uint32(seed)
    )

  def check_prompts(self, prompts) -> list[int]:
    """The prompts' lengths; ValueError if there are none, one is empty or one cannot fit the positions."""
    c, lengths = self.config, [len(p) for p in prompts]
    if not prompts or min(lengths) == 0:
      raise ValueError('generate needs at least one prompt, and no prompt may be empty')
    if max(lengths) + c.max_new_tokens > self.model_cfg.max_position_embeddings:
      raise ValueError(
        f'prompt of {max(lengths)} tokens + max_new_tokens={c.max_new_tokens} exceeds the '
        f"model's max_position_embeddings={self.model_cfg.max_position_embeddings}"
      )
    return lengths

  def call_shape(self, num_prompts: int, longest: int) -> tuple[int, int, int]:
    """(prompts, prompt bucket, cache slots) of the device call for `num_prompts` prompts, the longest of
    `longest` tokens: prompts padded to a power of two (<= batch_size) and a multiple of the data axes."""
    c = self.config
    t = prompt_bucket(longest, c.min_prompt_bucket)
    return self.round_rows(min(prompt_bucket(num_prompts, 1), max(c.batch_size, num_prompts))), t, t + c.max_new_tokens

  def round_rows(self, rows: int) -> int:
    """`rows` rounded up to a multiple of the data axes, which split the rows."""
    return -(-rows // self.data_size) * self.data_size

  def padded_prompts(self, prompts, rows: int, t: int) -> tuple[np.ndarray, np.ndarray]:
    """(tokens[rows, t] right-padded, lengths[rows]): rows beyond the prompts are one pad token."""
    tokens, lengths = np.full((rows, t), self.pad_id, np.int32), np.ones(rows, np.int32)
    for i, p in enumerate(prompts):
      tokens[i, : len(p)], lengths[i] = p, len(p)
    return tokens, lengths

  def put_rows(self, x: np.ndarray) -> jax.Array:
    """x[R, ...] on the device mesh, its rows split over the data axes."""
    return jax.device_put(x, mesh_lib.array_sharding(x.shape, row_axes(x.ndim), self.mesh))

  def row_spec(self, shape: tuple, dtype) -> jax.ShapeDtypeStruct:
    """The abstract array of shape [R, ...] placed as `put_rows` places it (a scalar: replicated)."""
    return jax.ShapeDtypeStruct(shape, dtype, sharding=mesh_lib.array_sharding(shape, row_axes(len(shape)), self.mesh))

  def cache_spec(self, rows: int, cache_len: int) -> jax.ShapeDtypeStruct:
    """The abstract array of each of the KV cache's two halves for a call of `rows` rows, on its sharding."""
    shape = cache_shape(self.model_cfg, rows, cache_len)
    return jax.ShapeDtypeStruct(
      shape, jnp.dtype(self.model_cfg.dtype), sharding=mesh_lib.array_sharding(shape, CACHE_AXES, self.mesh)
    )

  def decode_rows(self, num_prompts: int, samples_per_prompt: int) -> int:
    """Rows of the decode loop of a call of `num_prompts` prompts: its chunk's rows, or the slots."""
    if self.config.slots:
      return self.round_rows(self.config.slots)
    return self.call_shape(num_prompts, 1)[0] * samples_per_prompt

  def lower(self, state, num_prompts: int, longest: int, samples_per_prompt: int):
    """(prefill, decode) of one call, lowered for `state` without running them: `state` may be abstract
    (ShapeDtypeStructs with shardings), so `raftjax.tools.aot` compiles them for devices it does not have.
    With `config.slots`: the slot engine's decode loop, and the prefill of a fill of `num_prompts` prompts
    (one cache row each, copied into their samples' slots)."""
    p, t, cache_len = self.call_shape(num_prompts, longest)
    rows, spec, i32 = p * samples_per_prompt, self.row_spec, jnp.int32
    prefill_samples = 1 if self.config.slots else samples_per_prompt
    prefill = self._prefill.lower(self.graphdef, state, spec((p, t), i32), spec((p,), i32), prefill_samples, cache_len)
    if self.config.slots:
      self._slots = self._slots or SlotEngine(self)
      return prefill, self._slots.lower(self.graphdef, state, cache_len)
    cache = (self.cache_spec(rows, cache_len),) * 2
    decode = self._decode.lower(
      self.graphdef,
      state,
      cache,
      spec((rows, self.model_cfg.vocab_size), jnp.float32),
      spec((rows,), i32),
      spec((rows,), bool),
      spec((rows,), i32),
      jax.ShapeDtypeStruct((), jnp.uint32),
    )
    return prefill, decode

  def _split(self, model_or_state):
    if isinstance(model_or_state, nnx.Module):
      return nnx.split(model_or_state)
    return self.graphdef, model_or_state

  def _model(self, graphdef, state) -> Llama:
    model = nnx.merge(graphdef, state)
    model.eval()  # no dropout while sampling, whatever mode the trainer left the model in
    return model

  def _prefill_fn(self, graphdef, state, tokens, lengths, samples: int, cache_len: int):
    """tokens[P, T], lengths[P] -> cache [layers, P * samples, K, cache_len, D], last logits [P * samples, V]."""
    self.compiles['prefill'] += 1
    p, t = tokens.shape
    # Pad tokens are sent past the cache's end: their keys/values are dropped, not written.
    positions = jnp.where(jnp.arange(t) < lengths[:, None], jnp.arange(t), t).astype(jnp.int32)
    cache = self.decoder.constrain_cache(init_cache(self.model_cfg, p, t))
    logits, cache = self._model(graphdef, state)(
      tokens, positions, cache=cache, logits_at=lengths - 1, unroll_layers=self.config.unroll_layers
    )
    last = logits[:, 0]  # [P, V]: the head runs on each prompt's last token only
    # Each prompt was run once; its samples share copies of its cache.
    grow = lambda x: jnp.pad(jnp.repeat(x, samples, axis=1), ((0, 0), (0, 0), (0, 0), (0, cache_len - t), (0, 0)))
    cache = self.decoder.constrain_cache(tuple(map(grow, cache)))
    return cache, self.decoder.constrain(jnp.repeat(last, samples, axis=0), ('batch', None))

  def _decode_fn(self, graphdef, state, cache, logits, lengths, live, sample_ids, seed) -> Decoded:
    """Samples until every row is done. cache [layers, R, K, S, D] (donated), logits[R, V], lengths/live/ids [R]."""
    self.compiles['decode'] += 1
    d, model = self.decoder, self._model(graphdef, state)
    keys = d.keys(seed, sample_ids)
    step = lambda loop: d.step(model, loop, lengths, keys)
    loop = d.advance(d.fresh(live, cache), logits, keys)  # every row's first token, from its prompt's logits
    loop = jax.lax.while_loop(lambda loop: ~jnp.all(loop.done), step, loop)
    return Decoded(loop.tokens, loop.logprobs, loop.entropies, loop.num, loop.finish, loop.step, loop.cache)

  # ------------------------------------------------------------------------------------------ host

  def _finish(self, d: Decoded, rows: int) -> list[Sample | None]:
    """Samples of the first `rows` rows that this process holds (None for the others)."""
    held, (tokens, logprobs, entropies, num, finish) = local_rows(
      d.tokens, d.logprobs, d.entropies, d.num_tokens, d.finish
    )
    out: list[Sample | None] = [None] * rows
    for i, r in enumerate(held):
      if r < rows:
        out[r] = self._sample(tokens[i, : num[i]], logprobs[i], entropies[i], FINISH_REASONS[finish[i]])
    return out

  def _sample(self, tokens: np.ndarray, logprobs: np.ndarray, entropies: np.ndarray, reason: str) -> Sample:
    decode = lambda ids: self.tokenizer.decode([int(i) for i in ids], skip_special_tokens=True)
    text = decode(tokens)
    cut = min((i for i in (text.find(s) for s in self.config.stop_strings) if i >= 0), default=-1)
    if cut >= 0:
      text = text[:cut]
      # Keep the fewest tokens whose text contains a stop string: texts of prefixes only grow.
      lo, hi = 1, len(tokens)
      while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if any(s in decode(tokens[:mid]) for s in self.config.stop_strings) else (mid + 1, hi)
      tokens, reason = tokens[:hi], 'stop'
    n = len(tokens)
    return Sample(
      tokens=[int(i) for i in tokens],
      num_tokens=n,
      finish_reason=reason,
      logprob=float(np.sum(logprobs[:n], dtype=np.float64)),
      token_logprobs=[float(x) for x in logprobs[:n]],
      entropy=float(np.sum(entropies[:n], dtype=np.float64)),
      completion=text,
    )


def local_rows(*arrays: jax.Array) -> tuple[np.ndarray, list[np.ndarray]]:
  """(row ids, host copies) of the rows of arrays[R, ...] (sharded alike) held by this process's devices.

  A row replicated on several local devices (e.g. over the tensor axis) is copied once.
  """
  first = arrays[0]
  if first.is_fully_addressable:
    return np.arange(first.shape[0]), [np.asarray(a) for a in arrays]
  starts = sorted({s.index[0].indices(first.shape[0])[:2] for s in first.addressable_shards})
  ids = np.concatenate([np.arange(lo, hi) for lo, hi in starts])
  parts = []
  for a in arrays:
    by_start = {s.index[0].indices(a.shape[0])[:2]: s for s in a.addressable_shards}
    parts.append(np.concatenate([np.asarray(by_start[k].data) for k in starts]))
  return ids, parts
