"""Metrics (JSON lines + TensorBoard), the report CLI and its plots, on a real tiny run."""

import glob
import json
import os
import struct
import subprocess
import sys

import pytest
from PIL import Image
from tensorboardX.proto import event_pb2

from raftjax.metrics import MetricsWriter
from raftjax.tools import plots, report

from helpers import REPO


@pytest.fixture(scope='module')
def run_dir(tiny_run):
  return tiny_run


# ----------------------------------------------------------------------------------------- metrics


def _records(directory) -> list[dict]:
  with open(os.path.join(directory, 'metrics.jsonl')) as f:
    return [json.loads(line) for line in f]


def _scalars(directory) -> dict[str, list[tuple[int, float]]]:
  """{tag: [(step, value)]} of every event file, read from the TFRecord framing with tensorboardX's proto."""
  scalars = {}
  for path in sorted(glob.glob(os.path.join(directory, 'tensorboard', 'events.out.tfevents.*'))):
    with open(path, 'rb') as f:
      data = f.read()
    pos = 0
    while pos < len(data):
      (length,) = struct.unpack('<Q', data[pos : pos + 8])
      event = event_pb2.Event.FromString(data[pos + 12 : pos + 12 + length])  # skips the length's crc
      pos += 12 + length + 4  # and the data's
      for v in event.summary.value:
        scalars.setdefault(v.tag, []).append((event.step, v.simple_value))
  return scalars


STATS = dict(
  cycle=1,
  train=dict(compile_rate=0.25, levels={'0.0': 3, '0.3': 1}, stages={'compiled': 1}),
  eval={'pass_rate': 0.5, 'pass@1': 0.5},
  seconds=dict(train_s=2.0),
  kept=1,
  total=4,
  trained=True,
  losses=[0.5, 0.4],
  loss_first=0.5,
  overrides={'raft.reward_threshold': 0.3},
  sample_tokens_per_s=None,
)


def test_metrics_jsonl_and_tensorboard_round_trip(tmp_path):
  with MetricsWriter(str(tmp_path), enabled=True) as m:
    m.cycle(0, {'eval': {'pass_rate': 0.0}})
    for step in (1, 2):
      m.train_step(1, step, loss=1.0 / step, learning_rate=1e-3)
    m.cycle(1, STATS)
    m.train_step(2, 1, loss=0.25)

  records = _records(tmp_path)
  assert [(r['kind'], r['cycle'], r.get('step'), r.get('global_step')) for r in records] == [
    ('cycle', 0, None, None),
    ('train_step', 1, 1, 1),
    ('train_step', 1, 2, 2),
    ('cycle', 1, None, None),
    ('train_step', 2, 1, 3),
  ]
  assert records[1] == dict(kind='train_step', cycle=1, step=1, global_step=1, loss=1.0, learning_rate=1e-3)
  assert records[3] == {
    'kind': 'cycle',
    'cycle': 1,
    'train.compile_rate': 0.25,
    'train.levels.0.0': 3,
    'train.levels.0.3': 1,
    'train.stages.compiled': 1,
    'eval.pass_rate': 0.5,
    'eval.pass@1': 0.5,
    'seconds.train_s': 2.0,
    'kept': 1,
    'total': 4,
    'trained': True,
    'loss_first': 0.5,
    'overrides.raft.reward_threshold': 0.3,
  }

  scalars = _scalars(tmp_path)
  assert scalars['step/loss'] == [(1, 1.0), (2, 0.5), (3, 0.25)]
  assert scalars['step/learning_rate'] == [(1, pytest.approx(1e-3)), (2, pytest.approx(1e-3))]
  assert scalars['eval/pass_rate'] == [(0, 0.0), (1, 0.5)]
  assert scalars['eval/pass_1'] == [(1, 0.5)]  # '@' is not allowed in a TensorBoard name
  assert scalars['train/levels/0.3'] == [(1, 1.0)]
  assert scalars['seconds/train_s'] == [(1, 2.0)] and scalars['cycle/kept'] == [(1, 1.0)]


def test_metrics_reopen_appends_and_continues_global_step(tmp_path):
  with MetricsWriter(str(tmp_path)) as m:
    for step in (1, 2, 3):
      m.train_step(1, step, loss=1.0)
    m.train_step(2, 1, loss=2.0)  # cycle 2 is cut short by a kill ...
  with open(tmp_path / 'metrics.jsonl', 'a') as f:
    f.write('{"kind": "train_st')  # ... in the middle of a line

  with MetricsWriter(str(tmp_path)) as m:  # the resumed run repeats cycle 2
    m.train_step(2, 1, loss=3.0)
    m.train_step(2, 2, loss=4.0)
  records = _records(tmp_path)
  assert [(r['cycle'], r['step'], r['global_step'], r['loss']) for r in records] == [
    (1, 1, 1, 1.0),
    (1, 2, 2, 1.0),
    (1, 3, 3, 1.0),
    (2, 1, 4, 2.0),
    (2, 1, 4, 3.0),
    (2, 2, 5, 4.0),
  ]
  last = {(r['kind'], r['cycle'], r['step']): r['loss'] for r in records}  # the documented reading rule
  assert last[('train_step', 2, 1)] == 3.0
  assert len(glob.glob(str(tmp_path / 'tensorboard' / 'events.out.tfevents.*'))) == 2
  assert _scalars(tmp_path)['step/loss'][-2:] == [(4, 3.0), (5, 4.0)]


def test_metrics_disabled_writes_nothing(tmp_path):
  directory = tmp_path / 'out'
  with MetricsWriter(str(directory), enabled=False) as m:
    m.train_step(1, 1, loss=1.0)
    m.cycle(1, STATS)
  assert not directory.exists()


# ------------------------------------------------------------------------------------------ report


def test_report_on_a_finished_run(run_dir, tmp_path):
  out = tmp_path / 'report'
  proc = subprocess.run(
    [sys.executable, '-m', 'raftjax.tools.report', f'--workdir={run_dir}', f'--output={out}'],
    cwd=REPO,
    capture_output=True,
    text=True,
    timeout=120,
  )
  assert proc.returncode == 0, proc.stderr
  with open(os.path.join(run_dir, 'training_log.json')) as f:
    log = json.load(f)
  md = (out / 'report.md').read_text()
  for name in plots.PLOTS:
    with Image.open(out / name) as image:
      image.verify()
      assert image.format == 'PNG' and image.size[0] >= 600 and image.size[1] >= 300
    assert (out / name).stat().st_size > 10_000  # axes, labels and data, not an empty canvas
    assert f']({name})' in md
  assert f'Best cycle: **{log["best_cycle"]}**' in md and f'stopped: **{log["stop_reason"]}**' in md
  other = 3 - log['best_cycle']
  assert f'| **{log["best_cycle"]}** (best) |' in md and f'| {other} |' in md and '| base |' in md
  kept = report.load_run(run_dir).samples(log['best_cycle'], 'kept.jsonl')
  assert f'**{kept[0]["prompt_id"]}**: reward' in md and '```c\nint' in md
  rows = [r for c in (1, 2) for r in report.load_run(run_dir).samples(c)]
  failed = sum(r['stage'] == 'compile_error' for r in rows)
  assert f'First error of each of the {failed} training samples that did not compile' in md
  assert "`expected ';' before '}' token` |" in md  # the tiny model's `return 0}`
  audit_rows = md.split('## Reward-hacking checks')[1].split('##')[0]
  for c in (1, 2):
    assert f'| {c} | {len(report.load_run(run_dir).samples(c, "kept.jsonl"))} | ' in audit_rows


def test_report_of_a_run_in_progress_leaves_out_unfinished_cycles(run_dir, tmp_path):
  partial = tmp_path / 'partial'
  os.makedirs(partial / 'cycle_2')
  os.symlink(os.path.join(run_dir, 'cycle_1'), partial / 'cycle_1')
  with open(os.path.join(run_dir, 'training_log.json')) as f:
    log = json.load(f)
  log.update(cycles=log['cycles'][:1], best_cycle=None, stop_reason=None)
  (partial / 'training_log.json').write_text(json.dumps(log))
  with open(os.path.join(run_dir, 'cycle_2', 'samples.jsonl')) as f:
    (partial / 'cycle_2' / 'samples.jsonl').write_text(f.read()[:-10])  # still being written

  run = report.load_run(str(partial))
  assert [s['cycle'] for s in run.cycles] == [1] and not run.finished and run.best_cycle() == 1
  md = open(report.write_report(str(partial))).read()
  assert 'In progress: 1 of 2 cycles finished' in md and 'Best cycle: **1**' in md and 'so far' in md
  assert report.cycle_table(run) in md
  assert '| **1** (best) |' in report.cycle_table(run) and '| 2 |' not in report.cycle_table(run)


def test_report_without_a_run_names_the_directory(tmp_path):
  with pytest.raises(FileNotFoundError, match=str(tmp_path)):
    report.load_run(str(tmp_path))
  proc = subprocess.run(
    [sys.executable, '-m', 'raftjax.tools.report', f'--workdir={tmp_path}/nothing'],
    cwd=REPO,
    capture_output=True,
    text=True,
    timeout=120,
  )
  assert proc.returncode != 0 and f'{tmp_path}/nothing: no raftjax run here' in proc.stderr
  assert 'Traceback' not in proc.stderr


def test_first_error_groups_like_errors():
  out = (
    "main.c: In function 'main':\nmain.c:3:5: warning: unused variable 'x' [-Wunused-variable]\n"
    "main.c:9:28: error: expected ';' before 'toLowerCase'\nmain.c:10:1: error: later\n"
  )
  assert report.first_error(out) == "expected ';' before '…'"
  link = "/usr/bin/ld: /tmp/cc.o: in function `main':\nmain.c:(.text+0x22): undefined reference to `getint'\n"
  assert report.first_error(link + 'collect2: error: ld returned 1 exit status\n') == "undefined reference to '…'"
  rows = [
    dict(stage='compile_error', compiler_output=out),
    dict(stage='compile_error', compiler_output=out),
    dict(stage='compiled', compiler_output=out),
    dict(stage='compile_error', compiler_output=link),
  ]
  assert report.compiler_errors(rows) == [("expected ';' before '…'", 2), ("undefined reference to '…'", 1)]


def test_reward_hacking_checks_cover_the_extra_training_tasks(tmp_path):
  """Kept samples of `extra_train_prompts` tasks are audited too: a reference program is clean, the same
  program printing a prompt first is flagged; a demonstration (stage 'reference') is not a sample."""
  from raftjax import rundir
  from raftjax.data import families

  easy = families.tasks()[:2]
  chatty = easy[1]['reference'].replace('int main(void) {', 'int main(void) {\n  printf("Enter: ");')
  good, chatty = (f'```c\n{code}```' for code in (easy[0]['reference'], chatty))
  rundir.write_json(str(tmp_path / rundir.TRAINING_LOG), dict(config=dict(prompts='', extra_train_prompts='easy')))
  os.makedirs(tmp_path / 'cycle_1')
  rundir.write_json(str(tmp_path / 'cycle_1' / 'stats.json'), dict(cycle=1, eval={}))
  rundir.write_jsonl(
    str(tmp_path / 'cycle_1' / 'kept.jsonl'),
    [
      dict(prompt_id=easy[0]['id'], completion=good, stage='correct'),
      dict(prompt_id=easy[1]['id'], completion=chatty, stage='tests_failed'),
      dict(prompt_id=easy[1]['id'], completion=f'```c\n{easy[1]["reference"]}```', stage='reference'),
    ],
  )
  assert '| 1 | 2 | 50.0% | 0.0% |' in report.audit_table(report.load_run(str(tmp_path)))
