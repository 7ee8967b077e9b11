"""The verifier's process pool: batches of completions graded on host CPUs while the device works.

A batch (`Verifier.submit`) compiles each distinct program (language + code) once, in a worker process,
and runs it once per distinct test set; results come back in input order (`Pending.get`). An exception
while grading one program gives that program's samples stage 'error' (reward 0.0, `detail` says why) and
leaves the rest of the batch alone.

A worker that dies (the OOM killer, a stray `kill -9`) takes down the pool and every program in flight
with it. Those programs are graded again on a fresh pool, up to MAX_ATTEMPTS times each; a program that
still cannot be graded stops the batch with `VerifierError` naming its samples. A death never becomes a
reward of 0.

Isolation is decided once at start-up (`program.check_isolation`), logged, kept in `Verifier.isolation`,
and every program runs at exactly that level. A SIGTERM of the process (when it had no handler) or of a
worker stops the runs in progress and removes their work directories; directories left by killed
processes are removed at start-up.
"""

import collections
import concurrent.futures
import contextlib
import ctypes
import dataclasses
import json
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Sequence

from raftjax.rows import Verdict
from raftjax.sections import VerifierConfig
from raftjax.verifier import program, reward, sandbox, workdirs
from raftjax.verifier.extract import extract_code

log = logging.getLogger('raftjax')
MAX_ATTEMPTS = 3  # gradings of one program in workers that died, before the batch stops
_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE = 1, 4  # <sys/prctl.h>
_busy = False  # a pool worker is grading a program (SIGTERM must unwind it, not just exit)


class VerifierError(RuntimeError):
  """Samples could not be graded (their workers kept dying): the batch has no honest rewards."""


def _on_sigterm(signum, frame):  # pylint: disable=unused-argument
  if _busy:
    raise SystemExit(128 + signum)  # unwinds the run: the launcher is stopped, the work dir removed
  os._exit(128 + signum)


def _init_worker(launcher: str, parent: int, isolation: str) -> None:
  # A worker holds both ends of its task queue's pipe, so a parent killed with SIGKILL would leave it
  # waiting forever: the kernel sends it SIGTERM when its parent dies (and it exits if that already
  # happened). SIGTERM stops the run in progress, removes its work directory, and exits.
  signal.signal(signal.SIGTERM, _on_sigterm)
  signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, whose exit sends SIGTERM
  libc = ctypes.CDLL(None)
  libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
  libc.prctl(_PR_SET_DUMPABLE, 0)  # a program at the 'pgrp' level (our uid) may not open our /proc files
  if os.getppid() != parent:
    os._exit(0)
  sandbox.configure(launcher, isolation)


def _grade_in_worker(
  code: str, language: str, test_sets: list[list[dict]], cfg: VerifierConfig, root: tuple[str, ...]
) -> list[Verdict]:
  global _busy
  _busy = True
  try:
    return program.grade_program(code, language, test_sets, cfg, root)
  except Exception as e:  # pylint: disable=broad-except
    return [reward.error_verdict(e) for _ in test_sets]
  except BaseException:  # SIGTERM or SIGINT: the run is stopped and its directory gone by now
    os._exit(1)
  finally:
    _busy = False


@dataclasses.dataclass
class _Group:
  """One program of a batch: its worker call, and the sample indices per test set it answers for."""

  args: tuple  # _grade_in_worker's arguments
  members: list[list[int]]
  ids: list[str]  # the task ids of its samples, for an error message
  future: concurrent.futures.Future
  attempts: int = 1


class Pending:
  """Handle of an async batch; `get()` returns the results in input order."""

  def __init__(self, verifier: 'Verifier', results: list, groups: list[_Group]):
    self._verifier = verifier
    self._results = results  # filled in already for samples that needed no worker
    self._groups = groups

  def done(self) -> bool:
    return all(g.future.done() for g in self._groups)

  def get(self, timeout: float | None = None) -> list[Verdict]:
    """Waits (at most `timeout` seconds in all, then TimeoutError) and returns the results; raises
    VerifierError when a program's workers died MAX_ATTEMPTS times (module docstring)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    for group in self._groups:
      while True:
        try:
          outs = group.future.result(None if deadline is None else max(deadline - time.monotonic(), 0))
          break
        except concurrent.futures.TimeoutError:
          raise
        except Exception as e:  # pylint: disable=broad-except  # a worker process died
          if group.attempts >= MAX_ATTEMPTS:
            samples = sorted({i for indices in group.members for i in indices})
            raise VerifierError(
              f'verifier: {group.attempts} worker processes died grading the program of samples {samples} '
              f'(tasks {sorted(set(group.ids))}); last error: {type(e).__name__}: {e}. Stopped rather '
              'than score them 0.'
            ) from None
          log.warning(
            'verifier: a worker died (%s: %s); grading tasks %s again', type(e).__name__, e, sorted(set(group.ids))
          )
          group.attempts += 1
          group.future = self._verifier._submit(*group.args)  # pylint: disable=protected-access
      for out, indices in zip(outs, group.members):
        for i in indices:
          self._results[i] = dict(out)
    self._groups = []
    return self._results


class Verifier:
  """A process pool that verifies batches; checks the toolchain and the sandbox once at start-up.

  `isolation` is the sandbox level every program runs at ('ns' | 'uid' | 'pgrp'; see
  raftjax/verifier/sandbox.py). Each batch may bring its own config (a cycle's overrides;
  `submit(..., cfg)`); the pool size and the level stay those of the config it started with.
  """

  def __init__(self, cfg: VerifierConfig):
    self._sigterm = contextlib.ExitStack()
    self._sigterm.enter_context(sigterm_unwinds())
    try:
      for prefix in (program.WORKDIR_PREFIX, 'raftjax-sandbox-'):
        for path in workdirs.remove_stale_dirs(prefix):
          log.info('verifier: removed %s, left behind by a process that died', path)
      self._cfg, self.isolation = program.check_toolchain(cfg)
      _log_isolation(self.isolation)
      self.num_workers = cfg.num_workers or len(os.sched_getaffinity(0))
      self._pool = self._start_pool()
    except BaseException:
      self._sigterm.close()
      raise

  @property
  def cfg(self) -> VerifierConfig:
    return self._cfg

  def _checked(self, cfg: VerifierConfig) -> VerifierConfig:
    cfg = program.resolve_compilers(cfg)
    if not sandbox.at_least(self.isolation, cfg.min_isolation or self.isolation):
      program.check_isolation(cfg)  # raises, saying why and how to opt in
    return cfg

  def _start_pool(self) -> concurrent.futures.ProcessPoolExecutor:
    # spawn, not fork: the trainer is a multi-threaded JAX process.
    pool = concurrent.futures.ProcessPoolExecutor(
      self.num_workers,
      mp_context=multiprocessing.get_context('spawn'),
      initializer=_init_worker,
      initargs=(sandbox.launcher(), os.getpid(), self.isolation),
    )
    # Start every worker now, so the first batch does not pay for interpreter start-up.
    for f in [pool.submit(os.getpid) for _ in range(self.num_workers)]:
      f.result()
    return pool

  def _submit(self, *args) -> concurrent.futures.Future:
    try:
      return self._pool.submit(_grade_in_worker, *args)
    except concurrent.futures.process.BrokenProcessPool:  # a worker died: the pool is gone, start another
      self._pool.shutdown(wait=False, cancel_futures=True)
      try:
        self._pool = self._start_pool()
        return self._pool.submit(_grade_in_worker, *args)
      except concurrent.futures.process.BrokenProcessPool as e:  # one died while it started: a failed try
        failed = concurrent.futures.Future()
        failed.set_exception(e)
        return failed

  def submit(self, tasks: Sequence[dict], completions: Sequence[str], cfg: VerifierConfig | None = None) -> Pending:
    """Verifies in the pool, with `cfg` (default: the config the verifier was started with; a cycle's
    overrides may change anything but the pool size and the isolation level)."""
    cfg = self.cfg if cfg is None else self._checked(cfg)
    if len(tasks) != len(completions):
      raise ValueError(f'{len(tasks)} tasks but {len(completions)} completions')
    results = [None] * len(tasks)
    programs = collections.defaultdict(dict)  # (language, code) -> {test-set key: (tests, [idx])}
    for i, (task, completion) in enumerate(zip(tasks, completions)):
      try:
        code = extract_code(completion)
        if code is None:
          results[i] = reward.verdict('no_code')
          continue
        tests = task.get('tests') or []
        sets = programs[(task.get('language', 'c'), code)]
        sets.setdefault(json.dumps(tests, sort_keys=True), (tests, []))[1].append(i)
      except Exception as e:  # pylint: disable=broad-except
        results[i] = reward.error_verdict(e)
    groups = []
    root = program.root_spec(cfg)
    for (language, code), sets in programs.items():
      args = (code, language, [tests for tests, _ in sets.values()], cfg, root)
      members = [indices for _, indices in sets.values()]
      ids = [str(tasks[i].get('id')) for indices in members for i in indices]
      groups.append(_Group(args, members, ids, self._submit(*args)))
    return Pending(self, results, groups)

  def verify_batch(
    self, tasks: Sequence[dict], completions: Sequence[str], cfg: VerifierConfig | None = None
  ) -> list[Verdict]:
    return self.submit(tasks, completions, cfg).get()

  def worker_pids(self) -> list[int]:
    """The pool's worker processes now (tests kill them)."""
    return list((self._pool._processes or {}).keys())  # pylint: disable=protected-access

  def close(self, now: bool = False) -> None:
    """Stops the pool: after the batches in flight, or, with `now`, at once (each worker stops its run
    and removes its work directory)."""
    if now:
      workers = list((self._pool._processes or {}).values())  # pylint: disable=protected-access
      self._pool.shutdown(wait=False, cancel_futures=True)
      for worker in workers:
        worker.terminate()
      for worker in workers:
        worker.join(10)
    else:
      self._pool.shutdown(wait=True, cancel_futures=True)
    self._sigterm.close()

  def __enter__(self):
    return self

  def __exit__(self, exc_type, *exc):
    self.close(now=exc_type is not None and issubclass(exc_type, (KeyboardInterrupt, SystemExit)))


@contextlib.contextmanager
def sigterm_unwinds():
  """Within it, SIGTERM raises SystemExit in the main thread (so `with` blocks clean up: runs stopped,
  work dirs and temporary outputs removed) when nothing else handles SIGTERM; the default comes back after."""
  if (
    threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
  ):
    yield
    return

  def raise_exit(signum, frame):  # pylint: disable=unused-argument
    raise SystemExit(128 + signum)

  signal.signal(signal.SIGTERM, raise_exit)
  try:
    yield
  finally:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _log_isolation(level: str) -> None:
  message = f'verifier: sandbox isolation {level!r}: {sandbox.DESCRIPTION[level]}'
  if level == 'ns':
    log.info(message)
  else:
    log.warning('%s. Refused here: %s', message, '; '.join(f'{k}: {v}' for k, v in sandbox.refused().items()))
