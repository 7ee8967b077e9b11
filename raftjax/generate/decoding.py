"""The decode loop's pieces, shared by the chunked sampler (sampler.py) and the slot engine (slots.py).

Rows [R] of a decode loop each hold one sample: `Decoder.fresh` makes their state before the first token,
`Decoder.advance` draws every running row's next token from its logits and records it, `Decoder.step`
runs the model on each row's last token and advances. The engines differ only in which rows they run
together and when they stop.

Randomness: a row's draw folds the key of its sample (`Decoder.keys`, from the sample's id in its
`generate` call) with the row's own token count, so a sample's tokens depend on its id and the seed only:
not on its row, its chunk, its slot or when it started.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh

from raftjax.generate.sampling import entropy, sample_logits, token_logprobs
from raftjax.model import mesh as mesh_lib
from raftjax.model.llama import CACHE_AXES, Llama
from raftjax.sections import SamplingConfig

FINISH_REASONS = ('', 'eos', 'stop', 'length')  # device codes 1..3; 0 = still running
_EOS, _STOP, _LENGTH = 1, 2, 3


def prompt_bucket(length: int, minimum: int) -> int:
  return max(minimum, 1 << max(length - 1, 0).bit_length())


def row_axes(ndim: int) -> tuple:
  """Logical axes of an array whose leading axis is rows, split over the data axes; () for a scalar."""
  return ('batch',) + (None,) * (ndim - 1) if ndim else ()


class Loop(NamedTuple):
  """State of the rows [R] of a decode loop; M = max_new_tokens."""

  step: jax.Array  # [] times `advance` ran (in a chunk: tokens sampled so far per running row)
  token: jax.Array  # [R] last sampled token
  done: jax.Array  # [R] bool
  num: jax.Array  # [R] tokens generated
  finish: jax.Array  # [R] index into FINISH_REASONS
  recent: jax.Array  # [R, L] last L tokens, to match stop token sequences on device
  tokens: jax.Array  # [R, M] int32, pad after a row's end
  logprobs: jax.Array  # [R, M] float32, 0 after a row's end
  entropies: jax.Array  # [R, M] float32: entropy of the temperature-1 distribution each token was drawn at
  cache: tuple | None  # (k, v), each [layers, R, K, cache_len, D]


class Decoder:
  """Draws tokens for rows of a decode loop by `config` (traced inside the engines' jitted functions).

  eos_ids end a row; stop_seqs[N, L] are the stop strings' canonical token sequences, right-aligned with
  -1 = any token (the text is cut on the host, the authority; these only stop rows early).
  """

  def __init__(self, config: SamplingConfig, pad_id: int, eos_ids: tuple, stop_seqs: np.ndarray, mesh: Mesh):
    self.config, self.pad_id, self.eos_ids, self.stop_seqs, self.mesh = config, pad_id, eos_ids, stop_seqs, mesh

  def constrain(self, x, axes):
    return jax.lax.with_sharding_constraint(x, mesh_lib.array_sharding(x.shape, axes, self.mesh))

  def constrain_cache(self, cache):
    return tuple(self.constrain(a, CACHE_AXES) for a in cache)

  def keys(self, seed, sample_ids) -> jax.Array:
    """keys[R] of samples sample_ids[R] drawn from seed (a scalar, or [R]: one per sample): a sample's
    draws depend on its seed and id only, never on its row."""
    seeds = jnp.broadcast_to(jnp.asarray(seed, jnp.uint32), sample_ids.shape)
    return jax.vmap(lambda s, i: jax.random.fold_in(jax.random.key(s), i))(seeds, sample_ids)

  def fresh(self, live, cache) -> Loop:
    """The state of rows live[R] before their first token; rows not live are done from the start."""
    rows, m = live.shape[0], self.config.max_new_tokens
    return Loop(
      step=jnp.int32(0),
      token=jnp.zeros(rows, jnp.int32),
      done=~live,
      num=jnp.zeros(rows, jnp.int32),
      finish=jnp.zeros(rows, jnp.int32),
      recent=jnp.full((rows, max(self.stop_seqs.shape[1], 1)), -2, jnp.int32),  # >= 1: `advance` keeps 1
      tokens=jnp.full((rows, m), self.pad_id, jnp.int32),
      logprobs=jnp.zeros((rows, m), jnp.float32),
      entropies=jnp.zeros((rows, m), jnp.float32),
      cache=cache,
    )

  def advance(self, loop: Loop, logits, keys) -> Loop:
    """Samples the next token of every running row from logits[R, V] with keys[R], and records it.

    A row's draw folds its key with its own token count: in a chunk every running row's count is the
    step, in a slot it is what the sample has generated whenever it started.
    """
    c = self.config
    running = ~loop.done
    uniforms = jax.vmap(jax.random.uniform)(jax.vmap(jax.random.fold_in)(keys, loop.num))
    logits = self.constrain(logits, ('batch', None))
    token = sample_logits(
      logits, uniforms, temperature=c.temperature, top_p=c.top_p, top_k=c.top_k, candidates=c.top_p_candidates
    )
    token = jnp.where(running, token, self.pad_id)
    logprob = jnp.where(running, token_logprobs(logits, token), 0.0)
    h = jnp.where(running, entropy(logits), 0.0)
    num = loop.num + running
    recent = jnp.concatenate([loop.recent[:, 1:], token[:, None]], axis=1)
    eos = running & jnp.isin(token, jnp.asarray(self.eos_ids, jnp.int32).reshape(-1))
    stop = running & ~eos & ends_with_any(recent, jnp.asarray(self.stop_seqs))
    length = running & (num >= c.max_new_tokens)
    finish = jnp.where(eos, _EOS, jnp.where(stop, _STOP, jnp.where(length, _LENGTH, loop.finish)))
    # A running row writes its token at its own count; a finished row writes past the end (dropped). The
    # scatter's result is pinned to the rows' sharding: left to propagation it may come out replicated,
    # and each process reads back only the rows its devices hold (`local_rows`).
    rows, column = jnp.arange(token.shape[0]), jnp.where(running, loop.num, c.max_new_tokens)
    write = lambda buffer, x: self.constrain(buffer.at[rows, column].set(x, mode='drop'), ('batch', None))
    return loop._replace(
      step=loop.step + 1,
      token=token,
      done=loop.done | eos | stop | length,
      num=num,
      finish=finish,
      recent=recent,
      tokens=write(loop.tokens, token),
      logprobs=write(loop.logprobs, logprob),
      entropies=write(loop.entropies, h),
    )

  def step(self, model: Llama, loop: Loop, lengths, keys) -> Loop:
    """Runs the model on each row's last token at the row's next position, then `advance`. lengths[R] are
    the prompts' lengths; a finished row's position is past the cache, so its writes are dropped."""
    positions = jnp.where(loop.done, loop.cache[0].shape[3], lengths + loop.num - 1)[:, None]
    logits, cache = model(loop.token[:, None], positions, cache=loop.cache, unroll_layers=self.config.unroll_layers)
    return self.advance(loop._replace(cache=self.constrain_cache(cache)), logits[:, 0], keys)


def ends_with_any(recent: jax.Array, seqs: jax.Array) -> jax.Array:
  """recent[R, L] ends with one of seqs[N, L] (right-aligned, -1 = any token) -> [R] bool."""
  if seqs.shape[0] == 0:
    return jnp.zeros(recent.shape[0], bool)
  match = (recent[:, None, :] == seqs[None]) | (seqs[None] == -1)
  return jnp.any(jnp.all(match, axis=-1), axis=-1)
