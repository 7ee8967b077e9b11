"""The second held-out set, raftjax/data/heldout_beginner.jsonl: beginner stdin/stdout tasks that no config
trains on, for measuring whether training transfers to problems the project never trained on.

Every task has a reference solution in tests/data/heldout_solutions/<id>.c that must compile without
warnings and get reward 1.0 from the real verifier; <id>.wrong.c variants (off by one, a prompt printed
before the answer, ...) compile and run but print a wrong answer on at least one test, so they must score
< 1.0. No task may be a training task (raftjax/data/tasks.jsonl) again: ids differ, prompts are not near
copies, test sets differ, and no training reference solution passes any held-out task's tests.
"""

import collections
import importlib.resources
import itertools
import pathlib
import re
import shutil
import subprocess

import pytest

from raftjax.data import tasks as tasks_lib

import overlap
from helpers import misjudged_references, reference_files

ROOT = pathlib.Path(__file__).resolve().parents[2]
HELDOUT = ROOT / 'raftjax' / 'data' / 'heldout_beginner.jsonl'
SOLUTIONS = ROOT / 'tests' / 'data' / 'heldout_solutions'
PROMPT_START = 'Write a complete C program that '
NOTHING_ELSE = 'The program must print nothing else'

needs_gcc = pytest.mark.skipif(shutil.which('gcc') is None, reason='needs gcc')


@pytest.fixture(scope='module')
def heldout():
  return tasks_lib.load_tasks(str(HELDOUT))


@pytest.fixture(scope='module')
def training():
  return tasks_lib.load_tasks(None)


# --- the set ----------------------------------------------------------------


def test_heldout_set_shape(heldout):
  assert len(heldout) >= 40
  levels = collections.Counter(t['difficulty'] for t in heldout)
  assert set(levels) <= {1, 2, 3}, levels
  assert levels[1] >= 8 and levels[3] <= len(heldout) // 4, levels  # mostly the easy end
  for task in heldout:
    assert re.fullmatch(r'[a-z0-9_]+', task['id']), task['id']
    assert task['language'] == 'c'
    prompt = task['prompt']
    assert prompt.startswith(PROMPT_START) and 'standard input' in prompt, task['id']
    assert NOTHING_ELSE in prompt and 'Enter a number:' in prompt, task['id']  # says: no prompt for input
    assert 2 <= len(task['tests']) <= 4, task['id']
    for test in task['tests']:
      assert test['stdin'] and test['stdout'].strip(), task['id']
      assert len(test['stdin']) < 200 and len(test['stdout']) < 600, task['id']
    stdins = [t['stdin'] for t in task['tests']]
    assert len(set(stdins)) == len(stdins), task['id']


def test_heldout_set_is_package_data(heldout):
  resource = importlib.resources.files('raftjax').joinpath('data/heldout_beginner.jsonl')
  assert tasks_lib.parse_tasks(resource.read_text(encoding='utf-8')) == heldout


def test_no_config_trains_or_selects_on_the_heldout_set():
  # It may be a transfer set (evaluated on the base and the final weights, choosing nothing), never a set
  # that trains or chooses cycles: in no config file and no run of a shipped sweep.
  import importlib.util

  from raftjax.tools import sweep

  from configs import raft as raft_config

  configs = []
  for path in sorted((ROOT / 'configs').glob('*.py')):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if hasattr(module, 'get_config'):
      configs.append(module.get_config())
  for path in sorted((ROOT / 'configs').glob('sweep_*.py')):
    spec = sweep.load_spec(str(path))
    configs += [sweep.run_config(raft_config.get_config(), spec, run, 'unused') for run in sweep.expand(spec)]
  assert len(configs) > 20
  for config in configs:
    for key in ('prompts', 'eval_prompts', 'extra_train_prompts'):
      assert config[key] != 'beginner' and 'heldout_beginner' not in config[key], (config.output_dir, key)


# --- reference solutions ------------------------------------------------------


def test_every_task_has_a_reference_solution(heldout):
  ids = {t['id'] for t in heldout}
  refs = {p.name[:-2] for p in SOLUTIONS.glob('*.c') if not p.name.endswith('.wrong.c')}
  wrongs = {p.name[: -len('.wrong.c')] for p in SOLUTIONS.glob('*.wrong.c')}
  assert ids - refs == set(), 'tasks without a reference solution'
  assert refs - ids == set(), 'solutions for unknown tasks'
  assert wrongs <= ids
  assert len(wrongs) >= 5


@needs_gcc
def test_solutions_compile_without_warnings(tmp_path):
  files = sorted(str(p) for p in SOLUTIONS.glob('*.c'))
  proc = subprocess.run(
    ['gcc', '-std=c11', '-Wall', '-Wextra', '-O0', '-c', *files],
    cwd=tmp_path,
    capture_output=True,
    text=True,
    timeout=300,
  )
  assert proc.returncode == 0 and not proc.stderr, proc.stderr
  assert len(list(tmp_path.glob('*.o'))) == len(files)


@needs_gcc
def test_verifier_scores_references_1_and_wrong_variants_below(heldout):
  # A wrong variant compiles cleanly and exits 0 but prints a wrong answer somewhere.
  assert misjudged_references(heldout, SOLUTIONS) == ([], [])


# --- no overlap with the training set (tests/overlap.py says how it is judged) -------------------------


def test_ids_and_prompts_do_not_overlap_training(heldout, training):
  assert {t['id'] for t in heldout} & {t['id'] for t in training} == set()
  closest = overlap.closest_pairs(heldout, training)
  print('closest held-out / training prompt pairs (Jaccard of problem words):')
  for pair in closest:
    print('  {:.3f}  {} ~ {}'.format(*pair))
  too_close = [p for p in closest if p[0] >= overlap.SIMILARITY_THRESHOLD]
  assert too_close == [], f'near-duplicate prompts (similarity >= {overlap.SIMILARITY_THRESHOLD}); closest: {closest}'


def test_overlap_check_flags_copied_prompts(heldout, training):
  # A training prompt copied with the held-out set's closing sentence added is still a copy.
  template = overlap.template_words(training, heldout)
  closing = heldout[0]['prompt'][heldout[0]['prompt'].index(NOTHING_ELSE) :]
  scores = {t['id']: overlap.similarity(t['prompt'] + ' ' + closing, t['prompt'], template) for t in training}
  assert min(scores.values()) >= overlap.SIMILARITY_THRESHOLD, sorted(scores.items(), key=lambda kv: kv[1])[:5]
  # The threshold is stricter than the training set is with itself: its closest distinct problems reach it.
  inside = max(overlap.similarity(a['prompt'], b['prompt'], template) for a, b in itertools.combinations(training, 2))
  assert inside > overlap.SIMILARITY_THRESHOLD


def test_no_training_task_has_the_same_tests(heldout, training):
  # Single edge cases may coincide (0 -> 0); a whole test set may not, nor be contained in the other.
  assert overlap.same_tests(heldout, training) == []


@pytest.mark.slow
@needs_gcc
def test_no_training_solution_solves_a_heldout_task(heldout, training, tmp_path):
  # If a training task's reference program passed a held-out task's tests, a model that reproduces what
  # it was trained on would score there: the two would be the same problem as far as the reward can tell.
  sources = reference_files(training, tmp_path)
  solved = overlap.solved_pairs(sources, heldout, tmp_path)
  assert solved == [], 'training reference solutions that pass held-out tasks (training, held-out)'
