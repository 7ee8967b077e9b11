"""Bad input at every command, as a careless or hostile user gives it: one line naming the flag, key, file
or line and what was expected, a non-zero status, no traceback, nothing written (the repros of the
hardening review, each as it was found)."""

import json
import os
import stat
import subprocess
import sys

import pytest

from helpers import REPO


def _run(*args, cwd=None):
  out = subprocess.run(
    [sys.executable, '-m', *args],
    cwd=cwd or REPO,
    capture_output=True,
    text=True,
    timeout=300,
    env=dict(os.environ, JAX_PLATFORMS='cpu'),
  )
  assert out.returncode != 0, (args, out.stdout[-1000:])
  assert 'Traceback' not in out.stderr and len(out.stderr.strip().splitlines()) == 1, (args, out.stderr[-3000:])
  return out.stderr.strip()


@pytest.mark.parametrize(
  'flag,message',
  [
    ('--tasks=/no/such/tasks.jsonl', '/no/such/tasks.jsonl: cannot read task file'),
    ('--checkpoint=/no/such/run/cycle_1', '--checkpoint=/no/such/run/cycle_1: not a finished raftjax checkpoint'),
    ('--samples=/no/such/dir/samples.jsonl', '--samples=/no/such/dir/samples.jsonl: cannot write there'),
    ('--config.evaluation.temperature=nan', 'config.evaluation.temperature = nan: expected a finite number'),
  ],
)
def test_evaluate_refuses_before_loading_anything(flag, message):
  assert message in _run('raftjax.tools.evaluate', flag)


@pytest.mark.parametrize('content', [b'', b'{"cycles": [', b'\xff\xfe not utf-8'])
def test_report_on_a_corrupt_log_is_one_line_and_writes_nothing(tmp_path, content):
  (tmp_path / 'training_log.json').write_bytes(content)
  assert 'training_log.json: not a JSON file a run writes' in _run('raftjax.tools.report', f'--workdir={tmp_path}')
  assert sorted(os.listdir(tmp_path)) == ['training_log.json']  # no report/, no partial file


@pytest.mark.parametrize('size', ['nan', 'inf', '0', '-1'])
def test_export_shard_size_must_be_a_size(tmp_path, size):
  err = _run('raftjax.tools.export', f'--checkpoint={tmp_path}', f'--output={tmp_path}/out', f'--max_shard_gb={size}')
  assert '--max_shard_gb=' in err and 'expected a size in GiB' in err and not os.path.exists(tmp_path / 'out')


@pytest.mark.parametrize(
  'line,message',
  [
    ('[' * 100_000, 's.jsonl:1: JSON nested too deeply'),
    (json.dumps({'prompt_id': {'a': 1}, 'completion': 'x'}), 's.jsonl:1: "prompt_id" / "id" must be a string'),
    (json.dumps({'completion': 3}), 's.jsonl:1: expected an object with a string "completion"'),
  ],
)
def test_verify_names_the_bad_line(tmp_path, line, message):
  (tmp_path / 's.jsonl').write_text(line + '\n')
  assert message in _run('raftjax.tools.verify', f'--input={tmp_path}/s.jsonl', f'--output={tmp_path}/r.jsonl')
  assert not os.path.exists(tmp_path / 'r.jsonl')


@pytest.mark.parametrize('kind', ['fifo', 'symlink', 'device'])
def test_verify_never_replaces_what_is_not_a_regular_file(tmp_path, kind):
  """The probe that replaced /dev/full: a character device (as root), a FIFO or a symlink as --output."""
  out = tmp_path / 'out.jsonl'
  if kind == 'fifo':
    os.mkfifo(out)
  elif kind == 'symlink':
    (tmp_path / 'kept').write_text('keep\n')
    os.symlink(tmp_path / 'kept', out)
  else:
    if os.geteuid() != 0:
      pytest.skip('mknod needs root')
    os.mknod(out, 0o600 | stat.S_IFCHR, os.makedev(1, 7))  # /dev/full's numbers
  (tmp_path / 's.jsonl').write_text(json.dumps({'prompt': 'p', 'completion': 'no code'}) + '\n')
  before = os.lstat(out)
  assert 'not a regular file' in _run('raftjax.tools.verify', f'--input={tmp_path}/s.jsonl', f'--output={out}')
  assert (os.lstat(out).st_mode, os.lstat(out).st_ino) == (before.st_mode, before.st_ino)


@pytest.mark.parametrize(
  'args,message',
  [
    (('raftjax.bench', 'train', '--rows=-1'), 'flag --rows=-1'),
    (('raftjax.bench', 'nope'), 'expected one benchmark name'),
    (('raftjax.tools.sweep', '--sweep=/no/such/sweep.py', '--output=/tmp/raftjax-no-sweep'), '/no/such/sweep.py'),
    (('raftjax.tools.aot', '--topology=v9-8'), '--topology=v9-8'),
    (('raftjax.tools.sample', '--output=/proc/x.jsonl'), '--output=/proc/x.jsonl'),
    (('raftjax.main', '--config.verifier.num_workers=123456789012345678901234'), 'config.verifier.num_workers'),
  ],
)
def test_other_commands_refuse_in_one_line(args, message):
  assert message in _run(*args)
