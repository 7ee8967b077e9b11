"""Step 3 and the loop's other decisions (raftjax.rl.selection): what trains, which prompts a cycle samples,
when to stop, and the statistics they are made from."""

import math

import numpy as np
import pytest

from raftjax.rl import selection
from raftjax.sections import RaftConfig
from raftjax.verifier import extract


def _s(prompt, i, reward, completion=None):
  return dict(prompt_id=prompt, sample_index=i, reward=reward, completion=completion or f'{prompt}-{i}')


def test_select_threshold_never_zero_and_dedup():
  samples = [_s('a', 0, 0.0), _s('a', 1, 0.5), _s('a', 2, 0.5, 'a-1 '), _s('a', 3, 0.3), _s('b', 0, 1.0)]
  kept = selection.select(samples, 0.0, 1.0, 'global', 4, seed=0)
  assert [(k['prompt_id'], k['sample_index']) for k in kept] == [('a', 1), ('a', 3), ('b', 0)]
  assert [k['sample_index'] for k in selection.select(samples, 0.5, 1.0, 'global', 4, 0)] == [1, 0]


def test_select_per_prompt_keeps_best_of_k_and_global_top_percent():
  samples = [_s('a', i, r) for i, r in enumerate([0.3, 1.0, 0.5, 0.7])] + [_s('b', i, 0.5) for i in range(4)]
  best_of_k = selection.select(samples, 0.3, 0.25, 'per_prompt', 4, seed=0)
  assert [k['prompt_id'] for k in best_of_k] == ['a', 'b'] and best_of_k[0]['reward'] == 1.0
  top_half = selection.select(samples, 0.3, 0.5, 'global', 4, seed=0)
  assert len(top_half) == 4 and sorted(k['reward'] for k in top_half)[-2:] == [0.7, 1.0]


def test_select_prefer_correct_drops_wrong_outputs_only_where_a_right_one_exists():
  stages = {1.0: 'correct', 0.8: 'tests_failed', 0.7: 'ran', 0.5: 'compiled', 0.0: 'compile_error'}
  samples = [
    dict(_s(p, i, r), stage=stages[r])
    for p, rs in (('a', [1.0, 0.8, 0.5, 1.0]), ('b', [0.8, 0.7, 0.5, 0.0]))
    for i, r in enumerate(rs)
  ]
  kept = {(k['prompt_id'], k['sample_index']) for k in selection.select(samples, 0.5, 1.0, 'per_prompt', 4, 0, True)}
  assert kept == {('a', 0), ('a', 3), ('b', 0), ('b', 1), ('b', 2)}  # 'b' has no correct sample: all candidates stay
  assert len(selection.select(samples, 0.5, 1.0, 'per_prompt', 4, 0)) == 7  # off: every candidate of both
  assert {k['prompt_id'] for k in selection.select(samples, 0.5, 1.0, 'global', 4, 0, True)} == {'a', 'b'}


def test_unsolved_prompts_are_those_without_a_correct_sample_in_task_order():
  rows = [
    dict(_s(p, i, r), stage=st)
    for p, i, r, st in (
      ('a', 0, 0.8, 'tests_failed'),
      ('b', 0, 1.0, 'correct'),
      ('b', 1, 0.0, 'compile_error'),
      ('c', 0, 0.7, 'ran'),
    )
  ]
  tasks = [{'id': t} for t in 'dcba']
  assert [t['id'] for t in selection.unsolved_prompts(rows, tasks)] == ['d', 'c', 'a']  # 'd': no rows at all
  many = rows + [dict(_s('b', 2, 1.0), stage='correct')] * 3  # the per-prompt cap still holds over more samples
  assert len(selection.select(many, 0.5, 1.0, 'per_prompt', 1, 0)) == 3  # one each of a, b, c


def test_demonstrations_only_where_a_task_has_a_reference_and_no_correct_sample():
  rows = [
    dict(_s(p, i, r), stage=st)
    for p, i, r, st in (('a', 0, 1.0, 'correct'), ('b', 0, 0.8, 'tests_failed'), ('c', 0, 0.0, 'compile_error'))
  ]
  tasks = [
    {'id': 'a', 'reference': 'A'},
    {'id': 'b', 'reference': 'int main(void) { return 0; }\n'},
    {'id': 'c'},
    {'id': 'd', 'reference': 'D'},
  ]  # 'd': sampled, no rows left (e.g. all cut)
  demos = selection.demonstrations(tasks, rows, lambda text: [len(text), 0])
  assert [(d['prompt_id'], d['stage'], d['reward'], d['sample_index']) for d in demos] == [
    ('b', 'reference', 1.0, -1),
    ('d', 'reference', 1.0, -1),
  ]
  assert demos[0]['completion'] == '```c\nint main(void) { return 0; }\n```'
  assert demos[0]['tokens'] == [len(demos[0]['completion']), 0]
  assert extract.extract_code(demos[0]['completion']).strip() == tasks[1]['reference'].strip()  # what gcc would see


def test_select_breaks_ties_fairly_not_by_file_order():
  samples = [_s(f'p{i}', 0, 0.5) for i in range(100)]
  kept = [int(k['prompt_id'][1:]) for seed in range(20) for k in selection.select(samples, 0.5, 0.1, 'global', 1, seed)]
  assert len(kept) == 200 and len(set(kept)) > 50  # different prompts win the ties under different seeds
  assert 35 < np.mean(kept) < 65  # positions in the file are kept evenly (a stable sort would give 4.5)


def test_cycle_prompts_rotate_through_one_permutation():
  tasks = [{'id': str(i)} for i in range(10)]
  windows = [[t['id'] for t in selection.cycle_prompts(tasks, 4, seed=3, cycle=c)] for c in (1, 2, 3)]
  assert all(len(w) == 4 for w in windows)
  assert sorted(windows[0] + windows[1] + windows[2][:2]) == sorted(map(str, range(10)))  # every task once...
  assert windows[2][2:] == windows[0][:2]  # ... then around again
  assert selection.cycle_prompts(tasks, 0, 3, 1) == tasks and selection.cycle_prompts(tasks, 12, 3, 5) == tasks
  assert windows[0] != [t['id'] for t in selection.cycle_prompts(tasks, 4, seed=4, cycle=1)]


def _cycles(*rewards):
  return [{'cycle': i, 'eval': {'mean_reward': r}} for i, r in enumerate(rewards, 1)]


@pytest.mark.parametrize(
  'rewards,expected',
  [
    ((0.20, 0.30), None),  # gaining
    ((0.20, 0.21), None),  # one small gain: patience 2 not used up
    ((0.20, 0.21, 0.215), 'plateau'),  # two gains below min_improvement in a row
    ((0.20, 0.30, 0.27), 'degradation'),  # fell by more than min_improvement
    ((0.20, 0.30, 0.29), None),  # fell by less: a cycle without gain, not degradation
    ((0.20, 0.30, 0.29, 0.295), 'plateau'),
  ],
)
def test_stop_reason(rewards, expected):
  base, *cycles = rewards
  raft = RaftConfig(min_improvement=0.02, patience=2)
  assert selection.stop_reason({'mean_reward': base}, _cycles(*cycles), raft) == expected
  assert selection.stop_reason({'mean_reward': base}, _cycles(*cycles), RaftConfig(early_stopping=False)) is None


def test_pass_at_k_against_direct_enumeration():
  from itertools import combinations

  for n in range(1, 7):
    for c in range(n + 1):
      for k in range(1, n + 1):
        draws = list(combinations([1] * c + [0] * (n - c), k))
        assert selection.pass_at_k(n, c, k) == pytest.approx(sum(map(any, draws)) / len(draws))


def test_sample_stats_and_summarize():
  rows = [
    dict(reward=r, stage=s)
    for r, s in ((0.0, 'compile_error'), (0.3, 'compiled_with_warnings'), (0.8, 'tests_failed'), (1.0, 'correct'))
  ]
  stats = selection.sample_stats(rows)
  assert stats['levels'] == {'0.0': 1, '0.3': 1, '0.5': 0, '0.7': 1, '1.0': 1}
  assert stats['compile_rate'] == 0.75 and stats['pass_rate'] == 0.25 and stats['mean_reward'] == pytest.approx(0.525)
  evaluation = selection.summarize(2, rows, 2)  # task 0: samples 0-1 (none correct), task 1: 2-3 (one)
  assert evaluation['pass@1'] == pytest.approx((0 + 0.5) / 2) and evaluation['pass@2'] == pytest.approx(0.5)
  assert evaluation['stages'] == stats['stages'] and not math.isnan(evaluation['mean_reward'])
  # 6 samples per task (task 0: 1 correct, task 1: 4): pass@k for k = 1, 2, 4 and 6, each the mean over tasks.
  rows = [
    dict(reward=1.0 if c else 0.0, stage='correct' if c else 'compile_error') for c in [1] + [0] * 5 + [1] * 4 + [0] * 2
  ]
  curve = {k: v for k, v in selection.summarize(2, rows, 6).items() if k.startswith('pass@')}
  assert list(curve) == ['pass@1', 'pass@2', 'pass@4', 'pass@6']
  for key, value in curve.items():
    k = int(key[5:])
    assert value == pytest.approx((selection.pass_at_k(6, 1, k) + selection.pass_at_k(6, 4, k)) / 2)
