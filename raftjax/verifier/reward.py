"""The reward ladder: the one owner of the levels, the stages and how a program's runs are scored.
Pure Python, no I/O: selection, the report and the audit import it without the verifier's pool.

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

A crash, a timeout, a non-zero exit or output past the cap on any run keeps the compile reward (0.3 or
0.5): only a program that exits 0 every time gets 0.7 or more, and partial credit stays below 0.9, so
1.0 means all tests pass.

Output comparison: stdout is compared as bytes with the expected text encoded as UTF-8, after removing
trailing whitespace (space, tab, CR, VT, FF) from every line and then trailing empty lines, on both
sides. Leading whitespace, blank lines between lines and letter case all count. Invalid UTF-8 in the
output simply does not match.
"""

from raftjax.rows import Verdict

STAGES = (
  'no_code',
  'compile_error',
  'compile_timeout',
  'compiled_with_warnings',
  'compiled',
  'runtime_error',
  'timeout',
  'ran',
  'tests_failed',
  'correct',
  'error',
)
REWARD = {'compiled_with_warnings': 0.3, 'compiled': 0.5, 'ran': 0.7, 'correct': 1.0}
# The ladder's levels ('0.0', '0.3', '0.5', '0.7', '1.0'): what stats and reports count samples by.
LEVELS = tuple(f'{r:.1f}' for r in sorted({0.0, *REWARD.values()}))
RUNS = REWARD['ran']  # the lowest reward of a program that ran (exit 0 on every run)
CORRECT = REWARD['correct']


def level_of(reward: float) -> str:
  """The highest ladder level `reward` reached (partial test credit between 0.7 and 1.0 counts as 0.7)."""
  return max((lv for lv in LEVELS if reward >= float(lv)), key=float)


def verdict(stage: str, *, reward: float | None = None, compiler_output: str = '', **kw) -> Verdict:
  """A verifier result with the stage's ladder reward unless `reward` is given (partial credit)."""
  r = {
    'reward': REWARD.get(stage, 0.0) if reward is None else reward,
    'stage': stage,
    'compiler_output': compiler_output,
    'exit_code': None,
    'signal': None,
    'tests': [],
    'compile_s': 0.0,
    'run_s': 0.0,
    'detail': '',
  }
  r.update(kw)
  return r


def error_verdict(e: BaseException) -> Verdict:
  """The verifier itself failed on a program (not the program's fault): reward 0, and `detail` says why."""
  return verdict('error', detail=f'verifier error: {type(e).__name__}: {e}')


def partial_credit(passed: list[bool], answered: int, answer_credit: float) -> float:
  """The reward of a program that exited 0 on every test but got only some outputs right."""
  return round(RUNS + 0.2 * (sum(passed) + answer_credit * answered) / len(passed), 6)


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
  return bool(want) and actual.split()[-len(want) :] == want
