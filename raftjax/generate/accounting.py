"""What a sampler call costs: its KV cache, checked against the devices' free memory before it is
allocated, and the decode loop's statistics per cycle (`call_stats` of `Sampler.stats`)."""

import collections
import logging
import math

from jax.sharding import Mesh

from raftjax.model import mesh as mesh_lib
from raftjax.model.llama import CACHE_AXES, ModelConfig, cache_bytes, cache_shape


def call_stats(before: collections.Counter, after: collections.Counter) -> dict:
  """What a sampler's calls between two readings of `Sampler.stats` did: decode efficiency is generated
  over computed tokens (the share of the decode loop's row-steps that produced a token anyone keeps)."""
  d = after - before
  return dict(
    calls=d['calls'],
    rows=d['rows'],
    decode_steps=d['steps'],
    decode_efficiency=d['generated_tokens'] / d['computed_tokens'] if d['computed_tokens'] else None,
    tokens_per_s=d['generated_tokens'] / d['seconds'] if d['seconds'] else None,
  )


def check_cache_fits(cfg: ModelConfig, rows: int, length: int, mesh: Mesh) -> int:
  """Logs the KV cache size of a call and raises MemoryError, with the numbers, if it cannot fit."""
  total = cache_bytes(cfg, rows, length)
  shape = cache_shape(cfg, rows, length)
  shard = mesh_lib.array_sharding(shape, CACHE_AXES, mesh).shard_shape(shape)
  device = mesh.devices.flat[0]
  # CPU devices (simulated or not) all share host RAM; an accelerator holds only its shard.
  need = total if device.platform == 'cpu' else total * math.prod(shard) // math.prod(shape)
  free, source = mesh_lib.available_bytes(device)
  logging.info(
    'KV cache: %d rows x %d slots = %.3f GiB (%.3f GiB per device); %.3f GiB free (%s)',
    rows,
    length,
    total / 2**30,
    need / 2**30,
    free / 2**30,
    source,
  )
  if need > free:
    raise MemoryError(
      f'KV cache for {rows} rows x {length} slots needs {need / 2**30:.3f} GiB ({need} bytes) per device '
      f'but only {free / 2**30:.3f} GiB ({free} bytes) is free ({source}). Lower generation.batch_size, '
      f'raft.samples_per_prompt or generation.max_new_tokens, or add devices to the data axes.'
    )
  return total


# -------------------------------------------------------------------------------------------- sampler
