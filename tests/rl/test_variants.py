"""The RAFT loop's variants on the tiny model: objectives, prompt filtering with refill, reset to base,
training on every cycle's kept samples, schedules, and the signals in stats.json."""

import os

import jax
import ml_collections
import numpy as np
import pytest
from flax import nnx

from raftjax import config as config_lib
from raftjax import rundir
from raftjax.data import tasks as tasks_lib
from raftjax.generate import sampler as sample_lib
from raftjax.model import checkpoint as ckpt
from raftjax.model import weights
from raftjax.rl import cycle as rl_cycle
from raftjax.rl import job as rl_job
from raftjax.rl import loop as raft
from raftjax.rl import selection
from raftjax.sections import TrainConfig
from raftjax.train import trainer as train

from helpers import read_jsonl, tiny_config

pytestmark = pytest.mark.slow  # whole runs or several processes: the full suite, not the fast tier


def _strip(rows):
  return [{k: v for k, v in r.items() if not k.endswith('_s')} for r in rows]


@pytest.fixture(scope='module')
def grpo_run(tiny_dir, tmp_path_factory):
  """Two cycles of grpo with a KL term, both filters and refill over a window of 2 of the 4 tasks, reset to
  base, every cycle's kept samples, a temperature schedule and a sampled held-out evaluation."""
  c = tiny_config(tiny_dir, str(tmp_path_factory.mktemp('grpo') / 'run'))
  c.raft.prompts_per_cycle = 2
  c.raft.prompt_filter, c.raft.refill = 'both', True
  c.training.objective, c.training.kl_coef = 'grpo', 0.05
  c.training.reset_to_base, c.training.accumulate_kept = True, True
  c.evaluation.pass_at_k = 2
  c.evaluation.transfer_prompts = c.prompts  # the training tasks stand in for a second held-out set here
  c.cycles = [
    {'raft.reward_threshold': 0.5, 'verifier.run_after_compile': True, 'generation.temperature': 0.7},
    {'generation.temperature': 1.0},
  ]
  log = raft.run(c)
  return c, log


def test_filter_refill_and_advantages(grpo_run):
  c, log = grpo_run
  for stats in log['cycles']:
    cycle = stats['cycle']
    samples = read_jsonl(os.path.join(c.output_dir, f'cycle_{cycle}', 'samples.jsonl'))
    kept = read_jsonl(os.path.join(c.output_dir, f'cycle_{cycle}', 'kept.jsonl'))
    window = [t['id'] for t in selection.cycle_prompts(tasks_lib.task_split(c)[0], 2, c.seed, cycle)]
    outcomes = selection.prompt_outcomes(samples, 0.5)
    dropped = selection.dropped_prompts(outcomes, 'both')
    p = stats['prompts']
    assert p['sampled'] == len(outcomes) == len(samples) // 4 and p['dropped'] == len(dropped)
    assert p['all_pass'] + p['all_fail'] + p['mixed'] == p['sampled']
    assert [s['prompt_id'] for s in samples[:8]] == [w for w in window for _ in range(4)]  # the window first
    # Refill: rounds until 2 prompts survive or all 4 tasks are used.
    assert p['refill_rounds'] == 0 if not set(window) & dropped else p['refill_rounds'] >= 1
    assert p['sampled'] - p['dropped'] >= 2 or p['sampled'] == 4
    # grpo trains on every sample of the surviving prompts, with group-normalised advantages.
    assert {k['prompt_id'] for k in kept} == set(outcomes) - dropped
    assert _strip(kept) == _strip(selection.advantages([s for s in samples if s['prompt_id'] not in dropped], 'grpo'))
    assert all(len(k['token_logprobs']) == len(k['tokens']) for k in kept)
    signals = stats['signals']
    assert signals['all_pass_share'] == p['all_pass'] / p['sampled']
    assert signals['token_entropy'] == pytest.approx(
      sum(s['entropy'] for s in samples) / sum(s['num_tokens'] for s in samples)
    )
  first, second = log['cycles']
  assert second['trained_on'] == first['kept'] + second['kept']  # accumulate_kept


def test_sampled_evaluation_entropy_and_kl(grpo_run):
  _, log = grpo_run
  base = log['base']['sampled']
  assert base['samples_per_prompt'] == 2 and base['temperature'] == 1.0
  assert abs(base['kl_to_base']) < 1e-3  # the base model against itself (fresh adapters are zero)
  assert base['token_entropy'] > 0
  for stats in log['cycles']:
    sampled = stats['eval']['sampled']
    if stats['trained']:
      assert sampled['kl_to_base'] > 1e-3  # trained adapters moved the policy
    assert 0 <= sampled['pass@1'] <= sampled['pass@2'] <= 1


def test_transfer_set_is_evaluated_on_the_base_and_after_the_last_cycle(grpo_run):
  c, log = grpo_run
  t = log['transfer']
  assert t['final_cycle'] == len(log['cycles']) == 2
  for metrics in (t['base'], t['final']):
    assert metrics['num_tasks'] == 4 and metrics['samples_per_prompt'] == 2 and metrics['temperature'] == 1.0
    assert 0 <= metrics['pass@1'] <= metrics['pass@2'] <= 1
  assert log['best_cycle'] == rundir.best_cycle(log['cycles'])  # chosen by the held-out set alone


def test_a_refill_round_cut_by_a_kill_resumes_to_the_same_samples(grpo_run, tmp_path):
  """The last refill round of a cycle is lost (its rows removed, no stats.json): rerunning samples exactly
  those prompts again, from their own seeds, and reuses every other row."""
  c, log = grpo_run
  cycle = next((s['cycle'] for s in log['cycles'] if s['prompts']['refill_rounds']), None)
  if cycle is None:
    pytest.skip('no refill happened in this run')
  out = str(tmp_path / 'run')
  os.makedirs(out)
  for k in range(1, cycle):  # the finished cycles before it
    os.symlink(os.path.join(c.output_dir, f'cycle_{k}'), os.path.join(out, f'cycle_{k}'))
  rundir.write_json(
    os.path.join(out, rundir.TRAINING_LOG),
    dict(log, cycles=log['cycles'][: cycle - 1], best_cycle=None, stop_reason=None),
  )
  samples = read_jsonl(os.path.join(c.output_dir, f'cycle_{cycle}', 'samples.jsonl'))
  window = {t['id'] for t in selection.cycle_prompts(tasks_lib.task_split(c)[0], 2, c.seed, cycle)}
  os.makedirs(os.path.join(out, f'cycle_{cycle}'))
  rundir.write_jsonl(
    os.path.join(out, f'cycle_{cycle}', 'samples.jsonl'), [s for s in samples if s['prompt_id'] in window]
  )
  c2 = ml_collections.ConfigDict(c.to_dict())
  c2.output_dir, c2.raft.num_cycles = out, cycle
  again = raft.run(c2)
  assert _strip(read_jsonl(os.path.join(out, f'cycle_{cycle}', 'samples.jsonl'))) == _strip(samples)
  assert again['cycles'][-1]['prompts'] == log['cycles'][cycle - 1]['prompts']


# ------------------------------------------------------------------------------- adaptive K


@pytest.fixture(scope='module')
def adaptive_run(tiny_dir, tmp_path_factory):
  """One cycle that runs programs, a window of 2 of the 4 tasks x 2 samples, up to 2 adaptive rounds."""
  c = tiny_config(tiny_dir, str(tmp_path_factory.mktemp('adaptive') / 'run'))
  c.raft.num_cycles, c.raft.prompts_per_cycle, c.raft.samples_per_prompt = 1, 2, 2
  c.raft.adaptive_rounds = 2
  c.cycles = [{'raft.reward_threshold': 0.3, 'verifier.run_after_compile': True}]
  return c, raft.run(c)


def test_adaptive_rounds_resample_only_unsolved_prompts(adaptive_run):
  c, log = adaptive_run
  samples = read_jsonl(os.path.join(c.output_dir, 'cycle_1', 'samples.jsonl'))
  window = selection.cycle_prompts(tasks_lib.task_split(c)[0], 2, c.seed, 1)
  assert [s['prompt_id'] for s in samples[:4]] == [t['id'] for t in window for _ in range(2)]  # the window first
  unsolved, rounds = window, 0
  for r in range(1, 3):  # round r: the prompts without a correct sample in rounds < r, 2 samples each
    unsolved = selection.unsolved_prompts([s for s in samples if s['sample_index'] < 2 * r], unsolved)
    this = [s for s in samples if 2 * r <= s['sample_index'] < 2 * r + 2]
    assert sorted(s['prompt_id'] for s in this) == sorted(t['id'] for t in unsolved for _ in range(2))
    rounds += bool(unsolved)
  assert len(samples) == len({(s['prompt_id'], s['sample_index']) for s in samples})  # no row twice
  p = log['cycles'][0]['prompts']
  assert p['adaptive_rounds'] == rounds and p['sampled'] == 2
  assert p['resampled'] == len({s['prompt_id'] for s in samples if s['sample_index'] >= 2})
  assert log['cycles'][0]['total'] == len(samples)
  kept = read_jsonl(os.path.join(c.output_dir, 'cycle_1', 'kept.jsonl'))
  seed = rl_job.Job(c, *[None] * 10).seed(1, -2)  # the cycle's selection seed
  # Ranked over every round's samples, at most 2 per prompt.
  assert _strip(kept) == _strip(selection.select(samples, 0.3, 1.0, 'per_prompt', 2, seed))


def test_adaptive_rounds_cut_by_a_kill_resume_to_the_same_samples(adaptive_run, tmp_path):
  """The cycle dies in its last adaptive round with half a prompt's rows written: rerunning drops the half
  row set, samples that round again from its own seeds and reuses every other row."""
  c, log = adaptive_run
  samples = read_jsonl(os.path.join(c.output_dir, 'cycle_1', 'samples.jsonl'))
  last = max(s['sample_index'] for s in samples)
  if last < 2:
    pytest.skip('every prompt was solved in the window')
  cut = [s for s in samples if s['sample_index'] < last - 1]
  cut.append(next(s for s in samples if s['sample_index'] == last - 1))  # half of one prompt's last round
  out = str(tmp_path / 'run')
  os.makedirs(os.path.join(out, 'cycle_1'))
  rundir.write_jsonl(os.path.join(out, 'cycle_1', 'samples.jsonl'), cut)
  c2 = ml_collections.ConfigDict(c.to_dict())
  c2.output_dir = out
  again = raft.run(c2)
  assert _strip(read_jsonl(os.path.join(out, 'cycle_1', 'samples.jsonl'))) == _strip(samples)
  assert again['cycles'][0]['prompts'] == log['cycles'][0]['prompts']


# ------------------------------------------------------------------------------- demonstrations


def test_demonstrations_train_on_the_references_of_unsolved_prompts(tiny_dir, tmp_path):
  """One cycle that runs programs, every task with a reference: those without a correct sample train on
  it too, as the tokens of "```c ... ```" and eos; the references pass the real verifier."""
  from raftjax.sections import VerifierConfig
  from raftjax.verifier.pool import Verifier

  from tiny import TASKS

  references = {
    'hello': '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n',
    'seven': '#include <stdio.h>\nint main(void) { puts("7"); return 0; }\n',
    'echo': '#include <stdio.h>\nint main(void) { int n; scanf("%d", &n); printf("%d\\n", n); }\n',
    'twice': '#include <stdio.h>\nint main(void) { int n; scanf("%d", &n); printf("%d\\n", 2 * n); }\n',
  }
  tasks = [dict(t, reference=references[t['id']]) for t in TASKS]
  rundir.write_jsonl(str(tmp_path / 'tasks.jsonl'), tasks)
  c = tiny_config(tiny_dir, str(tmp_path / 'run'))
  c.prompts = str(tmp_path / 'tasks.jsonl')
  c.raft.num_cycles, c.raft.demonstrations = 1, True
  c.cycles = [{'raft.reward_threshold': 0.5, 'verifier.run_after_compile': True}]
  log = raft.run(c)
  samples = read_jsonl(os.path.join(c.output_dir, 'cycle_1', 'samples.jsonl'))
  kept = read_jsonl(os.path.join(c.output_dir, 'cycle_1', 'kept.jsonl'))
  demos = [k for k in kept if k['stage'] == 'reference']
  solved = {s['prompt_id'] for s in samples if s['stage'] == 'correct'}
  assert sorted(d['prompt_id'] for d in demos) == sorted(t['id'] for t in tasks if t['id'] not in solved)
  stats = log['cycles'][0]
  assert stats['prompts']['demonstrated'] == len(demos) and stats['kept'] == len(kept) - len(demos)
  assert stats['trained_on'] == len(kept)
  tokenizer = weights.load_tokenizer(c.sft_checkpoint)
  for d in demos:
    assert d['tokens'][-1] == tokenizer.eos_token_id
    assert tokenizer.decode(d['tokens'][:-1]) == d['completion'] == f'```c\n{references[d["prompt_id"]]}```'
  with Verifier(VerifierConfig(run_after_compile=True)) as verifier:
    results = verifier.verify_batch(tasks, [f'```c\n{t["reference"]}```' for t in tasks])
  assert [r['reward'] for r in results] == [1.0] * len(tasks)


def test_replay_adds_a_fresh_draw_of_the_sft_data_to_each_cycle(tiny_dir, tmp_path, monkeypatch):
  """`raft.replay` on a run without an SFT stage: each cycle's fine-tune gets its kept samples and 3 corpus
  conversations, prompt and fenced reference formatted as the SFT stage formats them, drawn anew each
  cycle from the seed (a rerun draws the same)."""
  from raftjax.data.corpus import build as corpus
  from raftjax.model.tokenizer import encode_completion, format_messages
  from raftjax.sft import data as sft_data
  from raftjax.verifier.extract import fenced

  c = tiny_config(tiny_dir, str(tmp_path / 'run'))
  c.raft.replay = 3
  trained = []
  real_train = train.train
  monkeypatch.setattr(
    train, 'train', lambda model, examples, *a: trained.append(examples) or real_train(model, examples, *a)
  )
  log = raft.run(c)

  tokenizer = weights.load_tokenizer(c.sft_checkpoint)
  g = config_lib.for_cycle(c, 1).generation
  references = {fenced(t['reference']): t['prompt'] for t in corpus.tasks()}
  sft, draws = config_lib.section(c, 'sft'), []
  for stats, examples in zip(log['cycles'], trained, strict=True):
    assert stats['trained'] and stats['replayed'] == 3
    kept = read_jsonl(os.path.join(c.output_dir, f'cycle_{stats["cycle"]}', 'kept.jsonl'))
    assert len(examples) == len(kept) + 3
    draw = sft_data.replay(sft, c.seed, 3, config_lib.draw_seed(c.seed, stats['cycle'], -9))
    assert sft_data.replay(sft, c.seed, 3, config_lib.draw_seed(c.seed, stats['cycle'], -9)) == draw
    for conversation, example in zip(draw, examples[-3:], strict=True):
      answer = conversation[-1]['content']
      assert references[answer] == conversation[0]['content']  # a corpus task and its verified reference
      assert example.prompt == format_messages(tokenizer, conversation[:-1], g.system_prompt, g.prompt_format)
      assert example.completion == encode_completion(tokenizer, answer)
      assert example.logprobs is None and example.advantage == 1.0
    draws.append(draw)
  assert len(draws) == 2 and draws[0] != draws[1]


# ------------------------------------------------------------------------------- reset, schedules


def _job(tiny_dir, mesh, seed=0):
  c = tiny_config(tiny_dir, 'unused')
  t = config_lib.for_cycle(c, 1).training
  model, tokenizer, _ = ckpt.load(
    c.sft_checkpoint, mesh, dict(rank=t.lora_rank, alpha=t.lora_alpha, targets=list(t.lora_targets)), seed=seed
  )
  sampler = sample_lib.Sampler(model, tokenizer, mesh, config_lib.for_cycle(c, 0).generation)
  return rl_job.Job(c, mesh, model, sampler, None, None, None, [], [], c.sft_checkpoint, {}), t


def test_reset_to_base_restores_the_fresh_adapters_without_recompiling(tiny_dir, mesh1, monkeypatch):
  job, t = _job(tiny_dir, mesh1)
  fresh = [np.asarray(x) for x in jax.tree.leaves(nnx.state(job.model, nnx.LoRAParam))]
  base = [np.asarray(x) for x in jax.tree.leaves(nnx.state(job.model, nnx.All(nnx.Param, nnx.Not(nnx.LoRAParam))))]
  traces = []
  real_loss = train.loss_and_count
  monkeypatch.setattr(train, 'loss_and_count', lambda m, b: traces.append(1) or real_loss(m, b))
  tok = job.sampler.tokenizer
  examples = [train.Example(tok.encode(f'Task {i}:'), tok.encode('int main(void) { return 0; }')) for i in range(4)]
  tcfg = TrainConfig(batch_size=2, max_seq_len=32, learning_rate=1e-2)
  prompts = [job.sampler.prompt_ids('Print 7.')]
  for cycle in (1, 2):
    train.train(job.model, examples, tcfg, mesh1, cycle, seed=cycle)
    trained = [np.asarray(x) for x in jax.tree.leaves(nnx.state(job.model, nnx.LoRAParam))]
    assert any(not np.array_equal(a, b) for a, b in zip(trained, fresh))
    job.sampler.generate(job.model, prompts, 2, seed=0)
    compiles = job.sampler.num_compiles
    rl_cycle.reset_to_base(job, t)
    assert all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(nnx.state(job.model, nnx.LoRAParam)), fresh))
    now = jax.tree.leaves(nnx.state(job.model, nnx.All(nnx.Param, nnx.Not(nnx.LoRAParam))))
    assert all(np.array_equal(a, b) for a, b in zip(now, base))
    job.sampler.generate(job.model, prompts, 2, seed=0)
    assert job.sampler.num_compiles == compiles  # the reset model has the same graph
  assert len(traces) == 1  # the train step compiled once across resets


def test_a_temperature_schedule_compiles_one_sampler_per_temperature(tiny_dir, mesh1):
  job, _ = _job(tiny_dir, mesh1)
  c = job.config
  c.cycles = [{'generation.temperature': 0.5}, {'generation.temperature': 1.0}, {'generation.temperature': 0.5}]
  samplers = [job.sampler_for(config_lib.for_cycle(c, n).generation) for n in (1, 2, 3, 4)]
  assert [s.config.temperature for s in samplers] == [0.5, 1.0, 0.5, 0.5]
  assert samplers[0] is samplers[2] is samplers[3] and samplers[1] is not samplers[0]
  assert job.sampler_for(job.sampler.config) is job.sampler
