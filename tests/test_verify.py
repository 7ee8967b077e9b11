"""The gcc verifier with the real compiler: extraction, the reward ladder, output comparison, the pool,
hostile programs (each must end with a reward and leave no process behind), and the CLI."""

import dataclasses
import glob
import importlib.util
import json
import os
import shutil
import socket
import tempfile
import time

import pytest

from raftjax import sandbox
from raftjax import verify as V
import test_sandbox
from test_sandbox import assert_nothing_left, descendants

COMPILE = V.VerifierConfig()
RUN = V.VerifierConfig(run_after_compile=True, run_timeout_s=1.0, compile_timeout_s=5.0)
NS = test_sandbox.NS

DOUBLE = '#include <stdio.h>\nint main(void) { int x; if (scanf("%d", &x) != 1) return 1;\n' \
         '  printf("%d\\n", 2 * x); return 0; }\n'
TESTS = [{'stdin': '3\n', 'stdout': '6\n'}, {'stdin': '5\n', 'stdout': '10\n'},
         {'stdin': '-1\n', 'stdout': '-2\n'}, {'stdin': '0\n', 'stdout': '0\n'}]


def task(tests=None, language='c'):
  return {'id': 't', 'prompt': 'p', 'tests': tests or [], 'language': language}


def fenced(code, tag='c'):
  return f'Here you go:\n```{tag}\n{code}```\nThis program reads a number.'


# ---------------------------------------------------------------------------------- extraction

@pytest.mark.parametrize('completion', [
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
], ids=lambda c: c[:30])
def test_extract_code(completion):
  code = '#include <stdio.h>\nint main(void) {\n  return 0;\n}\n'
  assert V.extract_code(completion.replace('CODE', code)) == code


def test_extract_code_bare_code_after_prose():
  code = '#include <stdio.h>\nint main(void) { return 0; }\n'
  assert V.extract_code('Here is the code:\n' + code) == code


@pytest.mark.parametrize('completion', ['', '   \n', 'I cannot write that program.', '```c\n```',
                                        '```\n\n```\nno code'])
def test_extract_code_none(completion):
  assert V.extract_code(completion) is None


def test_extract_without_main_takes_longest_block():
  assert V.extract_code('```c\nint a;\n```\n```c\nint bb(void) { return 1; }\n```') == \
      'int bb(void) { return 1; }\n'


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
    (RUN, fenced('#include <stdio.h>\nint main(void) { puts("6"); return 0; }\n'), TESTS,
     'tests_failed', 0.75),  # 1 of 4: 0.7 + 0.2 / 4
    (RUN, fenced('#include <stdio.h>\nint main(void) { puts("nope"); return 0; }\n'), TESTS,
     'tests_failed', 0.7),
    (RUN, fenced('int main(void) { return 3; }\n'), TESTS, 'runtime_error', 0.5),
    (RUN, fenced('int main(void) { int unused; return 3; }\n'), [], 'runtime_error', 0.3),
    (RUN, fenced('int main(void) { int *p = 0; return *p; }\n'), [], 'runtime_error', 0.5),
    (RUN, fenced('#include <stdlib.h>\nint main(void) { abort(); }\n'), [], 'runtime_error', 0.5),
    (RUN, fenced('int main(void) { for (;;) {} }\n'), TESTS, 'timeout', 0.5),
]


@pytest.mark.parametrize('cfg,completion,tests,stage,reward', LADDER,
                         ids=[f'{s}-{i}' for i, (_, _, _, s, _) in enumerate(LADDER)])
def test_reward_ladder(cfg, completion, tests, stage, reward):
  r = V.verify(task(tests), completion, cfg)
  assert (r['stage'], r['reward']) == (stage, pytest.approx(reward)), r
  assert set(r) >= {'reward', 'stage', 'compiler_output', 'exit_code', 'signal', 'tests',
                    'compile_s', 'run_s'}
  json.dumps(r)


def test_compile_timeout():
  # 2**40 initializer tokens: gcc never finishes.
  code = '\n'.join(['#define A0 1,'] + [f'#define A{i} A{i - 1} A{i - 1}' for i in range(1, 41)])
  cfg = dataclasses.replace(RUN, compile_timeout_s=1.0)
  r = V.verify(task(), fenced(code + '\nint a[] = { A40 };\nint main(void) { return 0; }\n'), cfg)
  assert (r['stage'], r['reward']) == ('compile_timeout', 0.0)


def test_result_details():
  r = V.verify(task(TESTS), fenced('#include <stdio.h>\nint main(void) { puts("6"); return 0; }\n'),
               RUN)
  assert r['tests'] == [True, False, False, False] and r['exit_code'] == 0 and r['run_s'] > 0
  r = V.verify(task(TESTS), fenced('int main(void) { int *p = 0; return *p; }\n'), RUN)
  assert (r['signal'], r['exit_code']) == (11, None)
  assert r['tests'] == [False] * 4  # stopped at the first failing run
  r = V.verify(task(), fenced('int main(void) { int unused; return 0; }\n'), COMPILE)
  assert 'warning:' in r['compiler_output'] and 'unused' in r['compiler_output']


def test_partial_credit_never_reaches_one():
  tests = TESTS + [{'stdin': '7\n', 'stdout': 'fourteen\n'}]
  r = V.verify(task(tests), fenced(DOUBLE), RUN)
  assert r['stage'] == 'tests_failed' and r['reward'] == pytest.approx(0.7 + 0.2 * 4 / 5)
  assert r['reward'] < 0.9


def test_crash_on_one_test_keeps_the_compile_reward():
  code = '#include <stdio.h>\nint main(void) { int x; scanf("%d", &x);\n' \
         '  if (x == 5) { int *p = 0; return *p; } printf("%d\\n", 2 * x); return 0; }\n'
  r = V.verify(task(TESTS), fenced(code), RUN)
  assert (r['stage'], r['reward'], r['tests']) == ('runtime_error', 0.5, [True, False, False, False])


def test_c_is_compiled_as_c_and_cpp_with_gxx():
  c_only = '#include <stdio.h>\n#include <stdlib.h>\nint main(void) { int class = 6;\n' \
           '  int *p = malloc(sizeof *p); *p = class; printf("%d\\n", *p); free(p); return 0; }\n'
  assert V.verify(task([TESTS[0]]), fenced(c_only), RUN)['stage'] == 'correct'
  assert V.verify(task([TESTS[0]], 'cpp'), fenced(c_only, 'cpp'), RUN)['stage'] == 'compile_error'
  cpp = '#include <iostream>\nint main() { int x; std::cin >> x; std::cout << 2 * x << "\\n"; }\n'
  assert V.verify(task(TESTS, 'cpp'), fenced(cpp, 'cpp'), RUN)['stage'] == 'correct'
  assert V.verify(task(TESTS), fenced(cpp, 'cpp'), RUN)['stage'] == 'compile_error'


def test_std_and_flags_come_from_the_config():
  code = 'int main(void) { int typeof = 0; return typeof; }\n'  # a keyword in C23 only
  assert V.verify(task(), fenced(code), COMPILE)['stage'] == 'compiled'
  gnu = dataclasses.replace(COMPILE, c_std='gnu11')
  assert V.verify(task(), fenced(code), gnu)['stage'] == 'compile_error'
  assert V.verify(task(), fenced('int main(void) { int u; return 0; }\n'),
                  dataclasses.replace(COMPILE, warning_flags=()))['stage'] == 'compiled'


# -------------------------------------------------------------------------- output comparison

@pytest.mark.parametrize('actual,expected,match', [
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
])
def test_outputs_match(actual, expected, match):
  assert V.outputs_match(actual, expected) is match


def test_stdout_comparison_end_to_end():
  code = '#include <stdio.h>\nint main(void) { printf("6   \\r\\n\\n\\n"); return 0; }\n'
  assert V.verify(task([TESTS[0]]), fenced(code), RUN)['stage'] == 'correct'


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


def verify_hostile(watch, code, tests=None, cfg=RUN, bound_s=4.0):
  t0 = time.monotonic()
  r = V.verify(task(tests), fenced(code), cfg)
  assert time.monotonic() - t0 < bound_s
  assert_nothing_left(*watch)
  assert isinstance(r['reward'], float) and r['stage'] in V.STAGES and r['stage'] != 'error', r
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
    'close_stdout': '#include <stdio.h>\n#include <unistd.h>\n'
                    'int main(void) { close(1); printf("6\\n"); return 0; }\n',
    'invalid_utf8': '#include <stdio.h>\nint main(void) { printf("\\xff\\xfe\\xc3(\\n"); return 0; }\n',
    'kill_everything': '#define _POSIX_C_SOURCE 200809L\n#include <signal.h>\n'
                       'int main(void) { kill(-1, SIGKILL); return 0; }\n',
}
EXPECTED = {  # stage: all of these must end with a reward below 0.7 unless they exit 0 in time
    'fork_bomb': ('timeout', 'runtime_error'), 'fork_bomb_sleepers': ('timeout', 'runtime_error'),
    'infinite_loop': ('timeout',), 'sleep_ignoring_sigterm': ('timeout',),
    # a loaded machine may stretch these past the 1 s limit: same reward either way
    'malloc_bomb': ('runtime_error', 'timeout'), 'stdout_1gb': ('runtime_error',),
    'file_1gb': ('runtime_error', 'timeout'), 'double_fork_daemon': ('tests_failed', 'correct'),
    'close_stdout': ('tests_failed',), 'invalid_utf8': ('tests_failed',),
    'kill_everything': ('tests_failed',),  # kill(-1) spares the caller; it reaches nothing else
}


@pytest.mark.parametrize('name', HOSTILE)
def test_hostile_program(watch, name):
  r = verify_hostile(watch, HOSTILE[name], [TESTS[0]])
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
  code = ('#include <stdio.h>\nint main(void) {\n'
          f'  FILE *a = fopen("/tmp/{name}", "w"), *b = fopen("{shared}/{name}", "w");\n'
          f'  FILE *c = fopen("{os.getcwd()}/{name}", "w"), *d = fopen("../{name}", "w");\n'
          '  printf("%d\\n", (a != 0) + (b != 0) + (c != 0) + (d != 0)); return 0; }\n')
  r = verify_hostile(watch, code, [{'stdin': '', 'stdout': '1\n' if NS else '0\n'}])
  assert r['stage'] == 'correct'  # with namespaces only the private /tmp is writable
  for path in (f'/tmp/{name}', f'{shared}/{name}', f'{os.getcwd()}/{name}'):
    assert not os.path.exists(path)


def test_hostile_reads_parent_environment(watch, monkeypatch):
  monkeypatch.setenv('RAFTJAX_TEST_SECRET', 'hunter2')
  code = r'''#include <dirent.h>
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
'''
  r = verify_hostile(watch, code, [{'stdin': '', 'stdout': 'none clean\n'}])
  assert r['stage'] == 'correct', r


def test_hostile_network(watch):
  with socket.socket() as server:
    server.bind(('127.0.0.1', 0))
    server.listen()
    server.setblocking(False)
    code = ('#include <arpa/inet.h>\n#include <stdio.h>\n#include <sys/socket.h>\n'
            'int main(void) { struct sockaddr_in a = {.sin_family = AF_INET, '
            f'.sin_port = htons({server.getsockname()[1]})}};\n'
            '  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr); int s = socket(AF_INET, SOCK_STREAM, 0);\n'
            '  puts(connect(s, (struct sockaddr *)&a, sizeof a) ? "blocked" : "connected"); return 0; }\n')
    r = verify_hostile(watch, code, [{'stdin': '', 'stdout': 'blocked\n'}])
    if NS:
      assert r['stage'] == 'correct'
      with pytest.raises(BlockingIOError):
        server.accept()


def test_hostile_compile_time_reads(watch, tmp_path, monkeypatch):
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
  code = '#include <stdio.h>\nstatic const int a[] = {' + ','.join(
      str(i % 1000) for i in range(260000)) + '};\nint main(void) { printf("%d\\n", a[6]); return 0; }\n'
  assert len(code) > 1_000_000
  r = verify_hostile(watch, code, [TESTS[0]], bound_s=RUN.compile_timeout_s + 2)
  assert r['stage'] in ('correct', 'compile_timeout')


# ------------------------------------------------------------------------------------- pool

@pytest.fixture(scope='module')
def verifier():
  with V.Verifier(dataclasses.replace(RUN, num_workers=2)) as v:
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
  tasks = [task([TESTS[0]]), {'id': 'bad', 'tests': [{'stdin': 5, 'stdout': '6\n'}]}, task([TESTS[0]]),
           {'id': 'bad-language', 'language': 'cobol'}, task([TESTS[0]])]
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
  assert len(pending._groups[0][1]) == 2
  results = pending.get()
  assert [r['stage'] for r in results] == ['correct'] * 9
  assert results[0] is not results[1]


def test_config_can_change_between_batches(verifier):
  saved = verifier.cfg
  try:
    verifier.cfg = dataclasses.replace(saved, run_after_compile=False, c_compiler='gcc')
    assert os.path.isabs(verifier.cfg.c_compiler)
    assert verifier.verify_batch([task(TESTS)], [fenced(DOUBLE)])[0]['stage'] == 'compiled'
  finally:
    verifier.cfg = saved
  assert verifier.verify_batch([task(TESTS)], [fenced(DOUBLE)])[0]['stage'] == 'correct'


def test_submit_overlaps(verifier):
  pending = verifier.submit([task()], [fenced('#include <unistd.h>\nint main(void) { usleep(300000); }\n')])
  t0 = time.monotonic()
  assert not pending.done() and time.monotonic() - t0 < 0.1
  assert pending.get()[0]['stage'] == 'ran'
  assert pending.done()


def test_pool_survives_a_dead_worker():
  with V.Verifier(dataclasses.replace(RUN, num_workers=1)) as v:
    pending = v.submit([task()], [fenced('#include <unistd.h>\nint main(void) { usleep(500000); }\n')])
    time.sleep(0.2)
    for proc in v._pool._processes.values():
      proc.kill()
    assert pending.get()[0]['stage'] == 'error'
    for proc in v._pool._processes.values():  # the killed worker could not remove its work dir
      for left in glob.glob(os.path.join(tempfile.gettempdir(), f'raftjax-verify-{proc.pid}-*')):
        shutil.rmtree(left)
    assert v.verify_batch([task(TESTS)], [fenced(DOUBLE)])[0]['stage'] == 'correct'


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
    V.Verifier(dataclasses.replace(RUN, c_compiler='/nonexistent/gcc'))
  assert time.monotonic() - t0 < 1.0


def test_config_matches_the_project_config():
  path = os.path.join(os.path.dirname(__file__), '..', 'configs', 'raft.py')
  spec = importlib.util.spec_from_file_location('raft_config', path)
  raft = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(raft)
  cfg = V.VerifierConfig(**raft.get_config().verifier)
  assert cfg.warning_flags == ('-Wall', '-Wextra') and cfg.c_std == 'c11'
  with pytest.raises(ValueError):
    V.VerifierConfig(type='clang')


def write_jsonl(path, rows):
  path.write_text(''.join(json.dumps(r) + '\n' for r in rows))
  return str(path)


def test_cli_inline_samples(tmp_path, capsys):
  samples = write_jsonl(tmp_path / 's.jsonl', [
      {'prompt': 'double it', 'completion': fenced(DOUBLE), 'tests': TESTS, 'extra': 1},
      {'prompt': 'double it', 'completion': 'no code', 'tests': TESTS}])
  out = tmp_path / 'r.jsonl'
  assert V.main(['--input', samples, '--output', str(out), '--run_after_compile',
                 '--num_workers', '1']) == 0
  rows = [json.loads(line) for line in out.read_text().splitlines()]
  assert [r['stage'] for r in rows] == ['correct', 'no_code']
  assert rows[0]['extra'] == 1 and rows[0]['tests'] == [True] * 4 and rows[0]['reward'] == 1.0
  table = capsys.readouterr().out
  assert 'correct' in table and 'no_code' in table and 'mean reward 0.500' in table


def test_cli_with_task_file(tmp_path):
  tasks = write_jsonl(tmp_path / 't.jsonl', [{'id': 'dbl', 'prompt': 'double', 'tests': TESTS}])
  samples = write_jsonl(tmp_path / 's.jsonl', [{'prompt_id': 'dbl', 'completion': fenced(DOUBLE)},
                                               {'id': 'dbl', 'completion': 'nothing'}])
  out = tmp_path / 'r.jsonl'
  assert V.main(['--tasks', tasks, '--input', samples, '--output', str(out), '--num_workers', '1']) == 0
  assert [json.loads(line)['stage'] for line in out.read_text().splitlines()] == ['compiled', 'no_code']


@pytest.mark.parametrize('bad_line,message', [
    ('{"prompt_id": "dbl", "completion": "x"', 'malformed JSON'),
    ('[1, 2]', 'string "completion"'),
    ('{"prompt_id": "nope", "completion": "x"}', "unknown task id 'nope'"),
    ('{"completion": "x"}', 'needs "prompt_id"'),
    ('{"prompt": "p", "completion": "x", "tests": [{"stdin": 1}]}', '"tests" must be'),
])
def test_cli_malformed_input_names_file_and_line(tmp_path, capsys, bad_line, message):
  tasks = write_jsonl(tmp_path / 't.jsonl', [{'id': 'dbl', 'prompt': 'double'}])
  samples = tmp_path / 's.jsonl'
  samples.write_text(json.dumps({'prompt_id': 'dbl', 'completion': 'x'}) + '\n' + bad_line + '\n')
  out = tmp_path / 'r.jsonl'
  assert V.main(['--tasks', tasks, '--input', str(samples), '--output', str(out)]) == 2
  err = capsys.readouterr().err
  assert f'{samples}:2:' in err and message in err
  assert sorted(os.listdir(tmp_path)) == ['s.jsonl', 't.jsonl']  # nothing half-written
