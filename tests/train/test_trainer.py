"""Step 4: the LoRA train step, packing and the learning-rate schedule."""

import os

import jax
import numpy as np
import pytest
from flax import nnx

from raftjax.model import weights
from raftjax.model.lora import add_lora
from raftjax.sections import TrainConfig
from raftjax.train import trainer as train


def test_lora_training_moves_only_adapters_and_lowers_loss(tiny_dir, mesh1):
  model = weights.load_model(os.path.join(tiny_dir, 'model'), mesh1)
  add_lora(model, 4, 8.0, 0.0, ('q_proj', 'v_proj', 'gate_proj', 'down_proj'), seed=0)
  model.eval()
  base = [np.asarray(x) for x in jax.tree.leaves(nnx.state(model, nnx.All(nnx.Param, nnx.Not(nnx.LoRAParam))))]
  tok = weights.load_tokenizer(os.path.join(tiny_dir, 'model'))
  target = tok.encode('int main(void) { return 42; } /* the kept answer */')
  examples = [train.Example(tok.encode(f'Task {i}:'), target) for i in range(6)]
  tcfg = TrainConfig(batch_size=2, epochs=12, learning_rate=3e-2, max_seq_len=64)
  before = train.evaluate_loss(model, examples, 64)
  losses = train.train(model, examples, tcfg, mesh1, cycle=1, seed=0)
  after = train.evaluate_loss(model, examples, 64)
  assert after < before - 0.5, (before, after, losses)
  assert np.mean(losses[-2:]) < np.mean(losses[:2])
  now = [np.asarray(x) for x in jax.tree.leaves(nnx.state(model, nnx.All(nnx.Param, nnx.Not(nnx.LoRAParam))))]
  assert all(np.array_equal(a, b) for a, b in zip(base, now))


def test_train_step_compiles_once_and_applies_each_steps_learning_rate(tiny_dir, mesh1, monkeypatch):
  """One trace of the step for every step of every cycle (fresh optimizer, new dropout keys, learning rate
  changing per step), and the rate given is the rate applied: Adam's first step moves every adapter weight
  whose gradient is not ~0 by exactly the learning rate."""
  traces = []
  real_loss = train.loss_and_count
  monkeypatch.setattr(train, 'loss_and_count', lambda m, b: traces.append(1) or real_loss(m, b))
  model = weights.load_model(os.path.join(tiny_dir, 'model'), mesh1)
  add_lora(model, 4, 8.0, 0.1, ('q_proj', 'down_proj'), seed=0)  # dropout on: its keys are inputs too
  tok = weights.load_tokenizer(os.path.join(tiny_dir, 'model'))
  examples = [train.Example(tok.encode(f'Task {i}:'), tok.encode('int main(void) { return 0; }')) for i in range(8)]
  tcfg = TrainConfig(batch_size=2, max_seq_len=24, learning_rate=1e-3)
  steps = train.num_steps(len(train.pack(examples, 24)['tokens']), tcfg)
  assert steps >= 2
  rates = []
  for cycle in (1, 2, 3):
    train.train(
      model,
      examples,
      tcfg,
      mesh1,
      cycle,
      seed=cycle,
      on_step=lambda step, steps, loss, rate, tokens: rates.append((step, steps, rate)),
    )
  assert [r[:2] for r in rates] == [(step, steps) for step in range(1, steps + 1)] * 3
  assert all(0.1 * tcfg.learning_rate < r[2] <= tcfg.learning_rate for r in rates)  # no ~0 step in a short cycle

  optimizer = train.make_optimizer(model, tcfg)
  batch, _ = next(train.batches(train.pack(examples, 24), tcfg, mesh1, np.random.default_rng(0)))
  model.train()
  before = [np.asarray(x) for x in jax.tree.leaves(nnx.state(model, nnx.LoRAParam))]
  train.train_step(model, optimizer, batch, np.float32(3e-4))
  after = [np.asarray(x) for x in jax.tree.leaves(nnx.state(model, nnx.LoRAParam))]
  moved = max(float(np.abs(a - b).max()) for a, b in zip(after, before))
  assert moved == pytest.approx(3e-4, rel=1e-3)
  assert len(traces) == 1


def test_pack_first_fit_with_segments_positions_and_completion_targets():
  examples = [train.Example([1, 2], [3, 4, 5]), train.Example([6], [7]), train.Example([8, 9, 10], [11, 12, 13, 14])]
  packed = train.pack(examples, 8)
  # Longest first: the 7-token example fills row 0 up to 7; the 5-token one opens row 1, the 2-token one
  # does not fit in row 0's last slot and joins row 1.
  np.testing.assert_array_equal(packed['tokens'], [[8, 9, 10, 11, 12, 13, 14, 0], [1, 2, 3, 4, 5, 6, 7, 0]])
  np.testing.assert_array_equal(packed['segment_ids'], [[1, 1, 1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 2, 2, 0]])
  np.testing.assert_array_equal(packed['positions'], [[0, 1, 2, 3, 4, 5, 6, 0], [0, 1, 2, 3, 4, 0, 1, 0]])
  np.testing.assert_array_equal(packed['targets'], [[0, 0, 0, 1, 1, 1, 1, 0], [0, 0, 1, 1, 1, 0, 1, 0]])


def test_pack_truncates_the_completion_never_the_prompt():
  packed = train.pack([train.Example([1, 2, 3], [4, 5, 6, 7, 8])], 5)
  np.testing.assert_array_equal(packed['tokens'], [[1, 2, 3, 4, 5]])
  np.testing.assert_array_equal(packed['targets'], [[0, 0, 0, 1, 1]])


@pytest.mark.parametrize('steps', [1, 2, 10])
def test_schedule_warms_up_then_decays_and_never_trains_at_zero(steps):
  tcfg = TrainConfig(learning_rate=1e-3, min_learning_rate=1e-5, warmup_fraction=0.2)
  rates = [float(train.cycle_schedule(tcfg, steps, cycle=1)(s)) for s in range(steps)]
  warmup = int(round(0.2 * steps))
  assert all(r > 1e-5 for r in rates) and max(rates) <= 1e-3 * (1 + 1e-6)
  assert rates[: warmup + 1] == sorted(rates[: warmup + 1])  # rising through warmup
  assert rates[warmup:] == sorted(rates[warmup:], reverse=True)  # then falling
  if steps <= 2:
    assert rates[0] > 0.4e-3  # a 1- or 2-step cycle trains near its peak


def test_peak_learning_rate_decays_per_cycle_down_to_the_floor():
  tcfg = TrainConfig(learning_rate=1e-3, lr_decay_per_cycle=0.5, min_learning_rate=2e-4)
  assert [train.peak_learning_rate(tcfg, c) for c in (1, 2, 3, 4)] == pytest.approx([1e-3, 5e-4, 2.5e-4, 2e-4])
