"""The second held-out set, raftjax/data/heldout_beginner.jsonl: beginner stdin/stdout tasks that no config
trains on, for measuring whether training transfers to problems the project never trained on.

Every task has a reference solution in tests/data/heldout_solutions/<id>.c that must compile without
warnings and get reward 1.0 from the real verifier; <id>.wrong.c variants (off by one, a prompt printed
before the answer, ...) compile and run but print a wrong answer on at least one test, so they must score
< 1.0. No task may be a training task (raftjax/data/tasks.jsonl) again: ids differ, prompts are not near
copies, test sets differ, and no training reference solution passes any held-out task's tests.
"""

import collections
import concurrent.futures
import importlib.resources
import itertools
import os
import pathlib
import re
import shutil
import subprocess

import pytest

from helpers import misjudged_references
from raftjax import tasks as tasks_lib

ROOT = pathlib.Path(__file__).resolve().parents[1]
HELDOUT = ROOT / 'raftjax' / 'data' / 'heldout_beginner.jsonl'
SOLUTIONS = ROOT / 'tests' / 'data' / 'heldout_solutions'
TRAINING_SOLUTIONS = ROOT / 'tests' / 'data' / 'solutions'
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


def test_no_config_uses_the_heldout_set():
  for path in sorted((ROOT / 'configs').glob('*.py')):
    assert 'heldout_beginner' not in path.read_text(), f'{path} uses the held-out set'


# --- reference solutions ------------------------------------------------------


def test_every_task_has_a_reference_solution(heldout):
  ids = {t['id'] for t in heldout}
  refs = {p.name[:-2] for p in SOLUTIONS.glob('*.c') if not p.name.endswith('.wrong.c')}
  wrongs = {p.name[:-len('.wrong.c')] for p in SOLUTIONS.glob('*.wrong.c')}
  assert ids - refs == set(), 'tasks without a reference solution'
  assert refs - ids == set(), 'solutions for unknown tasks'
  assert wrongs <= ids
  assert len(wrongs) >= 5


@needs_gcc
def test_solutions_compile_without_warnings(tmp_path):
  files = sorted(str(p) for p in SOLUTIONS.glob('*.c'))
  proc = subprocess.run(['gcc', '-std=c11', '-Wall', '-Wextra', '-O0', '-c', *files], cwd=tmp_path,
                        capture_output=True, text=True, timeout=300)
  assert proc.returncode == 0 and not proc.stderr, proc.stderr
  assert len(list(tmp_path.glob('*.o'))) == len(files)


@needs_gcc
def test_verifier_scores_references_1_and_wrong_variants_below(heldout):
  # A wrong variant compiles cleanly and exits 0 but prints a wrong answer somewhere.
  assert misjudged_references(heldout, SOLUTIONS) == ([], [])


# --- no overlap with the training set ----------------------------------------

# Prompt similarity: Jaccard similarity of the sets of words (lowercase letters and digits) that name the
# problem. Words found in at least a quarter of either set's prompts are the shared template ("write a
# complete C program that reads ... from standard input and prints ... followed by a newline", the held-out
# set's closing "must print nothing else" sentence) and are dropped first, so a copied training prompt
# scores 1.0 whatever template text is added to it (test_overlap_check_flags_copied_prompts).
# The threshold, 0.8, is below the closest pairs of DISTINCT problems inside the training set itself
# (print_1_to_n vs countdown_from_n and print_1_to_10 vs print_1_to_n: 0.83): no held-out prompt may be
# as close to a training prompt as the training set's own distinct problems are to each other.
# Word overlap cannot tell a reworded problem from a different one when a single word makes the
# difference (sum of digits vs largest digit: 0.75), so sameness of the computation is checked by running
# every training reference solution on every held-out task (test_no_training_solution_solves_a_heldout_task).
SIMILARITY_THRESHOLD = 0.8
TEMPLATE_FRACTION = 0.25


def _words(prompt: str) -> set[str]:
  return set(re.findall(r'[a-z0-9]+', prompt.lower()))


def _template_words(*task_sets) -> set[str]:
  template = set()
  for tasks in task_sets:
    counts = collections.Counter(w for t in tasks for w in _words(t['prompt']))
    template |= {w for w, n in counts.items() if n >= TEMPLATE_FRACTION * len(tasks)}
  return template


def _similarity(a: str, b: str, template: set[str]) -> float:
  wa, wb = _words(a) - template, _words(b) - template
  return len(wa & wb) / len(wa | wb) if wa | wb else 1.0


def _closest_pairs(heldout, training, n=10):
  template = _template_words(training, heldout)
  pairs = [(round(_similarity(h['prompt'], t['prompt'], template), 3), h['id'], t['id'])
           for h, t in itertools.product(heldout, training)]
  return sorted(pairs, reverse=True)[:n]


def test_ids_and_prompts_do_not_overlap_training(heldout, training):
  assert {t['id'] for t in heldout} & {t['id'] for t in training} == set()
  closest = _closest_pairs(heldout, training)
  print('closest held-out / training prompt pairs (Jaccard of problem words):')
  for pair in closest:
    print('  %.3f  %s ~ %s' % pair)
  too_close = [p for p in closest if p[0] >= SIMILARITY_THRESHOLD]
  assert too_close == [], f'near-duplicate prompts (similarity >= {SIMILARITY_THRESHOLD}); closest: {closest}'


def test_overlap_check_flags_copied_prompts(heldout, training):
  # A training prompt copied with the held-out set's closing sentence added is still a copy.
  template = _template_words(training, heldout)
  closing = heldout[0]['prompt'][heldout[0]['prompt'].index(NOTHING_ELSE):]
  scores = {t['id']: _similarity(t['prompt'] + ' ' + closing, t['prompt'], template) for t in training}
  assert min(scores.values()) >= SIMILARITY_THRESHOLD, sorted(scores.items(), key=lambda kv: kv[1])[:5]
  # The threshold is stricter than the training set is with itself: its closest distinct problems reach it.
  inside = max(_similarity(a['prompt'], b['prompt'], template) for a, b in itertools.combinations(training, 2))
  assert inside > SIMILARITY_THRESHOLD


def _contained(a: dict, b: dict) -> bool:
  """Whether every test of task `a` is a test of task `b` (outputs compared as the verifier does)."""
  from raftjax import verify  # pylint: disable=g-import-not-at-top

  return all(any(x['stdin'] == y['stdin'] and verify.outputs_match(y['stdout'].encode(), x['stdout'])
                 for y in b['tests']) for x in a['tests'])


def test_no_training_task_has_the_same_tests(heldout, training):
  # Single edge cases may coincide (0 -> 0); a whole test set may not, nor be contained in the other.
  same = [(h['id'], t['id']) for h, t in itertools.product(heldout, training)
          if _contained(h, t) or _contained(t, h)]
  assert same == []


def _compile(src: pathlib.Path, out_dir: pathlib.Path) -> pathlib.Path:
  exe = out_dir / src.stem
  subprocess.run(['gcc', '-std=c11', '-O0', '-w', str(src), '-o', str(exe), '-lm'], check=True,
                 capture_output=True, timeout=120)
  return exe


def _passes(exe: pathlib.Path, task: dict) -> bool:
  """Whether `exe` passes every test of `task` (as the verifier compares outputs)."""
  from raftjax import verify  # pylint: disable=g-import-not-at-top

  for test in task['tests']:
    try:
      out = subprocess.run([str(exe)], input=test['stdin'].encode(), capture_output=True, timeout=1.0)
    except subprocess.TimeoutExpired:
      return False  # a reference program on these small inputs runs in milliseconds
    if out.returncode != 0 or not verify.outputs_match(out.stdout, test['stdout']):
      return False
  return True


@needs_gcc
def test_no_training_solution_solves_a_heldout_task(heldout, training, tmp_path):
  # If a training task's reference program passed a held-out task's tests, a model that reproduces what
  # it was trained on would score there: the two would be the same problem as far as the reward can tell.
  # These are the repository's own reference programs, run directly (the sandbox would make the ~7000
  # runs several times slower).
  workers = min(max(len(os.sched_getaffinity(0)), 2), 8)
  with concurrent.futures.ThreadPoolExecutor(workers) as pool:
    exes = list(pool.map(lambda t: _compile(TRAINING_SOLUTIONS / f"{t['id']}.c", tmp_path), training))
    pairs = list(itertools.product(zip(training, exes), heldout))
    passed = list(pool.map(lambda p: _passes(p[0][1], p[1]), pairs))
  solved = [(t['id'], h['id']) for ((t, _), h), ok in zip(pairs, passed) if ok]
  assert solved == [], 'training reference solutions that pass held-out tasks (training, held-out)'
