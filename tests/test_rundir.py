"""The run directory (raftjax.rundir): the best-cycle rule, complete JSONL lines only, and outputs written
whole or not at all, never over something that is not a regular file."""

import json
import os
import stat

import pytest

from raftjax import rundir


def test_best_cycle_is_the_highest_mean_reward_and_the_earliest_among_equals():
  cycles = [
    {'cycle': 1, 'eval': {'mean_reward': 0.4}},
    {'cycle': 2, 'eval': {'mean_reward': 0.6}},
    {'cycle': 3, 'eval': {'mean_reward': 0.6}},
    {'cycle': 4, 'eval': {}},
  ]
  assert rundir.best_cycle(cycles) == 2 and rundir.best_cycle([]) is None
  epochs = [{'epoch': 1, 'eval': {'mean_reward': 0.2}}, {'epoch': 2, 'eval': {'mean_reward': 0.1}}]
  assert rundir.best_cycle(epochs, key='epoch') == 1


def test_a_line_cut_by_a_kill_is_not_read(tmp_path):
  path = tmp_path / 'samples.jsonl'
  path.write_text('{"a": 1}\n{"a": 2}\n{"a": 3, "cut')
  assert rundir.read_jsonl(str(path)) == [{'a': 1}, {'a': 2}] and rundir.read_jsonl(str(tmp_path / 'no')) == []


def test_outputs_replace_whole_files_only(tmp_path):
  path = str(tmp_path / 'out.jsonl')
  rundir.write_jsonl(path, [{'x': '\ud800'}, {'y': 'café'}])  # a lone surrogate still round-trips
  assert rundir.read_jsonl(path) == [{'x': '\ud800'}, {'y': 'café'}]
  rundir.write_json(path, {'z': 1})
  assert json.load(open(path)) == {'z': 1} and sorted(os.listdir(tmp_path)) == ['out.jsonl']


@pytest.mark.parametrize('kind', ['fifo', 'symlink', 'device', 'directory'])
def test_an_output_that_is_not_a_regular_file_is_refused_before_any_work(tmp_path, kind):
  path = tmp_path / 'out.jsonl'
  if kind == 'fifo':
    os.mkfifo(path)
  elif kind == 'symlink':
    (tmp_path / 'target').write_text('keep me\n')
    os.symlink(tmp_path / 'target', path)
  elif kind == 'device':
    if os.geteuid() != 0:
      pytest.skip('mknod needs root')
    os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null's numbers
  else:
    path.mkdir()
  before = os.lstat(path)
  with pytest.raises(OSError, match='is a directory' if kind == 'directory' else 'not a regular file'):
    rundir.AtomicOutput(str(path))
  after = os.lstat(path)
  assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)  # untouched
  if kind == 'symlink':
    assert (tmp_path / 'target').read_text() == 'keep me\n'


def test_replace_tree_swaps_a_directory_whole(tmp_path):
  (tmp_path / 'a').mkdir()
  (tmp_path / 'a' / 'f').write_text('new')
  (tmp_path / 'b').mkdir()
  (tmp_path / 'b' / 'old').write_text('old')
  rundir.replace_tree(str(tmp_path / 'a'), str(tmp_path / 'b'))
  assert os.listdir(tmp_path / 'b') == ['f'] and sorted(os.listdir(tmp_path)) == ['a', 'b']
