"""Which prompts a cycle drops and refills from, the advantages of the policy-gradient objectives, the
signals of a cycle's samples (raftjax.rl.selection), and the config keys of the variants (raftjax.config)."""

import dataclasses

import numpy as np
import pytest

from raftjax import config as config_lib
from raftjax.rl import selection
from raftjax.sections import RaftConfig

from configs import raft as raft_config


def _rows(rewards: dict[str, list[float]]) -> list[dict]:
  return [
    dict(prompt_id=p, sample_index=i, reward=r, completion=f'{p}{i}')
    for p, rs in rewards.items()
    for i, r in enumerate(rs)
  ]


REWARDS = {
  'solved': [1.0, 0.5, 0.7, 0.5],  # every sample at or above 0.5
  'broken': [0.0, 0.0, 0.0, 0.0],
  'warned': [0.3, 0.3, 0.0, 0.3],  # compiles, but below the threshold: all fail at 0.5
  'mixed': [0.5, 0.0, 0.9, 0.3],
  'same': [0.7, 0.7, 0.7, 0.7],
}


def test_prompt_outcomes_at_the_cycles_threshold():
  assert selection.prompt_outcomes(_rows(REWARDS), 0.5) == dict(
    solved='all_pass', broken='all_fail', warned='all_fail', mixed='mixed', same='all_pass'
  )
  # At threshold 0 a sample passes when it compiles (reward > 0): failures never pass.
  assert selection.prompt_outcomes(_rows(REWARDS), 0.0) == dict(
    solved='all_pass', broken='all_fail', warned='mixed', mixed='mixed', same='all_pass'
  )


@pytest.mark.parametrize(
  'prompt_filter,dropped',
  [
    ('none', set()),
    ('all_fail', {'broken', 'warned'}),
    ('all_pass', {'solved', 'same'}),
    ('both', {'broken', 'warned', 'solved', 'same'}),
  ],
)
def test_dropped_prompts(prompt_filter, dropped):
  outcomes = selection.prompt_outcomes(_rows(REWARDS), 0.5)
  assert selection.dropped_prompts(outcomes, prompt_filter) == dropped


def test_reinforce_rej_advantages_drop_groups_of_equal_rewards():
  out = selection.advantages(_rows(REWARDS), 'reinforce_rej')
  assert {r['prompt_id'] for r in out} == {'solved', 'warned', 'mixed'}  # 'broken', 'same': one reward each
  for p in ('solved', 'warned', 'mixed'):
    r = np.array(REWARDS[p])
    np.testing.assert_allclose([x['advantage'] for x in out if x['prompt_id'] == p], r - r.mean(), atol=1e-12)
  assert [x['sample_index'] for x in out if x['prompt_id'] == 'mixed'] == [0, 1, 2, 3]


def test_grpo_advantages_are_group_normalised_and_keep_every_group():
  out = selection.advantages(_rows(REWARDS), 'grpo')
  assert len(out) == sum(map(len, REWARDS.values()))
  for p, rewards in REWARDS.items():
    r = np.array(rewards)
    want = (r - r.mean()) / (r.std() + 1e-6)  # population std; 0 for a group of equal rewards
    np.testing.assert_allclose([x['advantage'] for x in out if x['prompt_id'] == p], want, atol=1e-9)


def test_training_rows_per_objective():
  rows = _rows(REWARDS)
  raft = RaftConfig(reward_threshold=0.5, keep_top_percent=0.25, samples_per_prompt=4)
  kept = selection.training_rows(rows, raft, 'sft', seed=0)
  assert kept == selection.select(rows, 0.5, 0.25, 'per_prompt', 4, 0)
  assert selection.training_rows(rows, raft, 'raft_pp', 0) == kept
  assert all('advantage' not in k for k in kept)  # A = 1 (train.Example's default)
  assert selection.training_rows(rows, raft, 'grpo', 0) == selection.advantages(rows, 'grpo')


def test_spare_prompts_follow_the_window_in_the_rotation():
  tasks = [{'id': str(i)} for i in range(10)]
  for cycle in (1, 2, 3):
    window = selection.cycle_prompts(tasks, 4, seed=3, cycle=cycle)
    spare = selection.spare_prompts(tasks, 4, seed=3, cycle=cycle)
    assert len(spare) == 6 and not {t['id'] for t in spare} & {t['id'] for t in window}
    assert spare[:4] == selection.cycle_prompts(tasks, 4, seed=3, cycle=cycle + 1)  # the next window first
  assert selection.spare_prompts(tasks, 0, 3, 1) == [] and selection.spare_prompts(tasks, 10, 3, 1) == []


def test_generation_stats():
  rows = [
    dict(prompt_id='a', completion='x ', num_tokens=4, entropy=2.0, finish_reason='eos'),
    dict(prompt_id='a', completion='x', num_tokens=6, entropy=1.0, finish_reason='length'),
    dict(prompt_id='b', completion='x', num_tokens=10, entropy=3.0, finish_reason='eos'),
  ]
  assert selection.generation_stats(rows) == pytest.approx(
    dict(token_entropy=6 / 20, unique_ratio=2 / 3, mean_tokens=20 / 3, truncated=1 / 3)
  )


# ------------------------------------------------------------------------------------------ config


@pytest.mark.parametrize(
  'key,value,message',
  [
    ('training.objective', 'ppo', "config.training.objective = 'ppo': expected one of ('sft', 'raft_pp'"),
    ('raft.prompt_filter', 'some', "config.raft.prompt_filter = 'some': expected one of ('none'"),
    ('training.clip_epsilon', 1.5, 'config.training.clip_epsilon = 1.5'),
    ('training.kl_coef', 0.1, "config.training.kl_coef = 0.1: expected 0 with objective 'sft'"),
    ('evaluation.pass_at_k', -1, 'config.evaluation.pass_at_k = -1'),
  ],
)
def test_variant_keys_are_checked(key, value, message):
  c = raft_config.get_config()
  section, name = key.split('.')
  c[section][name] = value
  with pytest.raises(ValueError) as e:
    config_lib.check(c)
  assert message in str(e.value)


def test_kl_needs_lora_and_temperature_and_learning_rate_are_cycle_keys():
  c = raft_config.get_config()
  c.training.objective, c.training.kl_coef = 'grpo', 0.05
  config_lib.check(c)
  c.training.full_finetune = True
  with pytest.raises(ValueError, match='kl_coef'):
    config_lib.check(c)
  c = raft_config.get_config()
  c.cycles = [{'generation.temperature': 0.6, 'training.learning_rate': 1e-4}, {'generation.temperature': 1.0}]
  config_lib.check(c)
  cycles = [config_lib.for_cycle(c, n) for n in (1, 2, 3)]
  assert [x.generation.temperature for x in cycles] == [0.6, 1.0, 1.0]
  assert cycles[0].training.learning_rate == 1e-4
  assert cycles[1].training.learning_rate == c.training.learning_rate
  assert 'generation.temperature' in config_lib.CYCLE_KEYS


def test_pass_at_k_sampling_draws_from_the_policy_itself():
  c = raft_config.get_config()
  c.evaluation.pass_at_k, c.evaluation.pass_at_k_temperature = 4, 1.0
  generation = config_lib.for_cycle(c, 0).generation
  sampling = config_lib.pass_at_k_sampling(c, generation)
  assert (sampling.temperature, sampling.top_p, sampling.top_k) == (1.0, 1.0, 0)
  assert sampling.batch_size * 4 == generation.batch_size * c.raft.samples_per_prompt
  assert (
    dataclasses.replace(
      sampling, temperature=generation.temperature, top_p=generation.top_p, batch_size=generation.batch_size
    )
    == generation
  )
