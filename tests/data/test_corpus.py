"""The built-in SFT corpus (raftjax.data.corpus): thousands of distinct beginner tasks over dozens of families,
every reference proven by the real verifier, a reference that prints a prompt refused, the Python oracles
held to the compiled C (on the tasks' tests and on held-out inputs), and no task near a held-out one (prompt
similarity, and no reference that passes a held-out task's tests)."""

import collections
import json
import random
import re
import shutil
import subprocess

import pytest

from raftjax.data import formats
from raftjax.data import tasks as tasks_lib
from raftjax.data.corpus import build, similar
from raftjax.data.families import CONTRACT
from raftjax.tools import corpus as corpus_tool

import overlap

needs_gcc = pytest.mark.skipif(shutil.which('gcc') is None, reason='needs gcc')
KEYS = {'id', 'prompt', 'tests', 'reference', 'family', 'difficulty'}


@pytest.fixture(scope='module')
def corpus():
  return build.tasks()


@pytest.fixture(scope='module')
def plain():
  """The corpus with references written as a beginner writes them (checks='needed')."""
  return build.tasks('needed')


@pytest.fixture(scope='module')
def heldout_sets():
  return build.heldout_sets()


@pytest.fixture(scope='module')
def verdicts(corpus, plain):
  """The real verifier's verdicts on every reference (both ways of writing them), and on a reference of each
  family that prints a prompt first (one batch: each distinct program is compiled once)."""
  from raftjax.sections import VerifierConfig
  from raftjax.verifier.pool import Verifier

  prompted = [next(t for t in corpus if t['family'] == f) for f in build.FAMILIES]
  tasks = corpus + plain + prompted
  codes = [t['reference'] for t in corpus + plain] + [with_prompt(t['reference']) for t in prompted]
  with Verifier(VerifierConfig(run_after_compile=True)) as verifier:
    results = verifier.verify_batch(tasks, [f'```c\n{code}```' for code in codes])
  n = len(corpus)
  return results[:n], results[n : 2 * n], list(zip(prompted, results[2 * n :]))


def with_prompt(code: str) -> str:
  """The failure the contract is about: a prompt printed before the first read."""
  lines = code.split('\n')
  first = next(i for i, line in enumerate(lines) if 'scanf(' in line or 'fgets(' in line)
  indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
  return '\n'.join(lines[:first] + [f'{indent}printf("Enter a number: ");'] + lines[first:])


# --- the corpus -------------------------------------------------------------------------------------------------


def test_corpus_is_large_distinct_and_balanced(corpus):
  assert len(corpus) >= 2000
  assert len({t['id'] for t in corpus}) == len(corpus)
  assert len({t['prompt'] for t in corpus}) == len(corpus)
  assert len({(t['reference'], json.dumps(t['tests'])) for t in corpus}) == len(corpus)
  families = collections.Counter(t['family'] for t in corpus)
  assert set(families) == set(build.FAMILIES) and len(families) >= 30
  assert max(families.values()) <= 0.1 * len(corpus), families.most_common(3)
  assert min(families.values()) >= 20, families.most_common()[-3:]


def test_tasks_are_task_file_lines_with_tests_and_a_reference(corpus):
  assert tasks_lib.parse_tasks('\n'.join(map(json.dumps, corpus))) == [dict(t, language='c') for t in corpus]
  for t in corpus:
    assert set(t) == KEYS and t['difficulty'] in (1, 2, 3), t['id']
    assert 3 <= len(t['tests']) <= 5 and len({x['stdin'] for x in t['tests']}) == len(t['tests']), t['id']
    assert len({x['stdout'] for x in t['tests']}) >= 2, t['id']  # no task answered by one constant
    assert t['prompt'].startswith(('Write a complete C program', 'Write a C program', 'Write a program in C')), t['id']
    assert 'standard input' in t['prompt'] and 'int main(void)' in t['reference'], t['id']


def test_prompts_vary_and_some_state_the_contract(corpus):
  by_family = collections.defaultdict(set)
  for t in corpus:
    p = t['prompt']
    by_family[t['family']].add((' '.join(p.split()[:4]), CONTRACT in p, 'For example' in p))
  assert {f: len(p) for f, p in by_family.items() if len(p) < 2} == {}
  with_contract = sum(CONTRACT in t['prompt'] for t in corpus)
  assert 0.15 * len(corpus) < with_contract < 0.6 * len(corpus)


def test_solutions_vary_in_style(corpus):
  refs = [t['reference'] for t in corpus]
  styles = {
    '4-space indent': r'\n    return 0;\n\}',
    '2-space indent': r'\n  return 0;\n\}',
    'helper function': r'static ',
    'while loop': r'while \(',
    'braced exit': r'\{\n +return 1;',
    'bounds checked': r'\|\| n > \d+',
    'puts': r'puts\(',
    'long long': r'%lld',
    'stream read': r'int x;\n +if \(scanf',
  }
  counts = {name: sum(bool(re.search(pattern, r)) for r in refs) for name, pattern in styles.items()}
  assert {name: n for name, n in counts.items() if n < 50} == {}


def test_tasks_are_deterministic_and_fresh_copies(corpus):
  again = build.tasks()
  assert again == corpus and again is not corpus
  again[0]['tests'].clear()
  assert build.tasks()[0]['tests'] == corpus[0]['tests']


# --- the oracles --------------------------------------------------------------------------------------------------


def test_expected_outputs_come_from_the_oracle(corpus):
  for t in corpus:
    assert [build.answer(t, x['stdin']) for x in t['tests']] == [x['stdout'] for x in t['tests']], t['id']


def test_oracle_says_none_where_the_reference_exits_1(corpus):
  ints = [t for t in corpus if t['family'] == 'affine']
  assert all(build.answer(t, '') is None and build.answer(t, 'x\n') is None for t in ints)
  assert all(build.answer(t, '5000\n') is None for t in ints)  # out of the bounds the prompt states
  assert build.answer(ints[0], '12abc\n') == build.answer(ints[0], '12\n')  # scanf stops at the first non-digit


def test_plain_references_check_only_an_arrays_size(corpus, plain):
  # The same tasks (prompts, tests) as the checked corpus; only the references differ.
  assert [{**t, 'reference': ''} for t in plain] == [{**t, 'reference': ''} for t in corpus]
  assert sum(p['reference'] != t['reference'] for p, t in zip(plain, corpus)) > 0.9 * len(corpus)
  read_checked = re.compile(r'(scanf|fgets)\([^;]*\)\s*(!=|==)')
  assert sum(bool(read_checked.search(t['reference'])) for t in corpus) > 0.9 * len(corpus)
  assert [t['id'] for t in plain if read_checked.search(t['reference'])] == []
  bound = re.compile(r'(\w+) < -?\d+ \|\| \1 > \d+[^)]*\)\s*\{?\s*return 1;')  # `if (n < 1 || n > 9 ...) return 1;`
  sized = re.compile(r'\b(int|char|long long) \w+\[(\d+)\]')
  assert sum(bool(bound.search(t['reference'])) for t in corpus) > 0.8 * len(corpus)
  unneeded = [t['id'] for t in plain if bound.search(t['reference']) and not sized.search(t['reference'])]
  assert unneeded == [] and sum(bool(bound.search(t['reference'])) for t in plain) >= 50
  # A beginner's program reads what the prompt promises: the oracle still answers None outside that.
  affine = next(t for t in plain if t['family'] == 'affine')
  assert build.answer(affine, '5000\n', 'needed') is None and 'return 1' not in affine['reference']


@needs_gcc
@pytest.mark.slow
@pytest.mark.parametrize('checks', build.CHECKS)
def test_oracles_agree_with_the_compiled_references(checks, heldout_sets, tmp_path):
  # Held-out inputs are what decontamination runs the oracles on: a sample of (reference, held-out input)
  # pairs, half of them inputs the reference reads (an answer), half any input (mostly a failure). A plain
  # reference (checks='needed') is undefined where its oracle says None, so only its answers are compared.
  corpus = build.tasks(checks)
  rng = random.Random(0)
  inputs = sorted({x['stdin'] for tasks in heldout_sets.values() for t in tasks for x in t['tests']})
  pairs = []
  for t in rng.sample(corpus, 180):
    readable = [x for x in inputs if build.answer(t, x, checks) is not None]
    pairs += [(t, rng.choice(readable))] if readable else []
    pairs += [(t, rng.choice(inputs))] if checks == 'all' else []
  assert len(pairs) >= (300 if checks == 'all' else 100)
  assert sum(build.answer(t, x, checks) is not None for t, x in pairs) >= 100
  sources = {}
  for t, _ in pairs:
    sources[t['id']] = tmp_path / f'{t["id"]}.c'
    sources[t['id']].write_text(t['reference'])
  exes = {i: overlap._compile(src, tmp_path) for i, src in sources.items()}  # pylint: disable=protected-access
  wrong = []
  for t, stdin in pairs:
    run = subprocess.run([str(exes[t['id']])], input=stdin.encode(), capture_output=True, timeout=5)
    got = run.stdout.decode('utf-8', 'surrogateescape') if run.returncode == 0 else None
    if run.returncode not in (0, 1) or got != build.answer(t, stdin, checks):
      wrong.append((t['id'], stdin, run.returncode, got, build.answer(t, stdin, checks)))
  assert wrong == []


# --- the verifier -------------------------------------------------------------------------------------------------


@needs_gcc
@pytest.mark.slow
@pytest.mark.parametrize('checks', build.CHECKS)
def test_every_reference_gets_reward_1(corpus, plain, verdicts, checks):
  tasks, results = (corpus, verdicts[0]) if checks == 'all' else (plain, verdicts[1])
  failed = [
    (t['id'], r['stage'], r['reward'], r['detail'] or r['compiler_output'][:300])
    for t, r in zip(tasks, results)
    if r['stage'] != 'correct' or r['reward'] != 1.0
  ]
  assert failed == []


@needs_gcc
@pytest.mark.slow
def test_a_reference_that_prints_a_prompt_is_refused(verdicts):
  _, _, prompted = verdicts
  assert len(prompted) >= 30
  assert [(t['id'], r['stage']) for t, r in prompted if r['stage'] != 'tests_failed' or r['reward'] >= 1.0] == []


# --- decontamination ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize('name', ['builtin', 'beginner'])
def test_no_prompt_is_near_a_heldout_prompt(corpus, heldout_sets, name):
  heldout = heldout_sets[name]
  assert {t['id'] for t in corpus} & {t['id'] for t in heldout} == set()
  closest = overlap.closest_pairs(heldout, corpus)
  assert [p for p in closest if p[0] >= overlap.SIMILARITY_THRESHOLD] == [], closest
  assert overlap.same_tests(heldout, corpus) == []


@pytest.mark.parametrize('checks', build.CHECKS)
def test_no_reference_solves_a_heldout_task(checks, heldout_sets):
  heldout = [h for tasks in heldout_sets.values() for h in tasks]
  assert len(heldout) == 137 + 51
  assert [(t['id'], h['id']) for t in build.tasks(checks) for h in heldout if build.solves(t, h, checks)] == []


def test_decontamination_drops_copies_and_solvers(corpus, heldout_sets):
  candidates = build.generated()
  kept, why = build.decontaminated(candidates, heldout_sets)
  assert kept == corpus and len(why) == len(candidates) - len(corpus) < 0.1 * len(candidates)
  assert all(reason.startswith(('solves held-out task', 'prompt near')) for _, reason in why)
  assert ('extremes_min_with_k_6', 'solves held-out task min_of_two') in why  # min(a, b, 6) on small tests
  # A corpus task whose prompt is a held-out prompt is a copy, whatever its reference does.
  copy = dict(corpus[300], prompt=heldout_sets['beginner'][5]['prompt'])
  kept, why = build.decontaminated(corpus[:200] + [copy], heldout_sets)
  assert kept == corpus[:200] and [i for i, _ in why] == [copy['id']] and 'prompt near beginner' in why[0][1]
  assert similar.SIMILARITY_THRESHOLD == overlap.SIMILARITY_THRESHOLD


# --- the command line ---------------------------------------------------------------------------------------------


def test_cli_writes_tasks_and_sft_lines(corpus, tmp_path):
  out = tmp_path / 'tasks.jsonl'
  counts = corpus_tool.run(str(out), 'tasks', ['affine', 'line_edit'], 7)
  written = tasks_lib.load_tasks(str(out))
  assert counts == {'affine': 4, 'line_edit': 3} and [t['family'] for t in written][:2] == ['affine', 'line_edit']
  assert all(set(t) == KEYS | {'language'} for t in written)
  sft = tmp_path / 'sft.jsonl'
  assert sum(corpus_tool.run(str(sft), 'sft').values()) == len(corpus)
  conversations = formats.read(str(sft))
  assert conversations[0][-1]['content'] == f'```c\n{corpus[0]["reference"]}```'
  with pytest.raises(ValueError, match='unknown nope'):
    corpus_tool.run(str(out), 'tasks', ['nope'])
  corpus_tool.run(str(out), 'tasks', ['affine'], 2, 'needed')
  assert [t['reference'] for t in tasks_lib.load_tasks(str(out))] == [
    t['reference'] for t in build.tasks('needed') if t['family'] == 'affine'
  ][:2]
  with pytest.raises(ValueError, match="--checks: expected one of all, needed, got 'some'"):
    corpus_tool.run(str(out), 'tasks', checks='some')
