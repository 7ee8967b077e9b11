"""The chain's models at 16 samples per beginner task (records/sft/eval16.sh): the unbiased pass@4, and
how a 4-sample evaluation of the same model scatters around it.
python records/sft/sixteen.py [records/sft/eval16]

Task i with c_i of 16 samples correct is solved by a fresh 4-sample evaluation with probability
p_i = pass@4(16, c_i); tasks are independent, so the tasks solved at 4 samples follow a Poisson binomial
over the p_i: its mean is 51 x the unbiased pass@4, and the chance of reaching the goal's 13 of 51 (25%)
is read off it exactly."""

import collections
import json
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))  # run from anywhere
from raftjax.rl.selection import pass_at_k  # noqa: E402

GOAL = 0.25


def solved_at_4(correct: dict[str, int], n: int) -> list[float]:
  """P(a 4-sample evaluation solves exactly s tasks), s = 0..len(correct)."""
  dist = [1.0]
  for c in correct.values():
    p = pass_at_k(n, c, 4)
    dist = [a * (1 - p) + b * p for a, b in zip(dist + [0.0], [0.0] + dist)]
  return dist


def row(path: str) -> str:
  correct, n = collections.Counter(), collections.Counter()
  with open(path) as f:
    for line in f:
      r = json.loads(line)
      n[r['prompt_id']] += 1
      correct[r['prompt_id']] += r['stage'] == 'correct'
  (samples,) = set(n.values())
  tasks = len(n)
  dist = solved_at_4({t: correct[t] for t in n}, samples)
  mean = sum(s * p for s, p in enumerate(dist))
  sd = math.sqrt(sum((s - mean) ** 2 * p for s, p in enumerate(dist)))
  goal = math.ceil(GOAL * tasks)
  return (
    f'| {100 * sum(correct.values()) / sum(n.values()):.1f}% | {100 * mean / tasks:.1f}% | {mean:.1f} ± {sd:.1f} '
    f'| {100 * sum(dist[goal:]):.0f}% | {sum(c > 0 for c in correct.values())} |'
  )


def main(root: str) -> None:
  """root/seed_S/MODEL.beginner.stages.jsonl: each sample's prompt_id and stage (eval16.sh writes them);
  MODEL is sft, sft_raft or a cycle of the run (cycle_2)."""
  print('| seed, model | pass@1 | pass@4 (unbiased) | tasks solved at 4 samples | P(>= 25% at 4) | solved at 16 |')
  print('|---|---|---|---|---|---|')
  suffix = '.beginner.stages.jsonl'
  for seed in sorted(os.listdir(root)):
    models = [f.removesuffix(suffix) for f in os.listdir(os.path.join(root, seed)) if f.endswith(suffix)]
    for model in sorted(models, key=lambda m: (m not in ('sft', 'sft_raft'), m)):  # SFT, SFT + RAFT, then cycles
      name = model.replace('_', ' ') if model.startswith('cycle') else model.replace('_', ' + ').upper()
      print(f'| {seed.removeprefix("seed_")}, {name} {row(os.path.join(root, seed, model + suffix))}')


if __name__ == '__main__':
  main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), 'eval16'))
