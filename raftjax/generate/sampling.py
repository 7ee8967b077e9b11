"""Drawing a token from logits, and the per-token quantities the sampler records (log-prob, entropy).

Pure functions of arrays: the sampler's decode loop calls them on every step, the tests check them
against exact enumeration.
"""

import jax
import jax.numpy as jnp


def sample_logits(
  logits: jax.Array,
  uniforms: jax.Array,
  *,
  temperature: float,
  top_p: float = 1.0,
  top_k: int = 0,
  candidates: int = 256,
) -> jax.Array:
  """Draws tokens[R] from logits[R, V] with one uniform[R] in [0, 1) per row.

  Order as in transformers: temperature, then top-k (ties with the k-th logit are kept), then top-p. The
  nucleus is exact: the smallest prefix of the tokens sorted by probability (descending, ties by lower
  token id) whose cumulative probability is >= top_p, renormalised. The draw inverts that prefix's CDF
  at `uniforms`, so the token is a deterministic function of (logits, uniforms).
  """
  if temperature == 0:
    return jnp.argmax(logits, axis=-1).astype(jnp.int32)
  logits = logits / temperature
  if top_k:
    kth = jax.lax.top_k(logits, top_k)[0][:, -1:]
    logits = jnp.where(logits >= kth, logits, -jnp.inf)
  probs = jax.nn.softmax(logits, axis=-1)
  if top_p >= 1:
    ids = jnp.broadcast_to(jnp.arange(probs.shape[-1], dtype=jnp.int32), probs.shape)
    return _invert_cdf(probs, ids, uniforms, probs.shape[-1])
  # A full sort of a 50k vocabulary costs ~70 ms per step on CPU, top_k(256) ~1 ms. top_k returns the same
  # leading entries as a stable descending sort, so when its candidates already hold top_p of the mass
  # the nucleus lies inside them and the result is identical; otherwise the whole batch takes the sort.
  n = min(candidates, probs.shape[-1])
  top_probs, top_ids = jax.lax.top_k(probs, n)

  def full_sort():
    ids = jnp.broadcast_to(jnp.arange(probs.shape[-1], dtype=jnp.int32), probs.shape)
    neg, ids = jax.lax.sort((-probs, ids), dimension=-1, num_keys=1, is_stable=True)
    return _nucleus(-neg, ids, uniforms, top_p)

  covered = jnp.all(jnp.sum(top_probs, axis=-1) >= top_p)
  return jax.lax.cond(covered, lambda: _nucleus(top_probs, top_ids, uniforms, top_p), full_sort)


def _nucleus(probs: jax.Array, ids: jax.Array, uniforms: jax.Array, top_p: float) -> jax.Array:
  """Top-p draw from probs[R, C] sorted descending (token ids[R, C])."""
  cdf = jnp.cumsum(probs, axis=-1)
  size = jnp.minimum(jnp.sum(cdf < top_p, axis=-1) + 1, probs.shape[-1])  # smallest n: cdf[n-1] >= top_p
  return _invert_cdf(probs, ids, uniforms, size, cdf)


def _invert_cdf(probs, ids, uniforms, size, cdf=None) -> jax.Array:
  """ids[r, i] for the first i < size[r] with cdf[r, i] > uniforms[r] * cdf[r, size[r] - 1]."""
  cdf = jnp.cumsum(probs, axis=-1) if cdf is None else cdf
  size = jnp.broadcast_to(size, uniforms.shape)
  target = uniforms * jnp.take_along_axis(cdf, size[:, None] - 1, axis=-1)[:, 0]
  # Counting cdf <= target skips zero-probability tokens; the clip guards target rounding up to the total.
  i = jnp.minimum(jnp.sum(cdf <= target[:, None], axis=-1), size - 1)
  return jnp.take_along_axis(ids, i[:, None], axis=-1)[:, 0]


def token_logprobs(logits: jax.Array, tokens: jax.Array) -> jax.Array:
  """log softmax(logits[R, V])[tokens[R]] at temperature 1."""
  picked = jnp.take_along_axis(logits, tokens[:, None], axis=-1)[:, 0]
  return picked - jax.nn.logsumexp(logits, axis=-1)


def entropy(logits: jax.Array) -> jax.Array:
  """Entropy [R] of softmax(logits[R, V]) at temperature 1, in nats."""
  logp = jax.nn.log_softmax(logits, axis=-1)
  return -jnp.sum(jnp.exp(logp) * logp, axis=-1)
