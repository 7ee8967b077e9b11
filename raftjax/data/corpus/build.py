"""The corpus: every topic module's tasks, decontaminated against the held-out sets, in the task-file format.

  from raftjax.data.corpus import build
  build.tasks()          # [{'id', 'prompt', 'tests', 'reference', 'family', 'difficulty'}, ...]
  python -m raftjax.tools.corpus --output=corpus.jsonl --format=sft

It is for supervised fine-tuning a small model on what a first C course asks (read the input, compute, print
only the answer): thousands of distinct problems, each with a C reference that gets reward 1.0 from the
verifier on its tests (tests/data/test_corpus.py). Everything is deterministic: constants come from
string-seeded generators and each task's style from a hash of its id.

A task's expected outputs come from its oracle (`answer`), which says what the reference prints for any
input, or None where it exits 1. That makes decontamination cheap: a task is dropped when its prompt is a
near-duplicate of a held-out prompt (raftjax.data.corpus.similar) or when its reference, by the oracle,
passes every test of a held-out task: ALL tasks of the built-in set (any may be held out, by seed) and of
heldout_beginner. The tests compile a sample of references on held-out inputs to hold the oracles to the C.
"""

import copy
import functools

from raftjax.data import tasks as tasks_lib
from raftjax.data.corpus import (
  arithmetic,
  arrays,
  choices,
  conditions,
  decimals,
  digits,
  editing,
  formatting,
  loops,
  mapping,
  neighbors,
  number_theory,
  numerals,
  ordering,
  patterns,
  program,
  sequences,
  similar,
  strings,
  text,
  words,
)
from raftjax.data.corpus.program import CHECKS
from raftjax.verifier import reward

_MODULES = (
  arithmetic,
  conditions,
  choices,
  loops,
  sequences,
  number_theory,
  digits,
  numerals,
  arrays,
  mapping,
  neighbors,
  ordering,
  strings,
  words,
  text,
  editing,
  patterns,
  formatting,
  decimals,
)
FAMILIES = tuple(f for module in _MODULES for f in module.FAMILIES)


@functools.cache
def _candidates(checks: str = CHECKS[0]) -> dict[str, program.Task]:
  """Every generated task by id, before decontamination, its reference written with `checks`."""
  if checks not in CHECKS:
    raise ValueError(f'checks: expected one of {", ".join(CHECKS)}, got {checks!r}')
  out, token = {}, program.CHECKING.set(checks)
  try:
    for module in _MODULES:
      for t in module.tasks():
        if t.id in out:
          raise ValueError(f'corpus: task id {t.id!r} is generated twice')
        out[t.id] = t
  finally:
    program.CHECKING.reset(token)
  return out


def generated(checks: str = CHECKS[0]) -> list[dict]:
  """Every generated task in the task-file format, before decontamination."""
  return [_as_dict(t) for t in _candidates(checks).values()]


def _as_dict(t: program.Task) -> dict:
  tests = [dict(stdin=x, stdout=t.answer(x)) for x in t.inputs]
  broken = [x['stdin'] for x in tests if x['stdout'] is None]
  if broken:
    raise ValueError(f'corpus: the reference of {t.id} fails on its own test inputs {broken}')
  if len(tests) < 3:
    raise ValueError(f'corpus: {t.id} has {len(tests)} distinct test inputs; expected 3 to 5')
  if len({x['stdout'] for x in tests}) < 2:
    raise ValueError(f'corpus: every test of {t.id} expects the same output (a constant would pass)')
  return dict(id=t.id, prompt=t.prompt, tests=tests, reference=t.reference, family=t.family, difficulty=t.difficulty)


def answer(task: dict, stdin: str, checks: str = CHECKS[0]) -> str | None:
  """What the reference of corpus task `task` (written with `checks`) prints for `stdin`, or None where it
  exits 1 (input missing or out of the bounds it checks; with checks='needed', undefined where input is
  missing)."""
  if task['id'] not in _candidates(checks):
    raise KeyError(f'{task["id"]!r} is not a task of the corpus')
  return _candidates(checks)[task['id']].answer(stdin)


def heldout_sets() -> dict[str, list[dict]]:
  """The task sets the corpus must stay apart from: every built-in task and heldout_beginner."""
  return dict(builtin=tasks_lib.load_tasks(None), beginner=tasks_lib.load_tasks(tasks_lib.packaged(tasks_lib.BEGINNER)))


def solves(task: dict, heldout: dict, checks: str = CHECKS[0]) -> bool:
  """Whether the reference of corpus task `task` passes every test of task `heldout` (by its oracle)."""
  if not heldout['tests']:
    return False  # nothing to pass: the verifier's best is 0.7 there, whatever the program
  for test in heldout['tests']:
    out = answer(task, test['stdin'], checks)
    if out is None or not reward.outputs_match(out.encode('utf-8', 'surrogateescape'), test['stdout']):
      return False
  return True


def _near(tasks: list[dict], heldout: list[dict], threshold: float) -> dict[str, str]:
  """{corpus id: held-out id} for corpus prompts at least `threshold` similar to a held-out prompt."""
  template = similar.template_words(tasks, heldout)
  theirs = [(h['id'], similar.words(h['prompt']) - template) for h in heldout]
  out = {}
  for t in tasks:
    mine = similar.words(t['prompt']) - template
    close = [hid for hid, words in theirs if similar.jaccard(mine, words) >= threshold]
    if close:
      out[t['id']] = close[0]
  return out


def decontaminated(
  tasks: list[dict],
  heldout_sets: dict[str, list[dict]],
  threshold: float = similar.SIMILARITY_THRESHOLD,
  checks: str = CHECKS[0],
) -> tuple[list[dict], list[tuple[str, str]]]:
  """(kept tasks, [(dropped id, why)]): drops corpus tasks whose reference solves a held-out task (by the
  oracle) or whose prompt is a near-duplicate of a held-out prompt. The template words depend on the set
  that is kept, so similarity is checked again on what is left until nothing more is dropped."""
  dropped = []
  heldout_all = [h for tasks_ in heldout_sets.values() for h in tasks_]
  for t in tasks:
    solved = next((h['id'] for h in heldout_all if solves(t, h, checks)), None)
    if solved:
      dropped.append((t['id'], f'solves held-out task {solved}'))
  kept = [t for t in tasks if t['id'] not in {d for d, _ in dropped}]
  while True:
    near = {}
    for name, heldout in heldout_sets.items():
      near.update({i: f'prompt near {name} task {h}' for i, h in _near(kept, heldout, threshold).items()})
    if not near:
      return kept, dropped
    dropped += sorted(near.items())
    kept = [t for t in kept if t['id'] not in near]


@functools.cache
def _corpus(checks: str) -> tuple[dict, ...]:
  kept, _ = decontaminated(generated(checks), heldout_sets(), checks=checks)
  return tuple(kept)


def tasks(checks: str = CHECKS[0]) -> list[dict]:
  """Every corpus task (decontaminated), in a fixed order, its reference written with `checks` (one of
  CHECKS: 'all', scanf's result and the bounds the prompt states; 'needed', only what the program needs);
  a fresh copy on every call."""
  return copy.deepcopy(list(_corpus(checks)))
