"""Grading one program: compile it with gcc in the sandbox, run it on its tests, score it on the ladder
(raftjax.verifier.reward).

C is compiled with gcc (never as C++), C++ (task "language": "cpp") with g++:
`<cc> -std=<std> <warning_flags> <extra_flags> -fdiagnostics-color=never main.<ext> -o prog -lm`, in
the sandbox (raftjax/verifier/sandbox.py) with LC_ALL=C so the 'warning:' marker is not translated.

With tests the program runs once per test with that test's stdin; testing stops at the first run that
fails (the remaining tests count as failed). Without tests it runs once with stdin from /dev/null and the
best reward is 0.7. A program is compiled once and run once per distinct test set (`grade_program`).

Isolation: `check_isolation` gives the strongest sandbox level this machine offers, and refuses to go on
below `verifier.min_isolation` ('ns' > 'uid' > 'pgrp'; '' = that level). Nothing is ever downgraded
silently: a run that cannot get the level fails (stage 'error').
"""

import dataclasses
import functools
import os
import shutil

from raftjax.rows import Verdict
from raftjax.sections import VerifierConfig
from raftjax.verifier import reward, sandbox, workdirs
from raftjax.verifier.extract import extract_code

COMPILER_OUTPUT_CHARS = 4000  # of gcc's diagnostics kept in a row
WORKDIR_PREFIX = 'raftjax-verify-'
_ENV_RUN = {'PATH': '/usr/local/bin:/usr/bin:/bin'}
_ENV_COMPILE = {**_ENV_RUN, 'LC_ALL': 'C'}


def verify(task: dict, completion: str, cfg: VerifierConfig) -> Verdict:
  """Verifies one sample in this process."""
  try:
    code = extract_code(completion)
    if code is None:
      return reward.verdict('no_code')
    return grade_program(code, task.get('language', 'c'), [task.get('tests') or []], cfg, root_spec(cfg))[0]
  except Exception as e:  # pylint: disable=broad-except
    return reward.error_verdict(e)


def root_spec(cfg: VerifierConfig) -> tuple[str, ...]:
  """The sandbox's minimal root for this config's compilers (`sandbox.toolchain_root`)."""
  return sandbox.toolchain_root((cfg.c_compiler, cfg.cpp_compiler))


@functools.cache
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
  return [
    _compiler_path(cc),
    f'-std={std}',
    *cfg.warning_flags,
    *cfg.extra_flags,
    '-fdiagnostics-color=never',
    src,
    '-o',
    'prog',
    '-lm',
  ], src


def grade_program(
  code: str, language: str, test_sets: list[list[dict]], cfg: VerifierConfig, root: tuple[str, ...]
) -> list[dict]:
  """Compiles `code` once and returns one result per test set (same order)."""
  argv, src = _compile_argv(language, cfg)
  workdir = workdirs.make_temp_dir(WORKDIR_PREFIX)  # named with our pid: whose, if left behind
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
        results.append(reward.error_verdict(e))
    return results
  finally:
    workdirs.remove_temp_dir(workdir)


def _compile(argv: list[str], workdir: str, cfg: VerifierConfig, root: tuple[str, ...]) -> Verdict:
  """gcc's verdict is its exit status, however long its output: that is read to the end, its head and tail
  kept (`Limits.kill_on_output_cap`), and a row keeps COMPILER_OUTPUT_CHARS of it, head and tail."""
  limits = sandbox.Limits(
    wall_s=cfg.compile_timeout_s,
    memory_mb=cfg.compile_memory_mb,
    file_size_mb=max(cfg.file_size_mb, 64),
    max_processes=cfg.max_processes,
    max_open_files=256,
    max_output_bytes=cfg.max_output_bytes,
    scratch_mb=cfg.scratch_mb,
    kill_on_output_cap=False,
  )
  out = sandbox.run(argv, workdir, limits, env=_ENV_COMPILE, root=root)
  stderr = (out.stderr + out.stdout).decode('utf-8', errors='replace')
  half = COMPILER_OUTPUT_CHARS // 2
  compiler_output = stderr if len(stderr) <= 2 * half else f'{stderr[:half]}\n[...]\n{stderr[-half:]}'
  common = dict(compiler_output=compiler_output, compile_s=round(out.wall_s, 4))
  if out.timed_out:
    return reward.verdict('compile_timeout', detail=f'gcc ran past {cfg.compile_timeout_s}s', **common)
  if out.exit_code != 0 or not os.path.exists(os.path.join(workdir, 'prog')):
    return reward.verdict('compile_error', **common)
  # Past the cap with exit status 0, all that output was diagnostics that are not errors: warnings.
  warned = 'warning:' in stderr or out.output_exceeded
  return reward.verdict('compiled_with_warnings' if warned else 'compiled', **common)


def _run_tests(
  prog: str, workdir: str, tests: list[dict], compiled: dict, cfg: VerifierConfig, root: tuple[str, ...]
) -> Verdict:
  """Runs the binary once per test (once on /dev/null without tests) and scores it."""
  limits = sandbox.Limits(
    wall_s=cfg.run_timeout_s,
    memory_mb=cfg.memory_mb,
    file_size_mb=cfg.file_size_mb,
    max_processes=cfg.max_processes,
    max_output_bytes=cfg.max_output_bytes,
    scratch_mb=cfg.scratch_mb,
  )
  passed, answered, run_s = [], 0, 0.0
  for test in tests or [None]:
    stdin = None if test is None else test.get('stdin', '').encode('utf-8')
    out = sandbox.run([prog], workdir, limits, stdin=stdin, env=_ENV_RUN, scratch=True, root=root)
    run_s += out.wall_s
    failure = _run_failure(out)
    if failure:
      return {
        **compiled,
        'stage': failure[0],
        'detail': failure[1],
        'exit_code': out.exit_code,
        'signal': out.signal,
        'run_s': round(run_s, 4),
        'tests': passed + [False] * (len(tests) - len(passed)),
      }
    if test is not None:
      passed.append(reward.outputs_match(out.stdout, test['stdout']))
      answered += bool(cfg.answer_credit) and not passed[-1] and reward.ends_with_answer(out.stdout, test['stdout'])
  common = dict(
    compiler_output=compiled['compiler_output'],
    compile_s=compiled['compile_s'],
    run_s=round(run_s, 4),
    exit_code=0,
    tests=passed,
  )
  if not tests:
    return reward.verdict('ran', **common)
  if all(passed):
    return reward.verdict('correct', **common)
  return reward.verdict(
    'tests_failed',
    reward=reward.partial_credit(passed, answered, cfg.answer_credit),
    detail=f'{sum(passed)}/{len(passed)} tests passed' + (f', {answered} more end with the answer' if answered else ''),
    **({'answered': answered} if cfg.answer_credit else {}),
    **common,
  )


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
      f'{required!r}, so no untrusted code is run. Refused here: {why}. At {level!r}: '
      f'{sandbox.DESCRIPTION[level]}. To run at {level!r} anyway, set verifier.min_isolation={level!r} '
      f'(--config.verifier.min_isolation={level}).'
    )
  return level


def check_toolchain(cfg: VerifierConfig) -> tuple[VerifierConfig, str]:
  """(the config with resolved compilers, the isolation level): resolve_compilers and check_isolation,
  then verifies a known-good program in the sandbox; raises one clear error."""
  cfg = resolve_compilers(cfg)
  sandbox.launcher(cfg.c_compiler)
  level = check_isolation(cfg)
  probe = {'id': 'probe', 'tests': [{'stdin': '2\n', 'stdout': '4\n'}]}
  code = (
    '#include <stdio.h>\nint main(void) { int x; if (scanf("%d", &x) != 1) return 1;\n'
    '  printf("%d\\n", x * 2); return 0; }\n'
  )
  probe_cfg = dataclasses.replace(cfg, run_after_compile=True)
  result = verify(probe, f'```c\n{code}```', probe_cfg)
  if result['stage'] != 'correct':
    raise RuntimeError(
      f'verifier: a known-good C program does not verify (stage {result["stage"]}): '
      f'{result["detail"]} {result["compiler_output"]}'
    )
  return cfg, level
