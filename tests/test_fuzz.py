"""Property-based fuzzing (hypothesis) of what users hand raftjax: task files, SFT data, sample files,
config values and command lines. Whatever the input, the answer is the documented error naming what is
wrong (a ValueError subclass in the library, one line and a non-zero status on the command line), never a
traceback. Example budgets are fixed, so CI time is bounded and failures reproduce."""

import json
import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raftjax import config as config_lib
from raftjax.data import formats
from raftjax.data import tasks as tasks_lib
from raftjax.tools import verify as verify_cli

from helpers import REPO

JSON = st.recursive(
  st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
  lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
  max_leaves=12,
)
# Objects shaped like the real thing, with any value in any field: these reach the checks past "is it JSON".
TASKISH = st.fixed_dictionaries(
  {}, optional={'id': JSON, 'prompt': JSON, 'tests': JSON, 'language': JSON, 'difficulty': JSON, 'reference': JSON}
)
LINE = st.one_of(JSON.map(json.dumps), TASKISH.map(json.dumps), st.text(max_size=60))
FAST = settings(max_examples=200, deadline=None, derandomize=True)


@FAST
@given(st.lists(LINE, max_size=5))
def test_task_files_load_or_name_the_line(lines):
  try:
    tasks = tasks_lib.parse_tasks('\n'.join(lines), name='fuzz.jsonl')
  except tasks_lib.TaskFileError as e:
    assert str(e).startswith('fuzz.jsonl') and '\n' not in str(e)
  else:
    assert all(isinstance(t['id'], str) and isinstance(t['prompt'], str) for t in tasks)


@FAST
@given(st.one_of(JSON, st.fixed_dictionaries({}, optional={'prompt': JSON, 'completion': JSON, 'messages': JSON})))
def test_sft_lines_read_or_name_the_line(obj):
  try:
    messages = formats.conversation(obj, 'sft.jsonl:7')
  except formats.FormatError as e:
    assert str(e).startswith('sft.jsonl:7: ') and '\n' not in str(e)
  else:
    assert messages[-1]['role'] == 'assistant' and all(isinstance(m['content'], str) for m in messages)


@settings(
  max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
  st.lists(
    st.one_of(
      LINE,
      st.fixed_dictionaries(
        {'completion': st.text(max_size=20)},
        optional={'prompt': JSON, 'prompt_id': JSON, 'id': JSON, 'tests': JSON, 'language': JSON},
      ).map(json.dumps),
    ),
    max_size=4,
  )
)
def test_sample_files_read_or_name_the_line(tmp_path, lines):
  path = tmp_path / 'samples.jsonl'
  path.write_text('\n'.join(lines))
  try:
    samples, tasks = verify_cli.read_samples(str(path), None)
  except ValueError as e:  # InputError, TaskFileError
    assert str(path) in str(e) and '\n' not in str(e)
  else:
    assert len(samples) == len(tasks)


def _keys():
  c = config_lib.defaults()
  return [(section, key) for section in config_lib.SECTIONS for key in c[section]] + [
    (None, key) for key in c if key not in config_lib.SECTIONS and key != 'cycles'
  ]


VALUES = st.one_of(
  st.none(),
  st.booleans(),
  st.integers(min_value=-(2**70), max_value=2**70),
  st.floats(),
  st.text(max_size=12),
  st.lists(st.integers() | st.text(max_size=4), max_size=3),
)


@FAST
@given(st.lists(st.tuples(st.sampled_from(_keys()), VALUES), min_size=1, max_size=3))
def test_any_config_value_is_accepted_or_named(changes):
  c = config_lib.defaults().to_dict()
  for (section, key), value in changes:
    (c[section] if section else c)[key] = value
  try:
    config_lib.check(_configdict(c))
  except ValueError as e:
    assert str(e).startswith('config.') and '\n' not in str(e)


def _configdict(d):
  import ml_collections

  return ml_collections.ConfigDict(d)


ARGS = st.lists(
  st.one_of(
    st.sampled_from(
      [
        '--input=',
        '--output=',
        '--tasks=',
        '--config.verifier.num_workers=',
        '--config.verifier.memory_mb=',
        '--config.verifier.run_timeout_s=',
        '--config.verifier.min_isolation=',
        '--config.nope=',
        '--config=',
        '--bogus=',
        '--config.verifier.answer_credit=',
      ]
    ).flatmap(
      lambda flag: st.text(st.characters(codec='utf-8', exclude_characters='\x00'), max_size=25).map(lambda v: flag + v)
    ),
    st.text(st.characters(codec='utf-8', exclude_characters='\x00'), max_size=10),
  ),
  min_size=1,
  max_size=3,
)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ARGS)
def test_any_command_line_is_one_line_not_a_traceback(tmp_path, args):
  """`tools.verify` (config flags, file flags) on random arguments, none of which name a real input file:
  it must refuse in one line with a non-zero status."""
  out = subprocess.run(
    [sys.executable, '-m', 'raftjax.tools.verify', *args],
    cwd=tmp_path,
    capture_output=True,
    text=True,
    timeout=120,
    env=dict(os.environ, PYTHONPATH=REPO),
  )
  assert out.returncode != 0, (args, out.stdout[-500:])
  assert 'Traceback' not in out.stderr and len(out.stderr.strip().splitlines()) <= 2, (args, out.stderr[-2000:])
