"""Test set-up: 8 simulated CPU devices, so mesh tests run on any machine, and the shared fixtures.

Tests that do not care about sharding use the `mesh1` fixture (one device); tests of sharding build
their own mesh over all 8. `tiny_dir` (the tiny C-writing model of tests/tiny.py) and `tiny_run` (a
finished two-cycle run of it) are built once per pytest process.
"""

import os

import jax

jax.config.update('jax_num_cpu_devices', 8)
jax.config.update('jax_platforms', 'cpu')

import pytest  # noqa: E402

from raftjax.model import mesh as mesh_lib  # noqa: E402

import helpers  # noqa: E402


@pytest.fixture(scope='session')
def mesh1():
  return mesh_lib.make_mesh((1, 1, 1), ('data', 'fsdp', 'tensor'), devices=jax.devices()[:1])


@pytest.fixture(scope='session')
def mesh8():
  return mesh_lib.make_mesh((4, 1, 2), ('data', 'fsdp', 'tensor'))


@pytest.fixture(scope='session')
def tiny_dir(tmp_path_factory) -> str:
  import tiny  # torch and transformers (the reference oracle) only for the tests that use the tiny model

  directory = str(tmp_path_factory.mktemp('tiny'))
  tiny.make(directory)
  return directory


@pytest.fixture(scope='session')
def tiny_run(tiny_dir, tmp_path_factory) -> str:
  """The output_dir of a finished two-cycle RAFT run of the tiny model (about a minute)."""
  from raftjax.rl import loop

  out = str(tmp_path_factory.mktemp('tinyrun') / 'run')
  loop.run(helpers.tiny_config(tiny_dir, out))
  assert os.path.exists(os.path.join(out, 'cycle_2', 'stats.json'))
  return out
