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

from raftjax import cli, rundir
from raftjax import config as config_lib
from raftjax import evaluate as evaluate_lib
from raftjax.data import tasks as tasks_lib
from raftjax.generate import sampler as sample_lib
from raftjax.model import checkpoint, distributed
from raftjax.model import mesh as mesh_lib
from raftjax.verifier.pool import Verifier


def _tasks(config, tasks_path: str, split: str) -> tuple[list[dict], str]:
  """(the tasks to evaluate, how they were chosen); ValueError naming what is wrong."""
  if tasks_path:
    tasks, described = tasks_lib.load_tasks(tasks_path), tasks_path
  elif split == 'all':
    tasks, described = (
      tasks_lib.load_tasks(config.prompts or None),
      f'all of {config.prompts or "the built-in task set"}',
    )
  else:
    train_tasks, eval_tasks, how = tasks_lib.task_split(config)
    tasks = eval_tasks if split == 'held_out' else train_tasks
    described = f'{split.replace("_", "-")} tasks of {how}'
  if not tasks:
    raise ValueError(f'no tasks to evaluate in the {described}')
  return tasks, described


def main(argv) -> None:
  from absl import app, flags

  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  config, f = flags.FLAGS.config, flags.FLAGS
  cli.check(config)
  try:  # everything a user gave, before any work: one line naming what is wrong
    tasks, described = _tasks(config, f.tasks, f.split)
    source = config.sft_checkpoint if f.checkpoint == 'base' else f.checkpoint
    if f.checkpoint != 'base' and checkpoint.find(f.checkpoint) is None:
      raise ValueError(
        f'--checkpoint={f.checkpoint}: not a finished raftjax checkpoint (cycle_N, cycle_N_final, '
        "sft/final or their checkpoint/), nor 'base'"
      )
    checkpoint.check(source, config.generation.prompt_format)
    out = rundir.AtomicOutput(f.samples) if f.samples and distributed.is_main() else None
  except (ValueError, OSError) as e:
    cli.fail(f'--samples={f.samples}: cannot write there: {e.strerror}' if isinstance(e, OSError) else str(e))
  print(f'evaluating {len(tasks)} tasks: {described}', file=sys.stderr)
  cycle = config_lib.for_cycle(config, 1)
  mesh = mesh_lib.make_mesh(config.mesh.shape, config.mesh.axes)
  try:
    model, tokenizer, _ = checkpoint.load(source, mesh, None, **config_lib.model_overrides(config))
  except (ValueError, OSError) as e:
    cli.fail(f'{source}: cannot load the model: {e}', status=1)
  sampler = sample_lib.Sampler(model, tokenizer, mesh, config_lib.evaluation_sampling(config, cycle.generation))
  with Verifier(cycle.verifier) as verifier:
    metrics, rows = evaluate_lib.evaluate(
      model, sampler, verifier, cycle.verifier, tasks, config.evaluation.samples_per_prompt, config.seed
    )
  if out:
    with out:
      out.write(rows)
      out.commit()
  solved = sorted({r['prompt_id'] for r in rows if r['stage'] == 'correct'})
  json.dump(dict(checkpoint=f.checkpoint, tasks=described, **metrics, solved=solved), sys.stdout, indent=2)
  print()


if __name__ == '__main__':
  from absl import flags

  cli.config_flag()
  flags.DEFINE_string('checkpoint', 'base', "'base' (config.sft_checkpoint) or a raftjax cycle directory")
  flags.DEFINE_enum(
    'split',
    'held_out',
    ['held_out', 'train', 'all'],
    "the config's held-out tasks (what the loop evaluated), its training tasks, or all tasks",
  )
  flags.DEFINE_string('tasks', '', 'a task file to evaluate instead (overrides --split)')
  flags.DEFINE_string('samples', '', 'write every sample with its stage and reward to this JSONL file')
  cli.run(main)
