"""The generated easy training tasks (raftjax.data.families): every reference solution proves its task's tests
with the real verifier, a reference that prints a prompt first is refused, and no family task comes near a
held-out task (built-in split or heldout_beginner; tests/overlap.py)."""

import json
import pathlib
import shutil
import subprocess

import pytest

from raftjax import config as config_lib
from raftjax.data import families
from raftjax.data import tasks as tasks_lib

import overlap
from configs import raft as raft_config

ROOT = pathlib.Path(__file__).resolve().parents[2]
needs_gcc = pytest.mark.skipif(shutil.which('gcc') is None, reason='needs gcc')


@pytest.fixture(scope='module')
def easy():
  return families.tasks()


@pytest.fixture(scope='module')
def heldout_sets():
  return dict(
    builtin=tasks_lib.load_tasks(None),  # every built-in task: any may be held out, by seed
    beginner=tasks_lib.load_tasks(tasks_lib.packaged(tasks_lib.BEGINNER)),
  )


def _sources(tasks, tmp_path, edit=lambda code: code) -> dict[str, pathlib.Path]:
  out = {}
  for t in tasks:
    out[t['id']] = tmp_path / f'{t["id"]}.c'
    out[t['id']].write_text(edit(t['reference']))
  return out


def test_tasks_are_valid_task_file_lines(easy):
  assert len(easy) >= 30 and len({t['id'] for t in easy}) == len(easy)
  assert tasks_lib.parse_tasks('\n'.join(map(json.dumps, easy))) == easy  # what a task file holds
  for t in easy:
    assert t['difficulty'] == 1 and families.CONTRACT in t['prompt'] and 3 <= len(t['tests']) <= 4, t['id']
    assert len({x['stdout'] for x in t['tests']}) >= 2, t['id']  # no task answered by one constant


@needs_gcc
def test_references_compile_without_warnings(easy, tmp_path):
  files = [str(p) for p in _sources(easy, tmp_path).values()]
  proc = subprocess.run(
    ['gcc', '-std=c11', '-Wall', '-Wextra', '-O0', '-c', *files],
    cwd=tmp_path,
    capture_output=True,
    text=True,
    timeout=300,
  )
  assert proc.returncode == 0 and not proc.stderr, proc.stderr


@needs_gcc
def test_references_get_1_and_a_printed_prompt_fails(easy):
  from raftjax.sections import VerifierConfig
  from raftjax.verifier.pool import Verifier

  def with_prompt(code):  # the failure the contract sentence is about: a prompt before reading
    return code.replace('  if (scanf(', '  printf("Enter a value: ");\n  if (scanf(', 1)

  completions = [f'```c\n{t["reference"]}```' for t in easy] + [f'```c\n{with_prompt(t["reference"])}```' for t in easy]
  with Verifier(VerifierConfig(run_after_compile=True)) as verifier:
    results = verifier.verify_batch(easy + easy, completions)
  refs, prompted = results[: len(easy)], results[len(easy) :]
  assert [t['id'] for t, r in zip(easy, refs) if r['stage'] != 'correct' or r['reward'] != 1.0] == []
  assert [t['id'] for t, r in zip(easy, prompted) if r['stage'] != 'tests_failed'] == []


@pytest.mark.parametrize('name', ['builtin', 'beginner'])
def test_no_family_task_is_near_a_heldout_prompt_or_test_set(easy, heldout_sets, name):
  heldout = heldout_sets[name]
  assert {t['id'] for t in easy} & {t['id'] for t in heldout} == set()
  closest = overlap.closest_pairs(heldout, easy)
  assert [p for p in closest if p[0] >= overlap.SIMILARITY_THRESHOLD] == [], closest
  assert overlap.same_tests(heldout, easy) == []


@needs_gcc
def test_no_family_reference_solves_a_heldout_task(easy, heldout_sets, tmp_path):
  # Tasks that read nothing (print_zero, ...: a test with empty stdin) are left out: a program that reads
  # a number prints f(0) or f(garbage) on such input, which says nothing about what it was trained to do.
  heldout = [t for t in heldout_sets['builtin'] + heldout_sets['beginner'] if all(x['stdin'] for x in t['tests'])]
  assert len(heldout) > 150
  solved = overlap.solved_pairs(_sources(easy, tmp_path), heldout, tmp_path)
  assert solved == [], 'family references that pass held-out tasks (family, held-out)'


def test_extra_train_prompts_join_training_only(easy, tmp_path):
  c = raft_config.get_config()
  train, held, _ = tasks_lib.task_split(c)
  c.extra_train_prompts = 'easy'
  config_lib.check(c)
  train_easy, held_easy, described = tasks_lib.task_split(c)
  assert held_easy == held and train_easy == train + easy and 'extra_train_prompts easy' in described
  c.extra_train_prompts = str(tmp_path / 'clash.jsonl')
  (tmp_path / 'clash.jsonl').write_text(json.dumps({'id': held[0]['id'], 'prompt': 'p'}) + '\n')
  with pytest.raises(ValueError, match=f"extra_train_prompts .*clash.jsonl: task id '{held[0]['id']}' is already"):
    tasks_lib.task_split(c)
