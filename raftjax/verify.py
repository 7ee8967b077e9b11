"""The gcc verifier: the only reward signal. Extracts C/C++ from a completion, compiles it, runs it.

Reward ladder (every level is reachable):

  0.0  no code found, does not compile, or the compile timed out
  0.3  compiles, with warnings (any 'warning:' in gcc's output under -Wall -Wextra)
  0.5  compiles clean
  0.7  runs: exit status 0 within the limits, on every run (only with run_after_compile)
  0.7 + 0.2 * passed/total   exit 0 on every test, but only `passed` of `total` outputs match
  1.0  exit 0 on every test and every test's stdout matches

Answer credit (`answer_credit` = c in [0, 1), default 0: off): a test whose output does not match but
ends with the expected answer (the expected output's whitespace-separated tokens are the last tokens of
stdout: "Enter a number: 10" for "10") counts c of a passed test, so partial credit is
0.7 + 0.2 * (passed + c * answered) / total. It rewards the right answer printed after extra text (a
prompt, a label) above a wrong answer, and still stays below 0.9 (at least one test does not match).
With answer credit on, a `tests_failed` result also counts those tests (`answered`), so `passed +
answered == total` marks a program with the right answers and extra text around them.

A crash, a timeout, a non-zero exit or output past the cap on any run keeps the compile reward (0.3 or
0.5): only a program that exits 0 every time gets 0.7 or more, and partial credit stays below 0.9, so
1.0 means all tests pass. With tests the program runs once per test with that test's stdin; testing
stops at the first run that fails (the remaining tests count as failed). Without tests it runs once
with stdin from /dev/null and the best reward is 0.7.

Output comparison: stdout is compared as bytes with the expected text encoded as UTF-8, after removing
trailing whitespace (space, tab, CR, VT, FF) from every line and then trailing empty lines, on both
sides. Leading whitespace, blank lines between lines and letter case all count. Invalid UTF-8 in the
output simply does not match.

Code extraction (`extract_code`): fenced blocks with any tag or none; an unterminated final fence (a
truncated generation); code before a lone closing fence followed by prose; bare code without fences.
Of several candidates the first that defines `main` wins, else the longest. Fence lines (and a lone
language tag on the first line of a block) never reach the compiler. No code -> stage 'no_code'.
Only the first EXTRACT_MAX_CHARS characters of a completion are looked at, and the time taken is
linear in them (no pattern can backtrack across lines).

C is compiled with gcc (never as C++), C++ (task "language": "cpp") with g++:
`<cc> -std=<std> <warning_flags> <extra_flags> -fdiagnostics-color=never main.<ext> -o prog -lm`, in
the sandbox (raftjax/sandbox.py) with LC_ALL=C so the 'warning:' marker is not translated.

A batch (`Verifier`) compiles each distinct program (language + code) once and runs it once per distinct
test set; results come back in input order. An exception while verifying one program gives that
program's samples stage 'error' (reward 0.0, detail says why) and leaves the rest of the batch alone.

Isolation: the `Verifier` finds the strongest sandbox level this machine offers once at start-up
(`sandbox.best_isolation()`), logs it, keeps it in `Verifier.isolation`, and runs every program at
exactly that level; `verifier.min_isolation` ('ns' > 'uid' > 'pgrp'; '' = that level) refuses to start
below it. Nothing is ever downgraded silently: a run that cannot get the level fails (stage 'error').

CLI:  python -m raftjax.verify --tasks=TASKS.jsonl --input=SAMPLES.jsonl --output=REWARDS.jsonl
      [--run_after_compile] [--num_workers=N] [--min_isolation=ns|uid|pgrp]
"""

import collections
import concurrent.futures
import ctypes
import dataclasses
import functools
import json
import logging
import multiprocessing
import os
import re
import shutil
import signal
import sys
import threading
import time
from collections.abc import Sequence

from raftjax import rundir
from raftjax import sandbox
from raftjax import tasks as tasks_lib

STAGES = ('no_code', 'compile_error', 'compile_timeout', 'compiled_with_warnings', 'compiled',
          'runtime_error', 'timeout', 'ran', 'tests_failed', 'correct', 'error')
REWARD = {'compiled_with_warnings': 0.3, 'compiled': 0.5, 'ran': 0.7, 'correct': 1.0}
# The ladder's levels ('0.0', '0.3', '0.5', '0.7', '1.0'): what stats and reports count samples by.
LEVELS = tuple(f'{r:.1f}' for r in sorted({0.0, *REWARD.values()}))


def level_of(reward: float) -> str:
  """The highest ladder level `reward` reached (partial test credit between 0.7 and 1.0 counts as 0.7)."""
  return max((lv for lv in LEVELS if reward >= float(lv)), key=float)
_COMPILER_OUTPUT_CHARS = 4000
_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE = 1, 4  # <sys/prctl.h>
EXTRACT_MAX_CHARS = 1 << 21  # characters of a completion that extraction looks at (2 Mi)
_WORKDIR_PREFIX = 'raftjax-verify-'
log = logging.getLogger('raftjax.verify')
_ENV_RUN = {'PATH': '/usr/local/bin:/usr/bin:/bin'}
_ENV_COMPILE = {**_ENV_RUN, 'LC_ALL': 'C'}


@dataclasses.dataclass(frozen=True)
class VerifierConfig:
  type: str = 'gcc'
  run_after_compile: bool = False
  c_std: str = 'c11'
  cpp_std: str = 'c++17'
  warning_flags: tuple[str, ...] = ('-Wall', '-Wextra')
  extra_flags: tuple[str, ...] = ('-O0',)
  compile_timeout_s: float = 10.0
  run_timeout_s: float = 2.0
  memory_mb: int = 256
  max_output_bytes: int = 65536
  num_workers: int = 0  # 0 = usable CPU cores
  c_compiler: str = 'gcc'  # name on PATH or absolute path
  cpp_compiler: str = 'g++'
  compile_memory_mb: int = 2048  # cc1 needs more than a test program
  max_processes: int = 32  # per run (gcc needs a handful)
  file_size_mb: int = 16
  scratch_mb: int = 64  # private tmpfs a program may write into
  min_isolation: str = ''  # 'ns' | 'uid' | 'pgrp'; '' = the strongest level the machine offers at start
  answer_credit: float = 0.0  # share of a passed test for the right answer after extra text (docstring)

  def __post_init__(self):
    # Config files and JSON give lists; the dataclass is frozen and hashable with tuples.
    object.__setattr__(self, 'warning_flags', tuple(self.warning_flags))
    object.__setattr__(self, 'extra_flags', tuple(self.extra_flags))
    checks = (
        ('type', self.type == 'gcc', "'gcc' (C with gcc, C++ tasks with g++)"),
        ('min_isolation', self.min_isolation in ('', *sandbox.LEVELS),
         f"one of {sandbox.LEVELS} (strongest first), or '' for the strongest this machine offers"),
        ('run_after_compile', isinstance(self.run_after_compile, bool), 'True or False'),
        ('answer_credit', 0.0 <= self.answer_credit < 1.0, 'a share in [0, 1) of a passed test'),
        ('compile_timeout_s', self.compile_timeout_s > 0, 'more than 0 seconds'),
        ('run_timeout_s', self.run_timeout_s > 0, 'more than 0 seconds'),
        ('memory_mb', self.memory_mb >= 16, 'at least 16 (MiB of address space per program)'),
        ('compile_memory_mb', self.compile_memory_mb >= 64, 'at least 64 (MiB of address space for cc1)'),
        ('max_output_bytes', self.max_output_bytes >= 1, 'at least 1'),
        ('num_workers', self.num_workers >= 0, '0 (one per usable core) or more'),
        ('max_processes', self.max_processes >= 1, 'at least 1'),
        ('file_size_mb', self.file_size_mb >= 1, 'at least 1'),
        ('scratch_mb', self.scratch_mb >= 1, 'at least 1'),
        ('warning_flags', all(isinstance(f, str) and f.startswith('-') for f in self.warning_flags),
         'compiler flags, each starting with -'),
        ('extra_flags', all(isinstance(f, str) and f.startswith('-') for f in self.extra_flags),
         'compiler flags, each starting with -'))
    for name, ok, expected in checks:
      if not ok:
        raise ValueError(f'{name} = {getattr(self, name)!r}: expected {expected}')


# ---------------------------------------------------------------------------------- extraction

_FENCE = re.compile(r'^\s{0,3}(`{3,}|~{3,})\s*([\w+#.-]*)')  # matched against one line at a time
_MAIN = re.compile(r'\bmain\s*\(')
_LANG_TAGS = {'c', 'cpp', 'c++', 'cc', 'cxx', 'h', 'hpp'}
# [ \t], not \s: with \s, `^\s*` at every line start scans all the blank lines that follow (quadratic).
_CODE_HINT = re.compile(r'^[ \t]*#[ \t]*include\b|\bmain\s*\(', re.M)
_FIRST_DIRECTIVE = re.compile(r'^[ \t]*#', re.M)


def extract_code(completion: str) -> str | None:
  """The program in a model completion, or None when there is none (see the module docstring)."""
  lines = completion[:EXTRACT_MAX_CHARS].splitlines()
  fences = [i for i, line in enumerate(lines) if _FENCE.match(line)]
  candidates = []
  if fences:
    # Text before the first fence counts only if it looks like code: SmolLM2 often writes
    # "code ``` prose" with no opening fence.
    head = '\n'.join(lines[:fences[0]])
    if _CODE_HINT.search(head):
      candidates.append(_from_first_code_line(head))
    bounds = fences + [len(lines)]  # an unterminated last block runs to the end
    for start, end in zip(bounds[0::2], bounds[1::2]):
      candidates.append(_drop_tag_line(lines[start + 1:end]))
  else:
    text = '\n'.join(lines)
    if _CODE_HINT.search(text):
      candidates.append(_from_first_code_line(text))
  candidates = [c for c in candidates if c.strip()]
  if not candidates:
    return None
  with_main = [c for c in candidates if _MAIN.search(c)]
  return with_main[0] if with_main else max(candidates, key=len)


def _drop_tag_line(block: list[str]) -> str:
  """A block whose first line is only a language tag ("```\\nc\\n...") loses that line."""
  if block and block[0].strip().lower() in _LANG_TAGS:
    block = block[1:]
  return '\n'.join(block) + '\n'


def _from_first_code_line(text: str) -> str:
  """Unfenced code: drop prose before the first preprocessor line, if there is one."""
  m = _FIRST_DIRECTIVE.search(text)
  return (text[m.start():] if m else text).strip('\n') + '\n'


# ------------------------------------------------------------------------------------ verifying

def verify(task: dict, completion: str, cfg: VerifierConfig) -> dict:
  """Verifies one sample in this process."""
  try:
    code = extract_code(completion)
    if code is None:
      return _result('no_code')
    return _verify_program(code, task.get('language', 'c'), [task.get('tests') or []], cfg,
                           root_spec(cfg))[0]
  except Exception as e:  # pylint: disable=broad-except
    return _error_result(e)


def root_spec(cfg: VerifierConfig) -> tuple[str, ...]:
  """The sandbox's minimal root for this config's compilers (see `sandbox.root_spec`)."""
  return sandbox.root_spec((cfg.c_compiler, cfg.cpp_compiler))


def _result(stage: str, *, reward: float | None = None, compiler_output: str = '', **kw) -> dict:
  r = {'reward': REWARD.get(stage, 0.0) if reward is None else reward, 'stage': stage,
       'compiler_output': compiler_output, 'exit_code': None, 'signal': None, 'tests': [],
       'compile_s': 0.0, 'run_s': 0.0, 'detail': ''}
  r.update(kw)
  return r


def _error_result(e: BaseException) -> dict:
  return _result('error', detail=f'verifier error: {type(e).__name__}: {e}')


@functools.lru_cache(maxsize=None)
def _compiler_path(name: str) -> str:
  path = shutil.which(name)
  if path is None:
    raise FileNotFoundError(f'compiler {name!r} not found (PATH={os.environ.get("PATH", "")!r})')
  return os.path.abspath(path)


def _compile_argv(language: str, cfg: VerifierConfig) -> tuple[list[str], str]:
  if language == 'c':
    cc, std, src = cfg.c_compiler, cfg.c_std, 'main.c'
  elif language == 'cpp':
    cc, std, src = cfg.cpp_compiler, cfg.cpp_std, 'main.cpp'
  else:
    raise ValueError(f'unknown language {language!r} (expected "c" or "cpp")')
  return [_compiler_path(cc), f'-std={std}', *cfg.warning_flags, *cfg.extra_flags,
          '-fdiagnostics-color=never', src, '-o', 'prog', '-lm'], src


def _verify_program(code: str, language: str, test_sets: list[list[dict]], cfg: VerifierConfig,
                    root: tuple[str, ...]) -> list[dict]:
  """Compiles `code` once and returns one result per test set (same order)."""
  argv, src = _compile_argv(language, cfg)
  workdir = sandbox.make_temp_dir(_WORKDIR_PREFIX)  # named with our pid: whose, if left behind
  try:
    with open(os.path.join(workdir, src), 'w', encoding='utf-8', errors='replace') as f:
      f.write(code)
    compiled = _compile(argv, workdir, cfg, root)
    if compiled['reward'] == 0.0 or not cfg.run_after_compile:
      return [dict(compiled) for _ in test_sets]
    results = []
    for tests in test_sets:
      try:
        results.append(_run_tests(os.path.join(workdir, 'prog'), workdir, tests, compiled, cfg, root))
      except Exception as e:  # pylint: disable=broad-except
        results.append(_error_result(e))
    return results
  finally:
    sandbox.remove_temp_dir(workdir)


def _compile(argv: list[str], workdir: str, cfg: VerifierConfig, root: tuple[str, ...]) -> dict:
  limits = sandbox.Limits(wall_s=cfg.compile_timeout_s, memory_mb=cfg.compile_memory_mb,
                          file_size_mb=max(cfg.file_size_mb, 64), max_processes=cfg.max_processes,
                          max_open_files=256, max_output_bytes=cfg.max_output_bytes,
                          scratch_mb=cfg.scratch_mb)
  out = sandbox.run(argv, workdir, limits, env=_ENV_COMPILE, root=root)
  stderr = (out.stderr + out.stdout).decode('utf-8', errors='replace')
  compiler_output = stderr[:_COMPILER_OUTPUT_CHARS]
  common = dict(compiler_output=compiler_output, compile_s=round(out.wall_s, 4))
  if out.timed_out:
    return _result('compile_timeout', detail=f'gcc ran past {cfg.compile_timeout_s}s', **common)
  if out.exit_code != 0 or not os.path.exists(os.path.join(workdir, 'prog')):
    detail = 'gcc output past the cap' if out.output_exceeded else ''
    return _result('compile_error', detail=detail, **common)
  return _result('compiled_with_warnings' if 'warning:' in stderr else 'compiled', **common)


def _run_tests(prog: str, workdir: str, tests: list[dict], compiled: dict, cfg: VerifierConfig,
               root: tuple[str, ...]) -> dict:
  """Runs the binary once per test (once on /dev/null without tests) and scores it."""
  limits = sandbox.Limits(wall_s=cfg.run_timeout_s, memory_mb=cfg.memory_mb,
                          file_size_mb=cfg.file_size_mb, max_processes=cfg.max_processes,
                          max_output_bytes=cfg.max_output_bytes, scratch_mb=cfg.scratch_mb)
  passed, answered, run_s = [], 0, 0.0
  for test in tests or [None]:
    stdin = None if test is None else test.get('stdin', '').encode('utf-8')
    out = sandbox.run([prog], workdir, limits, stdin=stdin, env=_ENV_RUN, scratch=True, root=root)
    run_s += out.wall_s
    failure = _run_failure(out)
    if failure:
      return {**compiled, 'stage': failure[0], 'detail': failure[1], 'exit_code': out.exit_code,
              'signal': out.signal, 'run_s': round(run_s, 4),
              'tests': passed + [False] * (len(tests) - len(passed))}
    if test is not None:
      passed.append(outputs_match(out.stdout, test['stdout']))
      answered += bool(cfg.answer_credit) and not passed[-1] and ends_with_answer(out.stdout, test['stdout'])
  common = dict(compiler_output=compiled['compiler_output'], compile_s=compiled['compile_s'],
                run_s=round(run_s, 4), exit_code=0, tests=passed)
  if not tests:
    return _result('ran', **common)
  if all(passed):
    return _result('correct', **common)
  credit = (sum(passed) + cfg.answer_credit * answered) / len(passed)
  return _result('tests_failed', reward=round(0.7 + 0.2 * credit, 6),
                 detail=f'{sum(passed)}/{len(passed)} tests passed'
                        + (f', {answered} more end with the answer' if answered else ''),
                 **({'answered': answered} if cfg.answer_credit else {}), **common)


def _run_failure(out: sandbox.Outcome) -> tuple[str, str] | None:
  """(stage, detail) when a run does not count as running fine, else None."""
  if out.timed_out:
    return 'timeout', 'ran past the time limit'
  if out.output_exceeded:
    return 'runtime_error', 'output past the cap'
  if out.signal is not None:
    return 'runtime_error', f'killed by signal {out.signal}'
  if out.exit_code != 0:
    return 'runtime_error', f'exit status {out.exit_code}'
  return None


def _normalize(text: bytes) -> list[bytes]:
  lines = [line.rstrip(b' \t\r\v\f') for line in text.split(b'\n')]
  while lines and not lines[-1]:
    lines.pop()
  return lines


def outputs_match(actual: bytes, expected: str) -> bool:
  """Output comparison rule (module docstring): trailing whitespace and trailing newlines ignored."""
  return _normalize(actual) == _normalize(expected.encode('utf-8'))


def ends_with_answer(actual: bytes, expected: str) -> bool:
  """Answer credit's rule (module docstring): stdout's last whitespace-separated tokens are the expected
  output's tokens (and there is at least one)."""
  want = expected.encode('utf-8').split()
  return bool(want) and actual.split()[-len(want):] == want


# ---------------------------------------------------------------------------------------- pool

def resolve_compilers(cfg: VerifierConfig) -> VerifierConfig:
  """The config with absolute compiler paths (pool workers need no PATH lookup); one clear error."""
  try:
    cfg = dataclasses.replace(cfg, c_compiler=_compiler_path(cfg.c_compiler))
  except FileNotFoundError as e:
    raise RuntimeError(f'verifier: C {e}; install gcc or set verifier.c_compiler') from None
  if shutil.which(cfg.cpp_compiler):  # optional: without g++ only C++ samples fail (stage 'error')
    cfg = dataclasses.replace(cfg, cpp_compiler=_compiler_path(cfg.cpp_compiler))
  return cfg


def check_isolation(cfg: VerifierConfig) -> str:
  """The sandbox level programs run at here (the strongest this machine offers, found once per process);
  raises one clear error, saying how to opt in, when that is below `cfg.min_isolation`."""
  level = sandbox.best_isolation()
  required = cfg.min_isolation or level
  if not sandbox.at_least(level, required):
    why = '; '.join(f'{k}: {v}' for k, v in sandbox.refused().items()) or 'not offered'
    raise RuntimeError(
        f"verifier: this machine's strongest sandbox is {level!r}, below verifier.min_isolation="
        f"{required!r}, so no untrusted code is run. Refused here: {why}. At {level!r}: "
        f"{sandbox.DESCRIPTION[level]}. To run at {level!r} anyway, set verifier.min_isolation={level!r} "
        f"(--config.verifier.min_isolation={level}, or --min_isolation={level} for python -m raftjax.verify).")
  return level


def check_toolchain(cfg: VerifierConfig) -> VerifierConfig:
  """resolve_compilers and check_isolation, then verifies a known-good program in the sandbox; raises
  one clear error."""
  cfg = resolve_compilers(cfg)
  sandbox.launcher(cfg.c_compiler)
  check_isolation(cfg)
  probe = {'id': 'probe', 'tests': [{'stdin': '2\n', 'stdout': '4\n'}]}
  code = '#include <stdio.h>\nint main(void) { int x; if (scanf("%d", &x) != 1) return 1;\n' \
         '  printf("%d\\n", x * 2); return 0; }\n'
  probe_cfg = dataclasses.replace(cfg, run_after_compile=True)
  result = verify(probe, f'```c\n{code}```', probe_cfg)
  if result['stage'] != 'correct':
    raise RuntimeError(f'verifier: a known-good C program does not verify (stage {result["stage"]}): '
                       f'{result["detail"]} {result["compiler_output"]}')
  return cfg


_busy = False  # a pool worker is verifying a program (SIGTERM must unwind it, not just exit)


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


def _verify_group(code: str, language: str, test_sets: list[list[dict]], cfg: VerifierConfig,
                  root: tuple[str, ...]) -> list[dict]:
  global _busy
  _busy = True
  try:
    return _verify_program(code, language, test_sets, cfg, root)
  except Exception as e:  # pylint: disable=broad-except
    return [_error_result(e) for _ in test_sets]
  except BaseException:  # SIGTERM or SIGINT: the run is stopped and its directory gone by now
    os._exit(1)
  finally:
    _busy = False


class Pending:
  """Handle of an async batch; `get()` returns the results in input order."""

  def __init__(self, results: list, groups: list):
    self._results = results  # filled in already for samples that needed no worker
    self._groups = groups  # (future, [[sample indices] per test set])

  def done(self) -> bool:
    return all(f.done() for f, _ in self._groups)

  def get(self, timeout: float | None = None) -> list[dict]:
    """Waits (at most `timeout` seconds in all, then TimeoutError) and returns the results."""
    deadline = None if timeout is None else time.monotonic() + timeout
    for future, members in self._groups:
      try:
        outs = future.result(None if deadline is None else max(deadline - time.monotonic(), 0))
      except concurrent.futures.TimeoutError:
        raise
      except Exception as e:  # pylint: disable=broad-except  # e.g. a worker process died
        outs = [_error_result(e) for _ in members]
      for out, indices in zip(outs, members):
        for i in indices:
          self._results[i] = dict(out)
    self._groups = []
    return self._results


class Verifier:
  """A process pool that verifies batches; checks the toolchain and the sandbox once at start-up.

  `isolation` is the sandbox level every program runs at ('ns' | 'uid' | 'pgrp'; see raftjax/sandbox.py),
  decided once here. Each batch may bring its own config (a cycle's overrides; `submit(..., cfg)`); the
  pool size and the level stay those of the config it started with. A SIGTERM of the process (when it had no handler) or of a worker stops the runs in
  progress and removes their work directories; directories left by killed processes are removed at
  start-up.
  """

  def __init__(self, cfg: VerifierConfig):
    self._old_sigterm = _exit_on_sigterm()
    try:
      for prefix in (_WORKDIR_PREFIX, 'raftjax-sandbox-'):
        for path in sandbox.remove_stale_dirs(prefix):
          log.info('verifier: removed %s, left behind by a process that died', path)
      self._cfg = check_toolchain(cfg)
      self.isolation = check_isolation(self._cfg)
      _log_isolation(self.isolation)
      self.num_workers = cfg.num_workers or len(os.sched_getaffinity(0))
      self._pool = self._start_pool()
    except BaseException:
      self._restore_sigterm()
      raise

  @property
  def cfg(self) -> VerifierConfig:
    return self._cfg

  def _checked(self, cfg: VerifierConfig) -> VerifierConfig:
    cfg = resolve_compilers(cfg)
    if not sandbox.at_least(self.isolation, cfg.min_isolation or self.isolation):
      check_isolation(cfg)  # raises, saying why and how to opt in
    return cfg

  def _start_pool(self) -> concurrent.futures.ProcessPoolExecutor:
    # spawn, not fork: the trainer is a multi-threaded JAX process.
    pool = concurrent.futures.ProcessPoolExecutor(
        self.num_workers, mp_context=multiprocessing.get_context('spawn'),
        initializer=_init_worker, initargs=(sandbox.launcher(), os.getpid(), self.isolation))
    # Start every worker now, so the first batch does not pay for interpreter start-up.
    for f in [pool.submit(os.getpid) for _ in range(self.num_workers)]:
      f.result()
    return pool

  def _submit(self, *args) -> concurrent.futures.Future:
    try:
      return self._pool.submit(_verify_group, *args)
    except concurrent.futures.process.BrokenProcessPool:
      # A worker died (e.g. the OOM killer); its batch got 'error' results, later batches go on.
      self._pool.shutdown(wait=False, cancel_futures=True)
      self._pool = self._start_pool()
      return self._pool.submit(_verify_group, *args)

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
          results[i] = _result('no_code')
          continue
        tests = task.get('tests') or []
        sets = programs[(task.get('language', 'c'), code)]
        sets.setdefault(json.dumps(tests, sort_keys=True), (tests, []))[1].append(i)
      except Exception as e:  # pylint: disable=broad-except
        results[i] = _error_result(e)
    groups = []
    root = root_spec(cfg)
    for (language, code), sets in programs.items():
      test_sets = [tests for tests, _ in sets.values()]
      future = self._submit(code, language, test_sets, cfg, root)
      groups.append((future, [indices for _, indices in sets.values()]))
    return Pending(results, groups)

  def verify_batch(self, tasks: Sequence[dict], completions: Sequence[str],
                   cfg: VerifierConfig | None = None) -> list[dict]:
    return self.submit(tasks, completions, cfg).get()

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
    self._restore_sigterm()

  def _restore_sigterm(self) -> None:
    if self._old_sigterm is not None:
      signal.signal(signal.SIGTERM, self._old_sigterm)
      self._old_sigterm = None

  def __enter__(self):
    return self

  def __exit__(self, exc_type, *exc):
    self.close(now=exc_type is not None and issubclass(exc_type, (KeyboardInterrupt, SystemExit)))


def _exit_on_sigterm():
  """SIGTERM raises SystemExit in the main thread (so `with` blocks clean up) when nothing else handles
  it; returns the handler to restore, or None when it left things alone."""
  if threading.current_thread() is not threading.main_thread() or \
      signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
    return None
  def raise_exit(signum, frame):  # pylint: disable=unused-argument
    raise SystemExit(128 + signum)
  signal.signal(signal.SIGTERM, raise_exit)
  return signal.SIG_DFL


def _log_isolation(level: str) -> None:
  message = f'verifier: sandbox isolation {level!r}: {sandbox.DESCRIPTION[level]}'
  if level == 'ns':
    log.info(message)
  else:
    log.warning('%s. Refused here: %s', message, '; '.join(f'{k}: {v}' for k, v in sandbox.refused().items()))


# ----------------------------------------------------------------------------------------- CLI

class InputError(ValueError):
  """A malformed input line; the message names FILE:LINE."""


def read_samples(path: str, tasks_path: str | None) -> tuple[list[dict], list[dict]]:
  """(samples, their tasks) from a SAMPLES.jsonl; tasks come from the line or from the task file."""
  by_id = None
  samples, tasks = [], []
  with open(path, 'rb') as f:
    text = tasks_lib.decode_utf8(f.read(), path, InputError)
  for where, _, sample in tasks_lib.jsonl_objects(tasks_lib.jsonl_lines(text), path, InputError):
    if not isinstance(sample, dict) or not isinstance(sample.get('completion'), str):
      raise InputError(f'{where}: expected an object with a string "completion"')
    task_id = sample.get('prompt_id', sample.get('id'))
    if 'prompt' in sample and ('tests' in sample or task_id is None or tasks_path is None):
      language = sample.get('language', 'c')
      if language not in tasks_lib.LANGUAGES:
        raise InputError(f'{where}: "language" must be one of {tasks_lib.LANGUAGES}, got {language!r}')
      task = {'id': task_id, 'prompt': sample['prompt'], 'language': language,
              'tests': _check_tests(sample.get('tests', []), where)}
    elif task_id is None:
      raise InputError(f'{where}: needs "prompt_id" (or "id") naming a task, or "prompt"')
    else:
      if by_id is None:
        by_id = {t['id']: t for t in tasks_lib.load_tasks(tasks_path)}
      if task_id not in by_id:
        raise InputError(f'{where}: unknown task id {task_id!r} (not in '
                         f'{tasks_path or "the built-in task set"})')
      task = by_id[task_id]
    samples.append(sample)
    tasks.append(task)
  return samples, tasks


def _check_tests(tests, where: str) -> list[dict]:
  if not isinstance(tests, list) or not all(
      isinstance(t, dict) and isinstance(t.get('stdout'), str)
      and isinstance(t.get('stdin', ''), str) for t in tests):
    raise InputError(f'{where}: "tests" must be a list of {{"stdin": str, "stdout": str}}, got '
                     f'{json.dumps(tests)[:80]}')
  return tests


def summary_table(results: list[dict]) -> str:
  counts = collections.Counter(r['stage'] for r in results)
  n = max(len(results), 1)
  lines = [f'{"stage":<24}{"count":>7}{"share":>9}']
  lines += [f'{s:<24}{counts[s]:>7}{counts[s] / n:>9.1%}' for s in STAGES if counts[s]]
  mean = sum(r['reward'] for r in results) / n
  lines.append(f'{"total":<24}{len(results):>7}   mean reward {mean:.3f}')
  graded = [r for r in results if 'answered' in r]
  if graded:  # answer credit on: the wrong-output programs whose every test ends with the answer
    answers = sum(sum(r['tests']) + r['answered'] == len(r['tests']) for r in graded)
    lines.append(f'of the {len(graded)} tests_failed, {answers} print every answer after extra text')
  return '\n'.join(lines)


def cli(input_path: str, output: str, tasks_path: str | None = None, run_after_compile: bool = False,
        num_workers: int = 0, min_isolation: str = '', answer_credit: float = 0.0) -> int:
  """The verify CLI's work; returns its exit status (0 done, 1 failed while running, 2 bad input or
  output path or option, 130 interrupted)."""
  try:
    cfg = VerifierConfig(run_after_compile=run_after_compile, num_workers=num_workers,
                         min_isolation=min_isolation, answer_credit=answer_credit)
  except ValueError as e:
    print(f'error: {e}', file=sys.stderr)
    return 2
  old_sigterm = _exit_on_sigterm()  # SIGTERM unwinds: runs stopped, work dirs and temp output removed
  try:
    return _cli(input_path, output, tasks_path, cfg)
  except KeyboardInterrupt:  # unwound the same way
    print('error: interrupted', file=sys.stderr)
    return 130
  finally:
    if old_sigterm is not None:
      signal.signal(signal.SIGTERM, old_sigterm)


def _cli(input_path: str, output: str, tasks_path: str | None, cfg: VerifierConfig) -> int:
  try:
    out = rundir.AtomicOutput(output)  # before any work: a bad output path fails now, not after
  except OSError as e:
    print(f'error: {output}: cannot write there: {e.strerror or e}', file=sys.stderr)
    return 2
  with out:
    try:
      samples, tasks = read_samples(input_path, tasks_path)
    except (ValueError, OSError) as e:  # InputError, TaskFileError, unreadable files
      print(f'error: {e}', file=sys.stderr)
      return 2
    t0 = time.monotonic()
    try:
      with Verifier(cfg) as verifier:
        results = verifier.verify_batch(tasks, [s['completion'] for s in samples])
    except (RuntimeError, sandbox.SandboxError) as e:  # no compiler, or the sandbox refused to start
      print(f'error: {e}', file=sys.stderr)
      return 1
    try:
      out.write({**s, **r} for s, r in zip(samples, results))
      out.commit()
    except OSError as e:  # disk full, quota, permissions changed under us
      print(f'error: {output}: cannot write: {e.strerror or e}', file=sys.stderr)
      return 1
  print(summary_table(results))
  print(f'isolation: {verifier.isolation} ({sandbox.DESCRIPTION[verifier.isolation]})')
  shown = output.encode('utf-8', 'backslashreplace').decode('utf-8')  # a path need not be UTF-8
  print(f'{len(results)} samples in {time.monotonic() - t0:.1f}s -> {shown}')
  return 0


def main(argv: Sequence[str]) -> int:
  from absl import app, flags
  from absl import logging as absl_logging

  absl_logging.set_verbosity(absl_logging.WARNING)  # stderr is for problems; the summary names the level
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  f = flags.FLAGS
  return cli(f.input, f.output, f.tasks or None, f.run_after_compile, f.num_workers, f.min_isolation,
             f.answer_credit)


if __name__ == '__main__':
  from absl import app, flags

  flags.DEFINE_string('input', None, 'samples JSONL: prompt_id|id, completion (or prompt, tests)', required=True)
  flags.DEFINE_string('output', None, 'rewards JSONL: the input fields + the result', required=True)
  flags.DEFINE_string('tasks', '', 'task JSONL (default: the built-in set)')
  flags.DEFINE_bool('run_after_compile', False, 'run the programs (the full reward ladder)')
  flags.DEFINE_integer('num_workers', 0, 'verifier processes (0: one per usable core)')
  flags.DEFINE_float('answer_credit', 0.0, 'share of a passed test for the right answer after extra text '
                     '(module docstring); also counts those tests per program')
  flags.DEFINE_enum('min_isolation', '', ('',) + sandbox.LEVELS,
                    "refuse to run below this sandbox level ('': the strongest this machine offers)")
  app.run(main)
