"""One RAFT cycle: generate -> verify -> select -> fine-tune -> evaluate -> save (raftjax.rl.loop says
what each step decides and where)."""

import collections
import contextlib
import dataclasses
import functools
import logging
import os
import time

from flax import nnx

from raftjax import config as config_lib
from raftjax import rows as rows_lib
from raftjax import rundir
from raftjax.evaluate import describe
from raftjax.generate.accounting import call_stats
from raftjax.model import checkpoint, distributed
from raftjax.model.lora import add_lora
from raftjax.model.tokenizer import encode_completion
from raftjax.rl import hints, selection
from raftjax.rl.job import Job, held_out, progress
from raftjax.sections import TrainConfig
from raftjax.sft import data as sft_data
from raftjax.train import trainer

log = logging.getLogger('raftjax')


def run_cycle(job: Job, cycle: int) -> dict:
  """One cycle: generate, verify, select, fine-tune, evaluate, save. Returns its stats.json."""
  c = config_lib.for_cycle(job.config, cycle)
  directory = rundir.cycle_dir(job.out_dir, cycle)
  os.makedirs(directory, exist_ok=True)
  seconds = {}

  t0 = time.perf_counter()  # 1-2. generate and verify (streamed to samples.jsonl), refill
  sampler, before = job.sampler_for(c.generation), collections.Counter(job.sampler_for(c.generation).stats)
  gen = generate_with_refill(job, c, cycle, os.path.join(directory, 'samples.jsonl'))
  seconds.update(
    generate_s=gen['sample_s'], verify_wait_s=gen['verify_wait_s'], generate_and_verify_s=time.perf_counter() - t0
  )

  r = c.raft  # 3. filter prompts, select
  outcomes = selection.prompt_outcomes(gen['rows'], r.reward_threshold)
  dropped = selection.dropped_prompts(outcomes, r.prompt_filter)
  rows = [row for row in gen['rows'] if row['prompt_id'] not in dropped]
  kept = selection.training_rows(rows, r, c.training.objective, job.seed(cycle, -2))
  trained_tasks = [t for t in job.train_tasks if t['id'] in outcomes and t['id'] not in dropped]
  encode = functools.partial(encode_completion, job.sampler.tokenizer)
  demos = selection.demonstrations(trained_tasks, rows, encode) if r.demonstrations else []
  distributed.write_jsonl(os.path.join(directory, 'kept.jsonl'), kept + demos)
  train_set = (earlier_kept(job, cycle) if c.training.accumulate_kept else []) + kept + demos
  replayed = replay_examples(job, c, cycle) if train_set else []

  t0 = time.perf_counter()  # 4. fine-tune (never on nothing)
  losses, train_tokens = fine_tune(job, train_set, c.training, cycle, replayed) if train_set else ([], 0)
  seconds['train_s'] = time.perf_counter() - t0

  t0 = time.perf_counter()  # 5. evaluate on the held-out tasks
  previous = job.log['cycles'][-1]['eval'] if job.log['cycles'] else job.log['base']
  evaluation = held_out(job, cycle) if train_set and job.log['base'] else dict(previous)
  seconds['eval_s'] = time.perf_counter() - t0

  counts = {o: sum(v == o for v in outcomes.values()) for o in selection.OUTCOMES}
  stats = dict(
    cycle=cycle,
    overrides=config_lib.overrides_of(job.config, cycle),
    train=selection.sample_stats(gen['rows']),
    kept=len(kept),
    total=len(gen['rows']),
    eval=evaluation,
    losses=losses,
    loss_first=losses[0] if losses else None,
    loss_last=losses[-1] if losses else None,
    sample_tokens_per_s=gen['tokens'] / max(gen['sample_s'], 1e-9) if gen['tokens'] else None,
    train_tokens_per_s=train_tokens / seconds['train_s'] if losses else None,
    seconds=seconds,
    trained=bool(train_set),
    isolation=job.verifier.isolation,
    prompts=dict(
      sampled=len(outcomes),
      **counts,
      dropped=len(dropped),
      refill_rounds=gen['refill_rounds'],
      adaptive_rounds=gen['adaptive_rounds'],
      hinted=gen['hinted'],
      resampled=len({row['prompt_id'] for row in gen['rows'] if row['sample_index'] >= r.samples_per_prompt}),
      trained=len({k['prompt_id'] for k in kept}),
      demonstrated=len(demos),
    ),
    signals=dict(
      selection.generation_stats(gen['rows']), **{f'{o}_share': n / max(1, len(outcomes)) for o, n in counts.items()}
    ),
    trained_on=len(train_set),
    replayed=len(replayed),
    sampler=call_stats(before, sampler.stats),
  )
  t0 = time.perf_counter()
  t = c.training
  meta = dict(
    cycle=cycle,
    base=job.base,
    full_finetune=t.full_finetune,
    lora=dict(rank=t.lora_rank, alpha=t.lora_alpha, targets=list(t.lora_targets)),
    seeds=dict(sample=[job.config.seed, cycle], train=job.seed(cycle, -3)),
  )
  checkpoint.save(os.path.join(directory, 'checkpoint'), cycle, job.model, meta, t.full_finetune)
  seconds['save_s'] = time.perf_counter() - t0
  distributed.write_json(os.path.join(directory, 'stats.json'), stats)  # written last: marks the cycle finished
  tr = stats['train']
  log.info(
    'Cycle %d: %.1f%% compile rate (kept %d/%d samples%s%s)%s; held-out: %s',
    cycle,
    100 * tr['compile_rate'],
    len(kept),
    len(gen['rows']),
    f' + {len(demos)} demonstrations' if demos else '',
    f' + {len(replayed)} replayed' if replayed else '',
    f', loss {losses[0]:.3f} -> {losses[-1]:.3f}' if losses else ', nothing kept: no training',
    describe(evaluation),
  )
  return stats


def generate_with_refill(job: Job, c: config_lib.CycleConfig, cycle: int, path: str) -> dict:
  """The cycle's window of prompts, then refill rounds, then adaptive rounds (module docstring); rows of
  every round, timings summed, and the number of each kind of round."""
  r = c.raft
  tasks = selection.cycle_prompts(job.train_tasks, r.prompts_per_cycle, job.config.seed, cycle)
  gen = generate_and_verify(job, c, cycle, tasks, path)
  spare = selection.spare_prompts(job.train_tasks, r.prompts_per_cycle, job.config.seed, cycle) if r.refill else []
  rounds = 0
  while spare and rounds < r.max_refill_rounds:
    outcomes = selection.prompt_outcomes(gen['rows'], r.reward_threshold)
    missing = r.prompts_per_cycle - len(outcomes) + len(selection.dropped_prompts(outcomes, r.prompt_filter))
    if missing <= 0:
      break
    rounds += 1
    more, spare = spare[:missing], spare[missing:]
    tasks = tasks + more
    gen = _merge(gen, generate_and_verify(job, c, cycle, more, path, draw=(-4, rounds)))
  adaptive = 0
  while c.verifier.run_after_compile and adaptive < r.adaptive_rounds:  # only a run can be correct
    unsolved = selection.unsolved_prompts(gen['rows'], tasks)
    if not unsolved:
      break
    adaptive += 1
    gen = _merge(
      gen,
      generate_and_verify(
        job, c, cycle, unsolved, path, draw=(-7, adaptive), first_sample=adaptive * r.samples_per_prompt
      ),
    )
  hinted = (
    hints.hinted_tasks(selection.unsolved_prompts(gen['rows'], tasks), r.hint_share)
    if c.verifier.run_after_compile
    else []
  )
  if hinted:  # after the adaptive rounds: their sample indices come first
    gen = _merge(
      gen,
      generate_and_verify(
        job,
        c,
        cycle,
        hinted,
        path,
        draw=(-9,),
        first_sample=(adaptive + 1) * r.samples_per_prompt,
        hint_share=r.hint_share,
      ),
    )
  return dict(gen, refill_rounds=rounds, adaptive_rounds=adaptive, hinted=len(hinted))


def _merge(gen: dict, more: dict) -> dict:
  return dict(rows=gen['rows'] + more['rows'], **{k: gen[k] + more[k] for k in ('sample_s', 'verify_wait_s', 'tokens')})


def generate_and_verify(
  job: Job,
  c: config_lib.CycleConfig,
  cycle: int,
  tasks: list[dict],
  path: str,
  draw: tuple[int, ...] = (),
  first_sample: int = 0,
  hint_share: float = 0.0,
) -> dict:
  """Samples and verifies `samples_per_prompt` samples of every task (sample_index first_sample, ...),
  streaming rows to `path`; reuses this round's rows already there.

  Chunks of `generation.batch_size` prompts; verification of chunk k runs in the process pool while
  chunk k + 1 is sampled. With `generation.slots`, one sampler call instead, the same samples, and each
  task verified while the slots decode the next ones (`_stream`). Each process verifies the samples it
  holds; the rows of a chunk are then gathered on every process, and process 0 appends them to `path`.
  Returns this round's rows and timings. A refill or adaptive round (`draw`) draws from seeds of its own,
  so the window's samples do not depend on it. With `hint_share`, every sample of a task starts from that
  share of its reference (raftjax.rl.hints).
  """
  n = c.raft.samples_per_prompt
  writes = distributed.is_main()
  done = distributed.broadcast(rundir.read_jsonl(path) if writes else None)
  order = {t['id']: i for i, t in enumerate(tasks)}
  mine = lambda r: r['prompt_id'] in order and first_sample <= r['sample_index'] < first_sample + n
  counts = collections.Counter(r['prompt_id'] for r in done if mine(r))
  complete = {p for p, k in counts.items() if k == n}
  distributed.write_jsonl(
    path, [r for r in done if not mine(r) or r['prompt_id'] in complete]
  )  # drop a half-written chunk
  rows = [r for r in done if mine(r) and r['prompt_id'] in complete]  # other rounds' rows stay in the file
  size = c.generation.batch_size
  sampler = job.sampler_for(c.generation)
  times = dict(sample_s=0.0, verify_wait_s=0.0, tokens=0)
  pending = None
  total = len(tasks) * n
  sampled = progress(desc=f'cycle {cycle} sample', unit='sample', total=total, initial=len(rows))
  verified = progress(desc=f'cycle {cycle} verify', unit='program', total=total, initial=len(rows), position=1)
  with sampled, verified, open(path, 'ab') if writes else contextlib.nullcontext() as out:

    def flush(pending):
      chunk, samples, held, handle = pending
      t0 = time.perf_counter()
      results = handle.get()
      times['verify_wait_s'] += time.perf_counter() - t0
      new = distributed.gather_rows(
        {
          i: rows_lib.sample_row(chunk[i // n]['id'], first_sample + i % n, samples[i], r)
          for i, r in zip(held, results)
        }
      )
      times['tokens'] += sum(r['num_tokens'] for r in new)
      rows.extend(new)
      verified.update(len(new))
      sampled.set_postfix_str(f'{times["tokens"] / max(times["sample_s"], 1e-9):.0f} tokens/s', refresh=False)
      if out:
        out.writelines(map(rundir.jsonl_line, new))
        out.flush()

    if sampler.config.slots:
      _stream(job, c, sampler, tasks, complete, (cycle, *draw), hint_share, flush, sampled, times)
    else:
      for k in range(0, len(tasks), size):
        chunk = tasks[k : k + size]
        if all(t['id'] in complete for t in chunk):
          continue
        t0 = time.perf_counter()
        seed = job.seed(cycle, *draw, k)
        given = [hints.prefix(t['reference'], hint_share) if hint_share else '' for t in chunk]
        samples = sampler.generate(job.model, [prompt_ids(job, t['prompt'], h) for t, h in zip(chunk, given)], n, seed)
        samples = [_hinted(s, given[i // n]) for i, s in enumerate(samples)]
        times['sample_s'] += time.perf_counter() - t0
        sampled.update(len(samples))
        held = [i for i, s in enumerate(samples) if s is not None]
        handle = job.verifier.submit([chunk[i // n] for i in held], [samples[i].completion for i in held], c.verifier)
        if pending:
          flush(pending)
        pending = (chunk, samples, held, handle)
      if pending:
        flush(pending)
  rows.sort(key=lambda r: (order[r['prompt_id']], r['sample_index']))
  return dict(rows=rows, **times)


def _stream(job: Job, c, sampler, tasks: list[dict], complete: set, draw: tuple, hint_share: float, flush, bar, times):
  """generate_and_verify's sampling with slots (`generation.slots` > 0): one sampler call over every task
  not yet complete, each sample drawn from the seed and id the chunked path gives it (so the same samples),
  and each task's samples verified as soon as its last one is done, while the slots decode the rest. In a
  multi-process run each process verifies its own tasks' samples (the sampler's rule), and as `flush`
  gathers rows across processes, which must take part in step, all are flushed once, after sampling."""
  n, size = c.raft.samples_per_prompt, c.generation.batch_size
  todo = [i for i, t in enumerate(tasks) if t['id'] not in complete]
  if not todo:  # resumed after every sample was written: nothing to sample (the same on every process)
    return
  given = [hints.prefix(tasks[i]['reference'], hint_share) if hint_share else '' for i in todo]
  got, verifying = collections.defaultdict(dict), collections.deque()
  pending = lambda k, samples, handle: ([tasks[todo[k]]], samples, list(range(n)), handle)  # a task's flush

  def on_sample(index: int, sample):
    bar.update(1)
    k = index // n
    got[k][index % n] = sample
    if len(got[k]) < n:
      return
    samples = [_hinted(s, given[k]) for _, s in sorted(got.pop(k).items())]
    task = tasks[todo[k]]
    verifying.append((k, samples, job.verifier.submit([task] * n, [s.completion for s in samples], c.verifier)))
    while distributed.single() and verifying and verifying[0][2].done():  # verified tasks' rows go out now
      flush(pending(*verifying.popleft()))

  t0 = time.perf_counter()
  prompts = [prompt_ids(job, tasks[i]['prompt'], h) for i, h in zip(todo, given)]
  seeds = [job.seed(*draw, i - i % size) for i in todo]  # the chunked path's seed of i's chunk ...
  sampler.stream(job.model, prompts, n, seeds, [i % size * n for i in todo], on_sample)  # ... and ids in it
  times['sample_s'] += time.perf_counter() - t0
  if distributed.single():
    while verifying:
      flush(pending(*verifying.popleft()))
    return
  samples = [None] * (len(todo) * n)  # every task's place; this process fills its own
  for k, mine, _ in verifying:
    samples[k * n : (k + 1) * n] = mine
  held = [k * n + j for k, _, _ in verifying for j in range(n)]
  flush(([tasks[i] for i in todo], samples, held, _Results([h for _, _, h in verifying])))


class _Results:
  """Verifier handles as one: their results, in order."""

  def __init__(self, handles: list):
    self.handles = handles

  def get(self) -> list:
    return [r for h in self.handles for r in h.get()]


def _hinted(sample, hint: str):
  """A sample as it is graded and trained on: the hint it continued (maybe ''), then its own completion."""
  return sample and dataclasses.replace(sample, completion=hint + sample.completion, hint=hint)


def prompt_ids(job: Job, prompt: str, hint: str = '') -> list[int]:
  """What the sampler is fed for a task (and what training puts before a sample's tokens): the
  chat-templated prompt, then the hint's tokens when there is one."""
  ids = job.sampler.prompt_ids(prompt)
  return ids + job.sampler.tokenizer.encode(hint, add_special_tokens=False) if hint else ids


def fine_tune(
  job: Job, kept: list[dict], training: TrainConfig, cycle: int, replayed: list[trainer.Example]
) -> tuple[list[float], int]:
  """Trains the model on the kept samples (prompt as the sampler saw it + the sampled tokens; for a
  policy-gradient objective also the sampling policy's per-token log-probs and the advantage) and the
  `replayed` SFT examples, from the base weights with `reset_to_base`; returns the loss of every optimizer
  step and the number of completion tokens trained on."""
  if training.reset_to_base:
    reset_to_base(job, training)
  prompts = {t['id']: t['prompt'] for t in job.train_tasks}
  pg = training.objective != 'sft'
  examples = [
    trainer.Example(
      prompt_ids(job, prompts[s['prompt_id']], s.get('hint', '')),
      s['tokens'],
      s['token_logprobs'] if pg else None,
      s.get('advantage', 1.0),
    )
    for s in kept
  ] + list(replayed)
  with progress(desc=f'cycle {cycle} train', unit='step') as bar:
    previous = [time.perf_counter()]  # the first step's rate includes compiling the step

    def on_step(step, steps, loss, learning_rate, tokens):
      now = time.perf_counter()
      tokens_per_s, previous[0] = tokens / max(now - previous[0], 1e-9), now
      job.metrics.train_step(cycle, step, loss=loss, learning_rate=learning_rate, tokens_per_s=tokens_per_s)
      bar.total = steps
      bar.set_postfix_str(f'loss {loss:.3f}, {tokens_per_s:.0f} tokens/s', refresh=False)
      bar.update()

    losses = trainer.train(job.model, examples, training, job.mesh, cycle, job.seed(cycle, -3), on_step)
  return losses, training.epochs * sum(len(e.completion) for e in examples)


def replay_examples(job: Job, c: config_lib.CycleConfig, cycle: int) -> list[trainer.Example]:
  """The cycle's `raft.replay` examples of the SFT stage's data, formatted as the sampler formats a prompt
  (raftjax.sft.data)."""
  if not c.raft.replay:
    return []
  sft = config_lib.section(job.config, 'sft')
  conversations = sft_data.replay(sft, job.config.seed, c.raft.replay, job.seed(cycle, -9))
  g = c.generation
  return sft_data.examples(conversations, job.sampler.tokenizer, g.system_prompt, g.prompt_format)


def reset_to_base(job: Job, training: TrainConfig) -> None:
  """Back to the weights the run started from: fresh adapters, drawn from the same seed as the run's first
  (so the same values), or the base weights reloaded for a full fine-tune."""
  if training.full_finetune:
    base = checkpoint.base_model(job.base, job.mesh, **config_lib.model_overrides(job.config))
    nnx.update(job.model, nnx.state(base, nnx.Param))
  else:
    add_lora(
      job.model,
      training.lora_rank,
      training.lora_alpha,
      training.lora_dropout,
      list(training.lora_targets),
      job.config.seed,
    )
  job.model.eval()


def earlier_kept(job: Job, cycle: int) -> list[dict]:
  """The kept samples of cycles 1 .. cycle - 1 (`training.accumulate_kept`), from their kept.jsonl."""
  read = lambda: [
    r for k in range(1, cycle) for r in rundir.read_jsonl(os.path.join(rundir.cycle_dir(job.out_dir, k), 'kept.jsonl'))
  ]
  return distributed.broadcast(read() if distributed.is_main() else None)
