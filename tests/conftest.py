"""Test set-up: 8 simulated CPU devices, so mesh tests run on any machine, and the shared fixtures.

Tests that do not care about sharding use the `mesh1` fixture (one device); tests of sharding build
their own mesh over all 8. `tiny_dir` (the tiny C-writing model of tests/tiny.py) is trained once per
machine and version of tiny.py, torch and transformers (kept in pytest's cache, a minute saved per run)
and copied into each pytest process; `tiny_run` (a finished two-cycle run of it) is built once per process.
"""

import fcntl
import hashlib
import os
import pathlib
import shutil
import tempfile

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


def _trained_tiny(config, tmp_path_factory) -> pathlib.Path:
  """The tiny model's directory in pytest's cache, trained by the first worker that needs it."""
  # torch and transformers (the reference oracle) only for the tests that use the tiny model
  import torch
  import transformers

  import tiny

  source = pathlib.Path(tiny.__file__).read_bytes()
  key = hashlib.sha256(source + f'{torch.__version__} {transformers.__version__}'.encode()).hexdigest()[:16]
  cache = getattr(config, 'cache', None)  # None under `-p no:cacheprovider`: shared by this run's workers only
  root = cache.mkdir('tiny') if cache else tmp_path_factory.getbasetemp().parent
  built = root / key
  with open(root / 'lock', 'w') as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers wait for one training, not run two
    if not built.exists():
      scratch = tempfile.mkdtemp(dir=root)
      tiny.make(scratch)
      os.rename(scratch, built)
  return built


@pytest.fixture(scope='session')
def tiny_dir(request, tmp_path_factory) -> str:
  directory = tmp_path_factory.mktemp('tiny')
  shutil.copytree(_trained_tiny(request.config, tmp_path_factory), directory, dirs_exist_ok=True)
  return str(directory)


@pytest.fixture(scope='session')
def tiny_run(tiny_dir, tmp_path_factory) -> str:
  """The output_dir of a finished two-cycle RAFT run of the tiny model (about a minute)."""
  from raftjax.rl import loop

  out = str(tmp_path_factory.mktemp('tinyrun') / 'run')
  loop.run(helpers.tiny_config(tiny_dir, out))
  assert os.path.exists(os.path.join(out, 'cycle_2', 'stats.json'))
  return out
