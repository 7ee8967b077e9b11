"""The training objectives (raftjax.train.objectives): each loss and its gradient against NumPy, sft unchanged,
which policy's log-probabilities the sampler records, and the entropy and KL estimators against exact
values on a tiny model (raftjax.rl.diagnostics)."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from raftjax.generate import sampler as sample_lib
from raftjax.generate.sampling import entropy
from raftjax.model import mesh as mesh_lib
from raftjax.model.llama import Llama, ModelConfig
from raftjax.model.lora import LoRA, add_lora
from raftjax.rl import diagnostics as signals
from raftjax.sections import SamplingConfig, TrainConfig
from raftjax.train import objectives
from raftjax.train import trainer as train

TINY = ModelConfig(
  vocab_size=48,
  hidden_size=32,
  intermediate_size=64,
  num_layers=2,
  num_heads=4,
  num_kv_heads=2,
  head_dim=8,
  max_position_embeddings=64,
)


class CharTokenizer:
  pad_token_id, eos_token_id = 0, 2

  def encode(self, text, add_special_tokens=False):
    return [3 + ord(ch) % 45 for ch in text]

  def decode(self, ids, skip_special_tokens=True):
    return ''.join(chr(97 + i % 26) for i in ids if i >= 3)


def _base(seed: int, vocab: int) -> Llama:
  """A tiny random model, its output layer scaled up so that its next-token distributions are far from
  uniform (and adapters move them)."""
  model = Llama(ModelConfig(**{**TINY.__dict__, 'vocab_size': vocab}), nnx.Rngs(seed))
  model.lm_head.kernel[...] = 10 * model.lm_head.kernel[...]
  return model


def _adapted(seed: int = 0, vocab: int = TINY.vocab_size, scale: float = 0.3) -> Llama:
  """A tiny model with LoRA adapters whose b is not zero: the policy differs from its base."""
  model = _base(seed, vocab)
  add_lora(model, 4, 8.0, 0.0, ('q_proj', 'v_proj', 'down_proj'), seed)
  keys = iter(jax.random.split(jax.random.key(seed + 1), 64))
  for _, lora in nnx.iter_modules(model):
    if isinstance(lora, LoRA):
      lora.b[...] = scale * jax.random.normal(next(keys), lora.b[...].shape)
  model.eval()
  return model


def _log_softmax(x):
  x = x - x.max(-1, keepdims=True)
  return x - np.log(np.exp(x).sum(-1, keepdims=True))


# ------------------------------------------------------------------------------ losses vs NumPy


def _case(seed=0, b=2, t=7, v=5):
  """Logits, a packed-looking batch (prompt positions not targets, one pad), and per-token old log-probs
  placed so that ratios fall below 1 - eps, inside, and above 1 + eps, with advantages of both signs."""
  rng = np.random.default_rng(seed)
  logits = rng.normal(size=(b, t, v)).astype(np.float32)
  tokens = rng.integers(0, v, size=(b, t)).astype(np.int32)
  targets = np.zeros((b, t), np.int32)
  targets[:, 2:] = 1
  targets[1, -1] = 0  # padding at the end of row 1
  logp = np.take_along_axis(_log_softmax(logits.astype(np.float64)), np.roll(tokens, -1, 1)[..., None], -1)[..., 0]
  log_ratio = np.array([[0, 0, -0.7, 0.1, 0.6, -0.05, 0], [0, 0, 0.4, -0.4, 0.05, 0.3, 0]])  # at predicting positions
  old = np.zeros((b, t), np.float32)
  old[:, 1:] = (logp - log_ratio)[:, :-1]  # each token's own position holds its old log-prob
  advantages = np.zeros((b, t), np.float32)
  advantages[:, 1:] = np.array([[0, 0, 1.5, 1.5, 1.5, -0.5, -0.5], [0, 0, -1, -1, 2, 2, 0]])[:, :-1]
  ref_logits = rng.normal(size=(b, t, v)).astype(np.float32)
  batch = dict(
    tokens=tokens,
    positions=np.tile(np.arange(t, dtype=np.int32), (b, 1)),
    segment_ids=np.ones((b, t), np.int32),
    targets=targets,
    old_logprobs=old,
    advantages=advantages,
  )
  return logits, ref_logits, batch


def _numpy_loss_and_grad(logits, ref_logits, batch, eps, beta):
  """The module docstring's equations and their gradient with respect to the logits, in float64."""
  logits = logits.astype(np.float64)
  shift = lambda x: np.concatenate([x[:, 1:], np.zeros_like(x[:, :1])], 1).astype(np.float64)
  w, old, a = shift(batch['targets']), shift(batch['old_logprobs']), shift(batch['advantages'])
  labels = np.roll(batch['tokens'], -1, 1)
  logq = _log_softmax(logits)
  logp = np.take_along_axis(logq, labels[..., None], -1)[..., 0]
  ref = np.take_along_axis(_log_softmax(ref_logits.astype(np.float64)), labels[..., None], -1)[..., 0]
  rho = np.exp(logp - old)
  clipped = np.clip(rho, 1 - eps, 1 + eps)
  surrogate = np.minimum(rho * a, clipped * a)
  d = ref - logp
  per_token = -surrogate + beta * (np.exp(d) - d - 1)
  n = w.sum()
  loss = (per_token * w).sum() / n
  # d(-S)/dlogp = -A rho unless the clip binds (A > 0 and rho > 1 + eps, or A < 0 and rho < 1 - eps): 0.
  binds = ((a > 0) & (rho > 1 + eps)) | ((a < 0) & (rho < 1 - eps))
  g = np.where(binds, 0.0, -a * rho) + beta * (1 - np.exp(d))
  onehot = np.eye(logits.shape[-1])[labels]
  grad = (g * w / n)[..., None] * (onehot - np.exp(logq))
  return loss, grad, binds & (w > 0), w > 0


@pytest.mark.parametrize('eps,beta', [(0.2, 0.0), (0.2, 0.1), (0.05, 0.5)])
def test_policy_loss_and_gradient_match_numpy(eps, beta):
  logits, ref_logits, batch = _case()
  policy = objectives.PolicyLoss(clip_epsilon=eps, kl_coef=beta)
  batch = {k: jnp.asarray(v) for k, v in batch.items()}

  def loss(x):
    total, count = objectives.policy_loss(lambda *a: x, lambda *a: jnp.asarray(ref_logits), batch, policy)
    return total / count

  value, grad = jax.value_and_grad(loss)(jnp.asarray(logits))
  want, want_grad, binds, live = _numpy_loss_and_grad(logits, ref_logits, batch, eps, beta)
  assert binds.any() and (~binds & live).any()  # clipped and unclipped tokens
  signs = np.roll(np.asarray(batch['advantages']), -1, 1)[binds]
  assert (signs > 0).any() and (signs < 0).any()  # clipping at both ends
  np.testing.assert_allclose(float(value), want, rtol=1e-5)
  np.testing.assert_allclose(np.asarray(grad), want_grad, atol=1e-6)


def test_padding_and_prompt_positions_contribute_nothing():
  logits, ref_logits, batch = _case()
  policy = objectives.PolicyLoss(0.2, 0.1)
  batch = {k: jnp.asarray(v) for k, v in batch.items()}
  grad = jax.grad(lambda x: objectives.policy_loss(lambda *a: x, lambda *a: jnp.asarray(ref_logits), batch, policy)[0])(
    jnp.asarray(logits)
  )
  predicts_nothing = np.roll(np.asarray(batch['targets']), -1, 1) == 0
  predicts_nothing[:, -1] = True
  assert np.all(np.asarray(grad)[predicts_nothing] == 0) and np.all(np.isfinite(np.asarray(grad)))


@pytest.mark.slow
def test_raft_pp_first_step_is_sfts_gradient():
  """Before any update the sampling policy is the current one: rho = 1, and RAFT++'s gradient is SFT's."""
  model = _adapted()
  examples = [train.Example([5, 6, 7], [9, 10, 11, 2]), train.Example([5, 8], [12, 13, 2])]
  plain = train.pack(examples, 16)
  logits = model(jnp.asarray(plain['tokens']), jnp.asarray(plain['positions']), jnp.asarray(plain['segment_ids']))
  own = np.asarray(objectives.label_logprobs(logits, jnp.asarray(plain['tokens'])))
  old = np.zeros_like(own)
  old[:, 1:] = own[:, :-1]  # back to each token's own position, as the sampler stores it
  batch = dict(plain, old_logprobs=old * plain['targets'], advantages=plain['targets'].astype(np.float32))
  batch = {k: jnp.asarray(v) for k, v in batch.items()}
  graphdef, params, rest = nnx.split(model, nnx.LoRAParam, ...)

  def grad_of(loss_fn):
    return jax.grad(lambda p: (lambda t, c: t / c)(*loss_fn(nnx.merge(graphdef, p, rest))))(params)

  sft = grad_of(lambda m: train.loss_and_count(m, batch))
  raft_pp = grad_of(lambda m: objectives.policy_loss(m, None, batch, objectives.PolicyLoss(0.2, 0.0)))
  close = lambda a, b: np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-7)
  jax.tree.map(close, sft, raft_pp)
  total, count = objectives.policy_loss(model, None, batch, objectives.PolicyLoss(0.2, 0.0))
  assert float(total / count) == pytest.approx(-1.0, abs=1e-5) and int(count) == 7  # -rho, rho = 1, 7 tokens


def test_a_policy_gradient_step_compiles_once_per_run(mesh1, monkeypatch):
  """The objective is a static argument of the step: one trace for every step of every cycle."""
  traces = []
  real = objectives.policy_loss
  monkeypatch.setattr(objectives, 'policy_loss', lambda *a: traces.append(1) or real(*a))
  model = _adapted()
  # On the mesh, as the loader places a model: else the step's inputs change shardings after its first call.
  state = nnx.state(model)
  for _, v in nnx.to_flat_state(state):
    v.set_value(mesh_lib.put(v.get_value(), mesh_lib.variable_sharding(v, mesh1)))
  nnx.update(model, state)
  examples = [train.Example([5, 6, i], [9, 10, 11, 2], [-1.0, -2.0, -0.5, -3.0], advantage=(-1) ** i) for i in range(8)]
  tcfg = TrainConfig(batch_size=1, max_seq_len=16, objective='reinforce_rej', kl_coef=0.1)
  losses = [train.train(model, examples, tcfg, mesh1, cycle, seed=cycle) for cycle in (1, 2)]
  assert len(losses[0]) == len(losses[1]) >= 2 and all(np.isfinite(losses).ravel())
  assert len(traces) == 1


# ----------------------------------------------------------------------------------- sft unchanged


def _todays_train_step(model, optimizer, micro, learning_rate):
  """raftjax.train.trainer.train_step as of commit ccc4923 (before the objectives), verbatim but for the name."""
  graphdef, params, rngs, rest = nnx.split(model, optimizer.wrt, nnx.RngState, ...)

  def loss_fn(params, rngs, mb):
    m = nnx.merge(graphdef, params, rngs, rest, copy=True)
    total, count = train.loss_and_count(m, mb)
    return total, (count, nnx.state(m, nnx.RngState))

  def accumulate(carry, mb):
    grads, total, count, rngs = carry
    (t, (c, rngs)), g = jax.value_and_grad(loss_fn, has_aux=True)(params, rngs, mb)
    return (jax.tree.map(jnp.add, grads, g), total + t, count + c, rngs), None

  zeros = jax.tree.map(jnp.zeros_like, params)
  (grads, total, count, rngs), _ = jax.lax.scan(accumulate, (zeros, 0.0, 0.0, rngs), micro)
  count = jnp.maximum(count, 1.0)
  nnx.update(model, rngs)
  optimizer.opt_state[1].hyperparams['learning_rate'][...] = learning_rate
  optimizer.update(model, jax.tree.map(lambda g: g / count, grads))
  return total / count


def test_sft_is_todays_step_bit_for_bit(mesh1):
  """objective 'sft' packs the same arrays and takes the same steps as the code before the objectives."""
  examples = [
    train.Example([5, 6, 7], [9, 10, 11, 2]),
    train.Example([5, 8], [12, 13, 2]),
    train.Example([4], [20, 21, 22, 23, 2]),
  ]
  packed = train.pack(examples, 12)
  assert set(packed) == {'tokens', 'positions', 'segment_ids', 'targets'}  # no per-token arrays for sft
  with_logprobs = train.pack([train.Example(e.prompt, e.completion, [0.0] * len(e.completion)) for e in examples], 12)
  for key, value in packed.items():
    np.testing.assert_array_equal(with_logprobs[key], value)
  tcfg = TrainConfig(batch_size=1, gradient_accumulation_steps=1, max_seq_len=12, learning_rate=1e-2)
  assert objectives.policy_loss_of(tcfg) is None
  losses = []
  for step in (train.train_step, nnx.jit(_todays_train_step, donate_argnums=(1,))):
    model = _adapted()
    optimizer = train.make_optimizer(model, tcfg)
    model.train()
    steps = [
      float(step(model, optimizer, batch, np.float32(1e-2)))
      for batch, _ in train.batches(packed, tcfg, mesh1, np.random.default_rng(0))
    ]
    losses.append((steps, [np.asarray(x) for x in jax.tree.leaves(nnx.state(model, nnx.LoRAParam))]))
  (new, new_params), (old, old_params) = losses
  assert len(new) == 2 and new == old  # bit-equal losses
  assert all(np.array_equal(a, b) for a, b in zip(new_params, old_params))


# ------------------------------------------------------------------------ which policy's log-probs


def test_sampler_records_the_temperature_1_policy_not_the_sampling_distribution(mesh1):
  """At temperature 0.6 and top-p 0.8 the tokens are drawn from a sharpened, truncated distribution;
  Sample.token_logprobs and Sample.entropy are the model's own at temperature 1 (a teacher-forced forward)."""
  model = _adapted()
  sampler = sample_lib.Sampler(
    model, CharTokenizer(), mesh1, SamplingConfig(max_new_tokens=10, temperature=0.6, top_p=0.8), eos_ids=()
  )
  prompts = [[5, 6, 7], [8, 9]]
  samples = sampler.generate(model, prompts, 3, seed=1)
  for i, s in enumerate(samples):
    prompt = prompts[i // 3]
    tokens = np.array([prompt + s.tokens])
    logits = np.asarray(model(jnp.asarray(tokens)), np.float64)[0, len(prompt) - 1 : -1]  # the steps' logits
    logq = _log_softmax(logits)
    own = logq[np.arange(len(s.tokens)), s.tokens]
    np.testing.assert_allclose(s.token_logprobs, own, atol=2e-4)
    assert s.logprob == pytest.approx(sum(s.token_logprobs), abs=1e-4)
    np.testing.assert_allclose(s.entropy, -(np.exp(logq) * logq).sum(), rtol=1e-4)
    tempered = _log_softmax(logits / 0.6)[np.arange(len(s.tokens)), s.tokens]
    assert np.abs(tempered - own).max() > 1e-2  # the sampling distribution's log-probs are not what is stored


# ---------------------------------------------------------------------- estimators vs exact values


def test_kl_and_entropy_estimators_are_exact_in_expectation(mesh1):
  """On a 6-token vocabulary, every 3-token completion is enumerated: the expectation under the policy of
  the k3 sum (raftjax.rl.diagnostics) is the exact sequence KL(policy || base), the expectation of the per-position
  entropies (sample.entropy) is the exact sequence entropy, and the base log-probs are those of the model
  without adapters."""
  vocab, length, prompt = 6, 3, [1, 4]
  model = _adapted(seed=3, vocab=vocab)
  base_model = _base(3, vocab)  # the same base weights, no adapters
  completions = [list(c) for c in itertools.product(range(vocab), repeat=length)]
  tokens = jnp.asarray([prompt + c for c in completions])

  def per_position(m):
    """log-probs of the vocabulary [N, length, vocab] and of each completion token [N, length]."""
    logq = np.asarray(jax.nn.log_softmax(m(tokens).astype(jnp.float32), -1), np.float64)[:, len(prompt) - 1 : -1]
    return logq, np.take_along_axis(logq, np.asarray(completions)[..., None], -1)[..., 0]

  logq, logp = per_position(model)
  base_logp = per_position(base_model)[1]
  ours = np.stack(signals.base_logprobs(model, mesh1, [prompt] * len(completions), completions))
  np.testing.assert_allclose(ours, base_logp, atol=1e-5)  # adapters zeroed = the base model

  probs = np.exp(logp.sum(1))
  assert probs.sum() == pytest.approx(1.0, abs=1e-5)
  exact_kl = float((probs * (logp.sum(1) - base_logp.sum(1))).sum())
  estimates = [signals.kl_to_base([list(p)], [b])['kl_to_base'] for p, b in zip(logp, ours)]
  assert exact_kl > 1.0  # the adapters moved the policy
  assert float(probs @ np.array(estimates)) == pytest.approx(exact_kl, rel=1e-4)
  assert all(e >= 0 for e in estimates)

  exact_entropy = float(-(probs * logp.sum(1)).sum())
  entropies = np.asarray(entropy(jnp.asarray(logq.reshape(-1, vocab), jnp.float32))).reshape(logp.shape)
  assert float(probs @ entropies.sum(1)) == pytest.approx(exact_entropy, rel=1e-4)
