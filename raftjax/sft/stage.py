"""The stage before RAFT: supervised fine-tuning on correct programs, so that RAFT has correct answers to
reinforce (RAFT can only sharpen what the model already samples).

    examples = sft.data.conversations(config.sft)        # the built-in verified corpus, or a JSONL file
    base evaluation                                      # held-out tasks, as RAFT evaluates them
    for epoch in 1..sft.epochs:
      train one epoch                                    # the `training` step: LoRA (or full), packing,
                                                         # loss on the answer's tokens only, same mesh
      held-out evaluation -> epoch_N/{checkpoint, stats.json}
    best epoch (highest held-out mean reward) -> sft/final: RAFT's starting point

Everything a run has, the SFT stage has: the run's model, mesh, `training` step settings (with the stage's
own epochs and learning rate), tokenizer and chat template (`generation.system_prompt`), held-out tasks and
evaluation, Orbax checkpoints (adapters and the optimizer), metrics.jsonl and TensorBoard under
<output_dir>/sft/. Its result is a raftjax checkpoint that any run can name as `sft_checkpoint`; RAFT
merges its adapters into the base weights and trains fresh ones on top (`checkpoint.load(as_base=True)`).

Resume: rerunning the same command continues after the last finished epoch (its weights and optimizer
restored, the learning-rate schedule where it was); a finished stage is not run again.
"""

import dataclasses
import logging
import os
import time

import ml_collections

from raftjax import config as config_lib
from raftjax import evaluate, rundir
from raftjax import metrics as metrics_lib
from raftjax.data import tasks as tasks_lib
from raftjax.generate.sampler import Sampler
from raftjax.model import checkpoint, distributed
from raftjax.model import mesh as mesh_lib
from raftjax.sft import data
from raftjax.train import trainer
from raftjax.verifier.pool import Verifier

log = logging.getLogger('raftjax')


def run(config: ml_collections.ConfigDict) -> str | None:
  """Runs (or resumes) the SFT stage of `config`; returns the checkpoint RAFT starts from, or None when
  `sft.data` is '' (no stage)."""
  sft = config_lib.section(config, 'sft')
  if not sft.data:
    return None
  out, final = rundir.sft_dir(config.output_dir), rundir.sft_final(config.output_dir)
  log_path = os.path.join(out, rundir.SFT_LOG)
  saved = distributed.broadcast(rundir.read_json(log_path) if distributed.is_main() else None)
  if saved and saved.get('best_epoch') and checkpoint.find(final):
    log.info('SFT: finished earlier (best epoch %d); RAFT starts from %s', saved['best_epoch'], final)
    return final
  os.makedirs(out, exist_ok=True)
  training = dataclasses.replace(
    config_lib.for_cycle(config, 0).training,
    epochs=sft.epochs,
    learning_rate=sft.learning_rate,
    objective='sft',
    lr_decay_per_cycle=1.0,
  )
  last = max(
    (e for e in range(1, sft.epochs + 1) if checkpoint.stage_finished(rundir.epoch_dir(config.output_dir, e))),
    default=0,
  )
  mesh = mesh_lib.make_mesh(config.mesh.shape, config.mesh.axes)
  fresh = (
    None
    if training.full_finetune
    else dict(rank=training.lora_rank, alpha=training.lora_alpha, targets=list(training.lora_targets))
  )
  source = rundir.epoch_dir(config.output_dir, last) if last else config.sft_checkpoint
  model, tokenizer, _ = checkpoint.load(
    source,
    mesh,
    fresh,
    as_base=not last,
    lora_dropout=training.lora_dropout,
    seed=config.seed,
    **config_lib.model_overrides(config),
  )
  conversations, described = data.stage_conversations(sft, config.seed)
  examples = data.examples(conversations, tokenizer, config.generation.system_prompt, config.generation.prompt_format)
  _, eval_tasks, split = tasks_lib.task_split(config)
  sft_log = saved or dict(
    data=described,
    base=config.sft_checkpoint,
    held_out=split,
    config=config.to_dict(),
    evaluation=None,
    epochs=[],
    best_epoch=None,
  )
  sft_log['epochs'] = sft_log['epochs'][:last]
  log.info('SFT: %s, %d epochs%s', described, sft.epochs, f', resuming after epoch {last}' if last else '')
  generation = config_lib.for_cycle(config, 0).generation
  evaluator = Sampler(model, tokenizer, mesh, config_lib.evaluation_sampling(config, generation))
  verifier_cfg = config_lib.for_cycle(config, 0).verifier

  with Verifier(verifier_cfg) as verifier, metrics_lib.MetricsWriter(out, enabled=distributed.is_main()) as metrics:

    def held_out(epoch: int) -> dict:
      if not eval_tasks:
        return {}
      return evaluate.evaluate(
        model,
        evaluator,
        verifier,
        verifier_cfg,
        eval_tasks,
        config.evaluation.samples_per_prompt,
        config_lib.draw_seed(config.seed, data.SEED, epoch),
      )[0]

    if sft_log['evaluation'] is None:
      t0 = time.perf_counter()
      sft_log['evaluation'] = dict(held_out(0), seconds=time.perf_counter() - t0)
      metrics.cycle(0, dict(eval=sft_log['evaluation']))
      distributed.write_json(log_path, sft_log)
      log.info('SFT base: %s', evaluate.describe(sft_log['evaluation']))
    optimizer = trainer.make_optimizer(model, training)
    if last:
      checkpoint.restore_optimizer(os.path.join(rundir.epoch_dir(config.output_dir, last), 'checkpoint'), optimizer)
    losses, started = [], [time.perf_counter()]

    def on_step(step, steps, loss, learning_rate, tokens):
      now = time.perf_counter()
      metrics.train_step(1, step, loss=loss, learning_rate=learning_rate, tokens_per_s=tokens / (now - started[-1]))
      started.append(now)
      losses.append(loss)

    def on_epoch(epoch, optimizer):
      train_s = time.perf_counter() - started[0]
      t0 = time.perf_counter()
      evaluation = held_out(epoch)
      directory = rundir.epoch_dir(config.output_dir, epoch)
      meta = dict(
        stage='sft',
        epoch=epoch,
        base=config.sft_checkpoint,
        full_finetune=training.full_finetune,
        lora=dict(rank=training.lora_rank, alpha=training.lora_alpha, targets=list(training.lora_targets)),
        seeds=dict(train=config_lib.draw_seed(config.seed, data.SEED, -1)),
      )
      checkpoint.save(os.path.join(directory, 'checkpoint'), epoch, model, meta, training.full_finetune, optimizer)
      stats = dict(
        epoch=epoch,
        eval=evaluation,
        losses=list(losses),
        loss_first=losses[0] if losses else None,
        loss_last=losses[-1] if losses else None,
        examples=len(examples),
        seconds=dict(train_s=train_s, eval_s=time.perf_counter() - t0),
      )
      distributed.write_json(os.path.join(directory, 'stats.json'), stats)  # written last: marks the epoch finished
      metrics.cycle(epoch, stats)
      sft_log['epochs'].append(stats)
      distributed.write_json(log_path, sft_log)
      log.info(
        'SFT epoch %d: loss %.3f -> %.3f; held-out: %s',
        epoch,
        stats['loss_first'] or float('nan'),
        stats['loss_last'] or float('nan'),
        evaluate.describe(evaluation),
      )
      losses.clear()
      started[:] = [time.perf_counter()]

    trainer.train(
      model,
      examples,
      training,
      mesh,
      1,
      config_lib.draw_seed(config.seed, data.SEED, -1),
      on_step,
      on_epoch,
      start_epoch=last,
      optimizer=optimizer,
    )

  sft_log['best_epoch'] = rundir.best_cycle(sft_log['epochs'], key='epoch')
  if distributed.is_main():
    rundir.replace_tree(rundir.epoch_dir(config.output_dir, sft_log['best_epoch']), final)
  distributed.write_json(log_path, sft_log)
  distributed.broadcast(None)  # every process waits for process 0's copy of the best epoch
  log.info('SFT: best epoch %d; RAFT starts from %s', sft_log['best_epoch'], final)
  return final


def best_evaluation(config: ml_collections.ConfigDict) -> dict:
  """The held-out evaluation of the finished stage's best epoch (what RAFT starts from)."""
  sft_log = rundir.read_json(os.path.join(rundir.sft_dir(config.output_dir), rundir.SFT_LOG))
  return sft_log['epochs'][sft_log['best_epoch'] - 1]['eval']
