"""Work directories of compiles and runs: named after the process that made them and locked for as long
as it lives, so that the directories of a process that died without cleaning up (SIGKILL, power loss)
are told apart from a live one's and removed at the next start."""

import fcntl
import os
import shutil
import tempfile

_held_locks: dict[str, int] = {}  # path -> fd holding the flock


def make_temp_dir(prefix: str) -> str:
  """mkdtemp named `<prefix><pid>-...`, locked (flock) for as long as this process lives, so that
  `remove_stale_dirs` can tell a dead owner's directory from a live one's."""
  path = tempfile.mkdtemp(prefix=f'{prefix}{os.getpid()}-')
  fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
  fcntl.flock(fd, fcntl.LOCK_EX)
  _held_locks[path] = fd
  return path


def remove_temp_dir(path: str) -> None:
  shutil.rmtree(path, ignore_errors=True)
  fd = _held_locks.pop(path, None)
  if fd is not None:
    os.close(fd)


def remove_stale_dirs(prefix: str, parent: str | None = None) -> list[str]:
  """Removes `<prefix><pid>-*` directories (in the temp dir) left by processes that died without
  cleaning up (SIGKILL, power loss): the pid is gone and nobody holds the directory's lock."""
  parent = parent or tempfile.gettempdir()
  removed = []
  try:
    names = os.listdir(parent)
  except OSError:
    return removed
  for name in names:
    if not name.startswith(prefix):
      continue
    pid = name[len(prefix) :].split('-', 1)[0]
    path = os.path.join(parent, name)
    if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
      continue
    try:
      fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
      continue
    try:
      if os.getuid() != 0 and os.fstat(fd).st_uid != os.getuid():
        continue
      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held: a live process (another pid namespace)
    except OSError:
      continue
    finally:
      os.close(fd)
    shutil.rmtree(path, ignore_errors=True)
    removed.append(path)
  return removed


def _alive(pid: int) -> bool:
  try:
    os.kill(pid, 0)
  except ProcessLookupError:
    return False
  except PermissionError:
    return True
  return True
