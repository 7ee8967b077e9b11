"""A LLaMA-family decoder in `flax.nnx`: LLaMA 2/3, Mistral, Qwen2, SmolLM2.

Token embedding -> N x [RMSNorm -> grouped-query attention with RoPE -> RMSNorm -> SwiGLU MLP] -> RMSNorm
-> LM head (tied to the embedding or not). Optional q/k/v bias (Qwen2), llama3 / linear RoPE scaling.

One call signature serves training, prefill and decode:

  model(tokens[B, T])                                   -> logits[B, T, V]   (causal, positions 0..T-1)
  model(tokens, positions[B, T], segment_ids[B, T])     -> logits            (packed rows; segment 0 = pad)
  model(tokens, positions, cache=cache)                 -> (logits, cache)   (KV cache, see `init_cache`)
  model(..., logits_at=index[B])                        -> logits[B, 1, V] at one position per row

With a cache, slot s of row b holds the key/value of position s of that row: tokens are written at their
own positions and attend to every slot <= their position. Rows of different lengths therefore need no
left padding: the sampler keeps one position per row. Logits are float32 whatever the compute dtype.

Layers: with `scan_layers` the N blocks are one `Block` whose arrays carry a leading 'layers' axis
(`stack`), run by one `lax.scan`: XLA compiles one layer instead of N (a 28-layer 7B model compiles
in a fraction of the time, BENCHMARKS.md). Without it they are an `nnx.List` run by a Python loop. The
parameter values are the same either way (`Llama(cfg, rngs)` draws them per layer, then stacks); paths
differ: `layers.3.mlp.up_proj.kernel` [in, out] vs `layers.mlp.up_proj.kernel` [N, in, out] (see
`raftjax.model.weights.per_layer`). The KV cache is stacked the same way in both layouts.

Every parameter carries `logical_axes` metadata; `raftjax.model.mesh.RULES` turns those names into mesh axes.
"""

import dataclasses
import functools
import math

import jax
import jax.numpy as jnp
from flax import nnx

from raftjax.model.lora import LoRA

KVCache = tuple[jax.Array, jax.Array]  # (k, v), each [num_layers, B, num_kv_heads, S, head_dim]
# What `remat` keeps from the forward for the backward pass of each layer; the rest is recomputed.
REMAT_POLICIES = {
  'none': None,  # no rematerialisation: every activation is kept
  'full': jax.checkpoint_policies.nothing_saveable,  # only each layer's input
  'dots': jax.checkpoint_policies.dots_with_no_batch_dims_saveable,  # the weight products' outputs
}


@dataclasses.dataclass(frozen=True)
class ModelConfig:
  vocab_size: int
  hidden_size: int
  intermediate_size: int
  num_layers: int
  num_heads: int
  num_kv_heads: int
  head_dim: int
  rope_theta: float = 10_000.0
  # None, ('linear', factor) or ('llama3', factor, low_freq_factor, high_freq_factor, original_max_pos).
  rope_scaling: tuple | None = None
  rms_norm_eps: float = 1e-5
  tie_embeddings: bool = False
  qkv_bias: bool = False
  max_position_embeddings: int = 4096
  param_dtype: str = 'float32'
  dtype: str = 'float32'  # compute dtype
  scan_layers: bool = False  # one lax.scan over stacked layers instead of a Python loop (module docstring)
  remat: str = 'none'  # what each layer keeps for its backward pass: a REMAT_POLICIES key (training.remat)


def _normal(rngs: nnx.Rngs, shape, dtype, std=0.02):
  return std * jax.random.normal(rngs.params(), shape, dtype)


class Linear(nnx.Module):
  """y = x @ kernel (+ bias) (+ LoRA), contracting x's trailing `in_shape` with kernel[*in, *out]."""

  def __init__(self, in_shape, out_shape, axes, *, bias: bool, cfg: ModelConfig, rngs: nnx.Rngs):
    self.in_shape, self.out_shape = tuple(in_shape), tuple(out_shape)
    self.axes = tuple(axes)
    self.dtype = jnp.dtype(cfg.dtype)
    self.kernel = nnx.Param(_normal(rngs, (*self.in_shape, *self.out_shape), cfg.param_dtype), logical_axes=self.axes)
    self.bias = (
      nnx.Param(jnp.zeros(self.out_shape, cfg.param_dtype), logical_axes=self.axes[len(in_shape) :]) if bias else None
    )
    self.lora: LoRA | None = nnx.data(None)  # data, not static: `add_lora` may fill it later

  def add_lora(self, rank: int, alpha: float, dropout: float, rngs: nnx.Rngs) -> int:
    """Adds an adapter (one per layer, stacked, in a scanned stack); returns how many."""
    n = len(self.in_shape)
    kernel = self.kernel.get_value()
    # float32 whatever the kernel's dtype: AdamW's small updates would round away in bfloat16.
    make = lambda: LoRA(
      self.in_shape,
      self.out_shape,
      self.axes[:n],
      self.axes[n:],
      rank=rank,
      alpha=alpha,
      dropout=dropout,
      dtype=jnp.float32,
      rngs=rngs,
    )
    layers = kernel.shape[: kernel.ndim - n - len(self.out_shape)]  # (N,) in a scanned stack, else ()
    self.lora = stack([make() for _ in range(layers[0])]) if layers else make()
    return layers[0] if layers else 1

  def __call__(self, x: jax.Array) -> jax.Array:
    x = x.astype(self.dtype)
    n = len(self.in_shape)
    y = jnp.tensordot(x, self.kernel[...].astype(self.dtype), n)
    if self.bias is not None:
      y = y + self.bias[...].astype(self.dtype)
    if self.lora is not None:
      y = y + self.lora(x, n)
    return y


class RMSNorm(nnx.Module):
  def __init__(self, dim: int, cfg: ModelConfig):
    self.weight = nnx.Param(jnp.ones((dim,), cfg.param_dtype), logical_axes=('norm',))
    self.eps = cfg.rms_norm_eps
    self.dtype = jnp.dtype(cfg.dtype)

  def __call__(self, x: jax.Array) -> jax.Array:
    # Normalise in float32 (as transformers does), then scale in the compute dtype.
    x32 = x.astype(jnp.float32)
    x32 = x32 * jax.lax.rsqrt(jnp.mean(x32 * x32, axis=-1, keepdims=True) + self.eps)
    return self.weight[...].astype(self.dtype) * x32.astype(self.dtype)


def rope_frequencies(cfg: ModelConfig) -> jax.Array:
  """Inverse frequencies [head_dim // 2], with the checkpoint's RoPE scaling applied."""
  d = cfg.head_dim
  inv = 1.0 / (cfg.rope_theta ** (jnp.arange(0, d, 2, dtype=jnp.float32) / d))
  if cfg.rope_scaling is None:
    return inv
  kind, factor, *rest = cfg.rope_scaling
  if kind == 'linear':
    return inv / factor
  # llama3: leave high frequencies alone, divide low ones by `factor`, interpolate in between.
  low, high, old_len = rest
  wavelen = 2 * math.pi / inv
  smooth = (old_len / wavelen - low) / (high - low)
  scaled = jnp.where(wavelen > old_len / low, inv / factor, inv)
  medium = (wavelen >= old_len / high) & (wavelen <= old_len / low)
  return jnp.where(medium, (1 - smooth) * scaled / factor + smooth * scaled, scaled)


def apply_rope(x: jax.Array, positions: jax.Array, inv_freq: jax.Array) -> jax.Array:
  """Rotates x[B, T, H, D] by positions[B, T] (transformers' rotate-half layout)."""
  angles = positions[..., None].astype(jnp.float32) * inv_freq  # [B, T, D/2]
  cos = jnp.cos(angles)[:, :, None, :]
  sin = jnp.sin(angles)[:, :, None, :]
  x1, x2 = jnp.split(x.astype(jnp.float32), 2, axis=-1)
  return jnp.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1).astype(x.dtype)


def attend(q: jax.Array, k: jax.Array, v: jax.Array, mask: jax.Array) -> jax.Array:
  """Attention of queries [B, T, K, G, D] over keys and values [B, K, S, D] where `mask` [B, T, S] allows:
  [B, T, K, G, D]. Scores and softmax in float32.

  On XLA:CPU a batched form ([B, K, G*T, D] blocks, the mask added) trains ~20% faster, but XLA:TPU
  predicts it 50% slower and, on CPU, two processes no longer sampled what one does (BENCHMARKS.md)."""
  scores = jnp.einsum('btkgd,bksd->bkgts', q, k.astype(q.dtype)).astype(jnp.float32) / math.sqrt(q.shape[-1])
  scores = jnp.where(mask[:, None, None], scores, jnp.finfo(jnp.float32).min)
  probs = jax.nn.softmax(scores, axis=-1).astype(v.dtype)
  return jnp.einsum('bkgts,bksd->btkgd', probs, v)


class Attention(nnx.Module):
  def __init__(self, cfg: ModelConfig, rngs: nnx.Rngs):
    d, h, kv, hd = cfg.hidden_size, cfg.num_heads, cfg.num_kv_heads, cfg.head_dim
    self.q_proj = Linear((d,), (h, hd), ('embed', 'heads', 'head_dim'), bias=cfg.qkv_bias, cfg=cfg, rngs=rngs)
    self.k_proj = Linear((d,), (kv, hd), ('embed', 'kv_heads', 'head_dim'), bias=cfg.qkv_bias, cfg=cfg, rngs=rngs)
    self.v_proj = Linear((d,), (kv, hd), ('embed', 'kv_heads', 'head_dim'), bias=cfg.qkv_bias, cfg=cfg, rngs=rngs)
    self.o_proj = Linear((h, hd), (d,), ('heads', 'head_dim', 'embed'), bias=False, cfg=cfg, rngs=rngs)
    self.groups = h // kv

  def __call__(self, x, positions, mask, inv_freq, cache: KVCache | None, layer):
    """`cache` holds every layer's keys and values; this one reads and writes slice `layer` of it."""
    q = apply_rope(self.q_proj(x), positions, inv_freq)  # [B, T, H, D]
    k = apply_rope(self.k_proj(x), positions, inv_freq)  # [B, T, K, D]
    v = self.v_proj(x)
    b, t, h, d = q.shape
    q = q.reshape(b, t, h // self.groups, self.groups, d)  # [B, T, K, G, D]
    if cache is None:
      k, v = k.swapaxes(1, 2), v.swapaxes(1, 2)  # [B, K, T, D]
    else:
      # Write this step's keys/values at their own positions (in place: the scatter's operand is the
      # whole cache, which the loop carries), then attend over the layer's whole cache.
      rows = jnp.arange(b)[:, None]
      cache = tuple(
        c.at[layer, rows, :, positions].set(new.astype(c.dtype), mode='drop') for c, new in zip(cache, (k, v))
      )
      k, v = cache[0][layer], cache[1][layer]  # [B, K, S, D]
    if t == 1 and cache is not None:
      # Decoding: one query per row, so both products are matrix-vector products over the cache. As
      # multiply + reduce XLA:CPU streams the cache ~3x faster than as batched [G, D] x [D, S] dots.
      # Sums accumulate in float32 whatever the compute dtype, as the dots' accumulators do.
      scores = (q[:, 0, :, :, None] * k[:, :, None].astype(q.dtype)).sum(-1, dtype=jnp.float32)  # [B, K, G, S]
      scores = jnp.where(mask[:, None], scores / math.sqrt(d), jnp.finfo(jnp.float32).min)
      probs = jax.nn.softmax(scores, axis=-1).astype(v.dtype)
      out = (probs[..., None] * v[:, :, None]).sum(-2, dtype=jnp.float32).astype(q.dtype)  # [B, K, G, D]
      out = out[:, None].reshape(b, t, h, d)
    else:
      out = attend(q, k, v, mask).reshape(b, t, h, d)
    return self.o_proj(out), cache


class MLP(nnx.Module):
  def __init__(self, cfg: ModelConfig, rngs: nnx.Rngs):
    d, f = cfg.hidden_size, cfg.intermediate_size
    self.gate_proj = Linear((d,), (f,), ('embed', 'mlp'), bias=False, cfg=cfg, rngs=rngs)
    self.up_proj = Linear((d,), (f,), ('embed', 'mlp'), bias=False, cfg=cfg, rngs=rngs)
    self.down_proj = Linear((f,), (d,), ('mlp', 'embed'), bias=False, cfg=cfg, rngs=rngs)

  def __call__(self, x):
    return self.down_proj(jax.nn.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nnx.Module):
  def __init__(self, cfg: ModelConfig, rngs: nnx.Rngs):
    self.input_layernorm = RMSNorm(cfg.hidden_size, cfg)
    self.self_attn = Attention(cfg, rngs)
    self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg)
    self.mlp = MLP(cfg, rngs)

  def __call__(self, x, positions, mask, inv_freq, cache, layer):
    h, cache = self.self_attn(self.input_layernorm(x), positions, mask, inv_freq, cache, layer)
    x = x + h
    return x + self.mlp(self.post_attention_layernorm(x)), cache


def stack(modules: list[nnx.Module]) -> nnx.Module:
  """One module of the same structure whose arrays are the modules' arrays stacked on a new leading axis,
  named 'layers' in their `logical_axes` (RNG streams are stacked too: each layer keeps its own)."""

  def stacked(*variables):
    v = variables[0].replace(jnp.stack([u.get_value() for u in variables]))
    if hasattr(v, 'logical_axes'):
      v.set_metadata(logical_axes=('layers', *v.logical_axes))
    return v

  graphdef = nnx.graphdef(modules[0])
  states = [nnx.state(m) for m in modules]
  return nnx.merge(graphdef, jax.tree.map(stacked, *states, is_leaf=lambda x: isinstance(x, nnx.Variable)))


def _block_fn(graphdef, positions, mask, inv_freq, *, remat: str, scanned: bool, stochastic: bool):
  """A block as a pure function (x, cache, layer index, block state) -> (x, cache, its new RNG state or
  None), rematerialised by the `remat` policy (only differentiation sees it: a forward pass runs the
  layer as it is): what both layouts run, per layer."""

  def apply(x, cache, layer, state):
    block = nnx.merge(graphdef, state)
    x, cache = block(x, positions, mask, inv_freq, cache, layer)
    return x, cache, nnx.state(block, nnx.RngState) if stochastic else None

  if remat == 'none':
    return apply
  # Inside a scan the loop boundary already keeps XLA from merging the recomputation back into the
  # forward pass; the loop layout needs the barriers (prevent_cse) that do it (jax.checkpoint's docs).
  return jax.checkpoint(apply, policy=REMAT_POLICIES[remat], prevent_cse=not scanned)


class Llama(nnx.Module):
  def __init__(self, cfg: ModelConfig, rngs: nnx.Rngs):
    self.cfg = cfg
    self.embed_tokens = nnx.Param(
      _normal(rngs, (cfg.vocab_size, cfg.hidden_size), cfg.param_dtype), logical_axes=('vocab', 'embed')
    )
    blocks = [Block(cfg, rngs) for _ in range(cfg.num_layers)]
    self.layers = stack(blocks) if cfg.scan_layers else nnx.List(blocks)
    self.norm = RMSNorm(cfg.hidden_size, cfg)
    self.lm_head = (
      None
      if cfg.tie_embeddings
      else Linear((cfg.hidden_size,), (cfg.vocab_size,), ('embed', 'vocab'), bias=False, cfg=cfg, rngs=rngs)
    )

  def __call__(
    self,
    tokens: jax.Array,
    positions: jax.Array | None = None,
    segment_ids: jax.Array | None = None,
    cache: KVCache | None = None,
    logits_at: jax.Array | None = None,
    unroll_layers: bool = False,
  ):
    """logits[B, T, V] (or [B, 1, V] at index logits_at[B] of each row: a prefill needs only its last).
    `unroll_layers` runs a scanned stack as straight-line code over its weights' slices (the sampler's
    choice: one decode step gains from it on CPU, BENCHMARKS.md); the weights stay stacked."""
    b, t = tokens.shape
    if positions is None:
      positions = jnp.broadcast_to(jnp.arange(t, dtype=jnp.int32), (b, t))
    mask = attention_mask(positions, segment_ids, cache_len=None if cache is None else cache[0].shape[3])
    dtype = jnp.dtype(self.cfg.dtype)
    x = self.embed_tokens[...][tokens].astype(dtype)
    x, cache = self._layers(x, positions, mask, rope_frequencies(self.cfg), cache, unroll_layers)
    if logits_at is not None:
      x = jnp.take_along_axis(x, logits_at[:, None, None], axis=1)
    x = self.norm(x)
    if self.lm_head is None:
      logits = jnp.einsum('btd,vd->btv', x, self.embed_tokens[...].astype(dtype))
    else:
      logits = self.lm_head(x)
    logits = logits.astype(jnp.float32)
    return logits if cache is None else (logits, cache)

  def _layers(self, x, positions, mask, inv_freq, cache, unroll: bool):
    """Every block: one scan over the stack, or a Python loop. Blocks whose dropout is on advance their
    RNG streams, which are then written back; nothing else is (the sampler calls the model inside its
    while loop, where the model's variables may not be written)."""
    stochastic = any(
      isinstance(m, nnx.Dropout) and not m.deterministic and m.rate > 0 for _, m in nnx.iter_modules(self.layers)
    )
    block_fn = functools.partial(
      _block_fn, positions=positions, mask=mask, inv_freq=inv_freq, remat=self.cfg.remat, stochastic=stochastic
    )
    if self.cfg.scan_layers:
      graphdef, state = nnx.split(self.layers)
      apply = block_fn(graphdef, scanned=True)

      def body(carry, layer_and_state):
        x, cache, rng = apply(*carry, *layer_and_state)
        return (x, cache), rng

      (x, cache), rng = jax.lax.scan(
        body, (x, cache), (jnp.arange(self.cfg.num_layers), state), unroll=self.cfg.num_layers if unroll else 1
      )
      updates = [(self.layers, rng)]
    else:
      updates = []
      for i, block in enumerate(self.layers):
        graphdef, state = nnx.split(block)
        x, cache, rng = block_fn(graphdef, scanned=False)(x, cache, i, state)
        updates.append((block, rng))
    if stochastic:
      for node, rng in updates:
        nnx.update(node, rng)
    return x, cache


def attention_mask(positions: jax.Array, segment_ids: jax.Array | None, cache_len: int | None) -> jax.Array:
  """Boolean [B, T, S] mask: True where query t may attend to key s.

  Without a cache, keys are the queries' own tokens: causal by position, within one segment, never to
  padding (segment 0). With a cache, key slot s holds position s, so a query attends to slots <= its
  position; slots beyond it are stale or empty and stay masked.
  """
  if cache_len is not None:
    return jnp.arange(cache_len)[None, None, :] <= positions[:, :, None]
  mask = positions[:, None, :] <= positions[:, :, None]
  if segment_ids is not None:
    mask &= (segment_ids[:, :, None] == segment_ids[:, None, :]) & (segment_ids[:, None, :] != 0)
  return mask


def cache_shape(cfg: ModelConfig, batch: int, length: int) -> tuple[int, ...]:
  """Shape of each of a KV cache's two arrays (its axes are `CACHE_AXES`)."""
  return (cfg.num_layers, batch, cfg.num_kv_heads, length, cfg.head_dim)


def init_cache(cfg: ModelConfig, batch: int, length: int, dtype=None) -> KVCache:
  shape, dtype = cache_shape(cfg, batch, length), jnp.dtype(dtype or cfg.dtype)
  return jnp.zeros(shape, dtype), jnp.zeros(shape, dtype)


def cache_bytes(cfg: ModelConfig, batch: int, length: int, dtype=None) -> int:
  """Bytes of a KV cache for `batch` rows of `length` slots (computed before it is allocated)."""
  return 2 * math.prod(cache_shape(cfg, batch, length)) * jnp.dtype(dtype or cfg.dtype).itemsize


CACHE_AXES = ('layers', 'batch', 'kv_heads', 'length', 'head_dim')
