"""LoRA: low-rank adapters on the model's projections, the only weights a LoRA fine-tune trains.

`add_lora` puts a `LoRA` on every projection named in `training.lora_targets` (`Linear.add_lora`: one per
layer, stacked in a scanned model); the model then computes `x @ kernel + x @ a @ b * alpha / rank`. The
optimizer is built with `wrt=nnx.LoRAParam` (`trainable`), so the base weights get no update at all.
"""

import math

import jax
import jax.numpy as jnp
from flax import nnx

from raftjax.model import mesh as mesh_lib


@jax.custom_vjp
def low_rank(x: jax.Array, a: jax.Array, b: jax.Array) -> jax.Array:
  """x[N, I] @ a[I, R] @ b[R, O], with its gradient written out as four plain matrix products.

  Why by hand: from autodiff, XLA:CPU computes db = h^T @ dy with dy in a transposed layout, and
  recomputes the whole activation backward feeding dy (SwiGLU's, for gate/up) in that layout a second
  time. Written out, the same math is 1.5x faster on a stack of LoRA MLPs and 1.1x on SmolLM2's LoRA
  gradient (BENCHMARKS.md).
  """
  return (x @ a) @ b


def _low_rank_fwd(x, a, b):
  h = x @ a
  return h @ b, (x, a, b, h)


def _low_rank_bwd(res, dy):
  x, a, b, h = res
  dh = dy @ b.T
  return dh @ a.T, x.T @ dh, h.T @ dy


low_rank.defvjp(_low_rank_fwd, _low_rank_bwd)


class LoRA(nnx.Module):
  """Low-rank update `x @ a @ b * alpha / rank`; `b` starts at zero so the model starts unchanged."""

  def __init__(
    self, in_shape, out_shape, in_axes, out_axes, *, rank: int, alpha: float, dropout: float, dtype, rngs: nnx.Rngs
  ):
    self.in_shape, self.out_shape = tuple(in_shape), tuple(out_shape)
    self.a = nnx.LoRAParam(
      1 / math.sqrt(math.prod(in_shape)) * jax.random.normal(rngs.params(), (*in_shape, rank), dtype),
      logical_axes=(*in_axes, 'lora'),
    )
    self.b = nnx.LoRAParam(jnp.zeros((rank, *out_shape), dtype), logical_axes=('lora', *out_axes))
    self.scale = alpha / rank
    self.dropout = nnx.Dropout(dropout, rngs=rngs)

  def delta(self, layer: int | None = None) -> jax.Array:
    """The dense update the adapter adds to the kernel, [*in, *out] ([N, *in, *out] for a stacked adapter),
    for merging and export; `layer` picks one layer of a stacked adapter."""
    a, b = (self.a[...], self.b[...]) if layer is None else (self.a[...][layer], self.b[...][layer])
    lead, rank = a.shape[: a.ndim - len(self.in_shape) - 1], a.shape[-1]
    ab = a.reshape(*lead, -1, rank) @ b.reshape(*lead, rank, -1)
    return ab.reshape(*lead, *self.in_shape, *self.out_shape) * self.scale

  def __call__(self, x, num_in: int):
    a, b = self.a[...].astype(x.dtype), self.b[...].astype(x.dtype)
    x = self.dropout(x)
    lead, out = x.shape[: x.ndim - num_in], b.shape[1:]
    y = low_rank(x.reshape(math.prod(lead), -1), a.reshape(-1, a.shape[-1]), b.reshape(b.shape[0], -1))
    return y.reshape(*lead, *out) * self.scale


def add_lora(model: nnx.Module, rank: int, alpha: float, dropout: float, targets, seed: int) -> int:
  """Adds adapters to every projection named in `targets`, placed on the base weights' mesh; returns
  how many were added."""
  rngs = nnx.Rngs(params=seed, dropout=seed + 1)
  count = 0
  for path, module in nnx.iter_modules(model):
    if hasattr(module, 'add_lora') and path and path[-1] in targets:  # a raftjax.model.llama.Linear
      count += module.add_lora(rank, alpha, dropout, rngs)
  if not count:
    raise ValueError(f'training.lora_targets {tuple(targets)} matched no projection of the model')
  mesh_lib.onto_mesh_of(model, model)
  return count


def trainable(full_finetune: bool):
  """The parameters a fine-tune updates (and checkpoints): the adapters, or every weight."""
  return nnx.Param if full_finetune else nnx.LoRAParam


def merge(model: nnx.Module) -> int:
  """Folds every adapter into its kernel (kernel + a @ b * alpha / rank, in float32) and removes it: the
  model computes the same function with plain weights, and a later `add_lora` starts from it (a checkpoint
  used as a base: `raftjax.model.checkpoint.load`). Returns how many adapters were merged."""
  adapted = [m for _, m in nnx.iter_modules(model) if isinstance(getattr(m, 'lora', None), LoRA)]
  for module in adapted:
    kernel = module.kernel.get_value()
    module.kernel.set_value((kernel.astype(jnp.float32) + module.lora.delta()).astype(kernel.dtype))
    module.lora = None
  return len(adapted)
