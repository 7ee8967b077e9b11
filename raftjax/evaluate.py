"""Held-out evaluation, the same for every stage (SFT epochs, RAFT cycles, `tools.evaluate`): sample,
verify with programs run, and summarize.

Programs are always run (the full reward ladder), whatever the curriculum used for training. pass@k is the
unbiased estimator (`rl.selection.pass_at_k`) averaged over tasks, for k = 1, 2, 4, ... up to the samples
per task; `solved` lists the tasks with at least one correct sample.
"""

import dataclasses

from raftjax import rows as rows_lib
from raftjax.generate import sampler as sample_lib
from raftjax.model import distributed
from raftjax.rl import selection
from raftjax.sections import VerifierConfig
from raftjax.verifier.pool import Verifier


def evaluate(
  model,
  sampler: sample_lib.Sampler,
  verifier: Verifier,
  cfg: VerifierConfig,
  tasks: list[dict],
  samples_per_prompt: int,
  seed: int,
) -> tuple[dict, list[rows_lib.SampleRow]]:
  """(metrics, per-sample rows) of `model` on `tasks`, verified with `cfg` with programs run.

  Each process verifies the samples it holds; every process gets all rows and the same metrics.
  """
  n = samples_per_prompt
  samples = sampler.generate(model, [sampler.prompt_ids(t['prompt']) for t in tasks], n, seed)
  held = [i for i, s in enumerate(samples) if s is not None]
  results = verifier.verify_batch(
    [tasks[i // n] for i in held],
    [samples[i].completion for i in held],
    dataclasses.replace(cfg, run_after_compile=True),
  )
  rows = distributed.gather_rows(
    {i: rows_lib.sample_row(tasks[i // n]['id'], i % n, samples[i], r) for i, r in zip(held, results)}
  )
  return selection.summarize(len(tasks), rows, n), rows


def describe(metrics: dict) -> str:
  """One line of an evaluation's numbers, for the log."""
  if not metrics:
    return 'no held-out tasks'
  sampled = metrics.get('sampled')
  k = sampled and sampled['samples_per_prompt']
  return (
    f'{100 * metrics["compile_rate"]:.1f}% compile, {100 * metrics["pass_rate"]:.1f}% pass, '
    f'mean reward {metrics["mean_reward"]:.3f}'
    + (
      f'; sampled: pass@1 {sampled["pass@1"]:.3f}, pass@{k} {sampled[f"pass@{k}"]:.3f}, '
      f'KL to base {sampled.get("kl_to_base", float("nan")):.3f}'
      if sampled
      else ''
    )
  )
