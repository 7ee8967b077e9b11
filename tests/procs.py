"""Process-table checks and isolation levels shared by the sandbox and verifier tests. Imports no JAX
(the sandbox tests also run as an ordinary user, without conftest.py)."""

import os
import sys

import pytest

from raftjax.verifier import sandbox

ROOT = os.geteuid() == 0
BEST = sandbox.best_isolation()
NS = BEST == 'ns'
WEAK = 'uid' if ROOT else 'pgrp'  # the level without namespaces, forced in tests
LEVELS = [BEST] + ([WEAK] if BEST != WEAK else [])


def descendants(root: int = os.getpid()) -> list[int]:
  """Live processes below `root` that are not Python (pool workers, resource trackers)."""
  parent, exe = {}, {}
  for pid in filter(str.isdigit, os.listdir('/proc')):
    try:
      with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
      if fields[0] == 'Z':
        continue
      parent[int(pid)] = int(fields[1])
      exe[int(pid)] = os.readlink(f'/proc/{pid}/exe')
    except OSError:
      exe.setdefault(int(pid), '')
  out = []
  for pid in parent:
    p = parent[pid]
    while p > 1 and p != root:
      p = parent.get(p, 0)
    if p == root and os.path.realpath(exe[pid]) != os.path.realpath(sys.executable):
      out.append(pid)
  return out


def processes_of(uids) -> list[int]:
  out = []
  for pid in filter(str.isdigit, os.listdir('/proc')):
    try:
      with open(f'/proc/{pid}/status') as f:
        real_uid = int(next(line for line in f if line.startswith('Uid:')).split()[1])
    except (OSError, StopIteration):
      continue
    if real_uid in uids:
      out.append(int(pid))
  return out


def assert_nothing_left(*outcomes):
  uids = {o.sandbox_uid for o in outcomes if o.sandbox_uid is not None}
  assert processes_of(uids) == [], 'sandbox processes survived'
  assert descendants() == [], 'child processes survived'


@pytest.fixture
def level_for_verify(request):
  """Makes `verify` run at `request.param` in this process (as a Verifier's workers would)."""
  saved = sandbox._level  # pylint: disable=protected-access
  sandbox.configure(sandbox.launcher(), request.param)
  yield request.param
  sandbox.configure(sandbox.launcher(), saved)


def cmdline(pid: int) -> str:
  try:
    with open(f'/proc/{pid}/cmdline', 'rb') as f:
      return f.read().replace(b'\0', b' ').decode(errors='replace')
  except OSError:
    return ''


def alive(pid: int) -> bool:
  try:
    with open(f'/proc/{pid}/stat') as f:
      return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
  except OSError:
    return False
