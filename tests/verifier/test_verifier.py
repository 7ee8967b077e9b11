"""The gcc verifier with the real compiler: extraction, the reward ladder, output comparison, the pool,
hostile programs (each must end with a reward and leave no process behind), and the CLI."""

import contextlib
import dataclasses
import glob
import importlib.util
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from raftjax import rundir
from raftjax.sections import VerifierConfig
from raftjax.tools import verify as verify_cli
from raftjax.verifier import extract, pool, reward, sandbox, workdirs
from raftjax.verifier import program as program_lib
from raftjax.verifier.pool import Verifier

import procs
from procs import assert_nothing_left, descendants, level_for_verify  # noqa: F401 (a fixture)

COMPILE = VerifierConfig()
RUN = VerifierConfig(run_after_compile=True, run_timeout_s=1.0, compile_timeout_s=5.0)
NS = procs.NS
LEVELS = procs.LEVELS
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

DOUBLE = (
  '#include <stdio.h>\nint main(void) { int x; if (scanf("%d", &x) != 1) return 1;\n'
  '  printf("%d\\n", 2 * x); return 0; }\n'
)
TESTS = [
  {'stdin': '3\n', 'stdout': '6\n'},
  {'stdin': '5\n', 'stdout': '10\n'},
  {'stdin': '-1\n', 'stdout': '-2\n'},
  {'stdin': '0\n', 'stdout': '0\n'},
]


def task(tests=None, language='c'):
  return {'id': 't', 'prompt': 'p', 'tests': tests or [], 'language': language}


def fenced(code, tag='c'):
  return f'Here you go:\n```{tag}\n{code}```\nThis program reads a number.'


# ---------------------------------------------------------------------------------- extraction


@pytest.mark.parametrize(
  'completion',
  [
    '```c\nCODE```',
    '```C\nCODE```',
    '```cpp\nCODE```',
    '```c++\nCODE```',
    '```\nCODE```',
    '``` c\nCODE```',
    'Sure! Here is the program:\n\n```c\nCODE```\n\nIt prints the answer.',
    '```c\nCODE',  # truncated generation: no closing fence
    'CODE```\n\nThis program uses printf to print.',  # SmolLM2: no opening fence
    'Here is the code:\nCODE```\nIt prints.',
    'The code: ```c\nCODE```',  # fence in mid-line
    'CODE',  # bare code
    '```\nc\nCODE```',  # tag on its own line
    '```c\nint helper(void);\n```\nthen\n```c\nCODE```',  # the block with main wins
    '```c\nCODE```\nExample:\n```\n$ ./a.out\n6\n```',
  ],
  ids=lambda c: c[:30],
)
def test_extract_code(completion):
  code = '#include <stdio.h>\nint main(void) {\n  return 0;\n}\n'
  assert extract.extract_code(completion.replace('CODE', code)) == code


def test_extract_code_bare_code_after_prose():
  code = '#include <stdio.h>\nint main(void) { return 0; }\n'
  assert extract.extract_code('Here is the code:\n' + code) == code


@pytest.mark.parametrize(
  'completion', ['', '   \n', 'I cannot write that program.', '```c\n```', '```\n\n```\nno code']
)
def test_extract_code_none(completion):
  assert extract.extract_code(completion) is None


def test_extract_without_main_takes_longest_block():
  assert (
    extract.extract_code('```c\nint a;\n```\n```c\nint bb(void) { return 1; }\n```') == 'int bb(void) { return 1; }\n'
  )


MAIN = 'int main(void) { return 0; }\n'
ADVERSARIAL = {  # each took the old, quadratic extraction tens of seconds or more
  'blank_lines': '\n' * 100_000 + MAIN,
  'blank_lines_before_include': '\n' * 100_000 + '#include <stdio.h>\n' + MAIN,
  'space_lines': ' \n' * 1_000_000,
  'unterminated_fences': '```\n' * 500_001 + MAIN,
  'open_fence_then_10mb': '```c\n' + MAIN * 400_000,
  'ten_mb_one_line': 'x' * 10_000_000,
  'mains_and_blanks': ('main' + ' ' * 1000 + '\n') * 10_000,
}


@pytest.mark.parametrize('name', ADVERSARIAL)
def test_extraction_is_linear_on_adversarial_completions(name):
  completion = ADVERSARIAL[name]
  t0 = time.perf_counter()
  code = extract.extract_code(completion)
  # Measured 2-260 ms each here (the bound is EXTRACT_MAX_CHARS characters, and one pass over them).
  assert time.perf_counter() - t0 < 5.0
  if code is not None:
    assert len(code) <= extract.EXTRACT_MAX_CHARS + 1


def test_extraction_looks_only_at_the_first_characters():
  pad = 'x' * (extract.EXTRACT_MAX_CHARS - 4)
  assert extract.extract_code(pad + '\n' + MAIN) is None  # main is past the bound
  assert extract.extract_code(MAIN + pad) is not None


# ------------------------------------------------------------------------------- reward ladder

LADDER = [
  # (config, completion, tests, expected stage, expected reward)
  (RUN, 'No code today.', TESTS, 'no_code', 0.0),
  (RUN, fenced('int main(void) { return x; }\n'), TESTS, 'compile_error', 0.0),
  (RUN, fenced('int helper(void) { return 0; }\n'), TESTS, 'compile_error', 0.0),  # no main
  (COMPILE, fenced('int main(void) { int unused; return 0; }\n'), [], 'compiled_with_warnings', 0.3),
  (COMPILE, fenced(DOUBLE), TESTS, 'compiled', 0.5),
  (RUN, fenced('int main(void) { return 0; }\n'), [], 'ran', 0.7),
  (RUN, fenced(DOUBLE), TESTS, 'correct', 1.0),
  (
    RUN,
    fenced('#include <stdio.h>\nint main(void) { puts("6"); return 0; }\n'),
    TESTS,
    'tests_failed',
    0.75,
  ),  # 1 of 4: 0.7 + 0.2 / 4
  (RUN, fenced('#include <stdio.h>\nint main(void) { puts("nope"); return 0; }\n'), TESTS, 'tests_failed', 0.7),
  (RUN, fenced('int main(void) { return 3; }\n'), TESTS, 'runtime_error', 0.5),
  (RUN, fenced('int main(void) { int unused; return 3; }\n'), [], 'runtime_error', 0.3),
  (RUN, fenced('int main(void) { int *p = 0; return *p; }\n'), [], 'runtime_error', 0.5),
  (RUN, fenced('#include <stdlib.h>\nint main(void) { abort(); }\n'), [], 'runtime_error', 0.5),
  (RUN, fenced('int main(void) { for (;;) {} }\n'), TESTS, 'timeout', 0.5),
]


@pytest.mark.parametrize(
  'cfg,completion,tests,stage,reward', LADDER, ids=[f'{s}-{i}' for i, (_, _, _, s, _) in enumerate(LADDER)]
)
def test_reward_ladder(cfg, completion, tests, stage, reward):
  r = program_lib.verify(task(tests), completion, cfg)
  assert (r['stage'], r['reward']) == (stage, pytest.approx(reward)), r
  assert set(r) >= {'reward', 'stage', 'compiler_output', 'exit_code', 'signal', 'tests', 'compile_s', 'run_s'}
  json.dumps(r)


# A file that includes itself twice at each of 40 levels: 2**40 includes, so gcc never finishes, in a few MB
# (a macro that expands to 2**40 tokens also never finishes, but exhausts cc1's 2 GiB within ~10 s).
SLOW_COMPILE = """#if __INCLUDE_LEVEL__ < 40
#include __FILE__
#include __FILE__
#endif
#if __INCLUDE_LEVEL__ == 0
int main(void) { return 0; }
#endif
"""


def test_compile_timeout():
  cfg = dataclasses.replace(RUN, compile_timeout_s=1.0)
  r = program_lib.verify(task(), fenced(SLOW_COMPILE), cfg)
  assert (r['stage'], r['reward']) == ('compile_timeout', 0.0)


def test_result_details():
  r = program_lib.verify(task(TESTS), fenced('#include <stdio.h>\nint main(void) { puts("6"); return 0; }\n'), RUN)
  assert r['tests'] == [True, False, False, False] and r['exit_code'] == 0 and r['run_s'] > 0
  r = program_lib.verify(task(TESTS), fenced('int main(void) { int *p = 0; return *p; }\n'), RUN)
  assert (r['signal'], r['exit_code']) == (11, None)
  assert r['tests'] == [False] * 4  # stopped at the first failing run
  r = program_lib.verify(task(), fenced('int main(void) { int unused; return 0; }\n'), COMPILE)
  assert 'warning:' in r['compiler_output'] and 'unused' in r['compiler_output']


def test_partial_credit_never_reaches_one():
  tests = TESTS + [{'stdin': '7\n', 'stdout': 'fourteen\n'}]
  r = program_lib.verify(task(tests), fenced(DOUBLE), RUN)
  assert r['stage'] == 'tests_failed' and r['reward'] == pytest.approx(0.7 + 0.2 * 4 / 5)
  assert r['reward'] < 0.9


@pytest.mark.parametrize(
  'actual, expected, ends',
  [
    (b'Enter a number: 10\n', '10\n', True),
    (b'The sum is\n  10  \n\n', '10\n', True),
    (b'3 4\n', '3\n4\n', True),  # tokens, not lines
    (b'10 is the answer\n', '10\n', False),
    (b'110\n', '10\n', False),  # whole tokens only
    (b'Enter: \n', '\n', False),  # an empty expected output is never "ended with"
  ],
)
def test_ends_with_answer(actual, expected, ends):
  assert reward.ends_with_answer(actual, expected) is ends


def test_answer_credit_rewards_the_answer_after_a_prompt_below_a_match():
  prompt = DOUBLE.replace('int x;', 'int x; printf("Enter a number: ");')
  tests = TESTS + [{'stdin': '7\n', 'stdout': 'fourteen\n'}]
  credit = dataclasses.replace(RUN, answer_credit=0.5)
  r = program_lib.verify(task(tests), fenced(prompt), credit)  # 4 answers after a prompt, 1 wrong
  assert r['stage'] == 'tests_failed' and r['reward'] == pytest.approx(0.7 + 0.2 * 0.5 * 4 / 5)
  assert '4 more end with the answer' in r['detail']
  assert program_lib.verify(task(tests), fenced(prompt), RUN)['reward'] == 0.7  # off by default: as before
  r = program_lib.verify(task(tests), fenced(DOUBLE), credit)  # 4 exact, 1 wrong: exact tests keep full credit
  assert r['reward'] == pytest.approx(0.7 + 0.2 * 4 / 5) and r['reward'] < 0.9
  assert program_lib.verify(task(TESTS), fenced(DOUBLE), credit)['reward'] == 1.0
  wrong = DOUBLE.replace('2 * x', '3 * x')
  assert program_lib.verify(task(TESTS), fenced(wrong), credit)['reward'] == pytest.approx(0.7 + 0.2 * 1 / 4)  # 0 -> 0
  with pytest.raises(ValueError, match='answer_credit'):
    VerifierConfig(answer_credit=1.0)


def test_crash_on_one_test_keeps_the_compile_reward():
  code = (
    '#include <stdio.h>\nint main(void) { int x; scanf("%d", &x);\n'
    '  if (x == 5) { int *p = 0; return *p; } printf("%d\\n", 2 * x); return 0; }\n'
  )
  r = program_lib.verify(task(TESTS), fenced(code), RUN)
  assert (r['stage'], r['reward'], r['tests']) == ('runtime_error', 0.5, [True, False, False, False])


def test_c_is_compiled_as_c_and_cpp_with_gxx():
  c_only = (
    '#include <stdio.h>\n#include <stdlib.h>\nint main(void) { int class = 6;\n'
    '  int *p = malloc(sizeof *p); *p = class; printf("%d\\n", *p); free(p); return 0; }\n'
  )
  assert program_lib.verify(task([TESTS[0]]), fenced(c_only), RUN)['stage'] == 'correct'
  assert program_lib.verify(task([TESTS[0]], 'cpp'), fenced(c_only, 'cpp'), RUN)['stage'] == 'compile_error'
  cpp = '#include <iostream>\nint main() { int x; std::cin >> x; std::cout << 2 * x << "\\n"; }\n'
  assert program_lib.verify(task(TESTS, 'cpp'), fenced(cpp, 'cpp'), RUN)['stage'] == 'correct'
  assert program_lib.verify(task(TESTS), fenced(cpp, 'cpp'), RUN)['stage'] == 'compile_error'


def test_std_and_flags_come_from_the_config():
  code = 'int main(void) { int typeof = 0; return typeof; }\n'  # a keyword in C23 only
  assert program_lib.verify(task(), fenced(code), COMPILE)['stage'] == 'compiled'
  gnu = dataclasses.replace(COMPILE, c_std='gnu11')
  assert program_lib.verify(task(), fenced(code), gnu)['stage'] == 'compile_error'
  assert (
    program_lib.verify(
      task(), fenced('int main(void) { int u; return 0; }\n'), dataclasses.replace(COMPILE, warning_flags=())
    )['stage']
    == 'compiled'
  )


# -------------------------------------------------------------------------- output comparison


@pytest.mark.parametrize(
  'actual,expected,match',
  [
    (b'6\n', '6\n', True),
    (b'6', '6\n', True),  # missing final newline
    (b'6\n\n\n', '6\n', True),  # trailing newlines
    (b'6  \t\n', '6\n', True),  # trailing whitespace on a line
    (b'6\r\n7\r\n', '6\n7\n', True),  # CRLF
    (b'a b \nc\n', 'a b\nc  \n', True),
    (b' 6\n', '6\n', False),  # leading whitespace counts
    (b'6\n\n7\n', '6\n7\n', False),  # inner blank lines count
    (b'Hello\n', 'hello\n', False),  # case counts
    (b'6 7\n', '6\n7\n', False),
    (b'', '\n', True),
    (b'caf\xc3\xa9\n', 'café\n', True),
    (b'caf\xe9\n', 'café\n', False),  # invalid UTF-8 just does not match
  ],
)
def test_outputs_match(actual, expected, match):
  assert reward.outputs_match(actual, expected) is match


def test_stdout_comparison_end_to_end():
  code = '#include <stdio.h>\nint main(void) { printf("6   \\r\\n\\n\\n"); return 0; }\n'
  assert program_lib.verify(task([TESTS[0]]), fenced(code), RUN)['stage'] == 'correct'


# ---------------------------------------------------------------------------------- hostile


@pytest.fixture
def watch(monkeypatch):
  """Records every sandbox outcome of in-process verification, for the process-table check."""
  outcomes, real_run = [], sandbox.run

  def recording_run(*args, **kw):
    outcomes.append(real_run(*args, **kw))
    return outcomes[-1]

  monkeypatch.setattr(sandbox, 'run', recording_run)
  return outcomes


def verify_hostile(watch, code, tests=None, cfg=RUN, bound_s=4.0, level=None):
  t0 = time.monotonic()
  r = program_lib.verify(task(tests), fenced(code), cfg)
  assert time.monotonic() - t0 < bound_s
  assert_nothing_left(*watch)
  assert isinstance(r['reward'], float) and r['stage'] in reward.STAGES and r['stage'] != 'error', r
  return r


HOSTILE = {
  'fork_bomb': '#include <unistd.h>\nint main(void) { for (;;) fork(); }\n',
  'fork_bomb_sleepers': '#include <unistd.h>\nint main(void) { for (;;) if (fork() == 0) pause(); }\n',
  'infinite_loop': 'int main(void) { volatile unsigned long i = 0; for (;;) i++; }\n',
  'sleep_ignoring_sigterm': '#include <signal.h>\n#include <unistd.h>\n'
  'int main(void) { signal(SIGTERM, SIG_IGN); signal(SIGHUP, SIG_IGN);\n'
  '  for (;;) sleep(100); }\n',
  'malloc_bomb': '#include <stdlib.h>\n#include <string.h>\n'
  'int main(void) { for (;;) { char *p = malloc(1 << 20); if (!p) return 3;\n'
  '  memset(p, 1, 1 << 20); } }\n',
  'stdout_1gb': '#include <stdio.h>\n#include <string.h>\nstatic char b[1 << 16];\n'
  'int main(void) { memset(b, 65, sizeof b);\n'
  '  for (int i = 0; i < 16384; i++) fwrite(b, 1, sizeof b, stdout); return 0; }\n',
  'file_1gb': '#include <stdio.h>\nstatic char b[1 << 16];\n'
  'int main(void) { FILE *f = fopen("big.bin", "w"); if (!f) return 2;\n'
  '  for (int i = 0; i < 16384; i++) fwrite(b, 1, sizeof b, f); return 0; }\n',
  'double_fork_daemon': '#include <stdio.h>\n#include <signal.h>\n#include <unistd.h>\n'
  'int main(void) { if (fork() == 0) { setsid(); if (fork() == 0) {\n'
  '  signal(SIGTERM, SIG_IGN); signal(SIGHUP, SIG_IGN); for (;;) sleep(1); }\n'
  '  return 0; } puts("6"); return 0; }\n',
  'close_stdout': '#include <stdio.h>\n#include <unistd.h>\nint main(void) { close(1); printf("6\\n"); return 0; }\n',
  'invalid_utf8': '#include <stdio.h>\nint main(void) { printf("\\xff\\xfe\\xc3(\\n"); return 0; }\n',
  'kill_everything': '#define _POSIX_C_SOURCE 200809L\n#include <signal.h>\n'
  'int main(void) { kill(-1, SIGKILL); return 0; }\n',
  # Each of these prints 6 (the test's answer) only when its attack fails.
  'kill_launcher': '#define _POSIX_C_SOURCE 200809L\n#include <signal.h>\n#include <stdio.h>\n'
  '#include <unistd.h>\nint main(void) { kill(getppid(), SIGKILL); kill(-getppid(), SIGKILL);\n'
  '  puts("6"); return 0; }\n',
  'docker_socket': '#include <stdio.h>\n#include <string.h>\n#include <sys/socket.h>\n#include <sys/un.h>\n'
  'int main(void) { struct sockaddr_un a = {.sun_family = AF_UNIX};\n'
  '  strcpy(a.sun_path, "/run/docker.sock"); int s = socket(AF_UNIX, SOCK_STREAM, 0);\n'
  '  puts(s >= 0 && !connect(s, (struct sockaddr *)&a, sizeof a) ? "open" : "6"); return 0; }\n',
  'nested_namespaces': '#define _GNU_SOURCE\n#include <sched.h>\n#include <stdio.h>\n'
  'int main(void) { puts(unshare(CLONE_NEWUSER | CLONE_NEWNS) ? "6" : "nested"); }\n',
  'mount': '#include <stdio.h>\n#include <sys/mount.h>\n'
  'int main(void) { puts(mount("x", "/tmp", "tmpfs", 0, 0) ? "6" : "mounted"); }\n',
  'ptrace_parent': '#include <stdio.h>\n#include <sys/ptrace.h>\n#include <unistd.h>\n'
  'int main(void) { puts(ptrace(PTRACE_ATTACH, getppid(), 0, 0) ? "6" : "traced"); }\n',
}
EXPECTED = {  # stage: all of these must end with a reward below 0.7 unless they exit 0 in time
  'fork_bomb': ('timeout', 'runtime_error'),
  'fork_bomb_sleepers': ('timeout', 'runtime_error'),
  'infinite_loop': ('timeout',),
  'sleep_ignoring_sigterm': ('timeout',),
  # a loaded machine may stretch these past the 1 s limit: same reward either way
  'malloc_bomb': ('runtime_error', 'timeout'),
  'stdout_1gb': ('runtime_error',),
  'file_1gb': ('runtime_error', 'timeout'),
  'double_fork_daemon': ('tests_failed', 'correct'),
  'close_stdout': ('tests_failed',),
  'invalid_utf8': ('tests_failed',),
  'kill_everything': ('tests_failed',),  # kill(-1) spares the caller; it reaches nothing else
  'kill_launcher': ('correct',),
  'docker_socket': ('correct',),
  'nested_namespaces': ('correct',),
  'mount': ('correct',),
  'ptrace_parent': ('correct',),
}


@pytest.mark.parametrize('level_for_verify', LEVELS, indirect=True)
@pytest.mark.parametrize('name', HOSTILE)
def test_hostile_program(watch, name, level_for_verify):
  r = verify_hostile(watch, HOSTILE[name], [TESTS[0]])
  assert {o.isolation for o in watch} == {level_for_verify}
  assert r['stage'] in EXPECTED[name], r
  if r['stage'] in ('timeout', 'runtime_error'):
    assert r['reward'] in (0.3, 0.5)  # its compile reward, never 0.7
  else:
    assert r['reward'] >= 0.7
  if name == 'stdout_1gb':
    assert r['detail'] == 'output past the cap'
  if name == 'file_1gb' and r['stage'] == 'runtime_error':
    assert r['signal'] == 25  # SIGXFSZ


def test_hostile_writes_outside_its_directory(watch, request):
  shared = tempfile.mkdtemp()
  request.addfinalizer(lambda: shutil.rmtree(shared))
  os.chmod(shared, 0o777)  # world-writable: only the sandbox can stop the write
  name = f'raftjax-escape-{os.getpid()}'
  code = (
    '#include <stdio.h>\nint main(void) {\n'
    f'  FILE *a = fopen("/tmp/{name}", "w"), *b = fopen("{shared}/{name}", "w");\n'
    f'  FILE *c = fopen("{os.getcwd()}/{name}", "w"), *d = fopen("../{name}", "w");\n'
    '  printf("%d\\n", (a != 0) + (b != 0) + (c != 0) + (d != 0)); return 0; }\n'
  )
  r = verify_hostile(watch, code, [{'stdin': '', 'stdout': '1\n' if NS else '0\n'}])
  assert r['stage'] == 'correct'  # with namespaces only the private /tmp is writable
  for path in (f'/tmp/{name}', f'{shared}/{name}', f'{os.getcwd()}/{name}'):
    assert not os.path.exists(path)


@pytest.mark.parametrize('level_for_verify', LEVELS, indirect=True)
def test_hostile_reads_parent_environment(watch, monkeypatch, level_for_verify):  # pylint: disable=unused-argument
  monkeypatch.setenv('RAFTJAX_TEST_SECRET', 'hunter2')
  code = r"""#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
  const char *s = getenv("RAFTJAX_TEST_SECRET");
  int found = 0; DIR *d = opendir("/proc"); struct dirent *e; char path[300], buf[65536];
  while (d && (e = readdir(d))) {
    snprintf(path, sizeof path, "/proc/%s/environ", e->d_name);
    FILE *f = fopen(path, "r"); if (!f) continue;
    size_t n = fread(buf, 1, sizeof buf - 1, f); fclose(f);
    for (size_t i = 0; i + 7 <= n; i++) if (!memcmp(buf + i, "hunter2", 7)) found = 1;
  }
  printf("%s %s\n", s ? s : "none", found ? "found" : "clean"); return 0; }
"""
  r = verify_hostile(watch, code, [{'stdin': '', 'stdout': 'none clean\n'}])
  assert r['stage'] == 'correct', r


@pytest.mark.parametrize('level_for_verify', LEVELS, indirect=True)
def test_hostile_network(watch, level_for_verify):  # pylint: disable=unused-argument
  with socket.socket() as server:
    server.bind(('127.0.0.1', 0))
    server.listen()
    server.setblocking(False)
    code = (
      '#include <arpa/inet.h>\n#include <stdio.h>\n#include <sys/socket.h>\n'
      'int main(void) { struct sockaddr_in a = {.sin_family = AF_INET, '
      f'.sin_port = htons({server.getsockname()[1]})}};\n'
      '  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr); int s = socket(AF_INET, SOCK_STREAM, 0);\n'
      '  puts(connect(s, (struct sockaddr *)&a, sizeof a) ? "blocked" : "connected"); return 0; }\n'
    )
    r = verify_hostile(watch, code, [{'stdin': '', 'stdout': 'blocked\n'}])
    assert r['stage'] == 'correct'  # no socket at all (seccomp), and at 'ns' no route either
    with pytest.raises(BlockingIOError):
      server.accept()


@pytest.mark.parametrize('level_for_verify', LEVELS, indirect=True)
def test_hostile_compile_time_reads(watch, tmp_path, monkeypatch, level_for_verify):  # pylint: disable=unused-argument
  monkeypatch.setenv('RAFTJAX_TEST_SECRET', 'TOPSECRET-env')
  secret = tmp_path / 'secret.h'
  secret.write_text('#error TOPSECRET-file\n')
  secret.chmod(0o600)
  cfg = dataclasses.replace(RUN, compile_timeout_s=3.0)
  for include in ('/dev/zero', str(secret), '/etc/shadow', '/proc/self/environ'):
    r = verify_hostile(watch, f'#include "{include}"\nint main(void) {{ return 0; }}\n', cfg=cfg)
    assert 'TOPSECRET' not in r['compiler_output']
    if include != '/proc/self/environ':  # that one reads as empty: gcc trusts st_size 0
      assert r['stage'] in ('compile_error', 'compile_timeout') and r['reward'] == 0.0


def test_hostile_megabyte_of_source(watch):
  code = (
    '#include <stdio.h>\nstatic const int a[] = {'
    + ','.join(str(i % 1000) for i in range(260000))
    + '};\nint main(void) { printf("%d\\n", a[6]); return 0; }\n'
  )
  assert len(code) > 1_000_000
  r = verify_hostile(watch, code, [TESTS[0]], bound_s=RUN.compile_timeout_s + 2)
  assert r['stage'] in ('correct', 'compile_timeout')


# ------------------------------------------------------------------------------------- pool


@pytest.fixture(scope='module')
def verifier():
  with Verifier(dataclasses.replace(RUN, num_workers=2)) as v:
    yield v


def program(i):
  return fenced(f'#include <stdio.h>\nint main(void) {{ printf("%d\\n", {i}); return 0; }}\n')


def test_pool_preserves_order(verifier):
  tasks = [task([{'stdin': '', 'stdout': f'{i}\n'}]) for i in range(12)]
  completions = [program(i) for i in range(12)]
  completions[3], completions[7] = 'no code', fenced('int main(void) { return 1; }\n')
  stages = [r['stage'] for r in verifier.verify_batch(tasks, completions)]
  assert stages == ['correct'] * 3 + ['no_code'] + ['correct'] * 3 + ['runtime_error'] + ['correct'] * 4


def test_pool_is_exception_safe(verifier):
  tasks = [
    task([TESTS[0]]),
    {'id': 'bad', 'tests': [{'stdin': 5, 'stdout': '6\n'}]},
    task([TESTS[0]]),
    {'id': 'bad-language', 'language': 'cobol'},
    task([TESTS[0]]),
  ]
  completions = [fenced(DOUBLE), fenced(DOUBLE + '\n'), None, fenced(DOUBLE), fenced(DOUBLE)]
  results = verifier.verify_batch(tasks, completions)
  assert [r['stage'] for r in results] == ['correct', 'error', 'error', 'error', 'correct']
  assert all(r['reward'] == 0.0 for r in results[1:4]) and 'verifier error' in results[1]['detail']


def test_pool_dedups_identical_programs(verifier):
  other = [{'stdin': '4\n', 'stdout': '8\n'}]
  tasks = [task(TESTS)] * 6 + [task(other)] * 2 + [task(TESTS, 'cpp')]
  completions = [fenced(DOUBLE)] * 8 + [fenced(DOUBLE)]
  pending = verifier.submit(tasks, completions)
  assert len(pending._groups) == 2  # (c, code) with two test sets, (cpp, code)
  assert len(pending._groups[0].members) == 2
  results = pending.get()
  assert [r['stage'] for r in results] == ['correct'] * 9
  assert results[0] is not results[1]


def test_config_can_change_between_batches(verifier):
  """Each batch may bring its own config (a cycle's overrides); the verifier's own stays as it was."""
  saved = verifier.cfg
  compile_only = dataclasses.replace(saved, run_after_compile=False, c_compiler='gcc')
  assert verifier.verify_batch([task(TESTS)], [fenced(DOUBLE)], compile_only)[0]['stage'] == 'compiled'
  assert verifier.cfg is saved and os.path.isabs(verifier.cfg.c_compiler)
  assert verifier.verify_batch([task(TESTS)], [fenced(DOUBLE)])[0]['stage'] == 'correct'


def test_submit_overlaps(verifier):
  pending = verifier.submit([task()], [fenced('#include <unistd.h>\nint main(void) { usleep(300000); }\n')])
  t0 = time.monotonic()
  assert not pending.done() and time.monotonic() - t0 < 0.1
  assert pending.get()[0]['stage'] == 'ran'
  assert pending.done()


def _remove_work_dirs_of(pids):
  for pid in pids:  # a killed worker could not remove its work dir
    for left in glob.glob(os.path.join(tempfile.gettempdir(), f'raftjax-verify-{pid}-*')):
      shutil.rmtree(left)


def test_a_dead_workers_programs_are_graded_again():
  """kill -9 of a worker mid-batch: every program is still graded (on a fresh pool), none scored 0."""
  sleeper = '#include <unistd.h>\n#include <stdio.h>\nint main(void) {{ usleep(100000); printf("%d\\n", {}); }}\n'
  with Verifier(dataclasses.replace(RUN, num_workers=2)) as v:
    pending = v.submit([task()] * 40, [fenced(sleeper.format(i)) for i in range(40)])
    time.sleep(0.5)
    killed = v.worker_pids()[:1]
    os.kill(killed[0], signal.SIGKILL)
    assert [r['stage'] for r in pending.get()] == ['ran'] * 40
    _remove_work_dirs_of(killed)
    assert v.verify_batch([task(TESTS)], [fenced(DOUBLE)])[0]['stage'] == 'correct'


def test_workers_that_keep_dying_stop_the_batch_naming_its_samples():
  sleeper = '#include <unistd.h>\nint main(void) { usleep(300000); }\n'
  killed, stop = set(), threading.Event()
  with Verifier(dataclasses.replace(RUN, num_workers=1)) as v:

    def kill_every_worker():  # whatever worker holds the program, every time
      while not stop.wait(0.05):
        for pid in v.worker_pids():
          killed.add(pid)
          with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

    pending = v.submit([dict(task(), id='slow')], [fenced(sleeper)])
    killer = threading.Thread(target=kill_every_worker, daemon=True)
    killer.start()
    try:
      with pytest.raises(
        pool.VerifierError,
        match=r'3 worker processes died grading the program of samples \[0\] '
        r"\(tasks \['slow'\]\).*rather than score them 0",
      ):
        pending.get(timeout=60)
    finally:
      stop.set()
      killer.join()
  _remove_work_dirs_of(killed)


def test_speed_after_hostile_batch(verifier):
  normal_tasks = [task(TESTS) for _ in range(8)]
  normal = [fenced(DOUBLE.replace('2 * x', f'2 * x + {i} - {i}')) for i in range(8)]

  def timed():
    t0 = time.monotonic()
    results = verifier.verify_batch(normal_tasks, normal)
    assert [r['stage'] for r in results] == ['correct'] * 8
    return time.monotonic() - t0

  baseline = min(timed(), timed())
  results = verifier.verify_batch([task([TESTS[0]])] * len(HOSTILE), list(map(fenced, HOSTILE.values())))
  assert {n: r['stage'] for n, r in zip(HOSTILE, results) if r['stage'] not in EXPECTED[n]} == {}
  assert descendants() == []
  assert timed() < 2 * baseline + 0.5


# ------------------------------------------------------------------------------ start-up, CLI


def test_missing_compiler_is_one_clear_error():
  t0 = time.monotonic()
  with pytest.raises(RuntimeError, match='compiler .*not found'):
    Verifier(dataclasses.replace(RUN, c_compiler='/nonexistent/gcc'))
  assert time.monotonic() - t0 < 1.0


def test_config_matches_the_project_config():
  path = os.path.join(os.path.dirname(__file__), '..', '..', 'configs', 'raft.py')
  spec = importlib.util.spec_from_file_location('raft_config', path)
  raft = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(raft)
  cfg = VerifierConfig(**raft.get_config().verifier)
  assert cfg.warning_flags == ('-Wall', '-Wextra') and cfg.c_std == 'c11'
  with pytest.raises(ValueError):
    VerifierConfig(type='clang')


def write_jsonl(path, rows):
  path.write_text(''.join(json.dumps(r) + '\n' for r in rows))
  return str(path)


def test_cli_inline_samples(tmp_path, capsys):
  samples = write_jsonl(
    tmp_path / 's.jsonl',
    [
      {'prompt': 'double it', 'completion': fenced(DOUBLE), 'tests': TESTS, 'extra': 1},
      {'prompt': 'double it', 'completion': 'no code', 'tests': TESTS},
    ],
  )
  out = tmp_path / 'r.jsonl'
  assert verify_cli.grade_file(samples, str(out), None, VerifierConfig(run_after_compile=True, num_workers=1)) == 0
  rows = [json.loads(line) for line in out.read_text().splitlines()]
  assert [r['stage'] for r in rows] == ['correct', 'no_code']
  assert rows[0]['extra'] == 1 and rows[0]['tests'] == [True] * 4 and rows[0]['reward'] == 1.0
  table = capsys.readouterr().out
  assert 'correct' in table and 'no_code' in table and 'mean reward 0.500' in table


def test_cli_answer_credit_counts_the_answers_after_extra_text(tmp_path, capsys):
  prompted = DOUBLE.replace('int x;', 'int x; printf("Enter a number: ");')
  samples = write_jsonl(
    tmp_path / 's.jsonl',
    [
      {'prompt': 'double it', 'completion': fenced(c), 'tests': TESTS}
      for c in (prompted, DOUBLE.replace('2 * x', '3 * x'), DOUBLE)
    ],
  )
  out = tmp_path / 'r.jsonl'
  assert (
    verify_cli.grade_file(
      samples, str(out), None, VerifierConfig(run_after_compile=True, num_workers=1, answer_credit=0.5)
    )
    == 0
  )
  rows = [json.loads(line) for line in out.read_text().splitlines()]
  assert [(r['stage'], r.get('answered')) for r in rows] == [
    ('tests_failed', 4),
    ('tests_failed', 0),
    ('correct', None),
  ]
  assert rows[0]['reward'] == pytest.approx(0.7 + 0.2 * 0.5)
  assert 'of the 2 tests_failed, 1 print every answer after extra text' in capsys.readouterr().out
  assert (
    verify_cli.grade_file(samples, str(out), None, VerifierConfig(run_after_compile=True, num_workers=1)) == 0
  )  # off: no count, as before
  assert all('answered' not in json.loads(line) for line in out.read_text().splitlines())
  assert 'extra text' not in capsys.readouterr().out
  proc = subprocess.run(
    [
      sys.executable,
      '-m',
      'raftjax.tools.verify',
      f'--input={samples}',
      f'--output={tmp_path}/x.jsonl',
      '--config.verifier.answer_credit=1.0',
    ],
    cwd=REPO,
    capture_output=True,
    text=True,
    timeout=120,
  )
  assert proc.returncode == 2 and 'answer_credit' in proc.stderr, proc.stderr
  assert len(proc.stderr.strip().splitlines()) == 1 and not (tmp_path / 'x.jsonl').exists()


def test_cli_with_task_file(tmp_path):
  tasks = write_jsonl(tmp_path / 't.jsonl', [{'id': 'dbl', 'prompt': 'double', 'tests': TESTS}])
  samples = write_jsonl(
    tmp_path / 's.jsonl', [{'prompt_id': 'dbl', 'completion': fenced(DOUBLE)}, {'id': 'dbl', 'completion': 'nothing'}]
  )
  out = tmp_path / 'r.jsonl'
  assert verify_cli.grade_file(samples, str(out), tasks, VerifierConfig(num_workers=1)) == 0
  assert [json.loads(line)['stage'] for line in out.read_text().splitlines()] == ['compiled', 'no_code']


@pytest.mark.parametrize(
  'bad_line,message',
  [
    ('{"prompt_id": "dbl", "completion": "x"', 'malformed JSON'),
    ('[1, 2]', 'string "completion"'),
    ('{"prompt_id": "nope", "completion": "x"}', "unknown task id 'nope'"),
    ('{"completion": "x"}', 'needs "prompt_id"'),
    ('{"prompt": "p", "completion": "x", "tests": [{"stdin": 1}]}', '"tests" must be'),
    ('{"prompt": "p", "completion": "x", "tests": {}}', '"tests" must be a list'),
    ('{"prompt": "p", "completion": "x", "tests": false}', '"tests" must be a list'),
    ('{"prompt": "p", "completion": "x", "tests": null}', '"tests" must be a list'),
    ('{"prompt": "p", "completion": "x", "language": "cobol"}', '"language" must be one of'),
    ('{"prompt": "p", "completion": "caf\xe9"}', 'not valid UTF-8'),
  ],
)
def test_cli_malformed_input_names_file_and_line(tmp_path, capsys, bad_line, message):
  tasks = write_jsonl(tmp_path / 't.jsonl', [{'id': 'dbl', 'prompt': 'double'}])
  samples = tmp_path / 's.jsonl'
  samples.write_bytes(
    (json.dumps({'prompt_id': 'dbl', 'completion': 'x'}) + '\n' + bad_line + '\n')
    .encode('utf-8', errors='surrogateescape')
    .replace(b'\xc3\xa9', b'\xe9')
  )
  out = tmp_path / 'r.jsonl'
  assert verify_cli.grade_file(str(samples), str(out), tasks, VerifierConfig()) == 2
  err = capsys.readouterr().err
  assert f'{samples}:2:' in err and message in err
  assert sorted(os.listdir(tmp_path)) == ['s.jsonl', 't.jsonl']  # nothing half-written


def test_cli_writes_any_string_and_reports_the_isolation(tmp_path, capsys):
  lone = '\ud800'  # a lone surrogate: valid in JSON ("\\ud800"), not encodable as UTF-8
  samples = tmp_path / 's.jsonl'
  samples.write_text(json.dumps({'prompt': 'p', 'completion': f'{lone} no code', 'note': f'caf\u00e9 {lone}'}) + '\n')
  out = tmp_path / 'r.jsonl'
  assert verify_cli.grade_file(str(samples), str(out), None, VerifierConfig(num_workers=1)) == 0
  [row] = [json.loads(line) for line in out.read_text(encoding='utf-8').splitlines()]
  assert row['completion'] == f'{lone} no code' and row['note'] == f'caf\u00e9 {lone}' and row['stage'] == 'no_code'
  assert f'isolation: {sandbox.best_isolation()} (' in capsys.readouterr().out
  assert sorted(os.listdir(tmp_path)) == ['r.jsonl', 's.jsonl']


@pytest.mark.parametrize(
  'output,message',
  [
    ('{tmp}', 'is a directory'),
    ('{tmp}/missing/r.jsonl', 'its directory does not exist'),
    ('/proc/raftjax-r.jsonl', 'cannot write there'),  # not writable, whoever we are
  ],
)
def test_cli_checks_its_output_before_any_work(tmp_path, capsys, monkeypatch, output, message):
  samples = tmp_path / 's.jsonl'
  samples.write_text(json.dumps({'prompt': 'p', 'completion': fenced(DOUBLE)}) + '\n')
  monkeypatch.setattr(verify_cli.pool, 'Verifier', None)  # any work would crash on this
  assert verify_cli.grade_file(str(samples), output.format(tmp=tmp_path), None, VerifierConfig()) == 2
  err = capsys.readouterr().err
  assert err.count('\n') == 1 and err.startswith('error: ') and message in err, err
  assert sorted(os.listdir(tmp_path)) == ['s.jsonl']


def _cli(*args, **kw):
  return subprocess.Popen(
    [sys.executable, '-m', 'raftjax.tools.verify', *args],
    cwd=REPO,
    stdout=subprocess.PIPE,
    stderr=subprocess.PIPE,
    text=True,
    **kw,
  )


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which('unshare'), reason='needs root to mount a tmpfs')
def test_cli_full_disk_is_one_line_and_leaves_nothing(tmp_path):
  samples = tmp_path / 's.jsonl'
  samples.write_text(
    ''.join(json.dumps({'prompt': 'p', 'completion': f'no code {i} ' + 'x' * 2000}) + '\n' for i in range(100))
  )
  disk = tmp_path / 'disk'
  disk.mkdir()
  script = (
    f'mount -t tmpfs -o size=64k tmpfs {disk} && {sys.executable} -m raftjax.tools.verify --input {samples} '
    f'--output {disk}/r.jsonl --config.verifier.num_workers=1; echo "rc=$?"; ls -A {disk}'
  )
  proc = subprocess.run(
    ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script],
    cwd=REPO,
    capture_output=True,
    text=True,
    timeout=120,
  )
  assert proc.stderr.count('\n') == 1 and 'No space left on device' in proc.stderr, proc.stderr
  assert proc.stdout.split() == ['rc=1'], proc.stdout  # and the tmpfs holds no file, not even a temp one


def test_output_killed_while_writing_leaves_no_file(tmp_path):
  code = (
    'import os, sys\nfrom raftjax import rundir\n'
    f'out = rundir.AtomicOutput({str(tmp_path / "r.jsonl")!r})\n'
    'out.write({"i": i, "x": "y" * 1000} for i in range(10000))\n'
    'os.kill(os.getpid(), 9)\n'
  )
  proc = subprocess.run([sys.executable, '-c', code], cwd=REPO)
  assert proc.returncode == -9 and os.listdir(tmp_path) == []
  rundir.write_jsonl(str(tmp_path / 'r.jsonl'), [{'a': 1}])
  assert os.listdir(tmp_path) == ['r.jsonl'] and (tmp_path / 'r.jsonl').read_text() == '{"a": 1}\n'


@pytest.mark.parametrize('sig', [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_killing_the_cli_leaves_nothing(tmp_path, sig):
  """SIGKILL, SIGTERM or SIGINT of the CLI while gcc runs: the workers, launchers, gcc and cc1 are gone
  within seconds (not at the 10 s compile limit), so are the work directories; no output, no temp file."""
  samples = tmp_path / 's.jsonl'
  samples.write_text(
    ''.join(json.dumps({'prompt': 'p', 'completion': fenced(SLOW_COMPILE + f'// {i}\n')}) + '\n' for i in range(2))
  )
  out_dir = tmp_path / 'out'
  out_dir.mkdir()
  proc = _cli(
    '--input',
    str(samples),
    '--output',
    str(out_dir / 'r.jsonl'),
    '--config.verifier.num_workers=2',
    start_new_session=True,
  )
  deadline = time.monotonic() + 60

  def compiling():
    return sum('cc1' in procs.cmdline(p) for p in descendants(proc.pid))

  while time.monotonic() < deadline and (seen := compiling()) < 2:  # both samples, in the workers
    time.sleep(0.05)
  tree = [proc.pid] + descendants(proc.pid) + _python_children(proc.pid)
  assert seen == 2, 'gcc did not start'  # one look: a second walk of /proc can race with the processes
  workers = _python_children(proc.pid)
  proc.send_signal(sig)
  t0 = time.monotonic()
  proc.wait(30)
  proc.stdout.close()
  while time.monotonic() - t0 < 5 and [p for p in tree if procs.alive(p)]:
    time.sleep(0.05)
  assert [procs.cmdline(p) for p in tree if procs.alive(p)] == []
  err = proc.stderr.read()  # every writer is gone: no wait
  proc.stderr.close()
  if sig != signal.SIGKILL:  # first: an exit status 0 would say the CLI finished before the signal took
    assert proc.returncode == {signal.SIGTERM: 128 + signal.SIGTERM, signal.SIGINT: 130}[sig], (
      f'exit {proc.returncode}, {time.monotonic() - t0:.1f} s after the signal; outputs {os.listdir(out_dir)}; '
      f'stderr ends: {err[-1500:]}'
    )
  assert os.listdir(out_dir) == []
  assert [d for w in workers for d in glob.glob(os.path.join(tempfile.gettempdir(), f'raftjax-verify-{w}-*'))] == []
  if sig != signal.SIGKILL:
    assert glob.glob(os.path.join(tempfile.gettempdir(), f'raftjax-sandbox-{proc.pid}-*')) == []
  else:  # the CLI itself could not clean up (its launcher's build dir): the next verifier does
    left = glob.glob(os.path.join(tempfile.gettempdir(), f'raftjax-sandbox-{proc.pid}-*'))
    assert len(left) == 1 and left[0] in workdirs.remove_stale_dirs('raftjax-sandbox-')
    assert not os.path.exists(left[0])


def _python_children(pid: int) -> list[int]:
  out = []
  for child in filter(str.isdigit, os.listdir('/proc')):
    try:
      with open(f'/proc/{child}/stat') as f:
        if int(f.read().rsplit(')', 1)[1].split()[1]) == pid:
          out.append(int(child))
    except OSError:
      continue
  return out


# -------------------------------------------------------------------------------- isolation


def test_min_isolation_is_checked():
  with pytest.raises(ValueError, match='min_isolation'):
    VerifierConfig(min_isolation='chroot')
  assert program_lib.check_isolation(VerifierConfig()) == sandbox.best_isolation()
  assert program_lib.check_isolation(VerifierConfig(min_isolation='pgrp')) == sandbox.best_isolation()


@pytest.fixture
def weaker_machine(monkeypatch):
  """This process believes namespaces were refused here (as in some containers and hardened kernels)."""
  weak = procs.WEAK
  monkeypatch.setattr(sandbox, '_level', weak)
  monkeypatch.setattr(sandbox, '_refused', {'ns': 'unshare: Operation not permitted (simulated)'})
  return weak


def test_below_min_isolation_nothing_runs_and_the_error_says_how_to_opt_in(weaker_machine, monkeypatch):
  ran = []
  monkeypatch.setattr(sandbox, 'run', lambda *a, **kw: ran.append(a))
  with pytest.raises(RuntimeError) as e:
    Verifier(dataclasses.replace(RUN, min_isolation='ns', num_workers=1))
  message = str(e.value)
  assert f"strongest sandbox is '{weaker_machine}'" in message and "min_isolation='ns'" in message
  assert 'Operation not permitted (simulated)' in message
  assert f'--config.verifier.min_isolation={weaker_machine}' in message and ran == []


def test_the_level_is_logged_kept_and_used_by_every_worker(weaker_machine, caplog, tmp_path):
  with caplog.at_level(logging.INFO, logger='raftjax.verifier'):
    with Verifier(dataclasses.replace(RUN, num_workers=1)) as v:
      assert v.isolation == weaker_machine
      code = '#include <stdio.h>\nint main(void) { puts(getenv("TMPDIR") ? "6" : "no"); return 0; }\n'
      r = v.verify_batch([task([TESTS[0]])], [fenced('#include <stdlib.h>\n' + code)])[0]
      assert r['stage'] == 'correct'  # TMPDIR is set below 'ns' only: the worker ran at the weak level
      with pytest.raises(RuntimeError, match='min_isolation'):  # a cycle may not raise the bar
        v.verify_batch([task()], [fenced(DOUBLE)], dataclasses.replace(RUN, min_isolation='ns'))
  warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
  assert len(warnings) == 1 and f"isolation '{weaker_machine}'" in warnings[0] and 'simulated' in warnings[0]


def test_a_chatty_compile_is_judged_by_its_exit_status(verifier):
  """Hundreds of KiB of warnings (c-testsuite's 00200.c prints 171 KB) past the 64 KiB output cap: gcc is
  not killed, the program is graded on its run, and the row keeps the head and the tail of the output."""
  unused = ''.join(f'  int unused_{i} = {i};\n' for i in range(3000))
  code = (
    f'#include <stdio.h>\nint main(void) {{\n{unused}  int x;\n  if (scanf("%d", &x) != 1) return 1;\n'
    '  printf("%d\\n", 2 * x);\n  return 0;\n}\n'
  )
  ran = verifier.verify_batch([task(TESTS)], [fenced(code)], RUN)[0]
  assert (ran['stage'], ran['reward']) == ('correct', 1.0)
  assert '[...]' in ran['compiler_output'] and len(ran['compiler_output']) < 5000
  assert 'unused_0' in ran['compiler_output'] and 'unused_2999' in ran['compiler_output']
  compiled = verifier.verify_batch([task(TESTS)], [fenced(code)], COMPILE)[0]
  assert (compiled['stage'], compiled['reward']) == ('compiled_with_warnings', 0.3)
  broken = verifier.verify_batch([task(TESTS)], [fenced(code.replace('return 0;', 'return 0'))], COMPILE)[0]
  assert (broken['stage'], broken['reward']) == ('compile_error', 0.0)
