"""Multi-process runs on JAX's own runtime: 2 processes x 2 CPU devices against 1 process x 4 devices.

Real `jax.distributed` over 127.0.0.1 (gloo collectives), started by launch/local.sh exactly as a user
would; every run is bounded in time and its process group is killed on the way out.
"""

import json
import os
import signal
import socket
import subprocess
import time

import jax
import numpy as np
import pytest

from raftjax.rundir import read_jsonl

from helpers import REPO, assert_same_samples, saved_params

pytestmark = pytest.mark.slow  # whole runs or several processes: the full suite, not the fast tier

# A run takes ~1 min alone on 2 cores, 2-3x that beside the other pytest worker; a hung run is found by
# the heartbeat (HEARTBEAT_S), so this bound only has to end a run that never could.
TIMEOUT_S = 600
# Long enough that a process starved of CPU on a loaded 2-core machine (compiles of 4 processes, the other
# pytest worker) is not declared dead; short enough that the kill test's survivor stops within a minute.
HEARTBEAT_S = 30
# Fields that record how long something took: the only ones allowed to differ between runs.
TIMINGS = ('compile_s', 'run_s', 'seconds')


def _flags(tiny_dir: str, output_dir: str) -> list[str]:
  overrides = dict(
    sft_checkpoint=os.path.join(tiny_dir, 'model'),
    output_dir=output_dir,
    prompts=os.path.join(tiny_dir, 'tasks.jsonl'),
    eval_prompts=os.path.join(tiny_dir, 'eval.jsonl'),
  )
  overrides.update(
    {
      'mesh.shape': '(-1,1,1)',
      'sft.num_examples': 8,  # the SFT stage runs across processes too, in 2 steps
      'raft.num_cycles': 1,
      'raft.samples_per_prompt': 4,
      'generation.max_new_tokens': 40,
      'generation.batch_size': 1,  # 4 chunks: room to be killed mid-cycle
      'training.batch_size': 2,
      'training.lora_rank': 4,
      'training.learning_rate': 3e-3,
      'training.max_seq_len': 256,
      'verifier.num_workers': 1,
    }
  )
  return ['--config=configs/raft.py', f'--heartbeat_timeout_s={HEARTBEAT_S}'] + [
    f'--config.{k}={v}' for k, v in overrides.items()
  ]


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


def _start(flags: list[str], processes: int, devices: int, log_dir: str) -> subprocess.Popen:
  env = dict(os.environ, PORT=str(_free_port()), DEVICES_PER_PROCESS=str(devices), LOG_DIR=log_dir)
  return subprocess.Popen(
    ['bash', 'launch/local.sh', str(processes)] + flags,
    cwd=REPO,
    env=env,
    stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL,
    start_new_session=True,
  )


def _finish(launcher: subprocess.Popen, log_dir: str, timeout: float = TIMEOUT_S) -> int:
  """The launcher's exit status; whatever happens, its whole process group is gone afterwards."""
  try:
    return launcher.wait(timeout=timeout)
  except subprocess.TimeoutExpired:
    pytest.fail(f'run did not end within {timeout} s; logs in {log_dir}')
  finally:
    try:
      os.killpg(launcher.pid, signal.SIGKILL)
    except ProcessLookupError:
      pass


def _why(log_dir: str, processes: int) -> str:
  """Each process's first error line and last lines: a fatal signal's stack alone hides its cause."""
  parts = []
  for i in range(processes):
    lines = open(os.path.join(log_dir, f'process_{i}.log'), errors='replace').read().splitlines()
    first = next((line for line in lines if any(w in line for w in ('Error', 'error', 'Fatal', 'fatal'))), '')
    parts.append(f'process {i}: first error: {first}\n' + '\n'.join(lines[-15:]))
  return '\n'.join(parts)


def _run(flags, processes, devices, log_dir) -> None:
  status = _finish(_start(flags, processes, devices, log_dir), log_dir)
  assert status == 0, _why(log_dir, processes)


def _rows(path: str) -> list[dict]:
  with open(path) as f:
    return [{k: v for k, v in json.loads(line).items() if k not in TIMINGS} for line in f]


def _pid_of(process_id: int, group: int) -> int | None:
  """The pid of raftjax.main --process_id=I in process group `group`."""
  for pid in filter(str.isdigit, os.listdir('/proc')):
    try:
      with open(f'/proc/{pid}/cmdline', 'rb') as f:
        cmd = f.read().split(b'\0')
      if os.getpgid(int(pid)) == group and b'raftjax.main' in cmd and f'--process_id={process_id}'.encode() in cmd:
        return int(pid)
    except (FileNotFoundError, ProcessLookupError, PermissionError):
      continue
  return None


def _live_in_group(group: int, grace_s: float = 15) -> list[str]:
  """Command lines of the group's processes still running (not zombies) after up to `grace_s`."""
  deadline = time.monotonic() + grace_s
  while True:
    live = []
    for pid in filter(str.isdigit, os.listdir('/proc')):
      try:
        with open(f'/proc/{pid}/stat') as f:
          state = f.read().rsplit(')', 1)[1].split()[0]
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
          cmd = f.read().replace(b'\0', b' ').decode(errors='replace')
        if os.getpgid(int(pid)) == group and state != 'Z':
          live.append(cmd)
      except (FileNotFoundError, ProcessLookupError, PermissionError):
        continue
    if not live or time.monotonic() > deadline:
      return live
    time.sleep(0.2)


@pytest.fixture(scope='module')
def one_process(tiny_dir, tmp_path_factory):
  """The reference: one process over 4 devices."""
  out = str(tmp_path_factory.mktemp('one') / 'run')
  _run(_flags(tiny_dir, out), 1, 4, out + '_logs')
  return out


def _assert_same_run(a: str, b: str) -> None:
  for name in ('samples.jsonl', 'kept.jsonl'):
    assert _rows(os.path.join(a, 'cycle_1', name)) == _rows(os.path.join(b, 'cycle_1', name)), name
  stats = [json.load(open(os.path.join(d, 'cycle_1', 'stats.json'))) for d in (a, b)]
  assert stats[0]['kept'] > 0 and len(stats[0]['losses']) >= 1
  np.testing.assert_allclose(stats[1]['losses'], stats[0]['losses'], rtol=1e-5)
  assert stats[1]['eval'] == stats[0]['eval']
  params = [saved_params(os.path.join(d, 'cycle_1', 'checkpoint')) for d in (a, b)]
  leaves = [jax.tree.leaves(p) for p in params]
  assert len(leaves[0]) == len(leaves[1]) > 0
  for x, y in zip(*leaves):
    np.testing.assert_allclose(np.asarray(y), np.asarray(x), rtol=1e-5, atol=1e-6)


def test_two_processes_equal_one(tiny_dir, one_process, tmp_path):
  out = str(tmp_path / 'run')
  _run(_flags(tiny_dir, out), 2, 2, str(tmp_path / 'logs'))
  _assert_same_run(one_process, out)
  log = open(tmp_path / 'logs' / 'process_0.log').read()
  assert 'jax.distributed: process 0 of 2, 2 local / 4 global devices' in log
  assert 'Cycle 1:' in log and 'Cycle 1:' not in open(tmp_path / 'logs' / 'process_1.log').read()


def test_two_processes_with_slots_equal_one(tiny_dir, one_process, tmp_path):
  """The slot engine across 2 processes (every process runs the same host loop over slots split between
  them, each verifies its own prompts' samples) makes the one-process chunked run: the same samples,
  verdicts and kept sets (log-probs within 1e-4: another batch shape, split over other devices, reduces in
  another order; measured 2e-5), losses."""
  out = str(tmp_path / 'run')
  slots = ['--config.generation.slots=6', '--config.generation.min_slots=4']  # the tail halves 8 -> 4
  _run(_flags(tiny_dir, out) + slots, 2, 2, str(tmp_path / 'logs'))
  for name in ('samples.jsonl', 'kept.jsonl'):
    a, b = (read_jsonl(os.path.join(d, 'cycle_1', name)) for d in (one_process, out))
    assert_same_samples(a, b, rtol=1e-4)
  stats = [json.load(open(os.path.join(d, 'cycle_1', 'stats.json'))) for d in (one_process, out)]
  assert stats[1]['sampler']['calls'] == 1 and stats[1]['sampler']['rows'] == 8  # 6 slots over data = 8
  np.testing.assert_allclose(stats[1]['losses'], stats[0]['losses'], rtol=1e-5)
  assert stats[1]['eval'] == stats[0]['eval']


def test_killed_process_stops_the_other_and_the_run_resumes(tiny_dir, one_process, tmp_path):
  out, logs = str(tmp_path / 'run'), str(tmp_path / 'logs')
  flags = _flags(tiny_dir, out)
  launcher = _start(flags, 2, 2, logs)
  samples = os.path.join(out, 'cycle_1', 'samples.jsonl')
  deadline = time.monotonic() + TIMEOUT_S
  try:
    while not (os.path.exists(samples) and len(open(samples).readlines()) >= 4):  # a chunk is written
      assert launcher.poll() is None and time.monotonic() < deadline, 'run ended before it could be killed'
      time.sleep(0.05)
    victim = _pid_of(1, launcher.pid)
    assert victim is not None
    os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    # Process 0 must not hang in a collective: the heartbeat timeout (HEARTBEAT_S) ends it, and its
    # verifier pool goes with it.
    status = launcher.wait(timeout=120)
    left = _live_in_group(launcher.pid)
  finally:
    _finish(launcher, logs, timeout=1)
  assert status != 0
  assert time.monotonic() - killed_at < 120
  assert 'detected fatal errors' in open(os.path.join(logs, 'process_0.log')).read()
  assert not os.path.exists(os.path.join(out, 'cycle_1', 'stats.json')), 'killed after the cycle ended'
  assert not left, left

  # Rerunning the same command resumes, and ends where an uninterrupted run ends.
  _run(flags, 2, 2, logs + '_resumed')
  _assert_same_run(one_process, out)
