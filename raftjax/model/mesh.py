"""The one device mesh, and the rules that map logical array axes onto it.

Sampling and training run on the same `Mesh`. Every parameter of the model names its axes logically
(`('embed', 'heads')`, ...); `RULES` below says which mesh axis each logical axis is split over. That
table is the only place sharding is decided:

  batch  -> ('data', 'fsdp')  rows of a batch are split over both data-parallel axes
  embed  -> 'fsdp'            weights are split along the model width (ZeRO-3 style) over 'fsdp'
  heads / kv_heads / mlp / vocab -> 'tensor'   Megatron-style tensor parallelism
  layers                      -> replicated: the leading axis of a scanned stack (`model.stack`); every
                                 device runs every layer, so each holds its share of every layer
  anything else               -> replicated

Mesh axes are built with `AxisType.Auto`: since jax 0.10 `jax.make_mesh` defaults to Explicit axes,
which turns the annotation-driven sharding used here into type errors.
"""

import math
from collections.abc import Sequence

import jax
import numpy as np
from jax.sharding import AxisType, Mesh, NamedSharding, PartitionSpec

RULES: dict[str, str | tuple[str, ...] | None] = {
  'batch': ('data', 'fsdp'),
  'embed': 'fsdp',
  'heads': 'tensor',
  'kv_heads': 'tensor',
  'mlp': 'tensor',
  'vocab': 'tensor',
  'head_dim': None,
  'lora': None,
  'norm': None,
  'length': None,
  'layers': None,
}


def make_mesh(shape: Sequence[int], axes: Sequence[str], devices=None) -> Mesh:
  """Builds a mesh of `shape` over `axes`; one entry may be -1 for "all remaining devices".

  A shape without -1 that needs fewer devices than there are uses the first ones (e.g. (1, 1, 1) runs
  on one device of many).
  """
  devices = jax.devices() if devices is None else list(devices)
  shape = list(shape)
  if len(shape) != len(axes):
    raise ValueError(f'mesh.shape {tuple(shape)} and mesh.axes {tuple(axes)} differ in length')
  if shape.count(-1) > 1:
    raise ValueError(f'mesh.shape {tuple(shape)}: at most one axis may be -1')
  known = math.prod(s for s in shape if s != -1)
  if -1 in shape:
    if len(devices) % known:
      raise ValueError(f'mesh.shape {tuple(shape)}: {len(devices)} devices are not divisible by {known}')
    shape[shape.index(-1)] = len(devices) // known
  if math.prod(shape) > len(devices):
    raise ValueError(f'mesh.shape {tuple(shape)} needs {math.prod(shape)} devices, found {len(devices)}')
  return jax.make_mesh(
    tuple(shape), tuple(axes), axis_types=(AxisType.Auto,) * len(axes), devices=devices[: math.prod(shape)]
  )


def logical_to_spec(logical_axes: Sequence[str | None], mesh: Mesh) -> PartitionSpec:
  """PartitionSpec for an array whose dimensions carry `logical_axes` names.

  Mesh axes the mesh does not have, or of size 1, are dropped, and a mesh axis is used at most once per
  array (the first dimension that asks for it gets it).
  """
  used: set[str] = set()
  spec = []
  for name in logical_axes:
    target = RULES.get(name) if name is not None else None
    if name is not None and name not in RULES:
      raise KeyError(f'logical axis {name!r} has no sharding rule; known: {sorted(RULES)}')
    targets = (target,) if isinstance(target, str) else tuple(target or ())
    keep = tuple(a for a in targets if a in mesh.shape and mesh.shape[a] > 1 and a not in used)
    used.update(keep)
    spec.append(keep[0] if len(keep) == 1 else (keep or None))
  return PartitionSpec(*spec)


def fitted_spec(shape: Sequence[int], spec: PartitionSpec, mesh: Mesh) -> PartitionSpec:
  """Drops the mesh axes of `spec` that do not divide their dimension (e.g. 9 heads over 2 devices)."""
  out = []
  for dim, axes in zip(shape, tuple(spec) + (None,) * (len(shape) - len(spec))):
    names = (axes,) if isinstance(axes, str) else tuple(axes or ())
    keep, size = [], 1
    for a in names:
      if dim % (size * mesh.shape[a]) == 0:
        keep.append(a)
        size *= mesh.shape[a]
    out.append(keep[0] if len(keep) == 1 else (tuple(keep) or None))
  return PartitionSpec(*out)


def array_sharding(shape: Sequence[int], logical_axes: Sequence[str | None], mesh: Mesh) -> NamedSharding:
  """NamedSharding for a concrete array: the logical rules, minus splits its shape cannot take."""
  return NamedSharding(mesh, fitted_spec(shape, logical_to_spec(logical_axes, mesh), mesh))


def put(x: jax.Array, sharding: NamedSharding) -> jax.Array:
  """Places `x`, which holds the same value in every process, on `sharding`, which may span processes.

  `jax.device_put` cannot move an array committed to one local device onto other hosts' devices, so
  the value goes through host memory (typed PRNG keys as their raw key data).
  """
  if jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key):
    return jax.random.wrap_key_data(put(jax.random.key_data(x), sharding), impl=jax.random.key_impl(x))
  return jax.device_put(np.asarray(x), sharding)


def variable_sharding(v, mesh: Mesh) -> NamedSharding:
  """NamedSharding for an `nnx.Variable`: by its `logical_axes` metadata; replicated when it has none
  (RNG keys and counters, optimizer step counts)."""
  shape = v.get_value().shape
  return array_sharding(shape, getattr(v, 'logical_axes', (None,) * len(shape)), mesh)


def state_shardings(state, mesh: Mesh):
  """NamedShardings for every Variable of an `nnx.State` (see `variable_sharding`)."""
  from flax import nnx

  return jax.tree.map(lambda v: variable_sharding(v, mesh), state, is_leaf=lambda x: isinstance(x, nnx.Variable))


def onto_mesh_of(model, node) -> None:
  """Moves `node`'s arrays that were made on the default device (new adapters, RNG keys and counters,
  optimizer state) onto the mesh `model`'s weights live on, so that a jitted step sees the same input
  shardings from its first call on and is not compiled again at step 2."""
  from flax import nnx

  # No mesh to move onto: weights on one default device, or abstract ones (traced by `nnx.eval_shape`).
  mesh = getattr(getattr(model.embed_tokens[...], 'sharding', None), 'mesh', None)
  if mesh is None:
    return
  state = nnx.state(node)
  for _, v in nnx.to_flat_state(state):
    if not isinstance(v.get_value().sharding, jax.sharding.NamedSharding):
      v.set_value(put(v.get_value(), variable_sharding(v, mesh)))
  nnx.update(node, state)


def available_bytes(device) -> tuple[int, str]:
  """(free bytes, where the number comes from) for `device`: its allocator limit, or host RAM on CPU."""
  stats = device.memory_stats() if device.platform != 'cpu' else None
  if stats and 'bytes_limit' in stats:
    return stats['bytes_limit'] - stats.get('bytes_in_use', 0), f'{device.device_kind} memory_stats'
  with open('/proc/meminfo') as f:
    info = dict(line.split(':', 1) for line in f)
  return int(info['MemAvailable'].split()[0]) * 1024, 'host MemAvailable'
