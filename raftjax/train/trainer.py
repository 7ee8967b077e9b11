"""Step 4 of a RAFT cycle: fine-tune on the kept samples (LoRA or full), on the sampler's mesh.

* LoRA adapters (`nnx.LoRAParam`) on the chosen projections; the optimizer is built with
  `wrt=nnx.LoRAParam`, so gradients and updates exist only for the adapters and the base cannot move
  (`optax.masked` alone would pass raw gradients through to the unmasked leaves).
* Loss only on completion tokens: the prompt is context, not a target.
* Samples are packed into rows of `max_seq_len` (segment ids keep them from attending to each other);
  nothing is padded to a fixed 2048.
* AdamW; linear warmup over `warmup_fraction` of the cycle's optimizer steps and a cosine decay to
  `min_learning_rate` that ends one step after the last, so even a 1- or 2-step cycle trains at its peak
  rate. The peak decays by `lr_decay_per_cycle` every cycle, floored at `min_learning_rate`.
* Gradient accumulation inside the jitted step (a `lax.scan` over micro-batches), weighted by tokens.
* A fresh optimizer every cycle: each cycle fine-tunes the current model on a new kept set. Its graph is
  the same every cycle (the learning rate is a value in its state, set at every step, not a schedule
  closure), and every array of the step starts on the mesh, so the step compiles once per run.
"""

import dataclasses
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from jax.sharding import Mesh

from raftjax.config import draw_seed
from raftjax.model import mesh as mesh_lib
from raftjax.model.llama import Llama
from raftjax.model.lora import trainable
from raftjax.sections import TrainConfig
from raftjax.train import objectives


@dataclasses.dataclass(frozen=True)
class Example:
  prompt: list[int]  # the chat-templated prompt the sampler fed the model
  completion: list[int]  # the tokens it generated (the training targets)
  # Policy-gradient objectives only (raftjax.train.objectives): the sampling policy's log-prob of each completion
  # token, and the sample's advantage.
  logprobs: list[float] | None = None
  advantage: float = 1.0


def learning_rate(peak: float, end: float, warmup: int, total: int):
  """Warmup to `peak` (step 0 already above 0), then cosine to `end` reached one step past `total`."""
  end = min(end, peak)

  def schedule(step):
    warm = peak * (step + 1) / (warmup + 1)
    progress = (step - warmup + 1) / (total - warmup + 1)
    cosine = end + (peak - end) * 0.5 * (1 + jnp.cos(jnp.pi * progress))
    return jnp.where(step < warmup, warm, cosine)

  return schedule


def peak_learning_rate(tcfg: TrainConfig, cycle: int) -> float:
  return max(tcfg.min_learning_rate, tcfg.learning_rate * tcfg.lr_decay_per_cycle ** (cycle - 1))


def cycle_schedule(tcfg: TrainConfig, num_steps: int, cycle: int):
  """The learning rate of each optimizer step (from 0) of `cycle`, which has `num_steps` steps."""
  warmup = int(round(tcfg.warmup_fraction * num_steps))
  return learning_rate(peak_learning_rate(tcfg, cycle), tcfg.min_learning_rate, warmup, num_steps)


@functools.cache
def _adamw(max_grad_norm: float, weight_decay: float) -> optax.GradientTransformation:
  """One object per setting, so that every cycle's optimizer has the same graph (a new object, or a
  schedule closure, would make `train_step` compile again each cycle). The learning rate is a value in
  the state (`inject_hyperparams`) that `train_step` sets."""
  return optax.chain(
    optax.clip_by_global_norm(max_grad_norm),
    optax.inject_hyperparams(optax.adamw)(learning_rate=0.0, weight_decay=weight_decay),
  )


def make_optimizer(model: Llama, tcfg: TrainConfig) -> nnx.Optimizer:
  optimizer = nnx.Optimizer(model, _adamw(tcfg.max_grad_norm, tcfg.weight_decay), wrt=trainable(tcfg.full_finetune))
  mesh_lib.onto_mesh_of(model, optimizer)
  return optimizer


def pack(examples: list[Example], seq_len: int) -> dict[str, np.ndarray]:
  """First-fit packs examples into rows [R, seq_len]: tokens, positions, segment_ids, targets mask.

  `targets[r, t]` is 1 where token t is a completion token, i.e. where predicting it from t-1 is
  trained. Examples longer than `seq_len` keep their prompt and lose the end of the completion. Examples
  with `logprobs` (policy-gradient objectives) also fill `old_logprobs` and `advantages` [R, seq_len] at
  each completion token's position.
  """
  rows: list[list[tuple[list[int], int, Example]]] = []  # per row: (tokens, prompt_len, example) of each
  free: list[int] = []
  for ex in sorted(examples, key=lambda e: -(len(e.prompt) + len(e.completion))):
    tokens = (ex.prompt + ex.completion)[:seq_len]
    row = next((i for i, f in enumerate(free) if f >= len(tokens)), None)
    if row is None:
      rows.append([])
      free.append(seq_len)
      row = len(rows) - 1
    rows[row].append((tokens, len(ex.prompt), ex))
    free[row] -= len(tokens)
  out = {k: np.zeros((len(rows), seq_len), np.int32) for k in ('tokens', 'positions', 'segment_ids', 'targets')}
  per_token = bool(examples) and examples[0].logprobs is not None
  if per_token:
    out.update({k: np.zeros((len(rows), seq_len), np.float32) for k in ('old_logprobs', 'advantages')})
  for r, row in enumerate(rows):
    start = 0
    for seg, (tokens, prompt_len, ex) in enumerate(row, 1):
      n = len(tokens)
      sl = slice(start, start + n)
      out['tokens'][r, sl] = tokens
      out['positions'][r, sl] = np.arange(n)
      out['segment_ids'][r, sl] = seg
      out['targets'][r, start + prompt_len : start + n] = 1
      if per_token:
        out['old_logprobs'][r, start + prompt_len : start + n] = ex.logprobs[: n - prompt_len]
        out['advantages'][r, start + prompt_len : start + n] = ex.advantage
      start += n
  return out


def loss_and_count(model: Llama, batch: dict[str, jax.Array]) -> tuple[jax.Array, jax.Array]:
  """Summed next-token cross-entropy over completion tokens, and how many there are.

  Position t predicts token t + 1: labels and target mask are shifted left (the last position predicts
  nothing). The cross-entropy is logsumexp(logits) - logits[label], so neither a log-softmax nor a sliced
  copy of the [B, T, vocab] logits (the step's largest tensor) is ever materialised.
  """
  logits = model(batch['tokens'], batch['positions'], batch['segment_ids'])
  labels = jnp.roll(batch['tokens'], -1, axis=1)
  weights = jnp.roll(batch['targets'], -1, axis=1).at[:, -1].set(0).astype(jnp.float32)
  picked = jnp.take_along_axis(logits, labels[..., None], axis=-1)[..., 0]
  nll = jax.nn.logsumexp(logits, axis=-1) - picked
  return jnp.sum(nll * weights), jnp.sum(weights)


@nnx.jit(donate_argnums=(0, 1), static_argnames=('policy',))  # the model too: else its frozen weights are copied out
def train_step(
  model: Llama,
  optimizer: nnx.Optimizer,
  micro: dict[str, jax.Array],
  learning_rate: jax.Array,
  policy: objectives.PolicyLoss | None = None,
) -> jax.Array:
  """One optimizer step at `learning_rate` over micro-batches micro[k][A, B, T] (A = accumulation steps), of
  sft's loss (`policy` None) or of a policy-gradient objective's (raftjax.train.objectives)."""
  graphdef, params, rngs, rest = nnx.split(model, optimizer.wrt, nnx.RngState, ...)

  def loss_fn(params, rngs, mb):
    m = nnx.merge(graphdef, params, rngs, rest, copy=True)
    if policy is None:
      total, count = loss_and_count(m, mb)
    else:  # the base of the KL term: the same graph with the adapters zeroed
      base = (
        nnx.merge(graphdef, jax.tree.map(jnp.zeros_like, params), rngs, rest, copy=True) if policy.kl_coef else None
      )
      total, count = objectives.policy_loss(m, base, mb, policy)
    return total, (count, nnx.state(m, nnx.RngState))  # dropout advanced its RNG: carry it on

  def accumulate(carry, mb):
    grads, total, count, rngs = carry
    (t, (c, rngs)), g = jax.value_and_grad(loss_fn, has_aux=True)(params, rngs, mb)
    return (jax.tree.map(jnp.add, grads, g), total + t, count + c, rngs), None

  zeros = jax.tree.map(jnp.zeros_like, params)
  (grads, total, count, rngs), _ = jax.lax.scan(accumulate, (zeros, 0.0, 0.0, rngs), micro)
  count = jnp.maximum(count, 1.0)  # token-weighted mean over all micro-batches
  nnx.update(model, rngs)
  optimizer.opt_state[1].hyperparams['learning_rate'][...] = learning_rate
  optimizer.update(model, jax.tree.map(lambda g: g / count, grads))
  return total / count


def batches(packed: dict[str, np.ndarray], tcfg: TrainConfig, mesh: Mesh, rng: np.random.Generator):
  """(batch, target tokens in it): shuffled optimizer-step batches [A, B, T] on the mesh, rows padded
  (empty, no targets) to fill the last one. The count comes from the host copy: a batch sharded over
  several processes cannot be summed on one."""
  per_step = tcfg.batch_size * tcfg.gradient_accumulation_steps
  rows = len(packed['tokens'])
  order = rng.permutation(rows)
  steps = math.ceil(rows / per_step)
  order = np.concatenate([order, np.full(steps * per_step - rows, -1)])
  sharding = mesh_lib.array_sharding(
    (tcfg.gradient_accumulation_steps, tcfg.batch_size, packed['tokens'].shape[1]), (None, 'batch', 'length'), mesh
  )
  for s in range(steps):
    idx = order[s * per_step : (s + 1) * per_step]
    step = {k: np.where(idx[:, None] >= 0, v[np.maximum(idx, 0)], 0) for k, v in packed.items()}
    yield (
      {
        k: jax.device_put(v.reshape(tcfg.gradient_accumulation_steps, tcfg.batch_size, -1), sharding)
        for k, v in step.items()
      },
      int(np.sum(step['targets'])),
    )


def num_steps(num_examples_rows: int, tcfg: TrainConfig) -> int:
  return tcfg.epochs * math.ceil(num_examples_rows / (tcfg.batch_size * tcfg.gradient_accumulation_steps))


def train(
  model: Llama,
  examples: list[Example],
  tcfg: TrainConfig,
  mesh: Mesh,
  cycle: int,
  seed: int,
  on_step=None,
  on_epoch=None,
  start_epoch: int = 0,
  optimizer: nnx.Optimizer | None = None,
) -> list[float]:
  """Fine-tunes `model` in place on `examples`; returns the loss of every optimizer step it took.

  `seed` fixes the data order and the LoRA dropout masks of each epoch (epoch e draws from (seed, e), so
  an epoch does not depend on having run the ones before it in the same process). `on_step(step, steps,
  loss, learning_rate, target_tokens)` is called after each optimizer step (`step` counts from 1 to
  `steps` over all epochs); `on_epoch(epoch, optimizer)` after each epoch (from 1), with the model in eval
  mode (the SFT stage evaluates and checkpoints there). `start_epoch` > 0 resumes after that many epochs
  with `optimizer` as it was saved then (the learning-rate schedule continues where it was); by default a
  fresh optimizer.
  """
  packed = pack(examples, tcfg.max_seq_len)
  policy = objectives.policy_loss_of(tcfg)
  # sft calls the step exactly as before (an explicit policy=None would be another cache entry of the jit).
  step_fn = train_step if policy is None else functools.partial(train_step, policy=policy)
  steps = num_steps(len(packed['tokens']), tcfg)
  per_epoch = steps // tcfg.epochs
  optimizer = optimizer or make_optimizer(model, tcfg)
  schedule = cycle_schedule(tcfg, steps, cycle)
  losses = []
  for epoch in range(start_epoch, tcfg.epochs):
    epoch_seed = seed if epoch == 0 else draw_seed(seed, epoch)
    rng = np.random.default_rng(epoch_seed)
    nnx.reseed(model, dropout=epoch_seed, policy='match_shape')  # a scanned stack's streams hold a key per layer
    mesh_lib.onto_mesh_of(model, model)  # the new dropout keys
    model.train()
    for i, (batch, num_targets) in enumerate(batches(packed, tcfg, mesh, rng)):
      step = epoch * per_epoch + i
      rate = float(schedule(step))
      losses.append(float(step_fn(model, optimizer, batch, np.float32(rate))))
      if on_step is not None:
        on_step(step + 1, steps, losses[-1], rate, num_targets)
    model.eval()
    if on_epoch is not None:
      on_epoch(epoch + 1, optimizer)
  return losses


def evaluate_loss(model: Llama, examples: list[Example], seq_len: int) -> float:
  """Mean completion-token loss of `model` on `examples` (no update)."""
  packed = pack(examples, seq_len)
  total, count = nnx.jit(loss_and_count)(model, {k: jnp.asarray(v) for k, v in packed.items()})
  return float(total / count)
