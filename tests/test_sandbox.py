"""The sandbox on its own: exit reporting, limits, isolation, and that nothing outlives a run.

Isolation-specific checks run at the level this machine gives ('ns' here, as root). The fallback
levels are tested too: as root, `namespaces=False` gives the 'uid' level; as a non-root user, the
launcher's user-namespace and 'pgrp' paths run in a subprocess under uid 65534.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from raftjax import sandbox

ENV = {'PATH': '/usr/bin:/bin'}
LIMITS = sandbox.Limits(wall_s=1.0)
ROOT = os.geteuid() == 0


def run(argv, **kw):
  with tempfile.TemporaryDirectory() as workdir:
    return sandbox.run(argv, workdir, kw.pop('limits', LIMITS), env=kw.pop('env', ENV), **kw)


def ns_available() -> bool:
  return run(['/bin/true']).isolation == 'ns'


NS = ns_available()
LEVELS = [True, False] if ROOT else [True]  # namespaces on / off ('uid' level needs root)


def descendants(root: int = os.getpid()) -> list[int]:
  """Live processes below `root` that are not Python (pool workers, resource trackers)."""
  parent, exe = {}, {}
  for pid in filter(str.isdigit, os.listdir('/proc')):
    try:
      with open(f'/proc/{pid}/stat') as f:
        parent[int(pid)] = int(f.read().rsplit(')', 1)[1].split()[1])
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
        real_uid = int(next(l for l in f if l.startswith('Uid:')).split()[1])
    except (OSError, StopIteration):
      continue
    if real_uid in uids:
      out.append(int(pid))
  return out


def assert_nothing_left(*outcomes):
  uids = {o.sandbox_uid for o in outcomes if o.sandbox_uid is not None}
  assert processes_of(uids) == [], 'sandbox processes survived'
  assert descendants() == [], 'child processes survived'


@pytest.fixture(scope='module')
def build(tmp_path_factory):
  """Compiles a trusted helper C program (outside the sandbox) and returns its path."""
  out_dir = tmp_path_factory.mktemp('bin')

  def _build(name: str, source: str) -> str:
    src, exe = out_dir / f'{name}.c', out_dir / name
    src.write_text(source)
    subprocess.run(['gcc', '-O1', '-o', str(exe), str(src)], check=True)
    return str(exe)
  return _build


@pytest.mark.parametrize('namespaces', LEVELS)
def test_exit_status_and_signal_are_exact(namespaces):
  out = run(['/bin/sh', '-c', 'echo hi; exit 42'], namespaces=namespaces)
  assert (out.exit_code, out.signal, out.stdout) == (42, None, b'hi\n')
  out = run(['/bin/sh', '-c', 'kill -SEGV $$'], namespaces=namespaces)
  assert (out.exit_code, out.signal, out.timed_out) == (None, 11, False)
  # A program that raises SIGTERM itself dies of it (it is not pid 1, which would ignore it).
  out = run(['/bin/sh', '-c', 'kill -TERM $$; echo survived'], namespaces=namespaces)
  assert out.signal == 15 and out.stdout == b''
  assert_nothing_left(out)


def test_isolation_level_on_this_machine():
  out = run(['/bin/true'])
  assert out.isolation == ('ns' if NS else 'uid' if ROOT else 'pgrp')
  if ROOT:
    assert sandbox.is_sandbox_uid(out.sandbox_uid)


def test_stdin_is_given_or_dev_null_and_env_is_clean(monkeypatch):
  monkeypatch.setenv('RAFTJAX_SECRET', 'hunter2')
  out = run(['/bin/cat'], stdin=b'abc\n')
  assert out.stdout == b'abc\n'
  t0 = time.monotonic()
  out = run(['/bin/cat'])  # would block on an inherited terminal/pipe
  assert out.stdout == b'' and out.exit_code == 0 and time.monotonic() - t0 < 0.9
  out = run(['/usr/bin/env'], env={'PATH': '/bin'})
  assert out.stdout == b'PATH=/bin\n'


@pytest.mark.parametrize('namespaces', LEVELS)
def test_runs_unprivileged(namespaces):
  out = run(['/bin/sh', '-c', 'id -u; grep NoNewPrivs /proc/self/status'], namespaces=namespaces)
  uid, nnp = out.stdout.decode().split('\n')[:2]
  assert uid != '0' and nnp.split() == ['NoNewPrivs:', '1']


@pytest.mark.parametrize('namespaces', LEVELS)
def test_wall_timeout_kills_daemons_and_term_ignorers(namespaces):
  script = ('trap "" TERM HUP; (setsid sh -c \'trap "" TERM HUP; sleep 60\' &); '
            '(sh -c "sleep 60" &); sleep 60')
  t0 = time.monotonic()
  out = run(['/bin/sh', '-c', script], namespaces=namespaces)
  assert out.timed_out and time.monotonic() - t0 < LIMITS.wall_s + 1.0
  assert_nothing_left(out)


@pytest.mark.parametrize('namespaces', LEVELS)
def test_daemon_of_a_finished_program_is_killed(namespaces):
  out = run(['/bin/sh', '-c', '(setsid sh -c "sleep 60" &); echo started'], namespaces=namespaces)
  assert out.exit_code == 0 and out.stdout == b'started\n' and out.wall_s < 0.5
  assert_nothing_left(out)


@pytest.mark.parametrize('namespaces', LEVELS)
def test_process_limit_contains_a_fork_bomb(build, namespaces):
  exe = build('forks', r'''
#include <stdio.h>
#include <unistd.h>
int main(void) {
  int n = 0;
  for (int i = 0; i < 200; i++) { pid_t p = fork(); if (p == 0) { pause(); _exit(0); } if (p > 0) n++; }
  printf("%d\n", n); fflush(stdout);
  for (;;) fork();
}''')
  t0 = time.monotonic()
  out = run([exe], limits=sandbox.Limits(wall_s=1.0, max_processes=20), namespaces=namespaces)
  assert out.timed_out and time.monotonic() - t0 < 2.5
  assert 0 < int(out.stdout) < 20
  assert_nothing_left(out)


def test_output_cap_kills_without_buffering(build):
  t0 = time.monotonic()
  out = run(['/usr/bin/yes'], limits=sandbox.Limits(wall_s=5.0, max_output_bytes=1000))
  assert out.output_exceeded and len(out.stdout) == 1000 and not out.timed_out
  assert time.monotonic() - t0 < 1.0  # killed at the cap, not at the wall clock
  out = run(['/bin/sh', '-c', 'yes >&2'], limits=sandbox.Limits(max_output_bytes=1000))
  assert out.output_exceeded and len(out.stderr) == 1000
  assert_nothing_left(out)


def test_memory_and_file_size_limits(build):
  exe = build('hog', r'''
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
  if (argv[1][0] == 'm') {
    size_t n = 0; char *p;
    while ((p = malloc(1 << 20))) { memset(p, 1, 1 << 20); n++; }
    printf("%zu\n", n); return 0; }
  FILE *f = fopen("big", "w"); static char b[1 << 16];
  for (int i = 0; i < 16384; i++) fwrite(b, 1, sizeof b, f);
  return 0;
}''')
  out = run([exe, 'm'], limits=sandbox.Limits(memory_mb=64))
  assert out.exit_code == 0 and int(out.stdout) < 64
  out = run([exe, 'f'], limits=sandbox.Limits(file_size_mb=4), scratch=True)
  assert out.signal == 25  # SIGXFSZ


@pytest.mark.skipif(not NS, reason='needs namespaces')
def test_network_is_unreachable(build):
  exe = build('connect', r'''
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
int main(int argc, char **argv) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a)) { perror("connect"); return 1; }
  puts("connected");
  return 0;
}''')
  with socket.socket() as server:
    server.bind(('127.0.0.1', 0))
    server.listen()
    server.setblocking(False)
    out = run([exe, str(server.getsockname()[1])])
    assert out.stdout == b'' and out.exit_code == 1 and b'unreachable' in out.stderr
    with pytest.raises(BlockingIOError):
      server.accept()


@pytest.mark.skipif(not NS, reason='needs namespaces')
def test_filesystem_is_read_only_but_tmp_is_private(request):
  shared = tempfile.mkdtemp()
  request.addfinalizer(lambda: shutil.rmtree(shared))
  os.chmod(shared, 0o777)
  name = f'raftjax-escape-{os.getpid()}'
  script = (f'echo x > /tmp/{name}; echo x > {shared}/{name}; echo x > /var/tmp/{name}; '
            f'echo x > ./here && cat /tmp/{name} ./here; ls /proc | grep -c "^[0-9]"')
  out = run(['/bin/sh', '-c', script], scratch=True)
  assert out.stdout.split() == [b'x', b'x', b'4']  # init, sh, ls, grep: no host processes
  for path in (f'/tmp/{name}', f'{shared}/{name}', f'/var/tmp/{name}'):
    assert not os.path.exists(path)
  out = run(['/bin/sh', '-c', 'for i in 1 2 3 4 5 6; do head -c 4000000 /dev/zero > f$i || exit 9; done'],
            limits=sandbox.Limits(scratch_mb=8), scratch=True)
  assert out.exit_code == 9  # the private tmpfs is size-limited


def test_launcher_failure_is_an_error_not_a_result():
  with pytest.raises(sandbox.SandboxError):
    run(['/nonexistent/program'])


def _as_nobody(script: str) -> str:
  """Runs sandbox code as uid 65534 in a fresh interpreter (sandbox.py loaded by path)."""
  code = ('import importlib.util, tempfile\n'
          f'spec = importlib.util.spec_from_file_location("sbx", {sandbox.__file__!r})\n'
          'sandbox = importlib.util.module_from_spec(spec); spec.loader.exec_module(sandbox)\n'
          + script)
  for python in (sys.executable, '/usr/bin/python3'):  # ours may sit in root's home
    try:
      proc = subprocess.run([python, '-c', code], user=65534, group=65534, extra_groups=[],
                            capture_output=True, text=True, timeout=60, cwd='/')
    except PermissionError:
      continue
    assert proc.returncode == 0, proc.stderr
    return proc.stdout
  pytest.skip('no Python interpreter that uid 65534 may run')


@pytest.mark.skipif(not ROOT, reason='needs root to become another user')
def test_non_root_levels_contain_daemons_and_forks():
  script = '''
import os
def mine():
  return [p for p in os.listdir('/proc') if p.isdigit() and os.stat('/proc/' + p).st_uid == os.getuid()]
before = len(mine())
script = '(setsid sh -c "sleep 60" &); for i in $(seq 60); do (sleep 60 &) || exit 7; done'
for namespaces in (True, False):
  with tempfile.TemporaryDirectory() as d:
    out = sandbox.run(['/bin/sh', '-c', script], d, sandbox.Limits(wall_s=1.0, max_processes=16),
                      env={'PATH': '/usr/bin:/bin'}, namespaces=namespaces)
  print(out.isolation, out.exit_code, len(mine()) - before)
'''
  lines = _as_nobody(script).split('\n')
  levels = [line.split() for line in lines if line]
  # fork limit hit (exit 7 or the shell's own "Cannot fork", 2) and no process of the user left
  assert [lv[0] for lv in levels] == (['ns'] if NS else ['pgrp']) + ['pgrp']
  for _, code, left in levels:
    assert code in ('2', '7') and left == '0'
