"""Slot engine (continuous batching): the same samples as the chunked path, static shapes, stats."""

import collections

import jax
import numpy as np
import pytest
from flax import nnx
from test_sampler import TINY, CharTokenizer

from raftjax.generate import accounting
from raftjax.generate.sampler import Sampler, SamplingConfig
from raftjax.generate.slots import SlotEngine
from raftjax.model import mesh as mesh_lib
from raftjax.model.llama import Llama, init_cache

# Five prompts of different lengths (one bucket of 32) and 3 samples each: 15 samples, which 1, 3 and 8
# slots take in different orders and 8 does not divide.
PROMPTS = [[5, 6, 7], [8, 9, 10, 11, 12, 13, 14], [20, 21], [30] * 9, [40, 41, 42, 43]]
N = 3


@pytest.fixture(scope='module')
def tiny():
  return Llama(TINY, nnx.Rngs(0))


def make(model, mesh, eos_ids=(), **config):
  config = {'max_new_tokens': 12, 'temperature': 1.0, 'slots': 0, **config}  # chunked unless a test says
  return Sampler(model, CharTokenizer(), mesh, SamplingConfig(**config), eos_ids=eos_ids)


def assert_same(reference, samples):
  assert len(samples) == len(reference)
  for ref, new in zip(reference, samples):
    assert (new.tokens, new.finish_reason, new.completion) == (ref.tokens, ref.finish_reason, ref.completion)
    np.testing.assert_allclose(new.token_logprobs, ref.token_logprobs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new.entropy, ref.entropy, rtol=1e-5)


def finishing_config(tiny, mesh1, **config):
  """eos and a stop string that samples of a plain run hit at different steps (or never)."""
  plain = make(tiny, mesh1, **config).generate(tiny, PROMPTS, N, seed=3)
  eos = plain[0].tokens[4]  # a token sample 0 draws at step 4
  stop = plain[4].completion[6:8]
  return dict(eos_ids=(eos,), stop_strings=(stop,), **config)


@pytest.mark.slow
@pytest.mark.parametrize('sampling', [{'temperature': 0.0}, {'temperature': 0.7, 'top_p': 0.95}])
def test_slots_give_the_chunked_samples(tiny, mesh1, sampling):
  config = finishing_config(tiny, mesh1, **sampling)
  reference = make(tiny, mesh1, **config).generate(tiny, PROMPTS, N, seed=3)
  lengths = [s.num_tokens for s in reference]
  assert len(set(lengths)) > 2 and len({s.finish_reason for s in reference}) > 1, lengths
  # (8, 1, 1) halves its tail: 8 -> 4 -> 2 -> 1; (3, 8, 2) refills two slots at a time, (3, 8, 5) all
  # three (a group larger than the slots waits for every slot).
  for slots, min_slots, group in ((1, 8, 1), (3, 8, 1), (3, 8, 2), (3, 8, 5), (8, 0, 1), (8, 1, 1)):
    sampler = make(tiny, mesh1, slots=slots, min_slots=min_slots, refill_group=group, **config)
    assert_same(reference, sampler.generate(tiny, PROMPTS, N, seed=3))


def test_slots_keep_keys_across_calls_and_first_sample(tiny, mesh1):
  """A prompt's samples do not depend on which other prompts share the call, only on their ids in it."""
  sampler = make(tiny, mesh1, slots=4)
  whole = sampler.generate(tiny, PROMPTS, N, seed=9)
  assert_same(whole[:N], sampler.generate(tiny, PROMPTS[:1], N, seed=9))
  assert_same(make(tiny, mesh1, batch_size=2).generate(tiny, PROMPTS, N, seed=9), whole)
  assert len({tuple(s.tokens) for s in whole}) == len(whole)


def test_no_retrace_within_a_bucket(tiny, mesh1):
  sampler = make(tiny, mesh1, slots=4)
  sampler.generate(tiny, PROMPTS, N, seed=0)
  first = dict(sampler.compiles)
  assert first['slot_decode'] == first['slot_empty'] == 1
  assert first['prefill'] <= 3 and first['slot_insert'] <= 3 * 3  # 1, 2 or 4 prompts; 1, 2 or 4 samples
  state = jax.tree.map(lambda x: x * 1.01, nnx.state(tiny))
  sampler.generate(state, [[5] * 20, [6] * 31, [7] * 3, [8] * 9, [9]], N, seed=1)  # same bucket (32)
  assert sampler.compiles == first


def test_each_prompt_is_prefilled_once(tiny, mesh1):
  """One slot: every fill is one sample, so a prompt's 3 samples span 3 fills; its prefill is kept for
  the next two, and the call prefills each prompt once, as the chunked path does."""
  sampler = make(tiny, mesh1, slots=1, min_slots=0)
  prefill, prefilled = sampler._prefill, []

  def counting(graphdef, state, tokens, lengths, *rest):
    prefilled.extend(tuple(row[:n]) for row, n in zip(np.asarray(tokens), np.asarray(lengths)))
    return prefill(graphdef, state, tokens, lengths, *rest)

  sampler._prefill = counting
  assert_same(make(tiny, mesh1).generate(tiny, PROMPTS, N, seed=5), sampler.generate(tiny, PROMPTS, N, seed=5))
  assert prefilled == [tuple(p) for p in PROMPTS]


def test_stats_count_slot_steps(tiny, mesh1):
  """Without eos every sample takes 12 tokens: 15 samples in 8 slots run 8, then 7 more after 12 steps."""
  sampler = make(tiny, mesh1, slots=8)
  before = collections.Counter(sampler.stats)
  samples = sampler.generate(tiny, PROMPTS, N, seed=0)
  stats = accounting.call_stats(before, sampler.stats)
  assert sum(s.num_tokens for s in samples) == 15 * 12
  # Fill 8, 11 decode steps (the first token came from the prefill), refill 7, 11 more steps.
  assert (stats['calls'], stats['rows'], stats['decode_steps']) == (1, 8, 22)
  assert stats['decode_efficiency'] == 180 / (8 * 22 + 15)


def test_the_tail_halves_the_slots(tiny, mesh1):
  """Once nothing is pending, the busy slots move into half as many: the same samples and generated
  tokens from fewer computed ones, one decode loop per width, and a call starts with no more slots than
  it has samples (rounded up to a power of two)."""
  config = finishing_config(tiny, mesh1)
  runs = {}
  for min_slots in (0, 1):
    sampler = make(tiny, mesh1, slots=64, min_slots=min_slots, **config)
    samples = sampler.generate(tiny, PROMPTS, N, seed=3)
    runs[min_slots] = samples, sampler.stats, sampler.compiles
  (ref, whole, whole_compiles), (tail, halved, halved_compiles) = runs[0], runs[1]
  assert_same(ref, tail)
  assert whole['rows'] == halved['rows'] == 16  # 15 samples: 16 slots of the 64
  assert whole['generated_tokens'] == halved['generated_tokens'] < whole['computed_tokens']
  assert halved['computed_tokens'] < whole['computed_tokens']
  assert (whole_compiles['slot_decode'], whole_compiles['slot_gather']) == (1, 0)
  assert halved_compiles['slot_decode'] == halved_compiles['slot_gather'] + 1 > 1


def test_refills_wait_for_a_group(tiny, mesh1):
  """refill_group = 2: while samples wait, a decode call stops once 2 slots are done (or as many as
  wait), not at the first: fewer decode calls, the same samples, more idle row-steps."""
  config = finishing_config(tiny, mesh1)
  runs = {}
  for group in (1, 2):
    sampler = make(tiny, mesh1, slots=4, min_slots=0, refill_group=group, **config)
    engine, needs = SlotEngine(sampler), []
    decode, sampler._slots = engine._decode, engine
    engine._decode = lambda graphdef, state, slots, need: (
      needs.append(int(need)) or decode(graphdef, state, slots, need)
    )
    runs[group] = sampler.generate(tiny, PROMPTS, N, seed=3), sampler.stats, needs
  (one, one_stats, one_needs), (two, two_stats, two_needs) = runs[1], runs[2]
  assert_same(one, two)
  assert set(one_needs[:-1]) == {1} and one_needs[-1] == 4  # the last call: nothing waits, every slot done
  assert 2 in two_needs and set(two_needs[:-1]) <= {1, 2} and two_needs[-1] == 4
  assert len(two_needs) < len(one_needs)
  assert one_stats['generated_tokens'] == two_stats['generated_tokens']
  assert one_stats['computed_tokens'] <= two_stats['computed_tokens']


def test_the_insert_holds_no_buffer_of_its_rows(tiny, mesh1):
  """An insert of E samples copies their prompts' cache rows into the donated slots one at a time: the
  compiled insert's temporaries (XLA's memory analysis) stay below the E rows' keys and values gathered
  into one buffer, what the insert held before (~1 GB f32 at 96 samples of SmolLM2; BENCHMARKS.md)."""
  engine, s, t, e = SlotEngine(make(tiny, mesh1, slots=32)), 32, 32, 32
  slots = engine._empty.eval_shape(s, t + 12)
  cache = jax.eval_shape(lambda: init_cache(TINY, e, t))
  logits, lengths = jax.ShapeDtypeStruct((e, TINY.vocab_size), np.float32), jax.ShapeDtypeStruct((e,), np.int32)
  rows = [jax.ShapeDtypeStruct((e,), dtype) for dtype in (np.int32, np.int32, np.uint32, np.int32)]
  compiled = engine._insert.lower(slots, cache, logits, lengths, *rows).compile()
  gathered = sum(c.size * c.dtype.itemsize for c in cache)  # every row of keys and values, E = P rows
  assert compiled.memory_analysis().temp_size_in_bytes < gathered


def test_slots_on_8_devices(tiny, mesh1, mesh8):
  state8 = jax.device_put(nnx.state(tiny), mesh_lib.state_shardings(nnx.state(tiny), mesh8))
  config = finishing_config(tiny, mesh1, temperature=0.0)
  reference = make(tiny, mesh1, **config).generate(tiny, PROMPTS, N, seed=3)
  assert make(tiny, mesh8).round_rows(3) == 4  # slots are rounded up to a multiple of the data axes (4)
  for slots in (3, 8):  # 8: the tail halves to 4 slots, split over the data axes as the 8 were
    sampler = make(tiny, mesh8, slots=slots, min_slots=1, **config)
    samples = sampler.generate(state8, PROMPTS, N, seed=3)
    assert [s.tokens for s in samples] == [s.tokens for s in reference]
    assert [s.finish_reason for s in samples] == [s.finish_reason for s in reference]
  assert sampler.compiles['slot_gather'] == 1
