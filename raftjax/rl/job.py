"""What every cycle of a RAFT run works with (`Job`), and the pieces both the loop and a cycle use: the
held-out and transfer evaluations, process-0 file writes, progress bars, the one-line summaries."""

import dataclasses

import ml_collections
import tqdm
from jax.sharding import Mesh

from raftjax import config as config_lib
from raftjax import evaluate
from raftjax import metrics as metrics_lib
from raftjax.generate.sampler import Sampler
from raftjax.model import distributed
from raftjax.model.llama import Llama
from raftjax.rl import diagnostics
from raftjax.sections import SamplingConfig
from raftjax.verifier.pool import Verifier


@dataclasses.dataclass
class Job:
  """What every cycle of a run works with."""

  config: ml_collections.ConfigDict
  mesh: Mesh
  model: Llama
  sampler: Sampler  # the training samples' settings
  evaluator: Sampler  # the held-out evaluation's (evaluation.temperature, more rows per call)
  verifier: Verifier
  metrics: metrics_lib.MetricsWriter
  train_tasks: list[dict]
  eval_tasks: list[dict]
  base: str  # the base model every checkpoint of this run sits on
  log: dict  # training_log.json
  sampled_evaluator: Sampler | None = None  # evaluation.pass_at_k's (temperature, no top-p)
  transfer_tasks: list[dict] = dataclasses.field(default_factory=list)  # evaluation.transfer_prompts
  _samplers: dict = dataclasses.field(default_factory=dict)  # by settings: a temperature schedule's

  @property
  def out_dir(self) -> str:
    return self.config.output_dir

  def sampler_for(self, generation: SamplingConfig) -> Sampler:
    """The training sampler with a cycle's settings: each distinct one (a temperature schedule) compiles
    its own decode once, not once per cycle."""
    if generation == self.sampler.config:
      return self.sampler
    if generation not in self._samplers:
      self._samplers[generation] = Sampler(self.model, self.sampler.tokenizer, self.mesh, generation)
    return self._samplers[generation]

  def seed(self, *parts: int) -> int:
    """The seed of one random draw of the run: (config seed, cycle, what)."""
    return config_lib.draw_seed(self.config.seed, *parts)


def held_out(job: Job, cycle: int) -> dict:
  """The model's metrics on the held-out tasks, with cycle `cycle`'s verifier settings (programs run); with
  `evaluation.pass_at_k`, also those of that many samples per task at its temperature under 'sampled',
  with the policy's token entropy and KL to the base on them (raftjax.rl.diagnostics)."""
  cfg = config_lib.for_cycle(job.config, cycle).verifier
  metrics = evaluate.evaluate(
    job.model,
    job.evaluator,
    job.verifier,
    cfg,
    job.eval_tasks,
    job.config.evaluation.samples_per_prompt,
    job.seed(cycle, -1),
  )[0]
  if job.sampled_evaluator:
    sampled, rows = evaluate.evaluate(
      job.model,
      job.sampled_evaluator,
      job.verifier,
      cfg,
      job.eval_tasks,
      job.config.evaluation.pass_at_k,
      job.seed(cycle, -5),
    )
    prompts = {t['id']: job.sampler.prompt_ids(t['prompt']) for t in job.eval_tasks}
    metrics['sampled'] = dict(
      sampled,
      temperature=job.sampled_evaluator.config.temperature,
      **diagnostics.held_out(job.model, job.mesh, [prompts[r['prompt_id']] for r in rows], rows),
    )
  return metrics


def transfer(job: Job) -> dict:
  """The model's metrics on `evaluation.transfer_prompts`: `pass_at_k` samples per task as the sampled
  evaluation draws them, or `evaluation.samples_per_prompt` as the greedy one; programs run."""
  sampled = job.sampled_evaluator is not None
  sampler = job.sampled_evaluator if sampled else job.evaluator
  e = job.config.evaluation
  cfg = config_lib.for_cycle(job.config, job.config.raft.num_cycles).verifier
  metrics = evaluate.evaluate(
    job.model,
    sampler,
    job.verifier,
    cfg,
    job.transfer_tasks,
    e.pass_at_k if sampled else e.samples_per_prompt,
    job.seed(-6),
  )[0]
  return dict(metrics, temperature=sampler.config.temperature)


def progress(**kwargs) -> tqdm.tqdm:
  """A progress bar on process 0's terminal; silent in logs (not a TTY) and on other processes."""
  return tqdm.tqdm(disable=None if distributed.is_main() else True, leave=False, dynamic_ncols=True, **kwargs)
