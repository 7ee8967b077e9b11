"""Step 3 of a RAFT cycle, and the loop's other decisions: which samples to train on, which prompts a
cycle samples, when to stop, and the statistics they are made from. Pure Python (and NumPy's RNG).

Selection (`select`):
  * a sample is a candidate when reward >= reward_threshold and reward > 0 (failures never train);
  * duplicates (same prompt, same completion text after stripping) count once;
  * `per_prompt`: keep the best ceil(keep_top_percent * samples_per_prompt) candidates of each prompt
    (keep_top_percent = 1 / samples_per_prompt is the RAFT paper's best-of-K);
    `global`: keep the best ceil(keep_top_percent * candidates) over all prompts;
  * ties in reward are broken by a seeded random order, never by position in the prompts file.

Prompts (`cycle_prompts`): all training tasks, or a window of `prompts_per_cycle` that moves through one
seeded permutation of them, cycle after cycle.

Stopping (`stop_reason`): with `early_stopping`, when the held-out mean reward gains less than
`min_improvement` over the previous cycle for `patience` cycles in a row ('plateau'), or falls by more
than `min_improvement` ('degradation'). The best cycle is `rundir.best_cycle`.
"""

import collections
import math

import numpy as np

from raftjax import rundir
from raftjax.config import RaftConfig


def select(samples: list[dict], threshold: float, keep_top_percent: float, selection: str,
           samples_per_prompt: int, seed: int) -> list[dict]:
  """The samples to train on (see the module docstring), in (prompt, sample_index) order."""
  seen, candidates = set(), []
  for s in samples:
    key = (s['prompt_id'], s['completion'].strip())
    if s['reward'] > 0 and s['reward'] >= threshold and key not in seen:
      seen.add(key)
      candidates.append(s)
  tiebreak = np.random.default_rng(seed).permutation(len(candidates))
  ranked = [s for _, _, s in sorted(zip((-s['reward'] for s in candidates), tiebreak, candidates),
                                    key=lambda x: x[:2])]
  if selection == 'global':
    kept = ranked[:math.ceil(keep_top_percent * len(ranked))]
  else:
    per_prompt = math.ceil(keep_top_percent * samples_per_prompt)
    counts = collections.Counter()
    kept = []
    for s in ranked:
      if counts[s['prompt_id']] < per_prompt:
        counts[s['prompt_id']] += 1
        kept.append(s)
  order = {id(s): i for i, s in enumerate(samples)}
  return sorted(kept, key=lambda s: order[id(s)])


def cycle_prompts(tasks: list[dict], prompts_per_cycle: int, seed: int, cycle: int) -> list[dict]:
  """This cycle's training tasks: all, or the cycle's window of `prompts_per_cycle` (module docstring)."""
  n = prompts_per_cycle
  if not n or n >= len(tasks):
    return tasks
  order = np.random.default_rng(seed).permutation(len(tasks))
  start = (cycle - 1) * n
  return [tasks[order[(start + i) % len(tasks)]] for i in range(n)]


def stop_reason(base_eval: dict, cycles: list[dict], raft: RaftConfig) -> str | None:
  """'plateau' or 'degradation' after the last of `cycles` (module docstring), else None."""
  if not (raft.early_stopping and base_eval and cycles):
    return None
  scores = [base_eval['mean_reward']] + [s['eval']['mean_reward'] for s in cycles]
  gains = np.diff(scores)
  if gains[-1] < -raft.min_improvement:
    return 'degradation'
  if len(gains) >= raft.patience and all(g < raft.min_improvement for g in gains[-raft.patience:]):
    return 'plateau'
  return None


# ------------------------------------------------------------------------------------------ statistics


def _rates(rows: list[dict]) -> dict:
  total = max(1, len(rows))
  return dict(compile_rate=sum(r['reward'] > 0 for r in rows) / total,
              pass_rate=sum(r['stage'] == 'correct' for r in rows) / total,
              mean_reward=sum(r['reward'] for r in rows) / total)


def sample_stats(rows: list[dict]) -> dict:
  """A cycle's training samples: rates, and counts per ladder level and per stage (stats.json 'train')."""
  levels = collections.Counter(rundir.level_of(r['reward']) for r in rows)
  return dict(total=len(rows), **_rates(rows), levels={lv: levels[lv] for lv in rundir.LEVELS},
              stages=dict(collections.Counter(r['stage'] for r in rows)))


def pass_at_k(n: int, c: int, k: int) -> float:
  """Probability that at least one of k samples drawn without replacement from n (c correct) is correct
  (the unbiased estimator of Chen et al., 2021)."""
  if n - c < k:
    return 1.0
  return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def summarize(num_tasks: int, rows: list[dict], samples_per_prompt: int) -> dict:
  """An evaluation: rates, stages and pass@1 / pass@n over prompt-major rows (task i, sample j at
  i * samples_per_prompt + j)."""
  n = samples_per_prompt
  correct = [r['stage'] == 'correct' for r in rows]
  per_task = [sum(correct[i * n:(i + 1) * n]) for i in range(num_tasks)]
  metrics = dict(num_tasks=num_tasks, samples_per_prompt=n, **_rates(rows),
                 stages=dict(collections.Counter(r['stage'] for r in rows)))
  for k in sorted({1, n}):
    metrics[f'pass@{k}'] = sum(pass_at_k(n, c, k) for c in per_task) / max(1, num_tasks)
  return metrics
