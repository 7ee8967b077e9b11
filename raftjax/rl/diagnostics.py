"""What a policy's own samples say about it: its token entropy, and how far it has moved from the base.

For samples y ~ pi of a prompt x (the sampled held-out evaluation draws them at temperature 1, untruncated):

  token entropy   H = sum_i sum_t H(pi(. | x, y_<t)) / sum_i |y_i|      exact per position (`Sample.entropy`,
                                                                         computed by the sampler at temperature 1)
  KL to the base  KL = 1/n sum_i sum_t k3_it,  k3 = exp(d) - d - 1,  d = log pi_base(y_t | .) - log pi(y_t | .)

k3 is unbiased for KL(pi(. | x, y_<t) || pi_base(. | x, y_<t)) at each position when y_t ~ pi (Schulman
2020), so by the chain rule the sum over a sample's tokens is unbiased for the sequence-level
KL(pi(. | x) || pi_base(. | x)), in nats per sample; `kl_per_token` divides by the tokens instead. log pi is
the sampler's own value (`Sample.token_logprobs`); log pi_base is one teacher-forced forward of the same
model with its LoRA adapters zeroed: no second copy of the weights. A full fine-tune has no base left in
memory, and gets no KL.
"""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from raftjax.model import mesh as mesh_lib
from raftjax.model.llama import Llama
from raftjax.train import objectives

_ROWS = 8  # sequences per forward call (rounded up to the data axes); the length is bucketed


def has_adapters(model: Llama) -> bool:
  return bool(jax.tree.leaves(nnx.state(model, nnx.LoRAParam)))


@functools.partial(jax.jit, static_argnums=(0, 1))
def _base_logprobs(
  graphdef, mesh: Mesh, lora, rest, tokens: jax.Array, positions: jax.Array, segment_ids: jax.Array
) -> jax.Array:
  """[B, T] next-token log-probs of the model with adapters `lora` zeroed, replicated on every process."""
  model = nnx.merge(graphdef, jax.tree.map(jnp.zeros_like, lora), rest)
  model.eval()
  logits = model(tokens, positions, segment_ids)
  replicated = NamedSharding(mesh, PartitionSpec())
  return jax.lax.with_sharding_constraint(objectives.label_logprobs(logits, tokens), replicated)


def _pack(lengths: list[int], width: int) -> list[tuple[int, int]]:
  """(row, offset) of each sequence, first-fit longest first into rows of `width` tokens."""
  free: list[int] = []
  place = [(0, 0)] * len(lengths)
  for i in sorted(range(len(lengths)), key=lambda i: -lengths[i]):
    row = next((r for r, f in enumerate(free) if f >= lengths[i]), None)
    if row is None:
      free.append(width)
      row = len(free) - 1
    place[i] = (row, width - free[row])
    free[row] -= lengths[i]
  return place


def base_logprobs(model: Llama, mesh: Mesh, prompts: list[list[int]], completions: list[list[int]]) -> list[np.ndarray]:
  """log pi_base(y_t | x, y_<t) of every completion token, one array per (prompt, completion). The
  sequences are packed into rows (segment ids keep them apart), _ROWS rows per call."""
  graphdef, lora, rest = nnx.split(model, nnx.LoRAParam, ...)
  lengths = [len(p) + len(c) for p, c in zip(prompts, completions)]
  width = max(256, 1 << (max(lengths) - 1).bit_length())  # bucketed: few compiles
  place = _pack(lengths, width)
  data = math.prod(mesh.shape.get(a, 1) for a in mesh_lib.RULES['batch'])
  rows = -(-_ROWS // data) * data
  total = -(-(max(r for r, _ in place) + 1) // rows) * rows
  tokens, positions, segments = (np.zeros((total, width), np.int32) for _ in range(3))
  for i, ((r, at), p, c) in enumerate(zip(place, prompts, completions)):
    tokens[r, at : at + lengths[i]] = p + c
    positions[r, at : at + lengths[i]] = np.arange(lengths[i])
    segments[r, at : at + lengths[i]] = i + 1
  sharding = mesh_lib.array_sharding((rows, width), ('batch', 'length'), mesh)
  put = lambda x: jax.device_put(x, sharding)
  logprobs = np.concatenate(
    [  # replicated: every process reads all of it
      np.asarray(
        _base_logprobs(
          graphdef,
          mesh,
          lora,
          rest,
          put(tokens[s : s + rows]),
          put(positions[s : s + rows]),
          put(segments[s : s + rows]),
        ).addressable_data(0)
      )
      for s in range(0, total, rows)
    ]
  )
  # Completion token j of a sequence at offset `at` sits at at + len(p) + j, predicted one position before.
  return [logprobs[r, at + len(p) - 1 : at + len(p) + len(c) - 1] for (r, at), p, c in zip(place, prompts, completions)]


def kl_to_base(policy: list[list[float]], base: list[np.ndarray]) -> dict:
  """The k3 estimate (module docstring) from each sample's per-token log-probs under the policy and the base:
  nats per sample and per token."""
  per_sample = [float(jnp.sum(objectives.k3(np.asarray(b), np.asarray(p, np.float32)))) for p, b in zip(policy, base)]
  tokens = sum(len(p) for p in policy)
  return dict(kl_to_base=sum(per_sample) / max(1, len(per_sample)), kl_per_token=sum(per_sample) / max(1, tokens))


def held_out(model: Llama, mesh: Mesh, prompts: list[list[int]], rows: list[dict]) -> dict:
  """Token entropy and KL to the base of the sampled held-out rows (prompt ids of each row in `prompts`)."""
  tokens = sum(r['num_tokens'] for r in rows)
  out = dict(token_entropy=sum(r['entropy'] for r in rows) / max(1, tokens))
  if has_adapters(model):
    base = base_logprobs(model, mesh, prompts, [r['tokens'] for r in rows])
    out.update(kl_to_base([r['token_logprobs'] for r in rows], base))
  return out
