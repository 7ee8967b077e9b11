"""The training losses of a RAFT cycle (`training.objective`), all on the same sampler, verifier, loop and
LoRA step (`raftjax.train.trainer.train_step`).

For completion token t of sample i of prompt g (rewards r from the verifier's graduated ladder):

  logp_t = log pi_theta(y_t | x, y_<t)   the policy being trained
  old_t  = log pi_old(y_t | x, y_<t)     the policy that sampled y (the weights at sampling time)
  ref_t  = log pi_base(y_t | x, y_<t)    the base model: the same model with its LoRA adapters off
  rho_t  = exp(logp_t - old_t)            the importance ratio (1 at the first step after sampling)
  S(rho, A) = min(rho A, clip(rho, 1 - eps, 1 + eps) A)         PPO's clipped surrogate (Schulman et al. 2017)
  k3_t   = exp(ref_t - logp_t) - (ref_t - logp_t) - 1           >= 0, E_{y_t ~ pi_theta}[k3_t] = KL(pi_theta || pi_base)
                                                                 at that context (Schulman 2020, "Approximating KL")

  sft            L = -1/N sum_t logp_t                 kept samples               RAFT (Dong et al. 2023)
  raft_pp        L = -1/N sum_t S(rho_t, 1)            kept samples               RAFT++ (Xiong et al. 2025)
  reinforce_rej  L = -1/N sum_t S(rho_t, A_i)          A_i = r_i - mean_g r; prompts whose samples all have the
                                                         same reward are dropped    Reinforce-Rej (Xiong et al. 2025)
  grpo           L = -1/N sum_t [S(rho_t, A_i) - beta k3_t]   A_i = (r_i - mean_g r) / (std_g r + 1e-6)
                                                                          GRPO (Shao et al. 2024, DeepSeekMath)

`beta` is `training.kl_coef` (0 by default; the same term may be added to raft_pp and reinforce_rej), `eps`
is `training.clip_epsilon`. `raftjax.rl.selection` picks the samples and computes the advantages A_i (host).

Which log-probabilities. All three are the model's own distribution at temperature 1, untruncated:
  * logp_t is what every objective differentiates, sft included: the model is trained as a distribution at
    temperature 1, whatever temperature and top-p draw its samples.
  * old_t is the sampler's per-token value (`Sample.token_logprobs`, stored in samples.jsonl), computed from
    the sampling step's raw logits before temperature, top-k or top-p. The ratio rho is PPO's trust region:
    how far the update has moved the model from the weights that sampled, measured in the model's own
    terms, so it is exactly 1 before the first update (RAFT++'s first step is SFT's) whatever the sampling
    settings. Dividing by the tempered, top-p-truncated sampling distribution instead would make rho != 1
    before any update (below 1 for likely tokens at temperature < 1, above for unlikely ones), and the clip
    would then discard the gradient of tokens the update never touched. The sampling distortion is left
    uncorrected, as RAFT and GRPO leave it. Samples of earlier cycles (`training.accumulate_kept`) keep the
    log-probs of the policy that drew them.
  * ref_t is computed in the step with the adapters zeroed (no second copy of the weights): LoRA only.

Normalisation: every objective averages over all N completion tokens of the optimizer step (DAPO's
token-level loss, Yu et al. 2025), not over each response first as the papers above write it, so that
the objectives differ only in their advantage, ratio and KL terms; sft's loss is exactly today's.

Clipping: with A > 0 the surrogate stops growing once rho > 1 + eps (no gradient); with A < 0 once
rho < 1 - eps. raft_pp's A = 1 therefore clips only above.
"""

import dataclasses

import jax
import jax.numpy as jnp

from raftjax.sections import TrainConfig


@dataclasses.dataclass(frozen=True)
class PolicyLoss:
  """The policy-gradient loss's settings: a static argument of the train step (one graph per run)."""

  clip_epsilon: float
  kl_coef: float


def policy_loss_of(tcfg: TrainConfig) -> PolicyLoss | None:
  """The step's policy-gradient settings, or None for sft (the step then runs today's loss unchanged)."""
  if tcfg.objective == 'sft':
    return None
  return PolicyLoss(tcfg.clip_epsilon, tcfg.kl_coef)


def shift(x: jax.Array) -> jax.Array:
  """x[B, T] of each token moved to the position that predicts it (t - 1); the last position predicts
  nothing and gets 0."""
  return jnp.roll(x, -1, axis=1).at[:, -1].set(0)


def label_logprobs(logits: jax.Array, tokens: jax.Array) -> jax.Array:
  """log softmax(logits[B, T, V])[t, tokens[t + 1]] -> [B, T]: each next token's log-probability at
  temperature 1 (the last position's is meaningless; weights drop it)."""
  labels = jnp.roll(tokens, -1, axis=1)
  picked = jnp.take_along_axis(logits, labels[..., None], axis=-1)[..., 0]
  return picked - jax.nn.logsumexp(logits, axis=-1)


def k3(ref: jax.Array, logp: jax.Array) -> jax.Array:
  """Schulman's k3 estimate of KL(pi || base) from one token drawn from pi: exp(d) - d - 1, d = ref - logp."""
  d = ref - logp
  return jnp.exp(d) - d - 1


def token_losses(
  logp: jax.Array, old: jax.Array, advantages: jax.Array, ref: jax.Array | None, policy: PolicyLoss
) -> jax.Array:
  """The per-token policy-gradient loss -S(rho, A) (+ beta k3) of the module docstring, [B, T]."""
  ratio = jnp.exp(logp - old)
  eps = policy.clip_epsilon
  loss = -jnp.minimum(ratio * advantages, jnp.clip(ratio, 1 - eps, 1 + eps) * advantages)
  if policy.kl_coef:
    loss = loss + policy.kl_coef * k3(ref, logp)
  return loss


def policy_loss(model, base, batch: dict[str, jax.Array], policy: PolicyLoss) -> tuple[jax.Array, jax.Array]:
  """(summed per-token loss, number of completion tokens) of a packed batch[B, T] with `old_logprobs` and
  `advantages` at each completion token's own position; `base` is the model with adapters off (used only
  when policy.kl_coef > 0)."""
  weights = shift(batch['targets']).astype(jnp.float32)
  live = weights > 0  # padding and prompt positions: keep exp() of their arbitrary values finite
  logits = model(batch['tokens'], batch['positions'], batch['segment_ids'])
  logp = jnp.where(live, label_logprobs(logits, batch['tokens']), 0.0)
  old = jnp.where(live, shift(batch['old_logprobs']), 0.0)
  ref = None
  if policy.kl_coef:
    base_logits = jax.lax.stop_gradient(base(batch['tokens'], batch['positions'], batch['segment_ids']))
    ref = jnp.where(live, label_logprobs(base_logits, batch['tokens']), 0.0)
  losses = token_losses(logp, old, shift(batch['advantages']), ref, policy)
  return jnp.sum(losses * weights), jnp.sum(weights)
