"""Runs one untrusted command (gcc, or a compiled program) in a throw-away sandbox.

Every call starts a small C launcher (`launcher.c` beside this file, built once per process
with the host C compiler) that sets up the isolation, runs the command, enforces the wall-clock limit
and reports exactly how the command ended (exit status or signal). The Python side feeds stdin from a
file (never the caller's stdin), reads stdout/stderr incrementally with a byte cap, and the caller
removes the work directory afterwards.

Isolation levels, strongest first. `best_isolation()` is the strongest one this machine offers, found once
per process by trying them; a run gets exactly the level it asks for (by default that one) or fails
with SandboxError: the launcher never falls back to a weaker level on its own.

'ns'   Linux namespaces: pid, mount, network, ipc, uts, cgroup (as root directly; as non-root, or as root
       where that is refused, inside a user namespace that maps only the command's own uid) and a
       minimal root: a fresh tmpfs holding read-only binds of only the toolchain and library directories
       (`toolchain_root`: derived from the configured compiler's search dirs and the dynamic loader's
       paths), `/etc/ld.so.cache`, /dev/{null,zero,full,random,urandom}, a fresh /proc of the sandbox's
       own processes, the private size-limited scratch tmpfs (`scratch_mb`) on /tmp (/var/tmp and
       /dev/shm point there; a compiled program's working directory), and, for gcc only, its own work
       directory on /sandbox. Nothing else of the host is visible: no /home, /root, /run, /var, no
       caller's cwd or output directory, no other sample's work directory, no filesystem socket. The
       network namespace has only a downed loopback. The command runs under an init process (pid 1 of
       the pid namespace); when the command ends, times out or is killed, init dies and the kernel
       kills everything in the namespace. The launcher is outside the pid namespace: the command cannot
       see or signal it. As root the command runs as a uid of its own (SANDBOX_UID_BASE + launcher pid).
'uid'  Root without namespaces: the command runs as a uid of its own (no supplementary groups), so it
       cannot read files that are private to any other user (mode 600 files, 700 directories, other
       samples' work directories), signal or trace any other process, or write root-owned files;
       RLIMIT_NPROC applies per sandbox. The launcher stays root (the command cannot kill it) and kills
       every process of the sandbox uid afterwards. Not enforced: world-readable files are readable
       (the host's whole filesystem is visible), world-writable directories (/tmp) are writable, the
       host's process list is visible.
'pgrp' Neither namespaces nor root: the command runs as the caller. It can read and write whatever the
       caller can (home directory, credentials): this level does not protect the caller's files. What
       it still enforces: the seccomp filter below (no sockets, so no network and no UNIX sockets),
       signals only to the command's own process group (it cannot kill the launcher, the verifier or
       any other process of the caller), limits, and the launcher kills every descendant afterwards.

At every level: a fresh work directory; rlimits on CPU time, address space, file size, process count,
open files and core size (0); no_new_privs (setuid binaries do not elevate); a seccomp filter (see
`launcher.c`: no new namespaces, mount, ptrace, keyctl, bpf, perf, userfaultfd, io_uring,
sockets, module/kexec/reboot, TIOCSTI); a clean environment (only what the caller passes: the verifier
passes PATH, plus LC_ALL=C for gcc; at the weaker levels TMPDIR is the work directory, so gcc's
temporary files go away with it); stdin from a file or /dev/null; stdout and stderr capped at
`max_output_bytes` each (the run is killed as soon as a cap is passed, nothing past it is buffered); a
wall-clock limit after which everything is killed. The launcher is a child subreaper and gets SIGTERM
when the process that started it dies (parent-death signal, SIGKILL included), so nothing a run started
outlives the run or the verifier.

Why our own launcher and not bubblewrap where it is installed: bubblewrap gives the namespaces and the
minimal root but no rlimits, wall clock, output cap, per-sandbox uid or fork-bomb-proof cleanup, so it
would run in addition to this launcher, and it is absent from most servers (one code path, tested
everywhere, beats two). Measured start-up per run over a bare exec: bubblewrap 3.0-3.4 ms, this
launcher with its minimal root 2.0-2.3 ms (BENCHMARKS.md).
"""

import atexit
import dataclasses
import importlib.resources
import math
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence

from raftjax.verifier import root as root_lib
from raftjax.verifier import workdirs

LEVELS = ('ns', 'uid', 'pgrp')  # strongest first
DESCRIPTION = {  # one line each; the module docstring has the whole story
  'ns': 'namespaces, a minimal root and seccomp: the program sees only the toolchain, no network, no file of yours',
  'uid': 'no namespaces; a uid of its own and seccomp: it cannot read private (mode 600) files but can '
  "read world-readable ones, and sees the host's processes",
  'pgrp': 'no namespaces; your own uid with seccomp: it can read and write every file you can (your '
  'home directory and credentials included); no network, and it cannot signal your processes',
}
SANDBOX_UID_BASE = 2_000_000_000  # + launcher pid; far above any real or subordinate uid range
_SANDBOX_UID_SPAN = 1 << 22  # pid_max is at most 2**22
WORK_DIR = '/sandbox'  # gcc's work directory inside the minimal root ('ns')

_F_SCRATCH = 1  # run with cwd in the private tmpfs (compiled programs), not in the work directory


class SandboxError(RuntimeError):
  """The sandbox itself failed (not the command in it)."""


@dataclasses.dataclass(frozen=True)
class Limits:
  wall_s: float = 2.0
  memory_mb: int = 256  # address space (RLIMIT_AS) of each process
  file_size_mb: int = 16  # largest file a process may write (RLIMIT_FSIZE)
  max_processes: int = 32  # RLIMIT_NPROC (threads count too)
  max_open_files: int = 64
  max_output_bytes: int = 65536  # each of stdout and stderr
  scratch_mb: int = 64  # the private tmpfs (namespace level only)
  # Past max_output_bytes: kill the run (a program under test), or keep reading and keep the first and the
  # last half of the cap (the compiler: its verdict is its exit status, however much it has to say).
  kill_on_output_cap: bool = True


@dataclasses.dataclass(frozen=True)
class Outcome:
  exit_code: int | None  # None when killed by a signal or the sandbox
  signal: int | None
  timed_out: bool
  output_exceeded: bool  # stdout or stderr went past max_output_bytes; the run was killed (or, without
  # kill_on_output_cap, that stream is its head and tail around a '[... N bytes cut ...]' line)
  stdout: bytes
  stderr: bytes
  wall_s: float
  isolation: str  # 'ns' | 'uid' | 'pgrp', see the module docstring
  sandbox_uid: int | None  # the uid the command ran as when we were root (for process-table checks)


def at_least(level: str, minimum: str) -> bool:
  """Whether isolation `level` is as strong as `minimum` or stronger ('uid' and 'pgrp' never meet on one
  machine: which one a machine offers depends on whether the caller is root)."""
  return LEVELS.index(level) <= LEVELS.index(minimum)


# ------------------------------------------------------------------------------- process state

_launcher_lock = threading.Lock()
_launcher: str | None = None
_launcher_cc: str | None = None
_level_lock = threading.Lock()
_level: str | None = None
_refused: dict[str, str] = {}


def configure(launcher_path: str, isolation_level: str) -> None:
  """Uses an already built launcher and a level already decided (pool workers get the parent's)."""
  global _launcher, _level
  _launcher, _level = launcher_path, isolation_level


def launcher(cc: str = 'gcc') -> str:
  """Path of the launcher binary, built with `cc` on first use and removed at exit."""
  global _launcher, _launcher_cc
  with _launcher_lock:
    if _launcher is None:
      compiler = shutil.which(cc)
      if compiler is None:
        raise SandboxError(f'sandbox: C compiler {cc!r} not found (needed to build the launcher)')
      build = workdirs.make_temp_dir('raftjax-sandbox-')
      os.chmod(build, 0o755)
      exe = os.path.join(build, 'launcher')
      source = importlib.resources.files('raftjax.verifier').joinpath('launcher.c')
      with importlib.resources.as_file(source) as src:
        proc = subprocess.run(
          [compiler, '-O2', '-Wall', '-Wextra', '-Werror', '-o', exe, str(src)], capture_output=True, text=True
        )
      if proc.returncode != 0:
        shutil.rmtree(build, ignore_errors=True)
        raise SandboxError(f'sandbox: building the launcher failed:\n{proc.stderr}')
      atexit.register(shutil.rmtree, build, True)
      _launcher, _launcher_cc = exe, os.path.abspath(compiler)
    return _launcher


def best_isolation() -> str:
  """The strongest level this machine offers (tried once per process, then kept): 'ns', else 'uid' as
  root or 'pgrp' otherwise. `refused()` says why the stronger ones failed."""
  global _level
  with _level_lock:
    if _level is None:
      launcher()
      probe = [_launcher_cc or shutil.which('gcc') or '/bin/true', '--version']  # the compiler starts
      for level in ('ns', 'uid' if os.geteuid() == 0 else 'pgrp'):
        try:
          with tempfile.TemporaryDirectory(prefix='raftjax-probe-') as d:
            out = run(
              probe,
              d,
              Limits(wall_s=10.0, memory_mb=1024),
              isolation=level,
              root=toolchain_root((probe[0],)) if level == 'ns' else (),
            )
          if out.exit_code == 0:
            _level = level
            break
          _refused[level] = f'{probe[0]} --version failed there: {out.stderr[-300:]!r}'
        except SandboxError as e:
          _refused[level] = str(e)
      else:
        raise SandboxError(
          'sandbox: no isolation level works on this machine: ' + '; '.join(f'{k}: {v}' for k, v in _refused.items())
        )
    return _level


def toolchain_root(compilers: tuple[str, ...] = ('gcc',)) -> tuple[str, ...]:
  """The minimal root ('ns') for these compilers and the programs they build (`root.root_spec`)."""
  return root_lib.root_spec(tuple(compilers), launcher())


def refused() -> dict[str, str]:
  """Levels stronger than `best_isolation()` that this machine refused, and why."""
  best_isolation()
  return dict(_refused)


# -------------------------------------------------------------------------------------- running


def run(
  argv: list[str],
  workdir: str,
  limits: Limits,
  *,
  stdin: bytes | None = None,
  env: dict[str, str] | None = None,
  scratch: bool = False,
  isolation: str | None = None,
  root: Sequence[str] | None = None,
) -> Outcome:
  """Runs argv[0] (an absolute path) with the given limits; cwd is `workdir` unless `scratch`.

  `isolation`: the level to run at (default: `best_isolation()`); `root`: the minimal root's entries,
  needed at 'ns' (`toolchain_root`).
  """
  level = isolation or best_isolation()
  if level not in LEVELS:
    raise ValueError(f'isolation must be one of {LEVELS}, got {level!r}')
  env = dict(env or {})
  if level != 'ns':
    env.setdefault('TMPDIR', workdir)  # else gcc's temporary files land in the shared /tmp
  if level == 'ns' and not root:
    raise ValueError("isolation 'ns' needs the minimal root's entries (toolchain_root)")
  entries = list(root) if level == 'ns' else []
  cpu_s = math.ceil(limits.wall_s) + 1  # the wall clock is the real limit; CPU time is the backstop
  report_r, report_w = os.pipe()
  cmd = [
    launcher(),
    str(report_w),
    str(int(limits.wall_s * 1000)),
    str(cpu_s),
    str(limits.memory_mb),
    str(limits.file_size_mb),
    str(limits.max_processes),
    str(limits.max_open_files),
    str(limits.scratch_mb),
    str(_F_SCRATCH if scratch else 0),
    str(SANDBOX_UID_BASE),
    str(os.getpid()),
    level,
    *entries,
    '--',
    *argv,
  ]
  t0 = time.monotonic()
  try:
    with _stdin_file(stdin) as stdin_f:
      proc = subprocess.Popen(
        cmd,
        cwd=workdir,
        env=env,
        stdin=stdin_f,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pass_fds=(report_w,),
        start_new_session=True,
      )
  except BaseException:
    os.close(report_r)
    raise
  finally:
    os.close(report_w)
  with os.fdopen(report_r, 'rb') as report_f:
    try:
      stdout, stderr, exceeded = _read_capped(proc, limits)
    except BaseException:  # e.g. SIGTERM/SIGINT of the verifier: stop the run now, then reap it
      if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
      raise
    finally:
      _reap(proc, limits)
    report = report_f.read(4096).decode(errors='replace')
  return _outcome(report, proc, stdout, stderr, exceeded, time.monotonic() - t0)


class _stdin_file:
  """stdin as an unlinked temp file (a pipe would need a writer thread); /dev/null when None."""

  def __init__(self, data: bytes | None):
    self.data = data

  def __enter__(self):
    if self.data is None:
      self.f = open(os.devnull, 'rb')
    else:
      self.f = tempfile.TemporaryFile()
      self.f.write(self.data)
      self.f.seek(0)
    return self.f

  def __exit__(self, *exc):
    self.f.close()


class _Capped:
  """The first `size` bytes of a stream; `add` says whether it went past them."""

  def __init__(self, size: int):
    self.size, self.data, self.total = size, bytearray(), 0

  def add(self, chunk: bytes) -> bool:
    self.total += len(chunk)
    self.data += chunk[: max(self.size - len(self.data), 0)]
    return self.total > self.size

  def value(self) -> bytes:
    return bytes(self.data)


class _HeadTail(_Capped):
  """The first and the last `size` // 2 bytes of a stream, and how many were cut between them."""

  def __init__(self, size: int):
    super().__init__(max(size // 2, 1))
    self.tail = bytearray()

  def add(self, chunk: bytes) -> bool:
    room = self.size - len(self.data)
    super().add(chunk)
    self.tail += chunk[max(room, 0) :]
    del self.tail[: -self.size]
    return False  # never stops the run

  def value(self) -> bytes:
    cut = self.total - len(self.data) - len(self.tail)
    return bytes(self.data) + (f'\n[... {cut} bytes cut ...]\n'.encode() if cut else b'') + bytes(self.tail)


def _read_capped(proc: subprocess.Popen, limits: Limits) -> tuple[bytes, bytes, bool]:
  """Reads both pipes until EOF, keeping at most the cap of each: a cap hit kills the run, or, without
  `kill_on_output_cap`, only each stream's head and tail are kept (`_HeadTail`) and the run goes on."""
  keep = _Capped if limits.kill_on_output_cap else _HeadTail
  streams = {proc.stdout.fileno(): keep(limits.max_output_bytes), proc.stderr.fileno(): keep(limits.max_output_bytes)}
  exceeded = False
  deadline = time.monotonic() + limits.wall_s + 5.0  # the launcher enforces wall_s; this is a backstop
  with selectors.DefaultSelector() as sel:
    for fd in streams:
      os.set_blocking(fd, False)
      sel.register(fd, selectors.EVENT_READ)
    while sel.get_map() and time.monotonic() < deadline:
      if proc.poll() is not None:  # the launcher is gone; nothing of the run can hold the pipes now
        deadline = min(deadline, time.monotonic() + 0.2)
      for key, _ in sel.select(timeout=0.1):
        chunk = os.read(key.fd, 65536)
        if not chunk:
          sel.unregister(key.fd)
        elif streams[key.fd].add(chunk) and not exceeded:
          exceeded = True
          proc.send_signal(signal.SIGTERM)  # the launcher kills the whole run and reports
  out, err = streams[proc.stdout.fileno()], streams[proc.stderr.fileno()]
  return out.value(), err.value(), exceeded or max(out.total, err.total) > limits.max_output_bytes


def _reap(proc: subprocess.Popen, limits: Limits) -> None:
  """Waits for the launcher; if it is stuck past the backstop, kills it."""
  try:
    proc.wait(timeout=limits.wall_s + 5.0)
  except subprocess.TimeoutExpired:
    proc.kill()
    proc.wait()
  proc.stdout.close()
  proc.stderr.close()


def _outcome(
  report: str, proc: subprocess.Popen, stdout: bytes, stderr: bytes, exceeded: bool, wall_s: float
) -> Outcome:
  words = report.split()
  if len(words) < 3 or words[0] == 'error' or proc.returncode != 0:
    raise SandboxError(f'sandbox: launcher failed (status {proc.returncode}): {report.strip()!r}')
  isolation_level, end, value = words[0], words[1], int(words[2])
  uid = SANDBOX_UID_BASE + proc.pid if isolation_level != 'pgrp' and os.geteuid() == 0 else None
  return Outcome(
    exit_code=value if end == 'exit' else None,
    signal=value if end == 'signal' else None,
    timed_out=end == 'timeout',
    output_exceeded=exceeded,
    stdout=stdout,
    stderr=stderr,
    wall_s=wall_s,
    isolation=isolation_level,
    sandbox_uid=uid,
  )


def is_sandbox_uid(uid: int) -> bool:
  return SANDBOX_UID_BASE <= uid < SANDBOX_UID_BASE + _SANDBOX_UID_SPAN
