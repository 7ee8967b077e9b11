"""Hinted rollouts: when every sample of a prompt fails, show the model the start of a correct program and
let it finish (BREAD, arXiv 2506.17211; QuestA, arXiv 2507.13266, anneals the hint's share away).

A hint is the opening of a fenced C block and the first `share` of the reference program's lines (whole
lines, so the model continues at a line start as it would in its own code). The sampler is fed prompt +
hint; the verifier grades hint + continuation (the whole program); training conditions on prompt + hint
and learns only the continuation (`raftjax.rl.cycle`). Host-side: no JAX.
"""

from raftjax.verifier.extract import fenced


def prefix(reference: str, share: float) -> str:
  """The hint for `reference` at `share` in [0, 1): '' when that is less than one line (no hint)."""
  lines = reference.splitlines(keepends=True)
  count = int(share * len(lines))
  return fenced(''.join(lines[:count])).removesuffix('```') if count else ''


def hinted_tasks(tasks: list[dict], share: float) -> list[dict]:
  """The tasks that get a hint at `share`: those with a reference long enough for one line of it."""
  return [t for t in tasks if share and prefix(t.get('reference') or '', share)]
