"""Step 3 of a RAFT cycle, and the loop's other decisions: which samples to train on, which prompts a
cycle samples, when to stop, and the statistics they are made from. Pure Python (and NumPy's RNG).

Selection (`select`):
  * a sample is a candidate when reward >= reward_threshold and reward > 0 (failures never train);
  * duplicates (same prompt, same completion text after stripping) count once;
  * `prefer_correct`: a prompt with a correct candidate (stage 'correct', reward 1.0) keeps only its correct
    ones: a program that runs with the wrong output never trains where a right one exists;
  * `per_prompt`: keep the best ceil(keep_top_percent * samples_per_prompt) candidates of each prompt
    (keep_top_percent = 1 / samples_per_prompt is the RAFT paper's best-of-K);
    `global`: keep the best ceil(keep_top_percent * candidates) over all prompts;
  * ties in reward are broken by a seeded random order, never by position in the prompts file.

Prompts (`cycle_prompts`): all training tasks, or a window of `prompts_per_cycle` that moves through one
seeded permutation of them, cycle after cycle. Refill (`spare_prompts`): the prompts that follow the
window in that permutation, each once, in order. Adaptive K (`unsolved_prompts`, `raft.adaptive_rounds`):
in a cycle that runs programs, the cycle's prompts without a correct sample get `samples_per_prompt` more
samples, round after round, until each has one or the rounds are used up; selection then ranks every
sample of a prompt together (per_prompt keeps at most ceil(keep_top_percent * samples_per_prompt) of them).

Prompt outcomes (`prompt_outcomes`, for `raft.prompt_filter`): a sample *passes* when it is a selection
candidate (reward >= the cycle's reward_threshold and > 0). A prompt is `all_pass` when every one of its
samples passes, `all_fail` when none does, `mixed` otherwise. `filter_prompts` drops the all-fail and/or
all-pass prompts before selection and advantages.

Demonstrations (`demonstrations`, `raft.demonstrations`, sft): a prompt the cycle trains on whose task has a
`reference` solution and no correct sample gets that reference as one more training row (stage
'reference', reward 1.0, completion "```c\n<reference>```" as the model writes code, then eos): STaR's
rationalization for programs. The model is shown the answer exactly where its own samples found none.

Advantages (`advantages`, policy-gradient objectives; raftjax.train.objectives has the losses): A_i = r_i - mean_g r
(reinforce_rej) or (r_i - mean_g r) / (std_g r + 1e-6) (grpo; population std) over the samples of prompt
g, r the verifier's graduated reward. reinforce_rej drops every prompt whose samples all have the same
reward (their advantages are all 0: they would only dilute the token average); grpo keeps them.

Stopping (`stop_reason`): with `early_stopping`, when the held-out mean reward gains less than
`min_improvement` over the previous cycle for `patience` cycles in a row ('plateau'), or falls by more
than `min_improvement` ('degradation'). The best cycle is `rundir.best_cycle`.
"""

import collections
import math

import numpy as np

from raftjax.sections import RaftConfig
from raftjax.verifier import reward
from raftjax.verifier.extract import fenced


def select(
  samples: list[dict],
  threshold: float,
  keep_top_percent: float,
  selection: str,
  samples_per_prompt: int,
  seed: int,
  prefer_correct: bool = False,
) -> list[dict]:
  """The samples to train on (see the module docstring), in (prompt, sample_index) order."""
  seen, candidates = set(), []
  for s in samples:
    key = (s['prompt_id'], s['completion'].strip())
    if s['reward'] > 0 and s['reward'] >= threshold and key not in seen:
      seen.add(key)
      candidates.append(s)
  if prefer_correct:
    solved = {s['prompt_id'] for s in candidates if s['stage'] == 'correct'}
    candidates = [s for s in candidates if s['prompt_id'] not in solved or s['stage'] == 'correct']
  tiebreak = np.random.default_rng(seed).permutation(len(candidates))
  ranked = [s for _, _, s in sorted(zip((-s['reward'] for s in candidates), tiebreak, candidates), key=lambda x: x[:2])]
  if selection == 'global':
    kept = ranked[: math.ceil(keep_top_percent * len(ranked))]
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


def spare_prompts(tasks: list[dict], prompts_per_cycle: int, seed: int, cycle: int) -> list[dict]:
  """The prompts a cycle may refill from: those after its window in the rotation, each once ([] when the
  window holds every task)."""
  n = prompts_per_cycle
  if not n or n >= len(tasks):
    return []
  order = np.random.default_rng(seed).permutation(len(tasks))
  start = (cycle - 1) * n + n
  return [tasks[order[(start + i) % len(tasks)]] for i in range(len(tasks) - n)]


def unsolved_prompts(rows: list[dict], tasks: list[dict]) -> list[dict]:
  """The tasks none of whose rows is correct (stage 'correct'), in order: an adaptive round samples them
  again (`raft.adaptive_rounds`)."""
  solved = {r['prompt_id'] for r in rows if r['stage'] == 'correct'}
  return [t for t in tasks if t['id'] not in solved]


OUTCOMES = ('all_pass', 'all_fail', 'mixed')
_DROPS = {'none': (), 'all_fail': ('all_fail',), 'all_pass': ('all_pass',), 'both': ('all_fail', 'all_pass')}


def prompt_outcomes(rows: list[dict], threshold: float) -> dict[str, str]:
  """{prompt_id: 'all_pass' | 'all_fail' | 'mixed'} (module docstring)."""
  passed: dict[str, list[bool]] = {}
  for r in rows:
    passed.setdefault(r['prompt_id'], []).append(r['reward'] > 0 and r['reward'] >= threshold)
  return {p: 'all_pass' if all(v) else 'all_fail' if not any(v) else 'mixed' for p, v in passed.items()}


def dropped_prompts(outcomes: dict[str, str], prompt_filter: str) -> set[str]:
  """The prompts `prompt_filter` drops ('none' | 'all_fail' | 'all_pass' | 'both' = dropped)."""
  return {p for p, outcome in outcomes.items() if outcome in _DROPS[prompt_filter]}


def training_rows(rows: list[dict], raft: RaftConfig, objective: str, seed: int) -> list[dict]:
  """What a cycle trains on, from the rows of the prompts the filter kept: `select`'s kept samples (sft,
  raft_pp: advantage 1), or every sample with its advantage (reinforce_rej, grpo)."""
  if objective in ('sft', 'raft_pp'):
    return select(
      rows,
      raft.reward_threshold,
      raft.keep_top_percent,
      raft.selection,
      raft.samples_per_prompt,
      seed,
      raft.prefer_correct,
    )
  return advantages(rows, objective)


def demonstrations(tasks: list[dict], rows: list[dict], encode) -> list[dict]:
  """The reference rows for `tasks` (those the cycle trains on) that have a reference and no correct row
  in `rows`; `encode(text)` gives a completion's tokens, eos included (module docstring)."""
  solved = {r['prompt_id'] for r in rows if r['stage'] == 'correct'}
  out = []
  for t in tasks:
    if t.get('reference') and t['id'] not in solved:
      completion = fenced(t['reference'])
      out.append(
        dict(
          prompt_id=t['id'],
          sample_index=-1,
          completion=completion,
          tokens=encode(completion),
          reward=1.0,
          stage='reference',
          advantage=1.0,
        )
      )
  return out


def advantages(rows: list[dict], objective: str) -> list[dict]:
  """The rows a policy-gradient objective trains on, each with its 'advantage' (module docstring)."""
  groups: dict[str, list[dict]] = {}
  for r in rows:
    groups.setdefault(r['prompt_id'], []).append(r)
  out = []
  for group in groups.values():
    rewards = np.array([r['reward'] for r in group], np.float64)
    a = rewards - rewards.mean()
    if objective == 'grpo':
      a = a / (rewards.std() + 1e-6)
    elif np.all(rewards == rewards[0]):  # reinforce_rej
      continue
    out.extend(dict(r, advantage=float(x)) for r, x in zip(group, a))
  return out


def stop_reason(base_eval: dict, cycles: list[dict], raft: RaftConfig) -> str | None:
  """'plateau' or 'degradation' after the last of `cycles` (module docstring), else None."""
  if not (raft.early_stopping and base_eval and cycles):
    return None
  scores = [base_eval['mean_reward']] + [s['eval']['mean_reward'] for s in cycles]
  gains = np.diff(scores)
  if gains[-1] < -raft.min_improvement:
    return 'degradation'
  if len(gains) >= raft.patience and all(g < raft.min_improvement for g in gains[-raft.patience :]):
    return 'plateau'
  return None


# ------------------------------------------------------------------------------------------ statistics


def _rates(rows: list[dict]) -> dict:
  total = max(1, len(rows))
  return dict(
    compile_rate=sum(r['reward'] > 0 for r in rows) / total,
    pass_rate=sum(r['stage'] == 'correct' for r in rows) / total,
    mean_reward=sum(r['reward'] for r in rows) / total,
  )


def sample_stats(rows: list[dict]) -> dict:
  """A cycle's training samples: rates, and counts per ladder level and per stage (stats.json 'train')."""
  levels = collections.Counter(reward.level_of(r['reward']) for r in rows)
  return dict(
    total=len(rows),
    **_rates(rows),
    levels={lv: levels[lv] for lv in reward.LEVELS},
    stages=dict(collections.Counter(r['stage'] for r in rows)),
  )


def generation_stats(rows: list[dict]) -> dict:
  """What the policy's own samples say about it (stats.json 'signals'): its mean token entropy at
  temperature 1 along them (`Sample.entropy`), the share of distinct completions per prompt, the mean
  completion length in tokens and the share cut by max_new_tokens."""
  tokens = sum(r['num_tokens'] for r in rows)
  distinct = {(r['prompt_id'], r['completion'].strip()) for r in rows}
  total = max(1, len(rows))
  return dict(
    token_entropy=sum(r['entropy'] for r in rows) / max(1, tokens),
    unique_ratio=len(distinct) / total,
    mean_tokens=tokens / total,
    truncated=sum(r['finish_reason'] == 'length' for r in rows) / total,
  )


def pass_at_k(n: int, c: int, k: int) -> float:
  """Probability that at least one of k samples drawn without replacement from n (c correct) is correct
  (the unbiased estimator of Chen et al., 2021)."""
  if n - c < k:
    return 1.0
  return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def summarize(num_tasks: int, rows: list[dict], samples_per_prompt: int) -> dict:
  """An evaluation: rates, stages and pass@k for k = 1, 2, 4, ... and n over prompt-major rows (task i,
  sample j at i * samples_per_prompt + j): the curve over k shows what more samples buy."""
  n = samples_per_prompt
  correct = [r['stage'] == 'correct' for r in rows]
  per_task = [sum(correct[i * n : (i + 1) * n]) for i in range(num_tasks)]
  metrics = dict(
    num_tasks=num_tasks,
    samples_per_prompt=n,
    **_rates(rows),
    stages=dict(collections.Counter(r['stage'] for r in rows)),
  )
  for k in sorted({n} | {2**i for i in range(n.bit_length())}):
    metrics[f'pass@{k}'] = sum(pass_at_k(n, c, k) for c in per_task) / max(1, num_tasks)
  return metrics
