"""Runs one untrusted command (gcc, or a compiled program) in a throw-away sandbox.

Every call starts a small C launcher (its source is `_LAUNCHER_C` below, built once per process with
the host C compiler) that sets up the isolation, runs the command, enforces the wall-clock limit and
reports exactly how the command ended (exit status or signal). The Python side feeds stdin from a file
(never the caller's stdin), reads stdout/stderr incrementally with a byte cap, and the caller removes
the work directory afterwards. The launcher is a child subreaper, so every orphaned descendant of the
command becomes its child and is killed before it exits: at every level nothing outlives a run.

Isolation levels, best first (`Outcome.isolation` says which one a run got):

'ns'   Linux namespaces: pid, mount, network, ipc, uts (as root directly; as non-root, or as root where
       that is refused, inside a new user namespace that maps only the command's own uid). The command
       runs under an init process that is pid 1 of a fresh PID namespace; when the command exits, times
       out or is killed, init dies and the kernel kills every process in the namespace (double-forked
       `setsid` daemons included) before the launcher returns. The network namespace has only a downed
       loopback: no connection to anything, the host's loopback included. The host filesystem is
       mounted read-only and nosuid (recursive mount_setattr, Linux >= 5.12); the only writable places
       are a private size-limited tmpfs (`scratch_mb`) on /tmp, /var/tmp and /dev/shm, which is also a
       compiled program's working directory, and, for gcc only, its own work directory. /proc is a
       fresh mount showing only the sandbox's processes (an empty one where that mount is refused).
'uid'  No namespaces, running as root: the command runs as a uid of its own (SANDBOX_UID_BASE + launcher
       pid, unique among live sandboxes), so RLIMIT_NPROC is enforced per sandbox, and the command
       cannot signal, ptrace or read the environment of any other process, nor write root-owned files.
       Cleanup also kills every process of that uid (kill(-1) from that uid). Not enforced: network
       isolation; the world-writable /tmp, /var/tmp, /dev/shm, /run/lock stay writable (bounded per
       file by RLIMIT_FSIZE, not in total); the host's process list is visible.
'pgrp' Neither namespaces nor root: the command runs as the calling user, in a new session. Descendants
       are still all killed (subreaper), RLIMIT_NPROC is the user's current process count plus
       `max_processes`. Not enforced: network and filesystem isolation beyond the user's permissions,
       and, being the same user, the command could signal or ptrace the trainer itself. Use 'ns' or
       'uid' for untrusted code.

At every level: a fresh work directory; rlimits on CPU time, address space, file size, process count,
open files and core size (0); no_new_privs (setuid binaries do not elevate); a clean environment (only
what the caller passes: the verifier passes PATH, plus LC_ALL=C for gcc); stdin from a file or
/dev/null; stdout and stderr capped at `max_output_bytes` each (the run is killed as soon as a cap is
passed, nothing past it is buffered); a wall-clock limit after which everything is killed.
"""

import dataclasses
import math
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import threading
import time

SANDBOX_UID_BASE = 2_000_000_000  # + launcher pid; far above any real or subordinate uid range
_SANDBOX_UID_SPAN = 1 << 22  # pid_max is at most 2**22

_F_SCRATCH = 1  # run with cwd in the private tmpfs (compiled programs), not in the work directory
_F_NO_NAMESPACES = 2  # skip namespaces even where available (tests of the fallback levels)

_LAUNCHER_C = r'''
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* argv: REPORT_FD WALL_MS CPU_S MEM_MB FSIZE_MB NPROC NOFILE SCRATCH_MB FLAGS UID_BASE PROGRAM [ARGS...]
   Reports one line on REPORT_FD: "<isolation> exit N" | "<isolation> signal N" | "<isolation> timeout 0" |
   "<isolation> killed 0" | "error <what>: <errno text>". SIGTERM to the launcher kills the run. */
enum { F_SCRATCH = 1, F_NO_NS = 2 };
enum { A_REPORT = 1, A_WALL, A_CPU, A_MEM, A_FSIZE, A_NPROC, A_NOFILE, A_SCRATCH, A_FLAGS, A_BASE, A_PROG };

static long arg[A_PROG];
static uid_t sbx_uid;
static gid_t sbx_gid;
static int sandbox_uid; /* we were root: the command runs as a uid of its own */
static sigset_t old_mask;

static void fail(const char *what) {
  dprintf(arg[A_REPORT], "error %s: %s\n", what, strerror(errno));
  _exit(125);
}

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) fail(path);
  close(fd);
}

static void drop_privileges(void) {
  if (setgroups(0, NULL) || setresgid(sbx_gid, sbx_gid, sbx_gid) ||
      setresuid(sbx_uid, sbx_uid, sbx_uid))
    fail("drop privileges");
}

static void set_limit(int resource, rlim_t soft, rlim_t hard) {
  struct rlimit r = {soft, hard};
  if (setrlimit(resource, &r)) fail("setrlimit");
}

/* Processes other than us whose /proc entry belongs to `uid`. */
static long count_processes(uid_t uid) {
  long n = 0;
  DIR *d = opendir("/proc");
  struct dirent *e;
  struct stat st;
  char path[300];
  if (!d) return 0;
  while ((e = readdir(d)))
    if (e->d_name[0] >= '1' && e->d_name[0] <= '9' && atol(e->d_name) != getpid()) {
      snprintf(path, sizeof path, "/proc/%s", e->d_name);
      if (!stat(path, &st) && st.st_uid == uid) n++;
    }
  closedir(d);
  return n;
}

/* Tries the namespaces; returns 1 when inside them. As root no user namespace is needed (and a
   root-mapped one would exempt the command from RLIMIT_NPROC); otherwise, or where that is refused,
   an unprivileged user namespace maps our (sandbox) uid to itself. */
static int enter_namespaces(void) {
  const int base = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
  char map[64];
  if (arg[A_FLAGS] & F_NO_NS) return 0;
  if (sandbox_uid && unshare(base) == 0) return 1;
  if (sandbox_uid) drop_privileges();
  if (unshare(base | CLONE_NEWUSER)) return 0;
  prctl(PR_SET_DUMPABLE, 1); /* dropping root made /proc/self root-owned; we must write the maps */
  write_file("/proc/self/setgroups", "deny");
  snprintf(map, sizeof map, "%u %u 1", (unsigned)sbx_uid, (unsigned)sbx_uid);
  write_file("/proc/self/uid_map", map);
  snprintf(map, sizeof map, "%u %u 1", (unsigned)sbx_gid, (unsigned)sbx_gid);
  write_file("/proc/self/gid_map", map);
  prctl(PR_SET_DUMPABLE, 0);
  return 1;
}

/* In the new mount namespace: everything read-only and nosuid, one private tmpfs on /tmp (bound to
   /var/tmp and /dev/shm), a /proc of the new pid namespace; gcc keeps its work directory writable. */
static void setup_mounts(const char *workdir) {
  struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID};
  char opts[128];
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) fail("make mounts private");
  if (syscall(SYS_mount_setattr, -1, "/", AT_RECURSIVE, &ro, sizeof ro) && errno != ENOSYS)
    fail("read-only root"); /* ENOSYS: Linux < 5.12, the host filesystem stays as it is */
  if (!(arg[A_FLAGS] & F_SCRATCH) &&  /* a bind copies the read-only flag: remount it writable */
      (mount(workdir, workdir, NULL, MS_BIND, NULL) ||
       mount(NULL, workdir, NULL, MS_REMOUNT | MS_BIND | MS_NOSUID, NULL)))
    fail("writable workdir");
  if (chdir(workdir)) fail("chdir workdir"); /* keeps the work directory even under /tmp's tmpfs */
  snprintf(opts, sizeof opts, "size=%ldm,nr_inodes=4096,mode=0700,uid=%u,gid=%u", arg[A_SCRATCH],
           (unsigned)sbx_uid, (unsigned)sbx_gid);
  if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, opts)) fail("mount /tmp");
  mount("/tmp", "/var/tmp", NULL, MS_BIND, NULL); /* best effort: either may be missing */
  mount("/tmp", "/dev/shm", NULL, MS_BIND, NULL);
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) &&
      mount("tmpfs", "/proc", "tmpfs", MS_RDONLY, "size=4k")) /* else hide the host's processes */
    fail("mount /proc");
  if ((arg[A_FLAGS] & F_SCRATCH) && chdir("/tmp")) fail("chdir scratch");
}

static void exec_command(int exe, char **argv, int ns) {
  sigprocmask(SIG_SETMASK, &old_mask, NULL);
  if (setsid() < 0) fail("setsid");
  if (geteuid() == 0) drop_privileges();
  /* Without a pid namespace or a uid of its own, RLIMIT_NPROC counts all of the user's processes. */
  long nproc = arg[A_NPROC] + (ns || sandbox_uid ? 0 : count_processes(getuid()));
  set_limit(RLIMIT_CPU, arg[A_CPU], arg[A_CPU] + 1); /* SIGXCPU first, SIGKILL a second later */
  set_limit(RLIMIT_AS, arg[A_MEM] << 20, arg[A_MEM] << 20);
  set_limit(RLIMIT_FSIZE, arg[A_FSIZE] << 20, arg[A_FSIZE] << 20);
  set_limit(RLIMIT_NPROC, nproc, nproc);
  set_limit(RLIMIT_NOFILE, arg[A_NOFILE], arg[A_NOFILE]);
  set_limit(RLIMIT_CORE, 0, 0);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) fail("no_new_privs");
  fexecve(exe, argv, environ);
  fail("exec");
}

/* pid 1 of the new pid namespace: runs the command, reaps orphans, and when the command ends kills
   whatever it left behind. Its own exit makes the kernel kill anything still in the namespace. */
static void init_main(int exe, char **argv, const char *workdir, int go, int status_fd) {
  char byte;
  int status = 0, st;
  pid_t pid, command;
  prctl(PR_SET_PDEATHSIG, SIGKILL); /* the launcher killed -> the whole namespace goes */
  prctl(PR_SET_DUMPABLE, 0);        /* nobody in the sandbox may ptrace init */
  if (read(go, &byte, 1) != 1) _exit(1); /* EOF: the launcher died before PDEATHSIG was armed */
  setup_mounts(workdir);
  command = fork();
  if (command < 0) fail("fork command");
  if (command == 0) exec_command(exe, argv, 1);
  while ((pid = wait(&st)) > 0 || errno == EINTR)
    if (pid == command) {
      status = st;
      if (getpid() == 1) kill(-1, SIGKILL); /* only ever inside our own pid namespace */
    }
  if (write(status_fd, &status, sizeof status) != sizeof status) _exit(1);
  _exit(0);
}

/* Stops the run now: the namespace's init (its death empties the namespace), or the command's
   process group and, with a sandbox uid, every process of that uid (kill(-1) as a non-root uid reaches
   only its own; it is atomic with respect to fork, so a fork bomb cannot outrun it). */
static void kill_run(pid_t child, int ns) {
  if (ns) {
    kill(child, SIGKILL);
    return;
  }
  kill(-child, SIGKILL);
  if (sandbox_uid && geteuid() == sbx_uid && geteuid() != 0) kill(-1, SIGKILL);
}

/* The launcher is a child subreaper, so every orphaned descendant (a double-forked daemon included)
   becomes its child: kill those until none is left. */
static void kill_children(void) {
  char path[64];
  long pid;
  FILE *f;
  snprintf(path, sizeof path, "/proc/self/task/%d/children", getpid());
  if (!(f = fopen(path, "re"))) return;
  while (fscanf(f, "%ld", &pid) == 1) kill(pid, SIGKILL);
  fclose(f);
}

/* Without namespaces, after the command is reaped: kill and reap everything it left behind. */
static void sweep(pid_t child) {
  struct timespec pause = {0, 1000000};
  for (int i = 0; i < 2000; i++) {
    kill_run(child, 0);
    kill_children();
    while (waitpid(-1, NULL, WNOHANG) > 0) {}
    if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD) return;
    nanosleep(&pause, NULL);
  }
}

static long ms_since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int main(int argc, char **argv) {
  int exe, ns, go[2], st[2], status = 0, got;
  const char *end = "exit";
  char workdir[4096];
  struct timespec t0;
  sigset_t mask;
  pid_t child;

  if (argc <= A_PROG) return 125;
  for (int i = 1; i < A_PROG; i++) arg[i] = atol(argv[i]);
  if (fcntl(arg[A_REPORT], F_SETFD, FD_CLOEXEC)) return 125;
  if (!getcwd(workdir, sizeof workdir)) fail("getcwd");
  exe = open(argv[A_PROG], O_RDONLY | O_CLOEXEC); /* opened before the mounts hide the work dir */
  if (exe < 0) fail("open program");
  sandbox_uid = geteuid() == 0;
  sbx_uid = sandbox_uid ? (uid_t)(arg[A_BASE] + getpid()) : getuid();
  sbx_gid = sandbox_uid ? (gid_t)(arg[A_BASE] + getpid()) : getgid();
  if (sandbox_uid && chown(".", sbx_uid, sbx_gid)) fail("chown workdir");

  if (prctl(PR_SET_CHILD_SUBREAPER, 1)) fail("subreaper");
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigprocmask(SIG_BLOCK, &mask, &old_mask);
  ns = enter_namespaces();
  if (!ns && sandbox_uid && geteuid() == 0) drop_privileges(); /* kill(-1) below must not be root's */
  if (pipe2(go, O_CLOEXEC) || pipe2(st, O_CLOEXEC)) fail("pipe");
  clock_gettime(CLOCK_MONOTONIC, &t0);
  child = fork();
  if (child < 0) fail("fork");
  if (child == 0) {
    close(go[1]); /* else init would hold the write end of its own start signal */
    if (ns) init_main(exe, argv + A_PROG, workdir, go[0], st[1]);
    exec_command(exe, argv + A_PROG, 0);
  }
  close(st[1]);
  if (write(go[1], "x", 1) != 1) fail("start init");

  for (;;) {
    struct timespec wait_for;
    long left = arg[A_WALL] - ms_since(&t0);
    int sig;
    if (waitpid(child, &status, WNOHANG) == child) break;
    if (left <= 0) end = "timeout";
    else {
      wait_for.tv_sec = left / 1000;
      wait_for.tv_nsec = left % 1000 * 1000000;
      sig = sigtimedwait(&mask, NULL, &wait_for);
      if (sig == SIGTERM) end = "killed";
      if (sig == SIGCHLD || sig < 0) continue;
    }
    kill_run(child, ns);
    waitpid(child, &status, 0); /* for init: returns once the namespace is empty */
    break;
  }
  if (!ns) sweep(child);
  if (ns && end[0] == 'e') { /* status of the command, as seen by init */
    got = read(st[0], &status, sizeof status);
    if (got != sizeof status) { errno = EIO; fail("command status"); }
  }
  const char *level = ns ? "ns" : sandbox_uid ? "uid" : "pgrp";
  if (end[0] != 'e') dprintf(arg[A_REPORT], "%s %s 0\n", level, end);
  else if (WIFSIGNALED(status)) dprintf(arg[A_REPORT], "%s signal %d\n", level, WTERMSIG(status));
  else dprintf(arg[A_REPORT], "%s exit %d\n", level, WEXITSTATUS(status));
  return 0;
}
'''


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


@dataclasses.dataclass(frozen=True)
class Outcome:
  exit_code: int | None  # None when killed by a signal or the sandbox
  signal: int | None
  timed_out: bool
  output_exceeded: bool  # stdout or stderr went past max_output_bytes; the run was killed
  stdout: bytes
  stderr: bytes
  wall_s: float
  isolation: str  # 'ns' | 'uid' | 'pgrp', see the module docstring
  sandbox_uid: int | None  # the uid the command ran as when we were root (for process-table checks)


_launcher_lock = threading.Lock()
_launcher: str | None = None


def set_launcher(path: str) -> None:
  """Uses an already built launcher (pool workers get the parent's)."""
  global _launcher
  _launcher = path


def launcher(cc: str = 'gcc') -> str:
  """Path of the launcher binary, built with `cc` on first use and removed at exit."""
  global _launcher
  with _launcher_lock:
    if _launcher is None:
      compiler = shutil.which(cc)
      if compiler is None:
        raise SandboxError(f'sandbox: C compiler {cc!r} not found (needed to build the launcher)')
      build = tempfile.mkdtemp(prefix='raftjax-sandbox-')
      os.chmod(build, 0o755)
      src, exe = os.path.join(build, 'launcher.c'), os.path.join(build, 'launcher')
      with open(src, 'w') as f:
        f.write(_LAUNCHER_C)
      proc = subprocess.run([compiler, '-O2', '-Wall', '-o', exe, src], capture_output=True, text=True)
      if proc.returncode != 0:
        raise SandboxError(f'sandbox: building the launcher failed:\n{proc.stderr}')
      import atexit  # pylint: disable=import-outside-toplevel
      atexit.register(shutil.rmtree, build, True)
      _launcher = exe
    return _launcher


def run(argv: list[str], workdir: str, limits: Limits, *, stdin: bytes | None = None,
        env: dict[str, str] | None = None, scratch: bool = False,
        namespaces: bool = True) -> Outcome:
  """Runs argv[0] (an absolute path) with the given limits; cwd is `workdir` unless `scratch`."""
  flags = (_F_SCRATCH if scratch else 0) | (0 if namespaces else _F_NO_NAMESPACES)
  cpu_s = math.ceil(limits.wall_s) + 1  # the wall clock is the real limit; CPU time is the backstop
  cmd = [launcher(), str(int(limits.wall_s * 1000)), str(cpu_s), str(limits.memory_mb),
         str(limits.file_size_mb), str(limits.max_processes), str(limits.max_open_files),
         str(limits.scratch_mb), str(flags), str(SANDBOX_UID_BASE), *argv]
  report_r, report_w = os.pipe()
  cmd.insert(1, str(report_w))
  t0 = time.monotonic()
  try:
    with _stdin_file(stdin) as stdin_f:
      proc = subprocess.Popen(cmd, cwd=workdir, env=env or {}, stdin=stdin_f, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, pass_fds=(report_w,), start_new_session=True)
  except BaseException:
    os.close(report_r)
    raise
  finally:
    os.close(report_w)
  with os.fdopen(report_r, 'rb') as report_f:
    try:
      stdout, stderr, exceeded = _read_capped(proc, limits)
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


def _read_capped(proc: subprocess.Popen, limits: Limits) -> tuple[bytes, bytes, bool]:
  """Reads both pipes until EOF, keeping at most the cap of each; a cap hit kills the run."""
  bufs = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
  exceeded = False
  deadline = time.monotonic() + limits.wall_s + 5.0  # the launcher enforces wall_s; this is a backstop
  with selectors.DefaultSelector() as sel:
    for fd in bufs:
      os.set_blocking(fd, False)
      sel.register(fd, selectors.EVENT_READ)
    while sel.get_map() and time.monotonic() < deadline:
      if proc.poll() is not None:  # only a 'pgrp'-level escapee can hold the pipes open now
        deadline = min(deadline, time.monotonic() + 0.2)
      for key, _ in sel.select(timeout=0.1):
        chunk = os.read(key.fd, 65536)
        if not chunk:
          sel.unregister(key.fd)
          continue
        buf = bufs[key.fd]
        room = limits.max_output_bytes - len(buf)
        buf += chunk[:max(room, 0)]
        if len(chunk) > room and not exceeded:
          exceeded = True
          proc.send_signal(signal.SIGTERM)  # the launcher kills the whole run and reports
  return bytes(bufs[proc.stdout.fileno()]), bytes(bufs[proc.stderr.fileno()]), exceeded


def _reap(proc: subprocess.Popen, limits: Limits) -> None:
  """Waits for the launcher; if it is stuck past the backstop, kills its session."""
  try:
    proc.wait(timeout=limits.wall_s + 5.0)
  except subprocess.TimeoutExpired:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
  proc.stdout.close()
  proc.stderr.close()


def _outcome(report: str, proc: subprocess.Popen, stdout: bytes, stderr: bytes, exceeded: bool,
             wall_s: float) -> Outcome:
  words = report.split()
  if len(words) < 3 or words[0] == 'error' or proc.returncode != 0:
    raise SandboxError(f'sandbox: launcher failed (status {proc.returncode}): {report.strip()!r}')
  isolation, end, value = words[0], words[1], int(words[2])
  uid = SANDBOX_UID_BASE + proc.pid if isolation != 'pgrp' and os.geteuid() == 0 else None
  return Outcome(exit_code=value if end == 'exit' else None,
                 signal=value if end == 'signal' else None,
                 timed_out=end == 'timeout', output_exceeded=exceeded, stdout=stdout, stderr=stderr,
                 wall_s=wall_s, isolation=isolation, sandbox_uid=uid)


def is_sandbox_uid(uid: int) -> bool:
  return SANDBOX_UID_BASE <= uid < SANDBOX_UID_BASE + _SANDBOX_UID_SPAN
