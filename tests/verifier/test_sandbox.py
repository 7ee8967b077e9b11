"""The sandbox on its own, attacked: exit reporting, limits, isolation, and that nothing outlives a run.

Every isolation level this machine can produce is tested: the strongest one it offers ('ns' here) and
the weaker one forced ('uid' as root, 'pgrp' as an ordinary user). CI runs as root, so this module runs
twice: once here, and once as an ordinary user (`test_as_an_ordinary_user` creates one with useradd,
plants a mode-600 cloud credential in its home, and runs this module as that user with runuser). In
that run the secret is the user's own; in the root run it is a root-owned mode-600 file under a 0700
directory.
"""

import errno
import importlib
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from raftjax.sections import VerifierConfig
from raftjax.verifier import program, sandbox, workdirs
from raftjax.verifier import root as root_lib
from raftjax.verifier.pool import Verifier

import procs
from procs import (
  BEST,
  LEVELS,
  NS,
  ROOT,
  alive,
  assert_nothing_left,
  cmdline,
  descendants,
  level_for_verify,  # noqa: F401 (a fixture)
)

ENV = {'PATH': '/usr/bin:/bin'}
LIMITS = sandbox.Limits(wall_s=1.0)
PRIVATE = {'ns': True, 'uid': True, 'pgrp': False}  # does the level keep the caller's private files?
TEST_USER = 'raftjax-tester'


def _admin_tool(name: str) -> str:
  return shutil.which(name, path=os.environ.get('PATH', '') + ':/usr/sbin:/sbin') or name


def run(argv, **kw):
  kw.setdefault('root', sandbox.toolchain_root())
  with tempfile.TemporaryDirectory() as workdir:
    return sandbox.run(argv, workdir, kw.pop('limits', LIMITS), env=kw.pop('env', ENV), **kw)


@pytest.fixture(scope='module')
def build(tmp_path_factory):
  """Compiles a trusted helper C program (outside the sandbox) and returns its path."""
  out_dir = tmp_path_factory.mktemp('bin')
  os.chmod(out_dir, 0o755)

  def _build(name: str, source: str) -> str:
    src, exe = out_dir / f'{name}.c', out_dir / name
    src.write_text(source)
    subprocess.run(['gcc', '-O1', '-o', str(exe), str(src)], check=True)
    return str(exe)

  return _build


# ------------------------------------------------------------------------------ basic behaviour


@pytest.mark.parametrize('level', LEVELS)
def test_exit_status_and_signal_are_exact(level):
  out = run(['/bin/sh', '-c', 'echo hi; exit 42'], isolation=level)
  assert (out.exit_code, out.signal, out.stdout, out.isolation) == (42, None, b'hi\n', level)
  out = run(['/bin/sh', '-c', 'kill -SEGV $$'], isolation=level)
  assert (out.exit_code, out.signal, out.timed_out) == (None, 11, False)
  # A program that raises SIGTERM itself dies of it (it is not pid 1, which would ignore it).
  out = run(['/bin/sh', '-c', 'kill -TERM $$; echo survived'], isolation=level)
  assert out.signal == 15 and out.stdout == b''
  assert_nothing_left(out)


def test_isolation_level_on_this_machine():
  assert BEST in (('ns', 'uid') if ROOT else ('ns', 'pgrp'))
  out = run(['/bin/true'])
  assert out.isolation == BEST
  assert set(sandbox.refused()) <= {'ns'} and (BEST == 'ns') == (not sandbox.refused())
  if ROOT:
    assert sandbox.is_sandbox_uid(out.sandbox_uid)


def test_a_level_is_given_exactly_or_not_at_all():
  # The launcher never falls back on its own: a level it cannot set up is an error, not a weaker run.
  with pytest.raises(sandbox.SandboxError, match='uid level needs root' if not ROOT else 'non-root'):
    run(['/bin/true'], isolation='pgrp' if ROOT else 'uid')
  if NS:
    with pytest.raises(sandbox.SandboxError, match='nonexistent'):
      run(['/bin/true'], isolation='ns', root=['d/nonexistent/toolchain'])


def test_stdin_is_given_or_dev_null_and_env_is_clean(monkeypatch):
  monkeypatch.setenv('RAFTJAX_SECRET', 'hunter2')
  out = run(['/bin/cat'], stdin=b'abc\n')
  assert out.stdout == b'abc\n'
  t0 = time.monotonic()
  out = run(['/bin/cat'])  # would block on an inherited terminal/pipe
  assert out.stdout == b'' and out.exit_code == 0 and time.monotonic() - t0 < 0.9
  out = run(['/usr/bin/env'], env={'PATH': '/bin'})
  if NS:
    assert out.stdout == b'PATH=/bin\n'
  else:  # gcc's temporary files go to the work dir, not the shared /tmp
    assert out.stdout.startswith(b'PATH=/bin\nTMPDIR=/') and out.stdout.count(b'\n') == 2


@pytest.mark.parametrize('level', LEVELS)
def test_runs_unprivileged_with_seccomp(level):
  out = run(['/bin/sh', '-c', 'id -u; grep -E "NoNewPrivs|Seccomp:" /proc/self/status'], isolation=level)
  uid, nnp, seccomp = out.stdout.decode().split('\n')[:3]
  assert uid != '0' and nnp.split() == ['NoNewPrivs:', '1'] and seccomp.split() == ['Seccomp:', '2']


@pytest.mark.parametrize('level', LEVELS)
def test_wall_timeout_kills_daemons_and_term_ignorers(level):
  script = 'trap "" TERM HUP; (setsid sh -c \'trap "" TERM HUP; sleep 60\' &); (sh -c "sleep 60" &); sleep 60'
  t0 = time.monotonic()
  out = run(['/bin/sh', '-c', script], isolation=level)
  assert out.timed_out and time.monotonic() - t0 < LIMITS.wall_s + 1.0
  assert_nothing_left(out)


@pytest.mark.parametrize('level', LEVELS)
def test_daemon_of_a_finished_program_is_killed(level):
  out = run(['/bin/sh', '-c', '(setsid sh -c "sleep 60" &); echo started'], isolation=level)
  assert out.exit_code == 0 and out.stdout == b'started\n' and out.wall_s < 0.5
  assert_nothing_left(out)


@pytest.mark.parametrize('level', LEVELS)
def test_process_limit_contains_a_fork_bomb(build, level):
  exe = build(
    'forks',
    r"""
#include <stdio.h>
#include <unistd.h>
int main(void) {
  int n = 0;
  for (int i = 0; i < 200; i++) { pid_t p = fork(); if (p == 0) { pause(); _exit(0); } if (p > 0) n++; }
  printf("%d\n", n); fflush(stdout);
  for (;;) fork();
}""",
  )
  t0 = time.monotonic()
  out = run([exe], limits=sandbox.Limits(wall_s=1.0, max_processes=20), isolation=level)
  assert out.timed_out and time.monotonic() - t0 < 2.5
  assert 0 < int(out.stdout) < 20
  assert_nothing_left(out)


def test_output_cap_kills_without_buffering():
  t0 = time.monotonic()
  out = run(['/usr/bin/yes'], limits=sandbox.Limits(wall_s=5.0, max_output_bytes=1000))
  assert out.output_exceeded and len(out.stdout) == 1000 and not out.timed_out
  assert time.monotonic() - t0 < 1.0  # killed at the cap, not at the wall clock
  out = run(['/bin/sh', '-c', 'yes >&2'], limits=sandbox.Limits(max_output_bytes=1000))
  assert out.output_exceeded and len(out.stderr) == 1000
  assert_nothing_left(out)


def test_memory_and_file_size_limits(build):
  exe = build(
    'hog',
    r"""
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
}""",
  )
  out = run([exe, 'm'], limits=sandbox.Limits(memory_mb=64))
  assert out.exit_code == 0 and int(out.stdout) < 64
  out = run([exe, 'f'], limits=sandbox.Limits(file_size_mb=4), scratch=True)
  assert out.signal == 25  # SIGXFSZ


def test_launcher_failure_is_an_error_not_a_result():
  with pytest.raises(sandbox.SandboxError):
    run(['/nonexistent/program'])


# --------------------------------------------------------------------------- the minimal root


@pytest.mark.skipif(not NS, reason='needs namespaces')
def test_minimal_root_holds_only_the_toolchain(request):
  here = tempfile.mkdtemp()  # like the caller's cwd or the run's output dir: world-readable
  request.addfinalizer(lambda: shutil.rmtree(here))
  os.chmod(here, 0o755)
  hidden = [
    '/home',
    '/root',
    '/run',
    '/var/lib',
    '/etc/passwd',
    '/etc/hostname',
    here,
    os.getcwd(),
    os.path.expanduser('~'),
    tempfile.gettempdir() + '/' + os.path.basename(here),
  ]
  script = (
    'ls /; echo --; ls /dev; echo --; '
    + ''.join(f'test -e "{p}" && echo "{p}"; ' for p in hidden)
    + 'echo --; set -- /proc/[0-9]*; echo $#; hostname; pwd'
  )
  out = run(['/bin/sh', '-c', script], scratch=True)
  top, dev, visible, rest = out.stdout.decode().split('--\n')
  assert set(top.split()) <= {
    'bin',
    'dev',
    'etc',
    'lib',
    'lib32',
    'lib64',
    'libx32',
    'proc',
    'sbin',
    'sandbox',
    'tmp',
    'usr',
    'var',
  }, top
  assert set(dev.split()) == {'null', 'zero', 'full', 'random', 'urandom', 'fd', 'shm', 'stdin', 'stdout', 'stderr'}
  assert visible == ''
  assert rest.split() == ['2', 'sandbox', '/tmp']  # init and sh (the glob is sh's own: no race with a pipe's
  # processes starting); our hostname; the scratch
  assert out.exit_code == 0


@pytest.mark.skipif(not NS, reason='needs namespaces')
def test_root_is_read_only_and_tmp_is_private(request):
  shared = tempfile.mkdtemp()
  request.addfinalizer(lambda: shutil.rmtree(shared))
  os.chmod(shared, 0o777)
  name = f'raftjax-escape-{os.getpid()}'
  script = (
    f'echo x > /tmp/{name}; echo x > {shared}/{name}; echo x > /var/tmp/{name}; '
    f'echo x > /usr/{name}; echo x > /{name}; echo x > ./here && cat /tmp/{name} ./here'
  )
  out = run(['/bin/sh', '-c', script], scratch=True)
  assert out.stdout.split() == [b'x', b'x']
  for path in (f'/tmp/{name}', f'{shared}/{name}', f'/var/tmp/{name}', f'/usr/{name}'):
    assert not os.path.exists(path)
  out = run(
    ['/bin/sh', '-c', 'for i in 1 2 3 4 5 6; do head -c 4000000 /dev/zero > f$i || exit 9; done'],
    limits=sandbox.Limits(scratch_mb=8),
    scratch=True,
  )
  assert out.exit_code == 9  # the private tmpfs is size-limited


def test_root_spec_comes_from_the_compiler():
  spec = sandbox.toolchain_root(('gcc',))
  binds = [e[1:] for e in spec if e[0] == 'd']
  gcc = os.path.realpath(shutil.which('gcc'))
  cc1 = subprocess.run(['gcc', '-print-prog-name=cc1'], capture_output=True, text=True).stdout.strip()
  for path in (gcc, os.path.realpath(cc1), os.path.realpath('/usr/include/stdio.h')):
    assert any(root_lib._under(path, b) for b in binds), path  # pylint: disable=protected-access
  home = os.path.realpath(os.path.expanduser('~'))
  assert not any(root_lib._under(home, b) for b in binds) and '/' not in binds  # pylint: disable=protected-access
  assert any(e.startswith('f') and e.endswith('ld.so.cache') for e in spec)


# ------------------------------------------------------------------------------ hostile programs

SYSCALLS = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
static void show(const char *name, long r) { printf("%s %d\n", name, r < 0 ? errno : 0); }
int main(void) {
  char buf[8]; struct iovec local = {buf, 8}, remote = {buf, 8}; int sv[2], fd, open_fds = 0;
  long r;
  for (fd = 3; fd < 1024; fd++) if (fcntl(fd, F_GETFD) != -1) open_fds++;
  printf("open_fds %d\n", open_fds);
  show("unshare_user", unshare(CLONE_NEWUSER));
  show("unshare_mount", unshare(CLONE_NEWNS));
  show("setns", setns(0, 0));
  r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0); if (r == 0) _exit(0);
  show("clone_newuser", r);
  r = syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0); if (r == 0) _exit(0);
  show("clone_newnet", r);
  show("clone3", syscall(435, NULL, 0));
  show("mount", mount("none", "/tmp", "tmpfs", 0, NULL));
  show("umount", umount2("/proc", MNT_DETACH));
  show("chroot", chroot("/tmp"));
  show("pivot_root", syscall(SYS_pivot_root, "/tmp", "/tmp"));
  show("ptrace_traceme", ptrace(PTRACE_TRACEME, 0, 0, 0));
  show("ptrace_attach", ptrace(PTRACE_ATTACH, getppid(), 0, 0));
  show("process_vm_readv", process_vm_readv(getppid(), &local, 1, &remote, 1, 0));
  show("keyctl", syscall(SYS_keyctl, 0, -3, 0));
  show("add_key", syscall(SYS_add_key, "user", "k", "v", 1, -3));
  show("bpf", syscall(SYS_bpf, 0, NULL, 0));
  show("perf_event_open", syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
  show("userfaultfd", syscall(SYS_userfaultfd, 0));
  show("io_uring_setup", syscall(425, 1, NULL));
  show("open_by_handle_at", syscall(SYS_open_by_handle_at, AT_FDCWD, NULL, 0));
  show("socket_unix", socket(AF_UNIX, SOCK_STREAM, 0));
  show("socket_inet", socket(AF_INET, SOCK_STREAM, 0));
  show("socket_netlink", socket(AF_NETLINK, SOCK_RAW, 0));
  show("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  show("tiocsti", ioctl(0, TIOCSTI, "x"));
#ifdef __x86_64__
  show("x32_getpid", syscall(0x40000000 + 39));
#endif
  r = fork(); if (r == 0) _exit(0); if (r > 0) waitpid(r, NULL, 0);
  show("fork", r);
  show("kill_self", kill(getpid(), 0));
  show("kill_group", kill(0, 0));
  show("kill_parent", kill(getppid(), 0));
  show("kill_all", kill(-1, 0));
  show("tgkill_parent", syscall(SYS_tgkill, getppid(), getppid(), 0));
  show("prlimit_parent", prlimit(getppid(), RLIMIT_NOFILE, NULL, NULL));
  show("prlimit_self", prlimit(0, RLIMIT_NOFILE, NULL, NULL));
  return 0;
}
"""
DENIED = {  # what every level's seccomp filter refuses (errno)
  'unshare_user': errno.EPERM,
  'unshare_mount': errno.EPERM,
  'setns': errno.EPERM,
  'clone_newuser': errno.EPERM,
  'clone_newnet': errno.EPERM,
  'clone3': errno.ENOSYS,
  'mount': errno.EPERM,
  'umount': errno.EPERM,
  'chroot': errno.EPERM,
  'pivot_root': errno.EPERM,
  'ptrace_traceme': errno.EPERM,
  'ptrace_attach': errno.EPERM,
  'process_vm_readv': errno.EPERM,
  'keyctl': errno.EPERM,
  'add_key': errno.EPERM,
  'bpf': errno.EPERM,
  'perf_event_open': errno.EPERM,
  'userfaultfd': errno.EPERM,
  'io_uring_setup': errno.EPERM,
  'open_by_handle_at': errno.EPERM,
  'socket_unix': errno.EPERM,
  'socket_inet': errno.EPERM,
  'socket_netlink': errno.EPERM,
  'tiocsti': errno.EPERM,
  'x32_getpid': errno.EPERM,
  'open_fds': 0,
  'socketpair': 0,
  'fork': 0,
  'kill_self': 0,
  'kill_group': 0,
  'prlimit_self': 0,
}


@pytest.mark.parametrize('level', LEVELS)
def test_seccomp_blocks_what_a_program_has_no_business_doing(build, level):
  exe = build('syscalls', SYSCALLS)
  out = run([exe], isolation=level)
  got = dict(line.split() for line in out.stdout.decode().splitlines())
  got = {k: int(v) for k, v in got.items()}
  expected = {k: v for k, v in DENIED.items() if k in got}
  assert {k: errno.errorcode.get(got[k], got[k]) for k in expected} == {
    k: errno.errorcode.get(v, v) for k, v in expected.items()
  }
  assert got['fork'] == 0 and got['open_fds'] == 0  # no descriptor of the launcher leaks in
  if level == 'pgrp':  # the caller's own uid: it may signal only itself and its group
    assert [got[k] for k in ('kill_parent', 'kill_all', 'tgkill_parent', 'prlimit_parent')] == [errno.EPERM] * 4
  elif level == 'uid':  # a uid of its own: the kernel refuses (the launcher stays root)
    assert got['kill_parent'] == errno.EPERM and got['prlimit_parent'] == errno.EPERM
  assert_nothing_left(out)


KILLER = r"""
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
int main(void) {
  struct rlimit zero = {0, 0}; DIR *d; struct dirent *e; struct stat st; char path[300];
  int refused = 0, tried = 0, parent_refused;
  if (fork() == 0) { setsid(); if (fork() == 0) { signal(SIGTERM, SIG_IGN); for (;;) pause(); } _exit(0); }
  prlimit(getppid(), RLIMIT_CPU, &zero, NULL);
  kill(-getppid(), SIGKILL);
  parent_refused = kill(getppid(), SIGKILL) != 0;
  kill(-1, SIGKILL);
  if ((d = opendir("/proc")))
    while ((e = readdir(d))) {
      snprintf(path, sizeof path, "/proc/%s", e->d_name);
      if (atoi(e->d_name) <= 0 || stat(path, &st) || st.st_uid == getuid()) continue;  /* others' */
      tried++;
      if (kill(atoi(e->d_name), SIGKILL)) refused++;
    }
  printf("done %d %d %d\n", tried, refused, parent_refused);
  return 0;
}
"""


@pytest.mark.parametrize('level', LEVELS)
def test_program_cannot_kill_its_launcher_or_the_caller(build, level):
  exe = build('killer', KILLER)
  out = run([exe], isolation=level)  # a killed launcher would be a SandboxError, a killed caller a crash
  words = out.stdout.split()
  assert out.exit_code == 0 and words[0] == b'done', out
  assert words[1] == words[2]  # no process of anyone else could be signalled
  if level != 'ns':  # outside a pid namespace it sees the host's processes, the launcher is its parent
    assert int(words[1]) > 0 and words[3] == b'1'
  assert_nothing_left(out)


@pytest.fixture(scope='module')
def secret():
  """(path, token) of a mode-600 credential the sandboxed code must never see. In the ordinary-user run
  it is that user's own ~/.config/gcloud/application_default_credentials.json (set up by
  `test_as_an_ordinary_user`); otherwise a file of ours under a 0700 directory."""
  if os.environ.get('RAFTJAX_TEST_SECRET_FILE'):
    yield os.environ['RAFTJAX_TEST_SECRET_FILE'], os.environ['RAFTJAX_TEST_SECRET']
    return
  home = tempfile.mkdtemp(prefix='raftjax-home-')
  token = 'RAFTJAX-CANARY-' + secrets.token_hex(8)
  path = _plant_secret(home, token, os.getuid(), os.getgid())
  yield path, token
  shutil.rmtree(home)


def _plant_secret(home: str, token: str, uid: int, gid: int) -> str:
  path = os.path.join(home, '.config', 'gcloud', 'application_default_credentials.json')
  os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
  with open(path, 'w') as f:
    f.write(f'{{"type": "authorized_user", "refresh_token": "{token}"}}\n')
  os.chmod(path, 0o600)
  for d in (home, os.path.join(home, '.config'), os.path.dirname(path)):
    os.chmod(d, 0o700)
  for p in (home, os.path.join(home, '.config'), os.path.dirname(path), path):
    os.chown(p, uid, gid)
  return path


def _c_string(text: str) -> str:
  return text.replace('\\', '\\\\').replace('"', '\\"')


@pytest.mark.parametrize('level_for_verify', LEVELS, indirect=True)
def test_secret_cannot_be_printed_included_or_leaked(secret, level_for_verify):
  """Every channel: stdout, the exit code, a signal, the compiler's output (#include), and whether the
  file exists (__has_include, stat, opendir, the names beside it): for the secret and for a name that
  does not exist beside it, every outcome must be the same."""
  path, token = secret
  level = level_for_verify
  cfg = VerifierConfig(run_after_compile=True, compile_timeout_s=10.0)
  task = {'id': 't', 'prompt': 'p', 'tests': []}

  def probe(target):
    p, home = _c_string(target), _c_string(os.path.dirname(os.path.dirname(os.path.dirname(target))))
    reader = rf'''#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
int main(void) {{
  char buf[512] = {{0}}; struct stat st; DIR *d = opendir("{home}"); FILE *f = fopen("{p}", "r");
  int err = f ? 0 : errno;
  printf("stat %d opendir %d\n", stat("{p}", &st) == 0, d != NULL);
  if (d) {{ struct dirent *e; while ((e = readdir(d))) printf("name %s\n", e->d_name); }}
  if (!f) {{ printf("open errno %d\n", err); return 0; }}
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  printf("read %zu %s\n", n, buf);
  fflush(stdout);
  if (strstr(buf, "RAFTJAX")) raise(SIGUSR1);
  return (unsigned char)buf[0];
}}
'''
    printed, exit_code, sig = _run_program(reader, level)
    ran = program.verify(task, f'```c\n{reader}```', cfg)
    included = program.verify(task, f'```c\n#include "{p}"\nint main(void) {{ return 0; }}\n```', cfg)
    has_include = program.verify(
      task, f'```c\n#if __has_include("{p}")\nint visible;\n#endif\nint main(void) {{ return 0; }}\n```', cfg
    )
    for r in (ran, included, has_include):
      assert r['stage'] != 'error', r
      for key in ('compile_s', 'run_s'):
        r.pop(key)
    return str((printed, exit_code, sig, ran, included, has_include)).replace(target, 'PATH')

  seen = probe(path)
  if PRIVATE[level]:
    assert token not in seen
    assert seen == probe(path[:-4] + 'nope')  # same length: gcc's carets too
    denied = errno.ENOENT if level == 'ns' else errno.EACCES
    assert f"('stat 0 opendir 0\\nopen errno {denied}', 0, None" in seen, seen
  else:  # 'pgrp': the program is the caller and reads the caller's files (README: use 'ns')
    assert token in seen and 'SIGUSR1' not in seen and f', {int(signal.SIGUSR1)}, ' in seen


def test_verifier_pool_runs_at_the_level_found_at_start(secret):
  """The process pool as the trainer uses it (here also as an ordinary user): every worker runs at the
  level found once at start-up, and a secret reader reads nothing."""
  path, token = secret
  code = (
    f'#include <stdio.h>\nint main(void) {{ FILE *f = fopen("{_c_string(path)}", "r");\n'
    '  char b[256] = {0}; if (f) fread(b, 1, 255, f); puts(f ? b : "6"); return 0; }\n'
  )
  tasks = [{'id': f't{i}', 'prompt': 'p', 'tests': [{'stdin': '', 'stdout': '6\n'}]} for i in range(3)]
  cfg = VerifierConfig(run_after_compile=True, num_workers=2)
  with Verifier(cfg) as verifier:
    assert verifier.isolation == BEST
    results = verifier.verify_batch(tasks, [f'```c\n{code}// {i}\n```' for i in range(3)])
  assert [r['stage'] for r in results] == (['correct'] * 3 if PRIVATE[BEST] else ['tests_failed'] * 3)
  assert token not in str(results)
  assert descendants() == []


@pytest.mark.parametrize('level', LEVELS)
def test_peers_and_callers_files_are_out_of_reach(level, monkeypatch):
  """Another sample's work dir (0700, another owner) under a TMPDIR outside /tmp, and a world-readable
  file like those in the caller's cwd or the run's output dir."""
  tmpdir = tempfile.mkdtemp(prefix='raftjax-tmpdir-', dir='/var/tmp')
  try:
    os.chmod(tmpdir, 0o755)
    monkeypatch.setattr(tempfile, 'tempdir', tmpdir)  # our own work dirs go there too
    peer = os.path.join(tmpdir, 'raftjax-verify-1-peer')
    os.mkdir(peer, 0o700)
    with open(os.path.join(peer, 'main.c'), 'w') as f:
      f.write('/* PEER-SOURCE */\n')
    public = os.path.join(tmpdir, 'public.txt')
    with open(public, 'w') as f:
      f.write('PUBLIC-DATA\n')
    os.chmod(public, 0o644)
    code = rf'''#include <dirent.h>
#include <stdio.h>
#include <string.h>
int main(void) {{
  char path[600], buf[64] = {{0}}; DIR *d = opendir("{tmpdir}"); struct dirent *e; FILE *f;
  int read_peer = 0;
  while (d && (e = readdir(d))) if (!strncmp(e->d_name, "raftjax-verify-", 15)) {{
    snprintf(path, sizeof path, "{tmpdir}/%s/main.c", e->d_name);
    if ((f = fopen(path, "r"))) {{ if (fgets(buf, sizeof buf, f) && strstr(buf, "PEER")) read_peer = 1; fclose(f); }}
  }}
  f = fopen("{public}", "r");
  printf("listed %d read_peer %d public %d\n", d != NULL, read_peer, f != NULL);
  return 0;
}}
'''
    printed, exit_code, _ = _run_program(code, level)
    assert exit_code == 0
    assert (
      printed
      == {
        'ns': 'listed 0 read_peer 0 public 0',  # none of it exists in the minimal root
        'uid': 'listed 1 read_peer 0 public 1',  # world-readable yes, private no
        'pgrp': 'listed 1 read_peer 1 public 1',
      }[level]
    )  # the caller's own files
  finally:
    shutil.rmtree(tmpdir)


def _run_program(code: str, level: str) -> tuple[str, int | None, int | None]:
  """Compiles and runs `code` the way the verifier does, at `level`: (stdout, exit code, signal)."""
  cfg = program.resolve_compilers(VerifierConfig())
  argv, src = program._compile_argv('c', cfg)  # pylint: disable=protected-access
  root = program.root_spec(cfg)
  workdir = workdirs.make_temp_dir('raftjax-verify-')
  try:
    with open(os.path.join(workdir, src), 'w') as f:
      f.write(code)
    compiled = sandbox.run(
      argv, workdir, sandbox.Limits(wall_s=10, memory_mb=2048), env=ENV, root=root, isolation=level
    )
    assert compiled.exit_code == 0, compiled.stderr
    out = sandbox.run(
      [os.path.join(workdir, 'prog')], workdir, LIMITS, env=ENV, scratch=True, root=root, isolation=level
    )
    assert_nothing_left(compiled, out)
    return out.stdout.decode(errors='replace').strip(), out.exit_code, out.signal
  finally:
    workdirs.remove_temp_dir(workdir)


@pytest.mark.parametrize('level', LEVELS)
def test_filesystem_and_abstract_sockets_are_unreachable(build, level, tmp_path):
  """A 0666 socket in a world-readable dir, one in the caller's 0700 dir, an abstract one: the seccomp
  filter refuses socket() at every level (at 'ns' none of them is visible either)."""
  exe = build(
    'connect_unix',
    r"""
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    size_t n = strlen(argv[i]);
    memcpy(a.sun_path, argv[i], n);
    if (argv[i][0] == '@') a.sun_path[0] = 0;  /* abstract */
    int r = s < 0 ? -1 : connect(s, (struct sockaddr *)&a, sizeof(sa_family_t) + n);
    printf("%s\n", r == 0 ? "connected" : strerror(errno));
  }
  return 0;
}""",
  )
  private = tempfile.mkdtemp(prefix='raftjax-sock-')
  public = tempfile.mkdtemp(prefix='raftjax-sock-')
  os.chmod(public, 0o755)
  servers, names = [], []
  try:
    for path in (os.path.join(public, 'world.sock'), os.path.join(private, 'rj.sock'), f'@raftjax-test-{os.getpid()}'):
      server = socket.socket(socket.AF_UNIX)
      server.bind('\0' + path[1:] if path.startswith('@') else path)
      if not path.startswith('@'):
        os.chmod(path, 0o666)
      server.listen()
      server.setblocking(False)
      servers.append(server)
      names.append(path)
    out = run([exe, *names], isolation=level)
    assert out.stdout.decode().split('\n')[:3] == ['Operation not permitted'] * 3
    for server in servers:
      with pytest.raises(BlockingIOError):
        server.accept()
  finally:
    for server in servers:
      server.close()
    shutil.rmtree(private)
    shutil.rmtree(public)


@pytest.mark.skipif(not NS, reason='needs namespaces')
def test_network_is_unreachable(build):
  """Even with the seccomp filter gone, the network namespace has no route (checked here with a program
  that never gets a socket: the refusal itself)."""
  exe = build(
    'connect',
    r"""
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
}""",
  )
  with socket.socket() as server:
    server.bind(('127.0.0.1', 0))
    server.listen()
    server.setblocking(False)
    for level in LEVELS:
      out = run([exe, str(server.getsockname()[1])], isolation=level)
      assert out.stdout == b'' and out.exit_code == 1 and b'not permitted' in out.stderr
    with pytest.raises(BlockingIOError):
      server.accept()


# ------------------------------------------------------------------- nothing outlives the caller


def test_launcher_dies_with_its_caller_and_stops_the_run(build, tmp_path):
  """SIGKILL of the process that started the launcher: the launcher gets SIGTERM (parent-death signal)
  and stops the run at once; nothing is left, at any level."""
  script = (
    'import os, sys, tempfile\n'
    f'sys.path.insert(0, {os.path.dirname(os.path.dirname(os.path.dirname(sandbox.__file__)))!r})\n'
    'from raftjax.verifier import sandbox\n'
    'd = tempfile.mkdtemp()\n'
    'print(os.getpid(), flush=True)\n'
    'sandbox.run(["/bin/sh", "-c", "(setsid sleep 60 &); sleep 60"], d, sandbox.Limits(wall_s=60), '
    'env={"PATH": "/usr/bin:/bin"}, isolation=sys.argv[1], root=sandbox.toolchain_root())\n'
  )
  for level in LEVELS:
    proc = subprocess.Popen(
      [sys.executable, '-c', script, level], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    pid = int(proc.stdout.readline())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any('sleep' in cmdline(p) for p in descendants(pid)):
      time.sleep(0.02)
    tree = descendants(pid)
    assert any('sleep' in cmdline(p) for p in tree), 'the run did not start'
    proc.kill()
    proc.wait()
    proc.stdout.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and [p for p in tree if alive(p)]:
      time.sleep(0.05)
    assert [p for p in tree if alive(p)] == [], f'{level}: the run outlived its caller'


def test_stale_temp_dirs_of_dead_processes_are_removed(tmp_path):
  dead = subprocess.run(
    [sys.executable, '-c', 'import os; print(os.getpid())'], capture_output=True, text=True
  ).stdout.strip()
  stale = tmp_path / f'raftjax-verify-{dead}-abc'
  stale.mkdir()
  (stale / 'main.c').write_text('int main(void) { return 0; }\n')
  live = tmp_path / f'raftjax-verify-{os.getppid()}-abc'  # our parent is alive
  live.mkdir()
  mine = workdirs.make_temp_dir('raftjax-verify-')  # alive and locked
  removed = workdirs.remove_stale_dirs('raftjax-verify-', str(tmp_path))
  assert removed == [str(stale)] and live.exists() and os.path.isdir(mine)
  workdirs.remove_temp_dir(mine)
  assert not os.path.exists(mine)


# ------------------------------------------------------------------------ as an ordinary user


def _user_python(user: str) -> str | None:
  """An interpreter `user` can run: ours if they can reach it (a venv under /root they cannot), else a
  system one of the same version."""
  version = f'{sys.version_info.major}.{sys.version_info.minor}'
  for python in (sys.executable, f'/usr/bin/python{version}', f'/usr/local/bin/python{version}'):
    if not os.path.exists(python):
      continue
    probe = subprocess.run(
      [
        _admin_tool('runuser'),
        '-u',
        user,
        '--',
        python,
        '-c',
        'import sys; print(f"{sys.version_info.major}.{sys.version_info.minor}")',
      ],
      capture_output=True,
      text=True,
      cwd='/',
    )
    if probe.returncode == 0 and probe.stdout.strip() == version:
      return python
  return None


@pytest.mark.skipif(not ROOT, reason='already running as an ordinary user')
def test_as_an_ordinary_user(tmp_path_factory):
  """This module again, as a user created for it (CI runs as root, which hides what researchers meet),
  with a mode-600 cloud credential in that user's home that no hostile program may see; and the output
  files' checks (tests/test_rundir.py: no FIFO, symlink or directory replaced) as that user too."""
  try:
    pw = pwd.getpwnam(TEST_USER)
  except KeyError:
    subprocess.run([_admin_tool('useradd'), '--create-home', '--shell', '/bin/sh', TEST_USER], check=True)
    pw = pwd.getpwnam(TEST_USER)
  token = 'RAFTJAX-CANARY-' + secrets.token_hex(8)
  os.makedirs(pw.pw_dir, mode=0o700, exist_ok=True)
  os.chown(pw.pw_dir, pw.pw_uid, pw.pw_gid)
  home = os.path.join(pw.pw_dir, f'run-{token[-16:]}')  # HOME of this run only: runs may overlap
  os.mkdir(home)
  secret_path = _plant_secret(home, token, pw.pw_uid, pw.pw_gid)
  python = _user_python(TEST_USER)
  if python is None:
    pytest.fail(f'no Python {sys.version_info.major}.{sys.version_info.minor} that {TEST_USER} can run')
  # A copy the user can read: raftjax (only its host side is imported), this test file, pytest and what the
  # config imports (the venv may sit under a directory the user cannot enter). No conftest: it imports JAX.
  copy = tempfile.mkdtemp(prefix='raftjax-asuser-')
  try:
    package = os.path.dirname(os.path.dirname(sandbox.__file__))
    shutil.copytree(package, os.path.join(copy, 'raftjax'), ignore=shutil.ignore_patterns('__pycache__'))
    os.makedirs(os.path.join(copy, 'tests'))
    for path in (__file__, procs.__file__, os.path.join(os.path.dirname(procs.__file__), 'test_rundir.py')):
      shutil.copy(path, os.path.join(copy, 'tests'))
    site = os.path.join(copy, 'site')
    os.makedirs(site)
    for name in (
      'pytest',
      '_pytest',
      'pluggy',
      'iniconfig',
      'packaging',
      'pygments',
      'py',
      'ml_collections',
      'absl',
      'yaml',
    ):
      source = importlib.import_module(name).__file__
      if os.path.basename(source) == '__init__.py':
        shutil.copytree(os.path.dirname(source), os.path.join(site, name), ignore=shutil.ignore_patterns('__pycache__'))
      else:
        shutil.copy(source, site)
    for root, dirs, files in os.walk(copy):
      for name in dirs + files:
        os.chmod(os.path.join(root, name), 0o755 if name in dirs else 0o644)
    os.chmod(copy, 0o755)
    env = {
      'PATH': '/usr/bin:/bin',
      'HOME': home,
      'USER': TEST_USER,
      'LC_ALL': 'C.UTF-8',
      'PYTHONPATH': f'{copy}:{site}',
      'PYTHONDONTWRITEBYTECODE': '1',
      'RAFTJAX_TEST_SECRET_FILE': secret_path,
      'RAFTJAX_TEST_SECRET': token,
    }
    proc = subprocess.run(
      [
        _admin_tool('runuser'),
        '-u',
        TEST_USER,
        '--',
        'env',
        '-i',
        *[f'{k}={v}' for k, v in env.items()],
        python,
        '-m',
        'pytest',
        '-q',
        '-p',
        'no:cacheprovider',
        '--noconftest',
        '-rs',
        'tests/test_sandbox.py',
        'tests/test_rundir.py',
      ],
      cwd=copy,
      capture_output=True,
      text=True,
      timeout=900,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    # Everything ran but this test (the user cannot become another user); both levels were produced.
    summary = output.strip().splitlines()[-1]
    skips = re.findall(r'SKIPPED \[(\d+)\] [^:]+:\d+: (.*)', output)
    assert re.fullmatch(r'=* ?\d+ passed, \d+ skipped in .*', summary), output[-3000:]
    assert ('1', 'already running as an ordinary user') in skips, output[-3000:]
    assert {reason for _, reason in skips} <= {
      'already running as an ordinary user',
      'needs namespaces',
      'mknod needs root',
    }
    if not [reason for _, reason in skips if reason == 'needs namespaces']:
      print(f'as {TEST_USER}: {summary}')  # ns and pgrp both tested
    assert token not in output  # not even in a failure message
  finally:
    shutil.rmtree(copy, ignore_errors=True)
    shutil.rmtree(home, ignore_errors=True)
