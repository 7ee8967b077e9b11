"""Compile rate, pass rate and pass@k of a model on a task set, with the RAFT verifier.

  python -m raftjax.tools.evaluate --config=configs/raft.py --checkpoint=runs/raft/cycle_3
  python -m raftjax.tools.evaluate --config=configs/raft.py --checkpoint=base [--split=all | --tasks=FILE]
      [--samples=FILE]  (every sample, one JSON line each: task, completion, stage, reward, tokens, ...)

`--checkpoint=base` evaluates `config.sft_checkpoint` itself; a directory evaluates a raftjax cycle
(`cycle_N` or `cycle_N/checkpoint`). Tasks: by default the held-out tasks of the run the config describes
(`eval_prompts`, or the `eval_fraction` split of `prompts` with the same seed: the tasks the loop evaluated
and never trained on), so the numbers compare with `training_log.json`; `--split=train` or `all` takes the
config's training tasks or every task of `prompts`, `--tasks=FILE` another task file. What is evaluated is
printed and recorded in the output.
"""

import json
import sys

from raftjax import cli
from raftjax import config as config_lib
from raftjax import evaluate as evaluate_lib
from raftjax import rundir
from raftjax.data import tasks as tasks_lib
from raftjax.generate import sampler as sample_lib
from raftjax.model import checkpoint, distributed
from raftjax.model import mesh as mesh_lib
from raftjax.verifier.pool import Verifier


def main(argv) -> None:
  from absl import app, flags

  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  config, f = flags.FLAGS.config, flags.FLAGS
  cli.check(config)
  if f.tasks:
    tasks, described = tasks_lib.load_tasks(f.tasks), f.tasks
  elif f.split == 'all':
    tasks, described = tasks_lib.load_tasks(config.prompts or None), f'all of {config.prompts or "the built-in task set"}'
  else:
    train_tasks, eval_tasks, split = tasks_lib.task_split(config)
    tasks = eval_tasks if f.split == 'held_out' else train_tasks
    described = f"{f.split.replace('_', '-')} tasks of {split}"
  if not tasks:
    raise app.UsageError(f'no tasks to evaluate in the {described}')
  print(f'evaluating {len(tasks)} tasks: {described}', file=sys.stderr)
  cycle = config_lib.for_cycle(config, 1)
  mesh = mesh_lib.make_mesh(config.mesh.shape, config.mesh.axes)
  source = config.sft_checkpoint if f.checkpoint == 'base' else f.checkpoint
  model, tokenizer, _ = checkpoint.load(source, mesh, None, **config_lib.model_overrides(config))
  sampler = sample_lib.Sampler(model, tokenizer, mesh, config_lib.evaluation_sampling(config, cycle.generation))
  with Verifier(cycle.verifier) as verifier:
    metrics, rows = evaluate_lib.evaluate(model, sampler, verifier, cycle.verifier, tasks, config.evaluation.samples_per_prompt,
                             config.seed)
  if f.samples and distributed.is_main():
    rundir.write_jsonl(f.samples, rows)
  solved = sorted({r['prompt_id'] for r in rows if r['stage'] == 'correct'})
  json.dump(dict(checkpoint=f.checkpoint, tasks=described, **metrics, solved=solved), sys.stdout, indent=2)
  print()


if __name__ == '__main__':
  from absl import flags

  cli.config_flag()
  flags.DEFINE_string('checkpoint', 'base', "'base' (config.sft_checkpoint) or a raftjax cycle directory")
  flags.DEFINE_enum('split', 'held_out', ['held_out', 'train', 'all'],
                    "the config's held-out tasks (what the loop evaluated), its training tasks, or all tasks")
  flags.DEFINE_string('tasks', '', 'a task file to evaluate instead (overrides --split)')
  flags.DEFINE_string('samples', '', 'write every sample with its stage and reward to this JSONL file')
  cli.run(main)
