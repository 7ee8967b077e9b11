"""Whether two task sets overlap, for keeping training tasks apart from held-out ones
(test_heldout_set.py: the built-in set vs heldout_beginner; test_families.py: raftjax.data.families vs both).

Prompt similarity: raftjax.data.corpus.similar owns the rule (Jaccard similarity of the words that name
the problem, template words dropped, threshold 0.8), so the corpus is decontaminated by the same rule.
Word overlap cannot tell a reworded problem from a different one when a single word makes the difference
(sum of digits vs largest digit: 0.75), so sameness of the computation is checked by running every
training reference solution on every held-out task (`solved_pairs`), and test sets are compared
(`same_tests`).
"""

import concurrent.futures
import itertools
import os
import pathlib
import subprocess

from raftjax.data.corpus.similar import SIMILARITY_THRESHOLD, similarity, template_words  # noqa: F401


def closest_pairs(heldout, training, n=10):
  """The n most similar (similarity, held-out id, training id) prompt pairs."""
  template = template_words(training, heldout)
  pairs = [
    (round(similarity(h['prompt'], t['prompt'], template), 3), h['id'], t['id'])
    for h, t in itertools.product(heldout, training)
  ]
  return sorted(pairs, reverse=True)[:n]


def _contained(a: dict, b: dict) -> bool:
  """Whether every test of task `a` is a test of task `b` (outputs compared as the verifier does)."""
  from raftjax.verifier import reward

  return all(
    any(x['stdin'] == y['stdin'] and reward.outputs_match(y['stdout'].encode(), x['stdout']) for y in b['tests'])
    for x in a['tests']
  )


def same_tests(heldout, training) -> list[tuple[str, str]]:
  """(held-out id, training id) pairs where one task's whole test set is contained in the other's. Single
  edge cases may coincide (0 -> 0); a whole test set may not."""
  return [(h['id'], t['id']) for h, t in itertools.product(heldout, training) if _contained(h, t) or _contained(t, h)]


def _compile(src: pathlib.Path, out_dir: pathlib.Path) -> pathlib.Path:
  # Uninitialised locals start at zero (gcc >= 12), not at whatever the stack holds: a program that reads
  # less input than it expects then computes the same thing on every machine, and zero is the value most
  # likely to make it pass a held-out task by accident (a - 2 * b with b missing echoes a).
  exe = out_dir / src.stem
  subprocess.run(
    ['gcc', '-std=c11', '-O0', '-w', '-ftrivial-auto-var-init=zero', str(src), '-o', str(exe), '-lm'],
    check=True,
    capture_output=True,
    timeout=120,
  )
  return exe


def _passes(exe: pathlib.Path, task: dict) -> bool:
  """Whether `exe` passes every test of `task` (as the verifier compares outputs)."""
  from raftjax.verifier import reward

  for test in task['tests']:
    try:
      out = subprocess.run([str(exe)], input=test['stdin'].encode(), capture_output=True, timeout=1.0)
    except subprocess.TimeoutExpired:
      return False  # a reference program on these small inputs runs in milliseconds
    if out.returncode != 0 or not reward.outputs_match(out.stdout, test['stdout']):
      return False
  return True


def solved_pairs(sources: dict[str, pathlib.Path], tasks: list[dict], tmp: pathlib.Path) -> list[tuple[str, str]]:
  """(program id, task id) for every C source in `sources` ({id: path}) that passes every test of a task.
  These are the repository's own reference programs, run directly (the sandbox would make the thousands
  of runs several times slower)."""
  workers = min(max(len(os.sched_getaffinity(0)), 2), 8)
  with concurrent.futures.ThreadPoolExecutor(workers) as pool:
    exes = list(pool.map(lambda src: _compile(src, tmp), sources.values()))
    pairs = list(itertools.product(zip(sources, exes), tasks))
    passed = list(pool.map(lambda p: _passes(p[0][1], p[1]), pairs))
  return [(i, t['id']) for ((i, _), t), ok in zip(pairs, passed) if ok]
