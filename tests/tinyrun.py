"""A finished two-cycle RAFT run of the tiny model (tests/tiny.py), for the report and notebook tests."""

import os

import tiny
from raftjax import raft
from test_raft import tiny_config


def make(tmp_path_factory) -> str:
  """The run's output_dir; built once per pytest process (about a minute) and reused by later callers."""
  base = tmp_path_factory.getbasetemp() / 'tinyrun'
  out = str(base / 'run')
  if not os.path.exists(os.path.join(out, 'cycle_2', 'stats.json')):
    os.makedirs(base, exist_ok=True)
    tiny.make(str(base))
    raft.run(tiny_config(str(base), out))
  return out
