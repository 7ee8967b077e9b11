"""The minimal root a sandboxed compile or run sees at the 'ns' level: read-only binds of only the
toolchain's and its libraries' directories (raftjax/verifier/sandbox.py says what else it holds;
`sandbox.toolchain_root` is how callers get it).
"""

import functools
import os
import shutil
import struct
import subprocess


class ToolchainError(RuntimeError):
  """The toolchain's directories cannot make a safe root."""


_TOOLS = ('cc1', 'cc1plus', 'as', 'ld', 'collect2', 'lto-wrapper', 'lto1')
_TOOL_PATH = '/usr/local/bin:/usr/bin:/bin'


@functools.cache
def root_spec(compilers: tuple[str, ...], launcher: str) -> tuple[str, ...]:
  """The minimal root for these compilers (and the programs they build), as launcher entries:
  'd<dir>' and 'f<file>' are bound read-only, 'l<path>=<target>' are symlinks.

  The directories are what the compilers actually use: their own directory, `-print-search-dirs`
  (programs and libraries), the include search path, the tools they run (cc1, as, ld, ...) and the
  libraries each of those and a compiled program load, as the dynamic loader resolves them (`ld.so
  --list`), so Debian, Ubuntu, Fedora and conda toolchains all work. Symlinks on the way to any of them
  (/lib -> usr/lib, /lib64, /bin) are recreated. A directory that is '/' or holds the caller's home is
  refused: that would defeat the point.
  """
  named, exes = set(), [launcher]
  for cc in compilers:
    path = shutil.which(cc)
    if path is None:
      continue  # an optional compiler (g++) that is not installed
    path = os.path.abspath(path)
    exes.append(path)
    named.add(os.path.dirname(path))
    for line in _query([path, '-print-search-dirs']).splitlines():
      key, _, value = line.partition(': ')
      if key in ('install', 'programs', 'libraries'):
        named.update(value.lstrip('=').split(':'))
    for tool in _TOOLS:
      tool_path = _query([path, f'-print-prog-name={tool}']).strip()
      if tool_path and not os.path.isabs(tool_path):
        tool_path = shutil.which(tool_path, path=_TOOL_PATH) or ''
      if os.path.isfile(tool_path):
        exes.append(tool_path)
        named.add(os.path.dirname(tool_path))
    for language in ('c', 'c++'):
      named.update(_include_dirs(path, language))
  for exe in exes:
    interpreter = _elf_interpreter(exe)
    if interpreter:
      named.update({os.path.dirname(interpreter), os.path.dirname(os.path.realpath(interpreter))})
      named.update(os.path.dirname(lib) for lib in _libraries(interpreter, exe))
  binds, links = set(), {}
  for path in named:
    if os.path.isabs(path) and os.path.isdir(path):
      binds.add(os.path.realpath(path))
      _collect_links(path, links)
  binds = {b for b in binds if not any(_under(b, other) for other in binds if other != b)}
  homes = {os.path.realpath(os.path.expanduser('~')), os.path.realpath(_pw_home())}
  for b in binds:
    if b == '/' or any(_under(home, b) for home in homes if home != '/'):
      raise ToolchainError(
        f"sandbox: the toolchain directory {b} would put the caller's home directory "
        'inside the sandbox; install the compiler elsewhere'
      )
  for name in os.listdir('/'):  # merged-/usr links (/bin, /lib, /lib64, /sbin) to what is bound
    if os.path.islink('/' + name) and any(_under(os.path.realpath('/' + name), b) for b in binds):
      links['/' + name] = os.readlink('/' + name)
  links = {p: t for p, t in links.items() if not any(_under(p, b) for b in binds)}
  files = [f for f in ('/etc/ld.so.cache',) if os.path.isfile(f)]
  return (
    tuple(f'd{b}' for b in sorted(binds))
    + tuple(f'f{os.path.realpath(f)}' for f in files)
    + tuple(f'l{p}={t}' for p, t in sorted(links.items()))
  )


def _under(path: str, directory: str) -> bool:
  return path == directory or path.startswith(directory.rstrip('/') + '/')


def _pw_home() -> str:
  import pwd  # pylint: disable=import-outside-toplevel

  try:
    return pwd.getpwuid(os.getuid()).pw_dir or '/'
  except KeyError:
    return '/'


def _query(argv: list[str], stdin: bytes = b'') -> str:
  """stdout (+ stderr) of a trusted toolchain query; '' when it fails."""
  try:
    proc = subprocess.run(argv, input=stdin, capture_output=True, timeout=30, env={'PATH': _TOOL_PATH, 'LC_ALL': 'C'})
  except (OSError, subprocess.SubprocessError):
    return ''
  return (proc.stdout + proc.stderr).decode(errors='replace')


def _include_dirs(cc: str, language: str) -> list[str]:
  out = _query([cc, f'-x{language}', '-E', '-v', '-'])
  dirs, inside = [], False
  for line in out.splitlines():
    if 'search starts here:' in line:
      inside = True
    elif line.startswith('End of search list'):
      inside = False
    elif inside and line.startswith(' '):
      dirs.append(line.strip().split(' (')[0])
  return dirs


def _elf_interpreter(path: str) -> str | None:
  """PT_INTERP of a 64-bit ELF file (the dynamic loader it names), or None."""
  try:
    with open(path, 'rb') as f:
      head = f.read(64)
      if len(head) < 64 or head[:4] != b'\x7fELF' or head[4] != 2:
        return None
      e = '<' if head[5] == 1 else '>'
      (phoff,) = struct.unpack_from(e + 'Q', head, 0x20)
      phentsize, phnum = struct.unpack_from(e + 'HH', head, 0x36)
      f.seek(phoff)
      table = f.read(phentsize * phnum)
      for i in range(phnum):
        (p_type,) = struct.unpack_from(e + 'I', table, i * phentsize)
        if p_type == 3:  # PT_INTERP
          (offset,) = struct.unpack_from(e + 'Q', table, i * phentsize + 8)
          (size,) = struct.unpack_from(e + 'Q', table, i * phentsize + 32)
          f.seek(offset)
          return f.read(size).rstrip(b'\0').decode()
  except (OSError, struct.error, UnicodeDecodeError):
    return None
  return None


def _libraries(interpreter: str, exe: str) -> list[str]:
  """The shared libraries `exe` loads, as the dynamic loader resolves them (paths as it names them)."""
  libs = []
  for line in _query([interpreter, '--list', exe]).splitlines():
    path = line.split('=>')[-1].strip().split(' (')[0]
    if path.startswith('/'):
      libs.append(path)
  return libs


def _collect_links(path: str, links: dict) -> None:
  """Symlinks on the way to `path` (up to any '..'), keyed by where they sit with real parents."""
  current = '/'
  for part in path.split('/'):
    if part in ('', '.'):
      continue
    if part == '..':
      return
    candidate = os.path.join(current, part)
    if os.path.islink(candidate):
      links[candidate] = os.readlink(candidate)
      candidate = os.path.realpath(candidate)
    current = candidate
