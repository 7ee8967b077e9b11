"""Tests of the task loader, the split, and the built-in task set.

Every built-in task has a reference solution (its "reference") that must get
reward 1.0 from the verifier; tests/data/solutions/<id>.wrong.c variants compile
and run but print a wrong answer on at least one test, so they must score < 1.0.
"""

import collections
import json
import pathlib
import random
import re
import shutil
import subprocess

import pytest

from raftjax.data import tasks as tasks_lib

from helpers import misjudged_references, reference_files

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / 'tests' / 'data' / 'solutions'


@pytest.fixture(scope='module')
def builtin():
  return tasks_lib.load_tasks(None)


def _write(tmp_path, text):
  path = tmp_path / 'tasks.jsonl'
  path.write_text(text)
  return str(path)


# --- loader ---------------------------------------------------------------

GOOD = '{"id": "a", "prompt": "Write a C program.", "tests": [{"stdin": "1", "stdout": "2"}]}'

BAD_CASES = {
  'malformed_json': (GOOD + '\n{"id": "b", "prompt": \n', 2, 'malformed JSON'),
  'not_an_object': ('["a", "b"]\n', 1, 'expected a JSON object, got list'),
  'string_line': ('"just a prompt"\n', 1, 'expected a JSON object, got str'),
  'missing_prompt': ('{"id": "x"}\n', 1, 'missing "prompt"'),
  'empty_prompt': ('{"id": "x", "prompt": "  "}\n', 1, '"prompt" is empty'),
  'prompt_not_string': ('{"prompt": 3}\n', 1, '"prompt" must be a string'),
  'id_not_string': ('{"id": 7, "prompt": "p"}\n', 1, '"id" must be a non-empty string'),
  'empty_id': ('{"id": "", "prompt": "p"}\n', 1, '"id" must be a non-empty string'),
  'duplicate_id': (GOOD + '\n\n' + GOOD + '\n', 3, "duplicate id 'a' (first used on line 1)"),
  'duplicate_default_id': ('{"prompt": "p"}\n{"id": "line-1", "prompt": "q"}\n', 2, "duplicate id 'line-1'"),
  'tests_not_list': ('{"prompt": "p", "tests": {"stdout": "1"}}\n', 1, '"tests" must be a list'),
  'test_not_object': ('{"prompt": "p", "tests": ["5"]}\n', 1, 'tests[0] must be an object'),
  'test_missing_stdout': (
    '{"prompt": "p", "tests": [{"stdout": "1"}, {"stdin": "1"}]}\n',
    1,
    'tests[1] is missing "stdout"',
  ),
  'stdout_not_string': (
    '{"prompt": "p", "tests": [{"stdin": "", "stdout": 5}]}\n',
    1,
    'tests[0]["stdout"] must be a string',
  ),
  'stdin_not_string': (
    '{"prompt": "p", "tests": [{"stdin": [1], "stdout": "5"}]}\n',
    1,
    'tests[0]["stdin"] must be a string',
  ),
  'test_unknown_key': ('{"prompt": "p", "tests": [{"input": "1", "stdout": "5"}]}\n', 1, "unknown keys ['input']"),
  'bad_language': ('{"prompt": "p", "language": "rust"}\n', 1, '"language" must be one of'),
  'difficulty_zero': ('{"prompt": "p", "difficulty": 0}\n', 1, '"difficulty" must be an integer'),
  'difficulty_str': ('{"prompt": "p", "difficulty": "easy"}\n', 1, '"difficulty" must be an integer'),
  'difficulty_bool': ('{"prompt": "p", "difficulty": true}\n', 1, '"difficulty" must be an integer'),
  'reference_not_string': (
    '{"prompt": "p"}\n{"prompt": "q", "reference": 3}\n',
    2,
    '"reference" must be a non-empty string',
  ),
}


@pytest.mark.parametrize('case', sorted(BAD_CASES))
def test_bad_line_names_file_and_line(tmp_path, case):
  text, lineno, message = BAD_CASES[case]
  path = _write(tmp_path, text)
  with pytest.raises(tasks_lib.TaskFileError) as e:
    tasks_lib.load_tasks(path)
  assert str(e.value).startswith(f'{path}:{lineno}: '), str(e.value)
  assert message in str(e.value)


@pytest.mark.parametrize('text', ['', '\n  \n\n'])
def test_empty_file(tmp_path, text):
  path = _write(tmp_path, text)
  with pytest.raises(tasks_lib.TaskFileError, match=re.escape(f'{path}: no tasks')):
    tasks_lib.load_tasks(path)


def test_missing_file(tmp_path):
  path = str(tmp_path / 'nope.jsonl')
  with pytest.raises(tasks_lib.TaskFileError, match=re.escape(path)):
    tasks_lib.load_tasks(path)


def test_invalid_utf8_names_file_and_line(tmp_path):
  path = tmp_path / 'tasks.jsonl'
  path.write_bytes(b'{"prompt": "ok"}\n\n{"prompt": "caf\xe9"}\n')
  with pytest.raises(tasks_lib.TaskFileError) as e:
    tasks_lib.load_tasks(str(path))
  assert str(e.value).startswith(f'{path}:3: not valid UTF-8') and 'column 16' in str(e.value)


def test_line_separators_inside_json_strings_are_text(tmp_path):
  # JSON allows a raw U+2028 or U+0085 inside a string (str.splitlines splits on both); only '\n' ends
  # a JSONL line.
  path = _write(tmp_path, '{"prompt": "a\u2028b\x85c"}\n{"prompt": "d"}\n')
  first, second = tasks_lib.load_tasks(path)
  assert first['prompt'] == 'a\u2028b\x85c' and second['id'] == 'line-2'


def test_task_error_is_a_value_error():
  assert issubclass(tasks_lib.TaskFileError, ValueError)


def test_halo_forge_prompt_only_lines(tmp_path):
  path = _write(
    tmp_path,
    '{"prompt": "Write a C hello world."}\n\n{"prompt": "Write a C program that adds.", "category": "basics"}\n',
  )
  first, second = tasks_lib.load_tasks(path)
  assert first == {'id': 'line-1', 'prompt': 'Write a C hello world.', 'tests': [], 'language': 'c'}
  assert second['id'] == 'line-3'  # the blank line counts
  assert second['category'] == 'basics'  # unknown keys are kept
  assert second['tests'] == []


def test_fields_are_normalised(tmp_path):
  path = _write(
    tmp_path,
    json.dumps(
      {
        'id': 'x',
        'prompt': 'p',
        'language': 'cpp',
        'difficulty': 3,
        'tests': [{'stdout': '1\n'}, {'stdin': '2\n', 'stdout': '4\n'}],
      }
    )
    + '\n',
  )
  (task,) = tasks_lib.load_tasks(path)
  assert task['language'] == 'cpp'
  assert task['difficulty'] == 3
  assert task['tests'] == [{'stdin': '', 'stdout': '1\n'}, {'stdin': '2\n', 'stdout': '4\n'}]


def test_empty_path_means_builtin(builtin):
  assert tasks_lib.load_tasks('') == builtin


# --- split ----------------------------------------------------------------


def test_split_is_deterministic_and_stratified(builtin):
  train, evals = tasks_lib.split_tasks(builtin, 0.2, seed=3)
  again = tasks_lib.split_tasks(builtin, 0.2, seed=3)
  assert (train, evals) == again
  ids = [t['id'] for t in builtin]
  train_ids, eval_ids = [t['id'] for t in train], [t['id'] for t in evals]
  assert sorted(train_ids + eval_ids) == sorted(ids)
  assert len(eval_ids) == round(0.2 * len(ids))
  assert train_ids == [i for i in ids if i in set(train_ids)]  # input order kept
  assert eval_ids == [i for i in ids if i in set(eval_ids)]
  per_level = collections.Counter(t['difficulty'] for t in builtin)
  eval_level = collections.Counter(t['difficulty'] for t in evals)
  for level, n in per_level.items():
    assert abs(eval_level[level] - 0.2 * n) <= 1, (level, eval_level)
  other = tasks_lib.split_tasks(builtin, 0.2, seed=4)[1]
  assert {t['id'] for t in other} != set(eval_ids)


def test_split_ignores_input_order(builtin):
  shuffled = list(builtin)
  random.Random(0).shuffle(shuffled)
  ids = lambda ts: sorted(t['id'] for t in ts)
  assert ids(tasks_lib.split_tasks(shuffled, 0.1, 7)[1]) == ids(tasks_lib.split_tasks(builtin, 0.1, 7)[1])


def test_split_edge_cases():
  tasks = [{'id': f't{i}', 'prompt': 'p'} for i in range(5)]  # no difficulty field
  assert tasks_lib.split_tasks(tasks, 0.0, 0) == (tasks, [])
  assert tasks_lib.split_tasks(tasks, 1.0, 0) == ([], tasks)
  train, evals = tasks_lib.split_tasks(tasks, 0.4, 0)
  assert len(evals) == 2 and len(train) == 3
  with pytest.raises(ValueError):
    tasks_lib.split_tasks(tasks, 1.5, 0)


# --- the built-in task set -----------------------------------------------


def test_builtin_set_shape(builtin):
  assert len(builtin) >= 120
  levels = collections.Counter(t['difficulty'] for t in builtin)
  assert set(levels) == {1, 2, 3, 4, 5}
  assert levels[1] >= 30, levels  # the easy end that a 135M model can get right
  for task in builtin:
    assert re.fullmatch(r'[a-z0-9_]+', task['id']), task['id']
    assert task['language'] == 'c'
    assert 'C program' in task['prompt'], task['id']
    assert 2 <= len(task['tests']) <= 4, task['id']
    for test in task['tests']:
      assert test['stdout'].strip(), task['id']
      assert len(test['stdin']) < 200 and len(test['stdout']) < 600, task['id']


def test_every_task_has_a_reference_solution(builtin):
  ids = {t['id'] for t in builtin}
  wrongs = {p.name[: -len('.wrong.c')] for p in SOLUTIONS.glob('*.wrong.c')}
  assert all(isinstance(t.get('reference'), str) and 'main' in t['reference'] for t in builtin)
  assert wrongs <= ids
  assert len(wrongs) >= 10


@pytest.mark.skipif(shutil.which('gcc') is None, reason='needs gcc')
def test_solutions_compile_without_warnings(builtin, tmp_path):
  files = sorted(str(p) for p in SOLUTIONS.glob('*.c')) + [str(p) for p in reference_files(builtin, tmp_path).values()]
  proc = subprocess.run(
    ['gcc', '-std=c11', '-Wall', '-Wextra', '-Werror', '-fsyntax-only', *files],
    capture_output=True,
    text=True,
    timeout=300,
  )
  assert proc.returncode == 0 and not proc.stderr, proc.stderr


@pytest.mark.skipif(shutil.which('gcc') is None, reason='needs gcc')
def test_verifier_scores_references_1_and_wrong_variants_below(builtin):
  # A wrong variant compiles cleanly and exits 0 but prints a wrong answer somewhere.
  assert misjudged_references(builtin, SOLUTIONS) == ([], [])
