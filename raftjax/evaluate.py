"""Compile rate, pass rate and pass@k of a model on a task set, with the RAFT verifier.

  python -m raftjax.eval --config=configs/raft.py --checkpoint=runs/raft/cycle_3
  python -m raftjax.eval --config=configs/raft.py --checkpoint=base [--split=all | --tasks=FILE]

`--checkpoint=base` evaluates `config.sft_checkpoint` itself; a directory evaluates a raftjax cycle
(`cycle_N` or `cycle_N/checkpoint`). Tasks: by default the held-out tasks of the run the config describes
(`eval_prompts`, or the `eval_fraction` split of `prompts` with the same seed: the tasks the loop evaluated
and never trained on), so the numbers compare with `training_log.json`; `--split=train` or `all` takes the
config's training tasks or every task of `prompts`, `--tasks=FILE` another task file. What is evaluated is
printed and recorded in the output. Programs are always run (the full reward ladder), whatever the
curriculum used for training. Samples: `evaluation.samples_per_prompt` per task at
`evaluation.temperature`; pass@k uses the unbiased estimator of Chen et al. (2021),
1 - C(n - c, k) / C(n, k) for n samples of which c are correct, averaged over tasks.
"""

import collections
import dataclasses
import json
import math
import sys

from raftjax import distributed
from raftjax import sample as sample_lib
from raftjax import verify


def pass_at_k(n: int, c: int, k: int) -> float:
  """Probability that at least one of k samples drawn without replacement from n (c correct) is correct."""
  if n - c < k:
    return 1.0
  return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def summarize(tasks: list[dict], results: list[dict], samples_per_prompt: int) -> dict:
  """Metrics of prompt-major results (task i, sample j at i * samples_per_prompt + j)."""
  n = samples_per_prompt
  compiled = [r['reward'] > 0 for r in results]
  correct = [r['stage'] == 'correct' for r in results]
  per_task = [sum(correct[i * n:(i + 1) * n]) for i in range(len(tasks))]
  metrics = {
      'num_tasks': len(tasks),
      'samples_per_prompt': n,
      'compile_rate': sum(compiled) / max(1, len(results)),
      'pass_rate': sum(correct) / max(1, len(results)),
      'mean_reward': sum(r['reward'] for r in results) / max(1, len(results)),
      'stages': dict(collections.Counter(r['stage'] for r in results)),
  }
  for k in sorted({1, n}):
    metrics[f'pass@{k}'] = sum(pass_at_k(n, c, k) for c in per_task) / max(1, len(tasks))
  return metrics


def evaluate(model, sampler: sample_lib.Sampler, verifier: verify.Verifier, tasks: list[dict],
             samples_per_prompt: int, seed: int, system_prompt: str = '') -> tuple[dict, list[dict]]:
  """(metrics, per-sample rows) of `model` on `tasks`; programs run whatever `verifier.cfg` says.

  Each process verifies the samples it holds; every process gets all rows and the same metrics.
  """
  n = samples_per_prompt
  prompts = [sample_lib.format_prompt(sampler.tokenizer, t['prompt'], system_prompt) for t in tasks]
  samples = sampler.generate(model, prompts, n, seed)
  held = [i for i, s in enumerate(samples) if s is not None]
  saved = verifier.cfg
  verifier.cfg = dataclasses.replace(saved, run_after_compile=True)
  try:
    results = verifier.verify_batch([tasks[i // n] for i in held], [samples[i].completion for i in held])
  finally:
    verifier.cfg = saved
  rows = distributed.gather_rows({
      i: dict(prompt_id=tasks[i // n]['id'], sample_index=i % n, completion=samples[i].completion,
              reward=r['reward'], stage=r['stage']) for i, r in zip(held, results)})
  return summarize(tasks, rows, n), rows


def main(argv) -> None:
  from absl import app, flags

  from raftjax import raft, tasks as tasks_lib

  del argv
  config = flags.FLAGS.config
  raft.check_config(config)
  mesh = raft.make_mesh(config)
  checkpoint = flags.FLAGS.checkpoint
  model, tokenizer = raft.load_start_model(config, mesh, None if checkpoint == 'base' else checkpoint)
  if flags.FLAGS.tasks:
    tasks, described = tasks_lib.load_tasks(flags.FLAGS.tasks), flags.FLAGS.tasks
  elif flags.FLAGS.split == 'all':
    tasks, described = tasks_lib.load_tasks(config.prompts or None), f'all of {config.prompts or "the built-in task set"}'
  else:
    train_tasks, eval_tasks, split = raft.task_split(config)
    tasks = eval_tasks if flags.FLAGS.split == 'held_out' else train_tasks
    described = f"{flags.FLAGS.split.replace('_', '-')} tasks of {split}"
  if not tasks:
    raise app.UsageError(f'no tasks to evaluate in the {described}')
  print(f'evaluating {len(tasks)} tasks: {described}', file=sys.stderr)
  sampler = raft.eval_sampler(config, model, tokenizer, mesh)
  with verify.Verifier(raft.verifier_config(config)) as verifier:
    metrics, _ = evaluate(model, sampler, verifier, tasks, config.evaluation.samples_per_prompt, config.seed,
                          config.generation.system_prompt)
  json.dump(dict(checkpoint=checkpoint, tasks=described, **metrics), sys.stdout, indent=2)
  print()


if __name__ == '__main__':
  from absl import app, flags
  from ml_collections import config_flags

  config_flags.DEFINE_config_file('config', 'configs/raft.py', 'raftjax config file')
  flags.DEFINE_string('checkpoint', 'base', "'base' (config.sft_checkpoint) or a raftjax cycle directory")
  flags.DEFINE_enum('split', 'held_out', ['held_out', 'train', 'all'],
                    "the config's held-out tasks (what the loop evaluated), its training tasks, or all tasks")
  flags.DEFINE_string('tasks', '', 'a task file to evaluate instead (overrides --split)')
  app.run(main)
