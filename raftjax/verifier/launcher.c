/* The sandbox launcher of raftjax (see raftjax/verifier/sandbox.py, which builds it once per process with
   -Wall -Wextra -Werror and starts it for every compile and every run).

   argv: REPORT_FD WALL_MS CPU_S MEM_MB FSIZE_MB NPROC NOFILE SCRATCH_MB FLAGS UID_BASE PARENT_PID LEVEL
         [ROOT ...] -- PROGRAM [ARGS...]

   LEVEL is the isolation to provide, exactly: the launcher never falls back to a weaker one; if it
   cannot set LEVEL up it reports an error and runs nothing.
     ns    namespaces (pid, mount, network, ipc, uts, cgroup; a user namespace where needed) and a
           minimal root built from the ROOT entries: "d/path" a directory and "f/path" a file, both
           bound read-only, "l/path=target" a symlink. Nothing else of the host's filesystem is visible.
     uid   (root only) no namespaces; the command runs as a uid of its own (UID_BASE + our pid). The
           launcher itself stays root, so the command can neither signal nor trace it.
     pgrp  (non-root only) no namespaces; the command runs as the caller, in a session of its own; the
           seccomp filter lets it signal only its own process group.
   At every level the command gets rlimits, no_new_privs and the seccomp filter below.

   Reports one line on REPORT_FD: "<level> exit N" | "<level> signal N" | "<level> timeout 0" |
   "<level> killed 0" | "error <what>: <errno text>". SIGTERM to the launcher stops the run (killed), and
   the launcher gets SIGTERM when the process that started it dies (parent-death signal), so a killed
   verifier leaves nothing running. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#define SBX_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SBX_AUDIT_ARCH AUDIT_ARCH_AARCH64
#elif defined(__riscv) && __riscv_xlen == 64
#define SBX_AUDIT_ARCH AUDIT_ARCH_RISCV64
#else
#error "raftjax sandbox: no seccomp filter for this architecture (x86_64, aarch64, riscv64 are known)"
#endif

/* Linux >= 5.12; spelled out here because <linux/mount.h> and <sys/mount.h> clash on some glibcs. */
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
/* Syscalls newer than some distributions' headers: numbered alike on every architecture since 5.1. */
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#define SYS_io_uring_enter 426
#define SYS_io_uring_register 427
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#define SYS_move_mount 429
#define SYS_fsopen 430
#define SYS_fsconfig 431
#define SYS_fsmount 432
#define SYS_fspick 433
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
struct sbx_mount_attr { uint64_t attr_set, attr_clr, propagation, userns_fd; };
enum { ATTR_RDONLY = 1, ATTR_NOSUID = 2, ATTR_NODEV = 4 };

enum { F_SCRATCH = 1 };
enum { A_REPORT = 1, A_WALL, A_CPU, A_MEM, A_FSIZE, A_NPROC, A_NOFILE, A_SCRATCH, A_FLAGS, A_BASE, A_PARENT,
       A_LEVEL };
enum level { NS, UID, PGRP };
static const char *const level_name[] = {"ns", "uid", "pgrp"};

#define NEW_ROOT "/tmp"       /* where the minimal root is built before pivot_root (a fresh tmpfs) */
#define WORK_DIR "/sandbox"   /* gcc's work directory inside the minimal root */
#define MAX_ROOT 256

static long arg[A_LEVEL];
static enum level level;
static uid_t sbx_uid;
static gid_t sbx_gid;
static int own_uid; /* we are root: the command runs as a uid of its own */
static sigset_t old_mask;
static const char *root_entry[MAX_ROOT];
static int root_fd[MAX_ROOT], n_root;
static const char *const dev_node[] = {"null", "zero", "full", "random", "urandom"};
static int dev_fd[sizeof dev_node / sizeof *dev_node];

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

/* ------------------------------------------------------------------------------------- seccomp */

/* What a compiler or a test program has no business doing, at every level (the same families as
   flatpak's and Docker's default filters, which bubblewrap users rely on): making namespaces (new
   user namespaces open most of the kernel's attack surface to an unprivileged process), mounting or
   changing root, tracing or reading other processes, the kernel keyring (not namespaced), bpf,
   perf, userfaultfd (a favourite of kernel exploits), io_uring (its operations bypass this filter),
   opening files by handle, modules, kexec, reboot, swap, accounting, the kernel log, and sockets of any
   family (no test program needs one: this closes the network and filesystem and abstract UNIX sockets
   even where there is no network namespace; socketpair stays). TIOCSTI/TIOCLINUX would inject input
   into a terminal. clone3 answers ENOSYS (its flags sit behind a pointer the filter cannot read) and
   the C library falls back to clone, whose namespace flags are checked. */
static const int denied[] = {
    SYS_unshare, SYS_setns, SYS_mount, SYS_umount2, SYS_pivot_root, SYS_chroot, SYS_open_tree,
    SYS_move_mount, SYS_fsopen, SYS_fsconfig, SYS_fsmount, SYS_fspick, SYS_mount_setattr,
    SYS_ptrace, SYS_process_vm_readv, SYS_process_vm_writev, SYS_pidfd_getfd, SYS_kcmp,
    SYS_keyctl, SYS_add_key, SYS_request_key, SYS_bpf, SYS_perf_event_open, SYS_userfaultfd,
    SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register, SYS_name_to_handle_at,
    SYS_open_by_handle_at, SYS_init_module, SYS_finit_module, SYS_delete_module, SYS_kexec_load,
    SYS_kexec_file_load, SYS_reboot, SYS_swapon, SYS_swapoff, SYS_acct, SYS_quotactl, SYS_syslog,
    SYS_vhangup, SYS_settimeofday, SYS_clock_settime, SYS_clock_adjtime, SYS_socket,
    SYS_move_pages, SYS_migrate_pages,
#ifdef SYS_uselib
    SYS_uselib,
#endif
#ifdef SYS_modify_ldt
    SYS_modify_ldt,
#endif
#ifdef SYS_iopl
    SYS_iopl, SYS_ioperm,
#endif
};
/* At the 'pgrp' level the command is the caller's own uid, so it could signal the launcher, the
   verifier and everything else of the caller: there it may signal only itself and its own process
   group, and set rlimits only of itself. */
static const int own_pid_only[] = {SYS_tkill, SYS_tgkill, SYS_rt_sigqueueinfo, SYS_rt_tgsigqueueinfo,
                                   SYS_prlimit64};
static const int denied_pgrp[] = {SYS_pidfd_open, SYS_pidfd_send_signal};

#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | \
                  CLONE_NEWNET | CLONE_NEWCGROUP)
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#else
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#endif
#define RET_ERRNO(e) (SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))

static struct sock_filter insn[256];
static unsigned short n_insn;

static void emit(unsigned short code, unsigned k, unsigned char jt, unsigned char jf) {
  if (n_insn == sizeof insn / sizeof *insn) { errno = E2BIG; fail("seccomp filter"); }
  insn[n_insn++] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
}

static void deny(int nr, int err) {
  emit(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1);
  emit(BPF_RET | BPF_K, RET_ERRNO(err), 0, 0);
}

/* Each block below ends in a return, so the accumulator still holds the syscall number wherever a
   "not this syscall" jump lands. `pid` is the command's own pid (pgrp level), else 0. */
static void install_seccomp(pid_t pid) {
  struct sock_fprog prog;
  const unsigned allow = SECCOMP_RET_ALLOW, eperm = RET_ERRNO(EPERM);
  emit(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
  emit(BPF_JMP | BPF_JEQ | BPF_K, SBX_AUDIT_ARCH, 1, 0);
  emit(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0); /* e.g. 32-bit syscalls from a 64-bit process */
  emit(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
#ifdef __x86_64__
  emit(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1); /* the x32 ABI: other numbers for the same calls */
  emit(BPF_RET | BPF_K, eperm, 0, 0);
#endif
  for (size_t i = 0; i < sizeof denied / sizeof *denied; i++) deny(denied[i], EPERM);
  deny(SYS_clone3, ENOSYS);
  emit(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 4);
  emit(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0), 0, 0);
  emit(BPF_JMP | BPF_JSET | BPF_K, NS_FLAGS, 0, 1);
  emit(BPF_RET | BPF_K, eperm, 0, 0);
  emit(BPF_RET | BPF_K, allow, 0, 0);
  emit(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, 5); /* the kernel reads only 32 bits of the request */
  emit(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1), 0, 0);
  emit(BPF_JMP | BPF_JEQ | BPF_K, TIOCSTI, 2, 0);
  emit(BPF_JMP | BPF_JEQ | BPF_K, TIOCLINUX, 1, 0);
  emit(BPF_RET | BPF_K, allow, 0, 0);
  emit(BPF_RET | BPF_K, eperm, 0, 0);
  if (pid) {
    for (size_t i = 0; i < sizeof denied_pgrp / sizeof *denied_pgrp; i++) deny(denied_pgrp[i], EPERM);
    emit(BPF_JMP | BPF_JEQ | BPF_K, SYS_kill, 0, 6); /* kill(0 | pid | -pid, sig) */
    emit(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0), 0, 0);
    emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 3, 0);
    emit(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)pid, 2, 0);
    emit(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)-pid, 1, 0);
    emit(BPF_RET | BPF_K, eperm, 0, 0);
    emit(BPF_RET | BPF_K, allow, 0, 0);
    for (size_t i = 0; i < sizeof own_pid_only / sizeof *own_pid_only; i++) {
      emit(BPF_JMP | BPF_JEQ | BPF_K, own_pid_only[i], 0, 5); /* first argument 0 or our pid */
      emit(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0), 0, 0);
      emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0);
      emit(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)pid, 1, 0);
      emit(BPF_RET | BPF_K, eperm, 0, 0);
      emit(BPF_RET | BPF_K, allow, 0, 0);
    }
  }
  emit(BPF_RET | BPF_K, allow, 0, 0);
  prog.len = n_insn;
  prog.filter = insn;
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) fail("seccomp");
}

/* --------------------------------------------------------------------------------- minimal root */

static void make_dirs(char *path) { /* mkdir -p, in the new root only */
  for (char *p = path + 1; *p; p++)
    if (*p == '/') {
      *p = 0;
      if (mkdir(path, 0755) && errno != EEXIST) fail(path);
      *p = '/';
    }
  if (mkdir(path, 0755) && errno != EEXIST) fail(path);
}

static void make_parent(char *path) {
  char *slash = strrchr(path, '/');
  if (slash == path) return;
  *slash = 0;
  make_dirs(path);
  *slash = '/';
}

/* Read-only, nosuid, nodev (or just the last two) on a bind mount and everything below it. Linux <
   5.12 has no mount_setattr: a remount, which in a user namespace must repeat the flags the kernel
   locked on the original mount. */
static void restrict_mount(const char *path, int readonly) {
  struct sbx_mount_attr attr = {.attr_set = ATTR_NOSUID | ATTR_NODEV | (readonly ? ATTR_RDONLY : 0)};
  struct statvfs st;
  unsigned long flags = MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | (readonly ? MS_RDONLY : 0);
  if (!syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof attr)) return;
  if (errno != ENOSYS || statvfs(path, &st)) fail(path);
  if (st.f_flag & ST_RDONLY) flags |= MS_RDONLY;
  if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (st.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  if (mount(NULL, path, NULL, flags, NULL)) fail(path);
}

static void bind_fd(int fd, const char *target, unsigned long rec) {
  char src[64];
  snprintf(src, sizeof src, "/proc/self/fd/%d", fd); /* the source was opened before any mount */
  if (mount(src, target, NULL, MS_BIND | rec, NULL)) fail(target);
}

/* Opened in the new mount namespace (a bind source must belong to it) before anything is mounted: the
   sources stay reachable whatever the new root is built over. */
static void open_root_sources(void) {
  char path[4096];
  for (int i = 0; i < n_root; i++) {
    const char *e = root_entry[i];
    root_fd[i] = -1;
    if (e[0] == 'l') continue;
    if ((e[0] != 'd' && e[0] != 'f') || e[1] != '/') { errno = EINVAL; fail(e); }
    root_fd[i] = open(e + 1, O_PATH | O_CLOEXEC | (e[0] == 'd' ? O_DIRECTORY : 0));
    if (root_fd[i] < 0) fail(e + 1);
  }
  for (size_t i = 0; i < sizeof dev_node / sizeof *dev_node; i++) {
    snprintf(path, sizeof path, "/dev/%s", dev_node[i]);
    if ((dev_fd[i] = open(path, O_PATH | O_CLOEXEC)) < 0) fail(path);
  }
}

static void new_file(const char *path) {
  int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0444);
  if (fd < 0) fail(path);
  close(fd);
}

static void new_symlink(const char *target, const char *path) {
  if (symlink(target, path) && errno != EEXIST) fail(path);
}

/* In the new mount namespace (init of the pid namespace): a tmpfs root holding read-only binds of the
   ROOT entries, five /dev nodes, a fresh /proc, the private scratch tmpfs on /tmp, and for gcc its
   work directory on WORK_DIR; then pivot_root into it and drop the host's tree. */
static void setup_root(void) {
  char path[4096 + 64], opts[160];
  int gcc = !(arg[A_FLAGS] & F_SCRATCH);
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) fail("make mounts private");
  open_root_sources();
  if (mount("tmpfs", NEW_ROOT, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,nr_inodes=4096,mode=0755"))
    fail("mount new root");
  for (int i = 0; i < n_root; i++) {
    const char *e = root_entry[i];
    if (e[0] == 'l') {
      const char *eq = strchr(e, '=');
      if (!eq || e[1] != '/') { errno = EINVAL; fail(e); }
      snprintf(path, sizeof path, NEW_ROOT "%.*s", (int)(eq - e - 1), e + 1);
      make_parent(path);
      new_symlink(eq + 1, path);
      continue;
    }
    snprintf(path, sizeof path, NEW_ROOT "%s", e + 1);
    if (e[0] == 'd') make_dirs(path);
    else { make_parent(path); new_file(path); }
    bind_fd(root_fd[i], path, MS_REC);
    restrict_mount(path, 1);
  }
  make_dirs(strcpy(path, NEW_ROOT "/dev"));
  for (size_t i = 0; i < sizeof dev_node / sizeof *dev_node; i++) {
    snprintf(path, sizeof path, NEW_ROOT "/dev/%s", dev_node[i]);
    new_file(path);
    bind_fd(dev_fd[i], path, 0);
  }
  new_symlink("/proc/self/fd", NEW_ROOT "/dev/fd");
  new_symlink("/proc/self/fd/0", NEW_ROOT "/dev/stdin");
  new_symlink("/proc/self/fd/1", NEW_ROOT "/dev/stdout");
  new_symlink("/proc/self/fd/2", NEW_ROOT "/dev/stderr");
  new_symlink("/tmp", NEW_ROOT "/dev/shm");
  make_dirs(strcpy(path, NEW_ROOT "/var"));
  new_symlink("/tmp", NEW_ROOT "/var/tmp");
  make_dirs(strcpy(path, NEW_ROOT "/tmp"));
  make_dirs(strcpy(path, NEW_ROOT "/proc"));
  /* A fresh /proc of the new pid namespace. In a user namespace the kernel allows it only while a
     complete /proc is visible, i.e. before the host's tree is dropped; where it refuses, /proc stays an
     empty directory. */
  mount("proc", NEW_ROOT "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  if (gcc) {
    make_dirs(strcpy(path, NEW_ROOT WORK_DIR));
    if (mount(".", NEW_ROOT WORK_DIR, NULL, MS_BIND, NULL)) fail("bind work dir"); /* cwd: the work dir */
    restrict_mount(NEW_ROOT WORK_DIR, 0);
  }
  if (chdir(NEW_ROOT) || syscall(SYS_pivot_root, ".", ".") || umount2(".", MNT_DETACH) || chdir("/"))
    fail("pivot_root");
  snprintf(opts, sizeof opts, "size=%ldm,nr_inodes=4096,mode=0700,uid=%u,gid=%u", arg[A_SCRATCH],
           (unsigned)sbx_uid, (unsigned)sbx_gid);
  if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, opts)) fail("mount /tmp");
  if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL))
    fail("read-only root");
  if (chdir(gcc ? WORK_DIR : "/tmp")) fail("chdir");
  for (int i = 0; i < n_root; i++)
    if (root_fd[i] >= 0) close(root_fd[i]);
  for (size_t i = 0; i < sizeof dev_node / sizeof *dev_node; i++) close(dev_fd[i]);
}

/* ---------------------------------------------------------------------------------- processes */

/* As root no user namespace is needed (and a root-mapped one would exempt the command from
   RLIMIT_NPROC); otherwise, or where that is refused, an unprivileged user namespace maps our
   (sandbox) uid to itself. */
static void enter_namespaces(void) {
  const int base = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
  char map[64];
  if (own_uid && unshare(base) == 0) return;
  if (own_uid) drop_privileges(); /* we stay invisible to the command: outside its pid namespace */
  if (unshare(base | CLONE_NEWUSER)) fail("namespaces");
  prctl(PR_SET_DUMPABLE, 1); /* dropping root made /proc/self root-owned; we must write the maps */
  write_file("/proc/self/setgroups", "deny");
  snprintf(map, sizeof map, "%u %u 1", (unsigned)sbx_uid, (unsigned)sbx_uid);
  write_file("/proc/self/uid_map", map);
  snprintf(map, sizeof map, "%u %u 1", (unsigned)sbx_gid, (unsigned)sbx_gid);
  write_file("/proc/self/gid_map", map);
  prctl(PR_SET_DUMPABLE, 0);
}

static void exec_command(int exe, char **argv) {
  sigprocmask(SIG_SETMASK, &old_mask, NULL);
  if (setsid() < 0) fail("setsid");
  if (geteuid() == 0) drop_privileges();
  /* Without a pid namespace or a uid of its own, RLIMIT_NPROC counts all of the user's processes. */
  long nproc = arg[A_NPROC] + (level == PGRP ? count_processes(getuid()) : 0);
  set_limit(RLIMIT_CPU, arg[A_CPU], arg[A_CPU] + 1); /* SIGXCPU first, SIGKILL a second later */
  set_limit(RLIMIT_AS, arg[A_MEM] << 20, arg[A_MEM] << 20);
  set_limit(RLIMIT_FSIZE, arg[A_FSIZE] << 20, arg[A_FSIZE] << 20);
  set_limit(RLIMIT_NPROC, nproc, nproc);
  set_limit(RLIMIT_NOFILE, arg[A_NOFILE], arg[A_NOFILE]);
  set_limit(RLIMIT_CORE, 0, 0);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) fail("no_new_privs");
  install_seccomp(level == PGRP ? getpid() : 0);
  fexecve(exe, argv, environ);
  fail("exec");
}

/* pid 1 of the new pid namespace: builds the root, runs the command, reaps orphans, and when the
   command ends kills whatever it left behind. Its own exit makes the kernel kill anything still in the
   namespace. */
static void init_main(int exe, char **argv, int go, int status_fd) {
  char byte;
  int status = 0, st;
  pid_t pid, command;
  prctl(PR_SET_PDEATHSIG, SIGKILL); /* the launcher killed -> the whole namespace goes */
  prctl(PR_SET_DUMPABLE, 0);        /* nobody in the sandbox may ptrace init or open its /proc files */
  if (read(go, &byte, 1) != 1) _exit(1); /* EOF: the launcher died before PDEATHSIG was armed */
  sethostname("sandbox", 7);
  setup_root();
  command = fork();
  if (command < 0) fail("fork command");
  if (command == 0) exec_command(exe, argv);
  while ((pid = wait(&st)) > 0 || errno == EINTR)
    if (pid == command) {
      status = st;
      kill(-1, SIGKILL); /* pid 1: this reaches only our own pid namespace */
    }
  if (write(status_fd, &status, sizeof status) != sizeof status) _exit(1);
  _exit(0);
}

/* At the 'uid' level: kill(-1) from the sandbox uid reaches every process of that uid and nothing else,
   atomically with respect to fork (a fork bomb cannot outrun it). A short-lived helper does it, so the
   launcher itself stays root; if the command kills the helper first, the next round repeats it. */
static void kill_sandbox_uid(void) {
  pid_t helper = fork();
  if (helper == 0) {
    if (!setgroups(0, NULL) && !setresgid(sbx_gid, sbx_gid, sbx_gid) && !setresuid(sbx_uid, sbx_uid, sbx_uid))
      kill(-1, SIGKILL);
    _exit(0);
  }
  if (helper > 0) waitpid(helper, NULL, 0);
}

/* Stops the run now: the namespace's init (its death empties the namespace), or the command's process
   group (the command, not yet reaped, keeps the group's id from being reused) and the sandbox uid. */
static void kill_run(pid_t child) {
  if (level == NS) {
    kill(child, SIGKILL);
    return;
  }
  kill(-child, SIGKILL);
  if (level == UID) kill_sandbox_uid();
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

/* Without namespaces, after the command is reaped: kill and reap everything it left behind. Every
   descendant that outlived its parent is our child now (subreaper), so no child left means nothing left. */
static void sweep(void) {
  struct timespec pause = {0, 1000000};
  for (int i = 0; i < 5000; i++) {
    while (waitpid(-1, NULL, WNOHANG) > 0) {}
    if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD) return;
    if (level == UID) kill_sandbox_uid();
    kill_children();
    if (i) nanosleep(&pause, NULL);
  }
}

static long ms_since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int main(int argc, char **argv) {
  int exe, go[2], st[2], status = 0, got, prog = 0;
  const char *end = "exit";
  struct timespec t0;
  sigset_t mask;
  pid_t child;

  if (argc <= A_LEVEL + 2) return 125;
  for (int i = 1; i < A_LEVEL; i++) arg[i] = atol(argv[i]);
  if (fcntl(arg[A_REPORT], F_SETFD, FD_CLOEXEC)) return 125;
  for (int i = A_LEVEL + 1; i < argc && !prog; i++)
    if (!strcmp(argv[i], "--")) prog = i + 1;
    else if (n_root < MAX_ROOT) root_entry[n_root++] = argv[i];
    else { errno = E2BIG; fail("root entries"); }
  if (!prog || prog >= argc) { errno = EINVAL; fail("arguments"); }
  if (!strcmp(argv[A_LEVEL], "ns")) level = NS;
  else if (!strcmp(argv[A_LEVEL], "uid")) level = UID;
  else if (!strcmp(argv[A_LEVEL], "pgrp")) level = PGRP;
  else { errno = EINVAL; fail("level"); }
  if ((level == UID && geteuid() != 0) || (level == PGRP && geteuid() == 0)) {
    errno = EPERM;
    fail(level == UID ? "the uid level needs root" : "the pgrp level is for non-root callers");
  }

  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigprocmask(SIG_BLOCK, &mask, &old_mask);
  /* The caller (the verifier) dies, even by SIGKILL: we get SIGTERM and stop the run. */
  if (prctl(PR_SET_PDEATHSIG, SIGTERM)) fail("parent-death signal");
  if (getppid() != (pid_t)arg[A_PARENT]) return 125; /* it died before that was armed */
  prctl(PR_SET_DUMPABLE, 0); /* at the 'pgrp' level the command is our uid: no /proc/<us>/mem for it */

  exe = open(argv[prog], O_RDONLY | O_CLOEXEC); /* opened before the mounts hide it */
  if (exe < 0) fail("open program");
  own_uid = geteuid() == 0;
  sbx_uid = own_uid ? (uid_t)(arg[A_BASE] + getpid()) : getuid();
  sbx_gid = own_uid ? (gid_t)(arg[A_BASE] + getpid()) : getgid();
  if (own_uid && chown(".", sbx_uid, sbx_gid)) fail("chown workdir");

  if (prctl(PR_SET_CHILD_SUBREAPER, 1)) fail("subreaper");
  if (level == NS) {
    enter_namespaces();
    /* a change of credentials (dropping root for a user namespace) clears the parent-death signal */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM)) fail("parent-death signal");
    if (getppid() != (pid_t)arg[A_PARENT]) return 125;
  }
  if (pipe2(go, O_CLOEXEC) || pipe2(st, O_CLOEXEC)) fail("pipe");
  clock_gettime(CLOCK_MONOTONIC, &t0);
  child = fork();
  if (child < 0) fail("fork");
  if (child == 0) {
    close(go[1]); /* else init would hold the write end of its own start signal */
    if (level == NS) init_main(exe, argv + prog, go[0], st[1]);
    exec_command(exe, argv + prog);
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
    kill_run(child);
    waitpid(child, &status, 0); /* for init: returns once the namespace is empty */
    break;
  }
  if (level != NS) sweep();
  if (level == NS && end[0] == 'e') { /* status of the command, as seen by init */
    got = read(st[0], &status, sizeof status);
    if (got != sizeof status) { errno = EIO; fail("command status"); }
  }
  if (end[0] != 'e') dprintf(arg[A_REPORT], "%s %s 0\n", level_name[level], end);
  else if (WIFSIGNALED(status)) dprintf(arg[A_REPORT], "%s signal %d\n", level_name[level], WTERMSIG(status));
  else dprintf(arg[A_REPORT], "%s exit %d\n", level_name[level], WEXITSTATUS(status));
  return 0;
}
