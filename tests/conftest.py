"""Test set-up: 8 simulated CPU devices, so mesh tests run on any machine.

Tests that do not care about sharding use the `mesh1` fixture (one device); tests of sharding build
their own mesh over all 8.
"""

import jax

jax.config.update('jax_num_cpu_devices', 8)
jax.config.update('jax_platforms', 'cpu')

import pytest  # noqa: E402

from raftjax import mesh as mesh_lib  # noqa: E402


@pytest.fixture(scope='session')
def mesh1():
  return mesh_lib.make_mesh((1, 1, 1), ('data', 'fsdp', 'tensor'), devices=jax.devices()[:1])


@pytest.fixture(scope='session')
def mesh8():
  return mesh_lib.make_mesh((4, 1, 2), ('data', 'fsdp', 'tensor'))
