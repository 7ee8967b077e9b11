"""Continuous batching: a fixed number of decode slots, each refilled as soon as its sample ends.

  sampler = Sampler(model, tokenizer, mesh, SamplingConfig(slots=32, max_new_tokens=256))
  samples = sampler.generate(model, prompts, samples_per_prompt=4, seed=0)   # the same samples as slots=0

The chunked path (`Sampler.generate` with slots=0) decodes a chunk until its LAST row is done: rows that
finished early keep their place and compute nothing anyone keeps (decode efficiency 0.4-0.8 on RAFT's C
programs). Here the device holds S slots, a KV cache [layers, S, K, cache_len, D], and the host loops:

  1. fill: the next pending samples (prompt-major) take the free slots. Their prompts are prefilled once
     each (`Sampler._prefill`, the prompt count bucketed to a power of two; a prompt whose N samples span
     fills keeps its prefill for the next fill, as in the chunked path a prompt is prefilled once), and
     `_insert` copies each prompt's cache into its samples' slots and draws their first tokens from the
     prompt's last logits.
  2. decode: one jitted while loop steps every slot (`Decoder.step`) until `generation.refill_group`
     slots are done while samples are still pending (`need`), or until every slot is done when none are
     (`need` = S; but see 4).
  3. collect: the finished slots' samples are read back and detokenised; their slots are free again.
  4. the tail: once nothing is pending, a decode call also stops when at most half the slots are busy;
     `_gather` moves the busy ones into half as many slots (down to `generation.min_slots`), so the last
     samples do not decode beside a row of idle slots.

S is `generation.slots` rounded up to a multiple of the mesh's data axes, which split the slots as they
split the chunked path's rows, and at most the call's sample count rounded up to a power of two. Shapes are
static per width: S (and its halves), cache_len = the call's prompt bucket + max_new_tokens, and the
prefill's prompt count and the insert's sample count (powers of two, < 2S), so a call compiles a decode
loop per width, a prefill per prompt count and an insert per (prompt count, sample count) it meets, and a
later call in the same bucket none.

Why the samples are the chunked path's: sample j of prompt i draws from the key of sample i * N + j
folded with its own token count (`Decoder.advance`), whichever slot or fill it lands in. Its cache row
holds its prompt at positions 0..len-1 and its tokens after them; a query attends to the positions <= its
own (`attention_mask`), all written by this occupant, so a previous occupant's keys beyond are never seen.
Floating point aside: XLA may reduce a batch of another size in another order (see sampler.py).

Stats (`Sampler.stats`): rows = S per call, steps = decode-loop steps, computed tokens = each decode
call's width x its steps, plus one per sample (its first token, drawn from its prompt's prefill as in the
chunked path's step 0).
`Sampler.stream` is one call over prompts from several seeds (the chunked path's calls, seams and all),
handing each sample to a callback as soon as it is read back: the RAFT loop verifies while decoding.
`SlotEngine.lower` lowers the decode loop over abstract weights: `Sampler.lower` (and so `tools.aot` and
the accelerator preflight) compiles it when `config.slots` > 0.

Multi-process runs: the host loop's decisions (which slots are free, what fills them) must be the same in
every process, as every jitted call spans them all. So each process reads every slot's state (the few
per-slot arrays, replicated by `_everywhere`) and runs the same loop; a process returns and reports the
samples of its own prompts (prompt i belongs to process i % processes; None for the others, which
`distributed.gather_rows` merges), so the samples of a prompt are verified together, by one process.
"""

import collections
import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec

from raftjax.generate.accounting import check_cache_fits
from raftjax.generate.decoding import FINISH_REASONS, Loop, prompt_bucket, row_axes
from raftjax.model.llama import CACHE_AXES, init_cache
from raftjax.rows import Sample

# The fields of `Loop` with a leading row axis (the cache's rows are its axis 1; `step` has none).
_ROW_FIELDS = ('token', 'done', 'num', 'finish', 'recent', 'tokens', 'logprobs', 'entropies')


class Slots(NamedTuple):
  """Device state of S slots: a decode loop over them, plus what each slot's occupant is."""

  loop: Loop  # rows [S]; done = free, or finished and not yet refilled
  lengths: jax.Array  # [S] int32 prompt length of the occupant
  keys: jax.Array  # [S] PRNG key of the occupant (`Decoder.keys` of its seed and sample id)


class Prefilled(NamedTuple):
  """A fill's prefill, kept while its last prompt has samples waiting for a slot."""

  prompts: list[int]  # prompt indices, one per prefill row
  cache: tuple  # [layers, P, K, T, D] twice
  logits: jax.Array  # [P, V] at each prompt's last token
  lengths: jax.Array  # [P] prompt lengths


class SlotEngine:
  """Runs `Sampler.generate` with `sampler.config.slots` decode slots; see the module docstring."""

  def __init__(self, sampler):
    """`sampler`: the `raftjax.generate.sampler.Sampler` whose prefill, decoder, stats and compiles it uses."""
    self.sampler = sampler
    self.num_slots = sampler.round_rows(sampler.config.slots)  # the data axes split the slots
    self._empty = jax.jit(self._empty_fn, static_argnums=(0, 1))
    self._insert = jax.jit(self._insert_fn, donate_argnums=(0,))
    self._gather = jax.jit(self._gather_fn)  # no donation: the result is smaller than the input
    self._gather_cache = jax.jit(lambda c, keep: self.sampler.decoder.constrain(c[:, keep], CACHE_AXES))
    self._decode = jax.jit(self._decode_fn, static_argnums=(0,), donate_argnums=(2,))
    # Every slot's state on every device, so that each process can read all of it (multi-process runs).
    self._everywhere = jax.jit(lambda x: x, out_shardings=NamedSharding(sampler.mesh, PartitionSpec()))

  def generate(
    self,
    graphdef,
    state,
    prompts: Sequence[Sequence[int]],
    n: int,
    seed: int | Sequence[int],
    first_ids: Sequence[int] | None = None,
    on_sample: Callable[[int, Sample], None] | None = None,
  ) -> list[Sample]:
    """n samples of each prompt, prompt-major, as `Sampler.generate`. Sample j of prompt i draws from
    seed[i] (or seed) and id first_ids[i] + j (default i * n + j); on_sample(i * n + j, sample) is called
    as soon as it is read back, while the other slots go on decoding. In a multi-process run, only the
    samples of this process's prompts (i % processes == process index): None for the others."""
    sm = self.sampler
    seeds = [seed] * len(prompts) if isinstance(seed, int) else list(seed)
    first_ids = list(range(0, len(prompts) * n, n)) if first_ids is None else list(first_ids)
    lengths = sm.check_prompts(prompts)
    t = prompt_bucket(max(lengths), sm.config.min_prompt_bucket)
    width = widest = min(self.num_slots, sm.round_rows(prompt_bucket(len(prompts) * n, 1)))  # <= the samples
    check_cache_fits(sm.model_cfg, width, t + sm.config.max_new_tokens, sm.mesh)
    t0 = time.perf_counter()
    pending = collections.deque((i, j) for i in range(len(prompts)) for j in range(n))
    occupant: list[int | None] = [None] * width  # sample id in each slot, None = free
    out: list[Sample | None] = [None] * (len(prompts) * n)
    slots, steps, computed, generated = self._empty(width, t + sm.config.max_new_tokens), 0, len(out), 0
    held = None  # a fill's prefill whose last prompt has samples still pending, for the next fills
    while pending or any(o is not None for o in occupant):
      free = [k for k, o in enumerate(occupant) if o is None]
      if pending and free:
        fill = [pending.popleft() for _ in range(min(len(free), len(pending)))]
        slots, held = self._fill(
          graphdef, state, slots, prompts, fill, free, t, [(seeds[i], first_ids[i] + j) for i, j in fill], held
        )
        for k, (i, j) in zip(free, fill):
          occupant[k] = i * n + j
        if not pending or pending[0][0] != fill[-1][0]:  # no sample of its prompts waits: free its memory
          held = None
      # The tail: nothing pending, and at most half the slots busy -> decode on half as many.
      half = 0 if pending else self._half(width)
      while half and width - occupant.count(None) <= half:
        slots, occupant, width = *self._shrink(slots, occupant, half), half
        half = self._half(width)
      # Stop for a refill when `refill_group` slots are done (or as many as samples wait), or (nothing
      # pending) when the slots can halve, or when all are done.
      need = min(sm.config.refill_group, len(pending), width) if pending else width - half if half else width
      slots = self._decode(graphdef, state, slots, jnp.int32(need))
      step, tokens = self._collect(slots.loop, occupant, n, out, on_sample)
      steps, computed, generated = steps + step, computed + width * step, generated + tokens
    sm.stats.update(
      calls=1,
      rows=widest,
      steps=steps,
      computed_tokens=computed,
      generated_tokens=generated,
      seconds=time.perf_counter() - t0,
    )
    return out

  def lower(self, graphdef, state, cache_len: int) -> jax.stages.Lowered:
    """The decode loop over S slots of `cache_len` cache positions, lowered for `state` without running
    it: `state` may be abstract (ShapeDtypeStructs with shardings), as in `Sampler.lower`."""
    sm = self.sampler
    # Placed as `_empty_fn` places them: every per-slot array's rows split, and the cache.
    shapes = self._empty.eval_shape(self.num_slots, cache_len)
    slots = jax.tree.map(lambda x: sm.row_spec(x.shape, x.dtype), shapes._replace(loop=shapes.loop._replace(cache=())))
    cache = (sm.cache_spec(self.num_slots, cache_len),) * 2
    slots = slots._replace(loop=slots.loop._replace(cache=cache))
    return self._decode.lower(graphdef, state, slots, jax.ShapeDtypeStruct((), jnp.int32))

  def _fill(self, graphdef, state, slots: Slots, prompts, fill, free, t: int, keys, held) -> tuple[Slots, Prefilled]:
    """Inserts fill[F] = (prompt, sample) pairs at slots free[:F], sample f with the key of keys[f] =
    (seed, id). Each prompt is prefilled once per call, not once per fill: a prompt whose samples span
    fills (one slot frees at a time) takes its later samples from `held`, the prefill that brought it.
    Returns the slots and the prefill to hold for the next fill."""
    sm = self.sampler
    order = list(dict.fromkeys(i for i, _ in fill))  # distinct prompts, first seen first
    new = [i for i in order if held is None or i not in held.prompts]
    sources = [] if held is None else [held]  # at most the first prompt is held: fills take samples in order
    if new:
      tokens, lengths = sm.padded_prompts([prompts[i] for i in new], sm.round_rows(prompt_bucket(len(new), 1)), t)
      lengths = sm.put_rows(lengths)
      held = Prefilled(new, *sm._prefill(graphdef, state, sm.put_rows(tokens), lengths, 1, t), lengths)
      sources.append(held)
    for source in sources:
      taken = [f for f, (i, _) in enumerate(fill) if i in source.prompts]
      if taken:
        rows = self._entries(source.prompts, fill, free, keys, taken, len(slots.lengths))
        slots = self._insert(slots, source.cache, source.logits, source.lengths, *rows)
    return slots, held

  def _entries(self, order: list, fill, free, keys, entries: list, s: int) -> list[jax.Array]:
    """src, dst, seeds, ids [E] for `_insert` (E = len(entries) rounded up to a power of two, at most the
    S slots): fill entry f (of `entries`) copies prefill row order.index(prompt) into slot free[f]; the rows
    beyond go to no slot."""
    sm = self.sampler
    e = min(sm.round_rows(prompt_bucket(len(entries), 1)), s)
    src, dst = np.zeros(e, np.int32), np.full(e, np.iinfo(np.int32).max, np.int32)
    seeds, ids = np.zeros(e, np.uint32), np.zeros(e, np.int32)
    for row, f in enumerate(entries):
      src[row], dst[row], (seeds[row], ids[row]) = order.index(fill[f][0]), free[f], keys[f]
    return list(map(sm.put_rows, (src, dst, seeds, ids)))

  def _half(self, width: int) -> int:
    """The slots a tail of `width` slots halves to (rounded up to the data axes); 0 if it may not:
    below `min_slots` (0: never) or no fewer."""
    half, floor = self.sampler.round_rows(width // 2), self.sampler.config.min_slots
    return half if floor and floor <= half < width else 0

  def _shrink(self, slots: Slots, occupant: list, width: int) -> tuple[Slots, list]:
    """The busy slots moved into `width` slots (>= the busy ones), the rest filled with free ones."""
    busy = [k for k, o in enumerate(occupant) if o is not None]
    keep = busy + [k for k, o in enumerate(occupant) if o is None][: width - len(busy)]
    keep_rows = self.sampler.put_rows(np.array(keep, np.int32))
    shrunk = self._gather(slots._replace(loop=slots.loop._replace(cache=())), keep_rows)
    # Keys, then values, each old buffer deleted as soon as it is copied: the old and the new cache are
    # alive together for one of the two only (1.25x the cache at the peak instead of 1.5x).
    cache = []
    for old in slots.loop.cache:
      cache.append(self._gather_cache(old, keep_rows))
      old.delete()
    return shrunk._replace(loop=shrunk.loop._replace(cache=tuple(cache))), [occupant[k] for k in keep]

  def _collect(self, loop: Loop, occupant: list, n: int, out: list, on_sample) -> tuple[int, int]:
    """Frees the finished occupied slots, moving the samples of this process's prompts into out[sample id]
    (and to on_sample); returns the decode steps the loop ran and the tokens the finished samples generated
    (before a stop string cuts them)."""
    done, step = self._read(loop.done, loop.step)
    finished, generated = [k for k, o in enumerate(occupant) if o is not None and done[k]], 0
    if finished:  # a device-to-host copy of every slot's buffers: one per decode call
      tokens, logprobs, entropies, num, finish = self._read(
        loop.tokens, loop.logprobs, loop.entropies, loop.num, loop.finish
      )
      for k in finished:
        if occupant[k] // n % jax.process_count() == jax.process_index():
          reason = FINISH_REASONS[finish[k]]
          out[occupant[k]] = self.sampler._sample(tokens[k, : num[k]], logprobs[k], entropies[k], reason)
          if on_sample:
            on_sample(occupant[k], out[occupant[k]])
        occupant[k], generated = None, generated + int(num[k])
    return int(step), generated

  def _read(self, *arrays: jax.Array) -> list[np.ndarray]:
    """Host copies of whole arrays, also those other processes hold parts of."""
    if jax.process_count() > 1:
      arrays = self._everywhere(arrays)
    return jax.device_get(arrays)

  # ---------------------------------------------------------------------------------------- jitted

  def _empty_fn(self, s: int, cache_len: int) -> Slots:
    """S free slots and their zeroed cache [layers, S, K, cache_len, D], made on the devices."""
    sm = self.sampler
    sm.compiles['slot_empty'] += 1
    cache = sm.decoder.constrain_cache(init_cache(sm.model_cfg, s, cache_len))
    zeros = lambda: sm.decoder.constrain(jnp.zeros(s, jnp.int32), ('batch',))
    return Slots(sm.decoder.fresh(zeros() > 0, cache), zeros(), sm.decoder.keys(0, zeros()))

  def _insert_fn(self, slots: Slots, cache, logits, lengths, src, dst, seeds, ids) -> Slots:
    """Puts prefilled prompts into slots (donated): entry f of src/dst/seeds/ids[E] copies prefill row
    src[f] (cache [layers, P, K, T, D], logits[P, V], lengths[P]) into slot dst[f] (>= S: no entry) for the
    sample of key (seeds[f], ids[f]), and draws its first token, as the chunked path draws every row's at
    its step 0. E is the fill's size (bucketed), not S: a draw costs a top-p sort of its row."""
    sm, s = self.sampler, len(slots.lengths)
    sm.compiles['slot_insert'] += 1
    d = sm.decoder
    keys = d.keys(seeds, ids)
    first = d.advance(d.fresh(dst < s, None), logits[src], keys)  # [E] rows
    put = lambda old, new: old.at[dst].set(new, mode='drop')
    loop = slots.loop
    loop = loop._replace(**{f: put(getattr(loop, f), getattr(first, f)) for f in _ROW_FIELDS})
    # Positions >= T keep the previous occupant's keys: the mask hides them until this one writes them.
    # One entry at a time, into the donated cache: gathering all E rows first (p[:, src]) would hold a
    # second [layers, E, K, T, D] buffer beside the slots' cache at the insert's peak.
    t = cache[0].shape[3]
    put_row = lambda f, caches: tuple(
      c.at[:, dst[f], :, :t].set(p[:, src[f]], mode='drop') for c, p in zip(caches, cache)
    )
    new_cache = jax.lax.fori_loop(0, len(src), put_row, loop.cache)
    return Slots(
      loop._replace(cache=d.constrain_cache(new_cache)), put(slots.lengths, lengths[src]), put(slots.keys, keys)
    )

  def _gather_fn(self, slots: Slots, keep) -> Slots:
    """Slots keep[W] of slots (without their cache), in that order: each occupant's state and key."""
    sm = self.sampler
    sm.compiles['slot_gather'] += 1
    d, loop = sm.decoder, slots.loop
    rows = lambda x: d.constrain(x[keep], row_axes(x.ndim))
    loop = loop._replace(**{f: rows(getattr(loop, f)) for f in _ROW_FIELDS})
    return Slots(loop, rows(slots.lengths), slots.keys[keep])

  def _decode_fn(self, graphdef, state, slots: Slots, need) -> Slots:
    """Steps every running slot until `need` slots are done (finished or free). slots donated."""
    sm = self.sampler
    sm.compiles['slot_decode'] += 1
    d, model = sm.decoder, sm._model(graphdef, state)
    step = lambda loop: d.step(model, loop, slots.lengths, slots.keys)
    loop = jax.lax.while_loop(lambda loop: jnp.sum(loop.done) < need, step, slots.loop._replace(step=jnp.int32(0)))
    return slots._replace(loop=loop)
