"""The run directory: where every file of a run lives, how it is written and read. No JAX.

  <output_dir>/
    sft/                      the SFT stage (raftjax.sft.stage): epoch_N/{checkpoint/, stats.json}, final/ (a
                              copy of the best epoch: where RAFT starts), sft_log.json, metrics.jsonl, tensorboard/
    cycle_N/samples.jsonl     every sample of cycle N, streamed as verified (a kill may cut the last line)
    cycle_N/kept.jsonl        the samples trained on
    cycle_N/checkpoint/       Orbax (raftjax.model.checkpoint)
    cycle_N/stats.json        written last: a cycle with stats.json is finished
    cycle_K_final/            a copy of the best cycle (`best_cycle`)
    training_log.json         config, base-model evaluation, every finished cycle's stats, best cycle, stop reason
    metrics.jsonl, tensorboard/, report/

The loop, the report, the notebook, metrics, export, the benchmarks and the verify CLI all read and
write through here. JSON files are replaced atomically (written beside, then renamed: a reader never
sees half a file, and a write that fails or is killed, even by SIGKILL, leaves no temporary file:
`AtomicOutput`); JSONL readers take complete lines only.
"""

import contextlib
import dataclasses
import errno
import json
import os
import re
import shutil
import stat
import tempfile

TRAINING_LOG = 'training_log.json'
SFT_LOG = 'sft_log.json'
_CYCLE = re.compile(r'cycle_(\d+)')


def cycle_dir(output_dir: str, cycle: int) -> str:
  return os.path.join(output_dir, f'cycle_{cycle}')


def final_dir(output_dir: str, cycle: int) -> str:
  return os.path.join(output_dir, f'cycle_{cycle}_final')


def sft_dir(output_dir: str) -> str:
  return os.path.join(output_dir, 'sft')


def epoch_dir(output_dir: str, epoch: int) -> str:
  return os.path.join(sft_dir(output_dir), f'epoch_{epoch}')


def sft_final(output_dir: str) -> str:
  """The SFT stage's result: a copy of its best epoch, the checkpoint RAFT starts from."""
  return os.path.join(sft_dir(output_dir), 'final')


def cycle_numbers(output_dir: str) -> list[int]:
  """The N of every `cycle_N` directory, ascending (finished or not)."""
  if not os.path.isdir(output_dir):
    return []
  return sorted(int(m[1]) for m in map(_CYCLE.fullmatch, os.listdir(output_dir)) if m)


def finished_cycles(output_dir: str) -> list[dict]:
  """stats.json of every finished cycle, by cycle number."""
  out = []
  for n in cycle_numbers(output_dir):
    stats = read_json(os.path.join(cycle_dir(output_dir, n), 'stats.json'))
    if stats is not None:
      out.append(stats)
  return out


def best_cycle(cycles: list[dict], key: str = 'cycle') -> int | None:
  """The cycle (or SFT epoch: `key='epoch'`) with the highest held-out mean reward, the earliest among
  equals; None without any."""
  scores = {s[key]: s['eval'].get('mean_reward', 0.0) for s in cycles}
  return max(scores, key=lambda c: (scores[c], -c)) if scores else None


def replace_tree(source: str, target: str) -> str:
  """Makes `target` a copy of the directory `source`: written beside, then renamed over the old one."""
  partial = target + '.partial'
  shutil.rmtree(partial, ignore_errors=True)
  shutil.copytree(source, partial)
  shutil.rmtree(target, ignore_errors=True)
  os.rename(partial, target)
  return target


def copy_final(output_dir: str, cycle: int) -> str:
  """Makes `cycle_<cycle>_final` a copy of `cycle_<cycle>`, replacing any earlier `*_final`."""
  for name in os.listdir(output_dir):
    if name.endswith('_final') and _CYCLE.fullmatch(name.removesuffix('_final')):
      shutil.rmtree(os.path.join(output_dir, name))
  return shutil.copytree(cycle_dir(output_dir, cycle), final_dir(output_dir, cycle))


# ------------------------------------------------------------------------------------------ files


def read_json(path: str, default=None):
  """The JSON in `path` (`default` if absent); a file that is not JSON raises ValueError naming it."""
  if not os.path.exists(path):
    return default
  try:
    with open(path, encoding='utf-8') as f:
      return json.load(f)
  except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
    raise ValueError(f'{path}: not a JSON file a run writes ({type(e).__name__}: {e})') from None


def read_jsonl(path: str) -> list[dict]:
  """The complete lines of a JSONL file ([] if absent): a last line cut by a kill, or still being
  written, is left out. A line that is not JSON raises ValueError naming FILE:LINE."""
  if not os.path.exists(path):
    return []
  rows = []
  with open(path, 'rb') as f:
    for lineno, line in enumerate(f, 1):
      if not line.endswith(b'\n'):
        break
      try:
        rows.append(json.loads(line.decode('utf-8')))
      except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise ValueError(f'{path}:{lineno}: not a JSON line a run writes ({type(e).__name__}: {e})') from None
  return rows


def jsonl_line(row: dict) -> bytes:
  """One JSONL line as UTF-8. Any string is written: one that cannot be UTF-8 (a lone surrogate, from a
  "\\ud800" escape in the input) is escaped, so the line is still valid JSON that reads back the same."""
  try:
    return (json.dumps(row, ensure_ascii=False) + '\n').encode('utf-8')
  except UnicodeEncodeError:
    return (json.dumps(row, ensure_ascii=True) + '\n').encode('ascii')


class AtomicOutput:
  """An output file written whole or not at all, checked before any work.

  Opening it checks the path (not a directory, its directory exists and is writable) by creating the
  file's content as an unnamed file in that directory (O_TMPFILE): whatever kills the process, even
  SIGKILL, no partial file is left. `commit` gives it its name (link + rename over the old file).
  Filesystems without O_TMPFILE get a named `.tmp-*` file, removed on any error or signal that Python
  sees.
  """

  def __init__(self, path: str):
    self.path = path
    if os.path.isdir(path):
      raise OSError(errno.EISDIR, 'is a directory')
    if os.path.lexists(path) and not stat.S_ISREG(os.lstat(path).st_mode):  # never replace a device or FIFO
      raise OSError(
        errno.EINVAL, 'exists and is not a regular file (a symlink, device, FIFO or socket); refusing to replace it'
      )
    self.dir = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(self.dir):
      raise OSError(errno.ENOENT, 'its directory does not exist')
    self.named = None
    try:
      self.fd = os.open(self.dir, os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o666)
    except OSError as e:
      if e.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
        raise
      self.fd, self.named = tempfile.mkstemp(dir=self.dir, prefix='.tmp-', suffix='.jsonl')

  def write(self, rows) -> None:
    """Appends one JSON line per row."""
    self.write_bytes(b''.join(map(jsonl_line, rows)))

  def write_bytes(self, data: bytes) -> None:
    with os.fdopen(os.dup(self.fd), 'wb') as f:
      f.write(data)
      f.flush()
      os.fsync(f.fileno())

  def commit(self) -> None:
    if self.named is None:
      self.named = os.path.join(self.dir, f'.tmp-{os.getpid()}-{os.urandom(6).hex()}.jsonl')
      # linkat(AT_SYMLINK_FOLLOW) of the /proc link names the unnamed file; os.link calls linkat (not
      # link, which would try to link the /proc symlink itself) only when given a dir fd.
      dir_fd = os.open(self.dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
      try:
        os.link(f'/proc/self/fd/{self.fd}', os.path.basename(self.named), dst_dir_fd=dir_fd)
      finally:
        os.close(dir_fd)
    os.replace(self.named, self.path)
    self.named = None

  def close(self) -> None:
    os.close(self.fd)
    if self.named is not None:
      with contextlib.suppress(OSError):
        os.unlink(self.named)

  def __enter__(self):
    return self

  def __exit__(self, *exc):
    self.close()


def write_jsonl(path: str, rows) -> None:
  """Replaces `path` with one JSON line per row, whole or not at all: readers never see half a file."""
  with AtomicOutput(path) as out:
    out.write(rows)
    out.commit()


def write_json(path: str, obj) -> None:
  """Replaces `path` with `obj` as indented JSON, whole or not at all."""
  with AtomicOutput(path) as out:
    out.write_bytes((json.dumps(obj, indent=2) + '\n').encode('utf-8'))
    out.commit()


# ------------------------------------------------------------------------------------------- a run


@dataclasses.dataclass
class Run:
  """A run as its files show it, finished or still running (what `raftjax.tools.report` and the notebook read)."""

  workdir: str
  log: dict  # training_log.json ({} if not written yet)
  cycles: list[dict]  # stats.json of every finished cycle, by cycle number

  @property
  def base(self) -> dict:
    """The base model's held-out evaluation ({} without held-out tasks or before it is done)."""
    return self.log.get('base') or {}

  @property
  def finished(self) -> bool:
    return self.log.get('best_cycle') is not None  # set once, when the loop ends

  def best_cycle(self) -> int | None:
    """The loop's best cycle; while it runs, the best so far by the same rule."""
    return self.log['best_cycle'] if self.finished else best_cycle(self.cycles)

  def stats(self, cycle: int) -> dict:
    return next(s for s in self.cycles if s['cycle'] == cycle)

  def setting(self, stats: dict, key: str):
    """A config value (e.g. 'raft.reward_threshold') as the cycle ran it: its override, else the config."""
    section, name = key.split('.')
    return stats.get('overrides', {}).get(key, self.log.get('config', {}).get(section, {}).get(name))

  def samples(self, cycle: int, name: str = 'samples.jsonl') -> list[dict]:
    return read_jsonl(os.path.join(cycle_dir(self.workdir, cycle), name))

  def all_samples(self) -> list[dict]:
    """The training samples of every finished cycle."""
    return [r for s in self.cycles for r in self.samples(s['cycle'])]


def load_run(workdir: str) -> Run:
  """The run in `workdir` (a raftjax `output_dir`); FileNotFoundError naming it if there is none."""
  log = read_json(os.path.join(workdir, TRAINING_LOG))
  if log is None and not cycle_numbers(workdir):
    raise FileNotFoundError(f'{workdir}: no raftjax run here (neither {TRAINING_LOG} nor cycle_N/)')
  return Run(workdir, log or {}, finished_cycles(workdir))
