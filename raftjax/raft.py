"""The RAFT loop: generate -> verify -> select -> fine-tune -> repeat, one cycle at a time.

    for cycle in 1..num_cycles:
      rows   = generate_and_verify(job, cycle)     # sampler on the mesh; gcc in a host process pool; then
                                                   # refill and adaptive rounds (below)
      rows   = selection.filter_prompts(rows)      # raft.prompt_filter
      kept   = selection.training_rows(rows, ...)  # sft/raft_pp: reward >= threshold, top percent, never
                                                   # reward 0; reinforce_rej/grpo: all, with advantages
      kept  += selection.demonstrations(...)       # raft.demonstrations: references where none was right
      losses = fine_tune(job, kept, cycle)         # LoRA step (training.objective), same mesh; from the
                                                   # base with training.reset_to_base
      held-out evaluation -> stats.json, checkpoint, best cycle, early stopping

Where things are decided: `raftjax.config` (the config, checked, and each cycle's typed settings with
its `cycles` overrides: the curriculum and schedules), `raftjax.selection` (which prompts a cycle samples
and drops, which samples train and their advantages, when to stop), `raftjax.objectives` (the losses),
`raftjax.signals` (entropy and KL to the base), `raftjax.rundir` (the files of a run and the best-cycle rule).

A cycle that trains on nothing does not train: its checkpoint repeats the previous weights, it reuses the
previous evaluation and counts as a cycle without gain.

Transfer (`evaluation.transfer_prompts`): a second held-out set, evaluated on the base model before cycle
1 and on the weights the run ends with (the last cycle's), into training_log.json's `transfer`. Nothing
is chosen with it: the best cycle and early stopping read the first held-out set only.

Refill (`raft.refill` with a `raft.prompt_filter`): after the cycle's window is sampled and verified, the
prompts that follow it in the rotation are sampled in rounds, as many per round as prompts were dropped,
until prompts_per_cycle prompts survive the filter or the rotation is used up (DAPO's dynamic sampling).

Adaptive K (`raft.adaptive_rounds`, cycles that run programs): after the window and refill, the cycle's
prompts without a correct sample are sampled again, samples_per_prompt more each (sample_index continues),
in rounds until each has a correct sample or the rounds are used up; each round draws from seeds of its own.

Resume: rerunning the same command continues after the last cycle whose checkpoint is complete. Within
the unfinished cycle, prompts whose samples are already in samples.jsonl (with rewards) are not sampled or
verified again. Every random draw is seeded from (seed, cycle, chunk), so the result equals an
uninterrupted run.
"""

import collections
import contextlib
import dataclasses
import logging
import os
import time

import ml_collections
import numpy as np
import tqdm
from jax.sharding import Mesh

from flax import nnx

from raftjax import aot
from raftjax import checkpoint
from raftjax import config as config_lib
from raftjax import distributed
from raftjax import evaluate
from raftjax import mesh as mesh_lib
from raftjax import metrics as metrics_lib
from raftjax import rundir
from raftjax import sample as sample_lib
from raftjax import selection
from raftjax import signals
from raftjax import train as train_lib
from raftjax import verify
from raftjax import weights
from raftjax.model import Llama, add_lora

log = logging.getLogger('raftjax')


@dataclasses.dataclass
class Job:
  """What every cycle of a run works with."""
  config: ml_collections.ConfigDict
  mesh: Mesh
  model: Llama
  sampler: sample_lib.Sampler  # the training samples' settings
  evaluator: sample_lib.Sampler  # the held-out evaluation's (evaluation.temperature, more rows per call)
  verifier: verify.Verifier
  metrics: metrics_lib.MetricsWriter
  train_tasks: list[dict]
  eval_tasks: list[dict]
  base: str  # the base model every checkpoint of this run sits on
  log: dict  # training_log.json
  sampled_evaluator: sample_lib.Sampler | None = None  # evaluation.pass_at_k's (temperature, no top-p)
  transfer_tasks: list[dict] = dataclasses.field(default_factory=list)  # evaluation.transfer_prompts
  _samplers: dict = dataclasses.field(default_factory=dict)  # by settings: a temperature schedule's

  @property
  def out_dir(self) -> str:
    return self.config.output_dir

  def sampler_for(self, generation: config_lib.SamplingConfig) -> sample_lib.Sampler:
    """The training sampler with a cycle's settings: each distinct one (a temperature schedule) compiles
    its own decode once, not once per cycle."""
    if generation == self.sampler.config:
      return self.sampler
    if generation not in self._samplers:
      self._samplers[generation] = sample_lib.Sampler(self.model, self.sampler.tokenizer, self.mesh, generation)
    return self._samplers[generation]

  def encode_completion(self, text: str) -> list[int]:
    """`text` as the tokens of a completion that ends by eos (`raft.demonstrations`)."""
    return self.sampler.tokenizer.encode(text, add_special_tokens=False) + [self.sampler.eos_ids[0]]

  def seed(self, *parts: int) -> int:
    """The seed of one random draw of the run: (config seed, cycle, what)."""
    return int(np.random.SeedSequence([p & 0xFFFFFFFF for p in (self.config.seed, *parts)]).generate_state(1)[0])


def run(config: ml_collections.ConfigDict) -> dict:
  """Runs (or resumes) a RAFT job; returns the training log."""
  config_lib.check(config)
  train_tasks, eval_tasks, _ = config_lib.task_split(config)
  out_dir = config.output_dir
  os.makedirs(out_dir, exist_ok=True)
  mesh = mesh_lib.make_mesh(config.mesh.shape, config.mesh.axes)
  last = max((c for c in range(1, config.raft.num_cycles + 1) if _finished(out_dir, c)), default=0)
  first = config_lib.for_cycle(config, 0)
  t = first.training
  fresh_lora = None if t.full_finetune else dict(rank=t.lora_rank, alpha=t.lora_alpha, targets=list(t.lora_targets))
  source = rundir.cycle_dir(out_dir, last) if last else config.sft_checkpoint
  aot.preflight(config, mesh, source)  # on accelerators: do the cycle's programs fit? Before any weight loads.
  model, tokenizer, meta = checkpoint.load(source, mesh, fresh_lora, lora_dropout=t.lora_dropout, seed=config.seed,
                                           **config_lib.model_overrides(config))
  if last:
    log.info('resuming after cycle %d', last)
  generation = first.generation
  log_path = os.path.join(out_dir, rundir.TRAINING_LOG)
  saved = distributed.broadcast(rundir.read_json(log_path) if distributed.is_main() else None)
  training_log = saved or dict(config=config.to_dict(), base=None, cycles=[], best_cycle=None, stop_reason=None)
  training_log['cycles'] = training_log['cycles'][:last]  # resuming: the finished cycles only

  metrics = metrics_lib.MetricsWriter(out_dir, enabled=distributed.is_main())
  with verify.Verifier(first.verifier) as verifier, metrics:
    job = Job(config, mesh, model, sample_lib.Sampler(model, tokenizer, mesh, generation),
              sample_lib.Sampler(model, tokenizer, mesh, config_lib.evaluation_sampling(config, generation)),
              verifier, metrics, train_tasks, eval_tasks, meta['base'] if meta else config.sft_checkpoint,
              training_log, transfer_tasks=config_lib.transfer_tasks(config))
    if config.evaluation.pass_at_k:
      job.sampled_evaluator = sample_lib.Sampler(model, tokenizer, mesh,
                                                 config_lib.pass_at_k_sampling(config, generation))
    if training_log['base'] is None:
      t0 = time.perf_counter()
      training_log['base'] = dict(held_out(job, 0), seconds=time.perf_counter() - t0) if eval_tasks else {}
      _write_json(log_path, training_log)
      metrics.cycle(0, dict(eval=training_log['base']))
      log.info('Base: %s', _describe(training_log['base']))
    if job.transfer_tasks and 'transfer' not in training_log:
      training_log['transfer'] = dict(base=transfer(job), final=None, final_cycle=None)
      _write_json(log_path, training_log)
      log.info('Base, transfer tasks: %s', _describe(training_log['transfer']['base']))

    stop = selection.stop_reason(training_log['base'], training_log['cycles'], first.raft)
    for cycle in range(last + 1, config.raft.num_cycles + 1):
      if stop:
        break
      stats = run_cycle(job, cycle)
      metrics.cycle(cycle, stats)
      training_log['cycles'].append(stats)
      stop = selection.stop_reason(training_log['base'], training_log['cycles'], first.raft)
      training_log['stop_reason'] = stop
      _write_json(log_path, training_log)
    finished = len(training_log['cycles'])
    if job.transfer_tasks and finished and training_log['transfer']['final_cycle'] != finished:
      training_log['transfer'].update(final=transfer(job), final_cycle=finished)
      log.info('Cycle %d, transfer tasks: %s', finished, _describe(training_log['transfer']['final']))

  training_log['best_cycle'] = rundir.best_cycle(training_log['cycles'])
  training_log['stop_reason'] = stop or 'num_cycles'
  if training_log['best_cycle'] and distributed.is_main():
    rundir.copy_final(out_dir, training_log['best_cycle'])
  _write_json(log_path, training_log)
  best = training_log['best_cycle']
  log.info('Best cycle: %s (held-out mean reward %s); stopped: %s', best,
           f"{training_log['cycles'][best - 1]['eval'].get('mean_reward', float('nan')):.3f}" if best else 'nan',
           training_log['stop_reason'])
  return training_log


def run_cycle(job: Job, cycle: int) -> dict:
  """One cycle: generate, verify, select, fine-tune, evaluate, save. Returns its stats.json."""
  c = config_lib.for_cycle(job.config, cycle)
  directory = rundir.cycle_dir(job.out_dir, cycle)
  os.makedirs(directory, exist_ok=True)
  seconds = {}

  t0 = time.perf_counter()  # 1-2. generate and verify (streamed to samples.jsonl), refill
  gen = generate_with_refill(job, c, cycle, os.path.join(directory, 'samples.jsonl'))
  seconds.update(generate_s=gen['sample_s'], verify_wait_s=gen['verify_wait_s'],
                 generate_and_verify_s=time.perf_counter() - t0)

  r = c.raft  # 3. filter prompts, select
  outcomes = selection.prompt_outcomes(gen['rows'], r.reward_threshold)
  dropped = selection.dropped_prompts(outcomes, r.prompt_filter)
  rows = [row for row in gen['rows'] if row['prompt_id'] not in dropped]
  kept = selection.training_rows(rows, r, c.training.objective, job.seed(cycle, -2))
  trained_tasks = [t for t in job.train_tasks if t['id'] in outcomes and t['id'] not in dropped]
  demos = selection.demonstrations(trained_tasks, rows, job.encode_completion) if r.demonstrations else []
  _write_jsonl(os.path.join(directory, 'kept.jsonl'), kept + demos)
  train_set = (earlier_kept(job, cycle) if c.training.accumulate_kept else []) + kept + demos

  t0 = time.perf_counter()  # 4. fine-tune (never on nothing)
  losses, train_tokens = fine_tune(job, train_set, c.training, cycle) if train_set else ([], 0)
  seconds['train_s'] = time.perf_counter() - t0

  t0 = time.perf_counter()  # 5. evaluate on the held-out tasks
  previous = job.log['cycles'][-1]['eval'] if job.log['cycles'] else job.log['base']
  evaluation = held_out(job, cycle) if train_set and job.log['base'] else dict(previous)
  seconds['eval_s'] = time.perf_counter() - t0

  counts = {o: sum(v == o for v in outcomes.values()) for o in selection.OUTCOMES}
  stats = dict(
      cycle=cycle, overrides=config_lib.overrides_of(job.config, cycle), train=selection.sample_stats(gen['rows']),
      kept=len(kept), total=len(gen['rows']), eval=evaluation, losses=losses,
      loss_first=losses[0] if losses else None, loss_last=losses[-1] if losses else None,
      sample_tokens_per_s=gen['tokens'] / max(gen['sample_s'], 1e-9) if gen['tokens'] else None,
      train_tokens_per_s=train_tokens / seconds['train_s'] if losses else None, seconds=seconds,
      trained=bool(train_set), isolation=job.verifier.isolation,
      prompts=dict(sampled=len(outcomes), **counts, dropped=len(dropped), refill_rounds=gen['refill_rounds'],
                   adaptive_rounds=gen['adaptive_rounds'], resampled=len(
                       {row['prompt_id'] for row in gen['rows'] if row['sample_index'] >= r.samples_per_prompt}),
                   trained=len({k['prompt_id'] for k in kept}), demonstrated=len(demos)),
      signals=dict(selection.generation_stats(gen['rows']),
                   **{f'{o}_share': n / max(1, len(outcomes)) for o, n in counts.items()}),
      trained_on=len(train_set))
  t0 = time.perf_counter()
  t = c.training
  meta = dict(cycle=cycle, base=job.base, full_finetune=t.full_finetune,
              lora=dict(rank=t.lora_rank, alpha=t.lora_alpha, targets=list(t.lora_targets)),
              seeds=dict(sample=[job.config.seed, cycle], train=job.seed(cycle, -3)))
  checkpoint.save(os.path.join(directory, 'checkpoint'), cycle, job.model, meta, t.full_finetune)
  seconds['save_s'] = time.perf_counter() - t0
  _write_json(os.path.join(directory, 'stats.json'), stats)  # written last: marks the cycle finished
  tr = stats['train']
  log.info('Cycle %d: %.1f%% compile rate (kept %d/%d samples)%s; held-out: %s', cycle,
           100 * tr['compile_rate'], len(kept), len(gen['rows']),
           f', loss {losses[0]:.3f} -> {losses[-1]:.3f}' if losses else ', nothing kept: no training',
           _describe(evaluation))
  return stats


def generate_with_refill(job: Job, c: config_lib.CycleConfig, cycle: int, path: str) -> dict:
  """The cycle's window of prompts, then refill rounds, then adaptive rounds (module docstring); rows of
  every round, timings summed, and the number of each kind of round."""
  r = c.raft
  tasks = selection.cycle_prompts(job.train_tasks, r.prompts_per_cycle, job.config.seed, cycle)
  gen = generate_and_verify(job, c, cycle, tasks, path)
  spare = selection.spare_prompts(job.train_tasks, r.prompts_per_cycle, job.config.seed, cycle) if r.refill else []
  rounds = 0
  while spare:
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
    gen = _merge(gen, generate_and_verify(job, c, cycle, unsolved, path, draw=(-7, adaptive),
                                          first_sample=adaptive * r.samples_per_prompt))
  return dict(gen, refill_rounds=rounds, adaptive_rounds=adaptive)


def _merge(gen: dict, more: dict) -> dict:
  return dict(rows=gen['rows'] + more['rows'], **{k: gen[k] + more[k] for k in ('sample_s', 'verify_wait_s', 'tokens')})


def generate_and_verify(job: Job, c: config_lib.CycleConfig, cycle: int, tasks: list[dict], path: str,
                        draw: tuple[int, ...] = (), first_sample: int = 0) -> dict:
  """Samples and verifies `samples_per_prompt` samples of every task (sample_index first_sample, ...),
  streaming rows to `path`; reuses this round's rows already there.

  Chunks of `generation.batch_size` prompts; verification of chunk k runs in the process pool while
  chunk k + 1 is sampled. Each process verifies the samples it holds; the rows of a chunk are then gathered
  on every process, and process 0 appends them to `path`. Returns this round's rows and timings. A refill
  or adaptive round (`draw`) draws from seeds of its own, so the window's samples do not depend on it.
  """
  n = c.raft.samples_per_prompt
  writes = distributed.is_main()
  done = distributed.broadcast(rundir.read_jsonl(path) if writes else None)
  order = {t['id']: i for i, t in enumerate(tasks)}
  mine = lambda r: r['prompt_id'] in order and first_sample <= r['sample_index'] < first_sample + n
  counts = collections.Counter(r['prompt_id'] for r in done if mine(r))
  complete = {p for p, k in counts.items() if k == n}
  _write_jsonl(path, [r for r in done if not mine(r) or r['prompt_id'] in complete])  # drop a half-written chunk
  rows = [r for r in done if mine(r) and r['prompt_id'] in complete]  # other rounds' rows stay in the file
  size = c.generation.batch_size
  sampler = job.sampler_for(c.generation)
  times = dict(sample_s=0.0, verify_wait_s=0.0, tokens=0)
  pending = None
  total = len(tasks) * n
  sampled = _progress(desc=f'cycle {cycle} sample', unit='sample', total=total, initial=len(rows))
  verified = _progress(desc=f'cycle {cycle} verify', unit='program', total=total, initial=len(rows), position=1)
  with sampled, verified, open(path, 'ab') if writes else contextlib.nullcontext() as out:

    def flush(pending):
      chunk, samples, held, handle = pending
      t0 = time.perf_counter()
      results = handle.get()
      times['verify_wait_s'] += time.perf_counter() - t0
      new = distributed.gather_rows({
          i: dict(prompt_id=chunk[i // n]['id'], sample_index=first_sample + i % n, **dataclasses.asdict(samples[i]),
                  **r)
          for i, r in zip(held, results)})
      times['tokens'] += sum(r['num_tokens'] for r in new)
      rows.extend(new)
      verified.update(len(new))
      sampled.set_postfix_str(f"{times['tokens'] / max(times['sample_s'], 1e-9):.0f} tokens/s", refresh=False)
      if out:
        out.writelines(map(rundir.jsonl_line, new))
        out.flush()

    for k in range(0, len(tasks), size):
      chunk = tasks[k:k + size]
      if all(t['id'] in complete for t in chunk):
        continue
      t0 = time.perf_counter()
      seed = job.seed(cycle, *draw, k)
      samples = sampler.generate(job.model, [sampler.prompt_ids(t['prompt']) for t in chunk], n, seed)
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


def fine_tune(job: Job, kept: list[dict], training: config_lib.TrainConfig, cycle: int) -> tuple[list[float], int]:
  """Trains the model on the kept samples (prompt as the sampler saw it + the sampled tokens; for a
  policy-gradient objective also the sampling policy's per-token log-probs and the advantage), from the
  base weights with `reset_to_base`; returns the loss of every optimizer step and the number of completion
  tokens trained on."""
  if training.reset_to_base:
    reset_to_base(job, training)
  prompts = {t['id']: t['prompt'] for t in job.train_tasks}
  pg = training.objective != 'sft'
  examples = [train_lib.Example(job.sampler.prompt_ids(prompts[s['prompt_id']]), s['tokens'],
                                s['token_logprobs'] if pg else None, s.get('advantage', 1.0)) for s in kept]
  with _progress(desc=f'cycle {cycle} train', unit='step') as bar:
    previous = [time.perf_counter()]  # the first step's rate includes compiling the step

    def on_step(step, steps, loss, learning_rate, tokens):
      now = time.perf_counter()
      tokens_per_s, previous[0] = tokens / max(now - previous[0], 1e-9), now
      job.metrics.train_step(cycle, step, loss=loss, learning_rate=learning_rate, tokens_per_s=tokens_per_s)
      bar.total = steps
      bar.set_postfix_str(f'loss {loss:.3f}, {tokens_per_s:.0f} tokens/s', refresh=False)
      bar.update()

    losses = train_lib.train(job.model, examples, training, job.mesh, cycle, job.seed(cycle, -3), on_step)
  return losses, training.epochs * sum(len(e.completion) for e in examples)


def reset_to_base(job: Job, training: config_lib.TrainConfig) -> None:
  """Back to the weights the run started from: fresh adapters, drawn from the same seed as the run's first
  (so the same values), or the base weights reloaded for a full fine-tune."""
  if training.full_finetune:
    base = weights.load_model(job.base, job.mesh, **config_lib.model_overrides(job.config))
    nnx.update(job.model, nnx.state(base, nnx.Param))
  else:
    add_lora(job.model, training.lora_rank, training.lora_alpha, training.lora_dropout, list(training.lora_targets),
             job.config.seed)
  job.model.eval()


def earlier_kept(job: Job, cycle: int) -> list[dict]:
  """The kept samples of cycles 1 .. cycle - 1 (`training.accumulate_kept`), from their kept.jsonl."""
  read = lambda: [r for k in range(1, cycle) for r in rundir.read_jsonl(
      os.path.join(rundir.cycle_dir(job.out_dir, k), 'kept.jsonl'))]
  return distributed.broadcast(read() if distributed.is_main() else None)


def held_out(job: Job, cycle: int) -> dict:
  """The model's metrics on the held-out tasks, with cycle `cycle`'s verifier settings (programs run); with
  `evaluation.pass_at_k`, also those of that many samples per task at its temperature under 'sampled',
  with the policy's token entropy and KL to the base on them (raftjax.signals)."""
  cfg = config_lib.for_cycle(job.config, cycle).verifier
  metrics = evaluate.evaluate(job.model, job.evaluator, job.verifier, cfg, job.eval_tasks,
                              job.config.evaluation.samples_per_prompt, job.seed(cycle, -1))[0]
  if job.sampled_evaluator:
    sampled, rows = evaluate.evaluate(job.model, job.sampled_evaluator, job.verifier, cfg, job.eval_tasks,
                                      job.config.evaluation.pass_at_k, job.seed(cycle, -5))
    prompts = {t['id']: job.sampler.prompt_ids(t['prompt']) for t in job.eval_tasks}
    metrics['sampled'] = dict(sampled, temperature=job.sampled_evaluator.config.temperature,
                              **signals.held_out(job.model, job.mesh, [prompts[r['prompt_id']] for r in rows], rows))
  return metrics


def transfer(job: Job) -> dict:
  """The model's metrics on `evaluation.transfer_prompts`: `pass_at_k` samples per task as the sampled
  evaluation draws them, or `evaluation.samples_per_prompt` as the greedy one; programs run."""
  sampled = job.sampled_evaluator is not None
  sampler = job.sampled_evaluator if sampled else job.evaluator
  e = job.config.evaluation
  cfg = config_lib.for_cycle(job.config, job.config.raft.num_cycles).verifier
  metrics = evaluate.evaluate(job.model, sampler, job.verifier, cfg, job.transfer_tasks,
                              e.pass_at_k if sampled else e.samples_per_prompt, job.seed(-6))[0]
  return dict(metrics, temperature=sampler.config.temperature)


def _finished(out_dir: str, cycle: int) -> bool:
  directory = rundir.cycle_dir(out_dir, cycle)
  return (os.path.exists(os.path.join(directory, 'stats.json'))
          and checkpoint.finished_step(os.path.join(directory, 'checkpoint')) is not None)


def _write_json(path: str, obj) -> None:
  """Every output file of the loop is written by process 0 only."""
  if distributed.is_main():
    rundir.write_json(path, obj)


def _write_jsonl(path: str, rows: list[dict]) -> None:
  if distributed.is_main():
    rundir.write_jsonl(path, rows)


def _progress(**kwargs) -> tqdm.tqdm:
  """A progress bar on process 0's terminal; silent in logs (not a TTY) and on other processes."""
  return tqdm.tqdm(disable=None if distributed.is_main() else True, leave=False, dynamic_ncols=True, **kwargs)


def _describe(metrics: dict) -> str:
  if not metrics:
    return 'no held-out tasks'
  sampled = metrics.get('sampled')
  k = sampled and sampled['samples_per_prompt']
  return (f"{100 * metrics['compile_rate']:.1f}% compile, {100 * metrics['pass_rate']:.1f}% pass, "
          f"mean reward {metrics['mean_reward']:.3f}"
          + (f"; sampled: pass@1 {sampled['pass@1']:.3f}, pass@{k} {sampled[f'pass@{k}']:.3f}, "
             f"KL to base {sampled.get('kl_to_base', float('nan')):.3f}" if sampled else ''))
