"""The RAFT loop: generate -> verify -> select -> fine-tune -> repeat, one cycle at a time.

    for cycle in 1..num_cycles:
      rows   = generate_and_verify(job, cycle)     # sampler on the mesh; gcc in a host process pool; then
                                                   # refill and adaptive rounds (below)
      rows   = selection.filter_prompts(rows)      # raft.prompt_filter
      kept   = selection.training_rows(rows, ...)  # sft/raft_pp: reward >= threshold, top percent, never
                                                   # reward 0; reinforce_rej/grpo: all, with advantages
      kept  += selection.demonstrations(...)       # raft.demonstrations: references where none was right
      replay = sft.data.replay(...)                # raft.replay: a draw of the SFT stage's examples
      losses = fine_tune(job, kept + replay)       # LoRA step (training.objective), same mesh; from the
                                                   # base with training.reset_to_base
      held-out evaluation -> stats.json, checkpoint, best cycle, early stopping

Where things are decided: `raftjax.config` (the config, checked, and each cycle's typed settings with
its `cycles` overrides: the curriculum and schedules), `raftjax.rl.selection` (which prompts a cycle samples
and drops, which samples train and their advantages, when to stop), `raftjax.train.objectives` (the
losses), `raftjax.rl.diagnostics` (entropy and KL to the base), `raftjax.rundir` (the files of a run and
the best-cycle rule). `raftjax.rl.cycle` runs one cycle, `raftjax.rl.job` holds what every cycle uses.

A cycle that trains on nothing does not train: its checkpoint repeats the previous weights, it reuses the
previous evaluation and counts as a cycle without gain.

Transfer (`evaluation.transfer_prompts`): a second held-out set, evaluated on the base model before cycle
1 and on the weights the run ends with (the last cycle's), into training_log.json's `transfer`. Nothing
is chosen with it: the best cycle and early stopping read the first held-out set only.

Refill (`raft.refill` with a `raft.prompt_filter`): after the cycle's window is sampled and verified, the
prompts that follow it in the rotation are sampled in rounds, as many per round as prompts were dropped,
until prompts_per_cycle prompts survive the filter, `raft.max_refill_rounds` rounds have run or the rotation
is used up (DAPO's dynamic sampling).

Hints (`raft.hint_share`, cycles that run programs): last, the prompts still without a correct sample whose
task has a reference are sampled once more, each sample continuing the start of that reference
(raftjax.rl.hints).

Adaptive K (`raft.adaptive_rounds`, cycles that run programs): after the window and refill, the cycle's
prompts without a correct sample are sampled again, samples_per_prompt more each (sample_index continues),
in rounds until each has a correct sample or the rounds are used up; each round draws from seeds of its own.

Resume: rerunning the same command continues after the last cycle whose checkpoint is complete. Within
the unfinished cycle, prompts whose samples are already in samples.jsonl (with rewards) are not sampled or
verified again. Every random draw is seeded from (seed, cycle, chunk), so the result equals an
uninterrupted run.
"""

import logging
import os
import time

import ml_collections

from raftjax import config as config_lib
from raftjax import fit, rundir
from raftjax import metrics as metrics_lib
from raftjax.data import tasks as tasks_lib
from raftjax.evaluate import describe
from raftjax.generate.sampler import Sampler
from raftjax.model import checkpoint, distributed
from raftjax.model import mesh as mesh_lib
from raftjax.rl import selection
from raftjax.rl.cycle import run_cycle
from raftjax.rl.job import Job, held_out, transfer
from raftjax.verifier.pool import Verifier

log = logging.getLogger('raftjax')


def run(config: ml_collections.ConfigDict, base_evaluation: dict | None = None) -> dict:
  """Runs (or resumes) a RAFT job; returns the training log. `base_evaluation`: the starting model's
  held-out evaluation when it is already known (the SFT stage's), else it is evaluated first."""
  config_lib.check(config)
  train_tasks, eval_tasks, split = tasks_lib.task_split(config)
  log.info(
    'RAFT: %d training tasks, %d held out (%s): %s',
    len(train_tasks),
    len(eval_tasks),
    split,
    ', '.join(t['id'] for t in eval_tasks) or 'none',
  )
  out_dir = config.output_dir
  os.makedirs(out_dir, exist_ok=True)
  mesh = mesh_lib.make_mesh(config.mesh.shape, config.mesh.axes)
  last = max(
    (c for c in range(1, config.raft.num_cycles + 1) if checkpoint.stage_finished(rundir.cycle_dir(out_dir, c))),
    default=0,
  )
  first = config_lib.for_cycle(config, 0)
  t = first.training
  fresh_lora = None if t.full_finetune else dict(rank=t.lora_rank, alpha=t.lora_alpha, targets=list(t.lora_targets))
  source = rundir.cycle_dir(out_dir, last) if last else config.sft_checkpoint
  fit.preflight(config, mesh, source)  # on accelerators: do the cycle's programs fit? Before any weight loads.
  model, tokenizer, meta = checkpoint.load(
    source,
    mesh,
    fresh_lora,
    as_base=not last,
    lora_dropout=t.lora_dropout,
    seed=config.seed,
    **config_lib.model_overrides(config),
  )
  if last:
    log.info('resuming after cycle %d', last)
  generation = first.generation
  log_path = os.path.join(out_dir, rundir.TRAINING_LOG)
  saved = distributed.broadcast(rundir.read_json(log_path) if distributed.is_main() else None)
  training_log = saved or dict(config=config.to_dict(), base=None, cycles=[], best_cycle=None, stop_reason=None)
  training_log['cycles'] = training_log['cycles'][:last]  # resuming: the finished cycles only

  metrics = metrics_lib.MetricsWriter(out_dir, enabled=distributed.is_main())
  with Verifier(first.verifier) as verifier, metrics:
    job = Job(
      config,
      mesh,
      model,
      Sampler(model, tokenizer, mesh, generation),
      Sampler(model, tokenizer, mesh, config_lib.evaluation_sampling(config, generation)),
      verifier,
      metrics,
      train_tasks,
      eval_tasks,
      meta['base'] if meta else config.sft_checkpoint,
      training_log,
      transfer_tasks=tasks_lib.transfer_tasks(config),
    )
    if config.evaluation.pass_at_k:
      job.sampled_evaluator = Sampler(model, tokenizer, mesh, config_lib.pass_at_k_sampling(config, generation))
    if training_log['base'] is None:
      t0 = time.perf_counter()
      if base_evaluation is not None:
        training_log['base'] = dict(base_evaluation, reused="the SFT stage's evaluation of this model")
      else:
        training_log['base'] = dict(held_out(job, 0), seconds=time.perf_counter() - t0) if eval_tasks else {}
      distributed.write_json(log_path, training_log)
      metrics.cycle(0, dict(eval=training_log['base']))
      log.info('Base: %s', describe(training_log['base']))
    if job.transfer_tasks and 'transfer' not in training_log:
      training_log['transfer'] = dict(base=transfer(job), final=None, final_cycle=None)
      distributed.write_json(log_path, training_log)
      log.info('Base, transfer tasks: %s', describe(training_log['transfer']['base']))

    stop = selection.stop_reason(training_log['base'], training_log['cycles'], first.raft)
    for cycle in range(last + 1, config.raft.num_cycles + 1):
      if stop:
        break
      stats = run_cycle(job, cycle)
      metrics.cycle(cycle, stats)
      training_log['cycles'].append(stats)
      stop = selection.stop_reason(training_log['base'], training_log['cycles'], first.raft)
      training_log['stop_reason'] = stop
      distributed.write_json(log_path, training_log)
    finished = len(training_log['cycles'])
    if job.transfer_tasks and finished and training_log['transfer']['final_cycle'] != finished:
      training_log['transfer'].update(final=transfer(job), final_cycle=finished)
      log.info('Cycle %d, transfer tasks: %s', finished, describe(training_log['transfer']['final']))

  training_log['best_cycle'] = rundir.best_cycle(training_log['cycles'])
  training_log['stop_reason'] = stop or 'num_cycles'
  if training_log['best_cycle'] and distributed.is_main():
    rundir.copy_final(out_dir, training_log['best_cycle'])
  distributed.write_json(log_path, training_log)
  best = training_log['best_cycle']
  log.info(
    'Best cycle: %s (held-out mean reward %s); stopped: %s',
    best,
    f'{training_log["cycles"][best - 1]["eval"].get("mean_reward", float("nan")):.3f}' if best else 'nan',
    training_log['stop_reason'],
  )
  return training_log
