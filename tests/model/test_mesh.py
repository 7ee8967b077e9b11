"""The one mesh and its sharding table (raftjax.model.mesh), on 8 simulated CPU devices."""

import jax
import pytest
from jax.sharding import PartitionSpec as P

from raftjax.model import mesh as mesh_lib


def test_minus_one_takes_the_rest_and_bad_shapes_say_why():
  mesh = mesh_lib.make_mesh((-1, 1, 2), ('data', 'fsdp', 'tensor'))
  assert dict(mesh.shape) == {'data': 4, 'fsdp': 1, 'tensor': 2} and mesh.size == len(jax.devices()) == 8
  assert mesh_lib.make_mesh((1, 1, 1), ('data', 'fsdp', 'tensor')).size == 1  # the first device of 8
  for shape, message in (
    ((-1, -1, 1), 'at most one axis may be -1'),
    ((-1, 3, 1), 'not divisible by 3'),
    ((4, 4, 1), 'needs 16 devices, found 8'),
    ((2, 2), 'differ in length'),
  ):
    with pytest.raises(ValueError, match=message):
      mesh_lib.make_mesh(shape, ('data', 'fsdp', 'tensor'))


def test_the_rules_table_decides_every_split():
  mesh = mesh_lib.make_mesh((2, 2, 2), ('data', 'fsdp', 'tensor'))
  assert mesh_lib.logical_to_spec(('batch', 'length'), mesh) == P(('data', 'fsdp'), None)
  assert mesh_lib.logical_to_spec(('embed', 'heads', 'head_dim'), mesh) == P('fsdp', 'tensor', None)
  assert mesh_lib.logical_to_spec(('layers', 'embed', 'mlp'), mesh) == P(None, 'fsdp', 'tensor')
  assert mesh_lib.logical_to_spec(('heads', 'kv_heads'), mesh) == P('tensor', None)  # an axis is used once
  with pytest.raises(KeyError, match="logical axis 'nope' has no sharding rule"):
    mesh_lib.logical_to_spec(('nope',), mesh)
  single = mesh_lib.make_mesh((-1, 1, 1), ('data', 'fsdp', 'tensor'))
  assert mesh_lib.logical_to_spec(('embed', 'heads'), single) == P(None, None)  # size-1 axes are dropped


def test_a_split_that_does_not_divide_is_dropped():
  mesh = mesh_lib.make_mesh((2, 1, 4), ('data', 'fsdp', 'tensor'))
  # SmolLM2's 3 KV heads cannot be split 4 ways: replicated; its 9 query heads neither; 576 wide can.
  assert mesh_lib.array_sharding((3, 64), ('kv_heads', 'head_dim'), mesh).spec == P(None, None)
  assert mesh_lib.array_sharding((576, 1536), ('embed', 'mlp'), mesh).spec == P(None, 'tensor')
  assert mesh_lib.array_sharding((6, 16), ('batch', 'length'), mesh).spec == P('data', None)


def test_available_bytes_reads_the_host_on_cpu():
  free, source = mesh_lib.available_bytes(jax.devices()[0])
  assert source == 'host MemAvailable' and 0 < free < 2**50
