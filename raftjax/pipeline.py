"""The seed's pipeline, the one job every entry point runs (`raftjax.main`, `tools.sweep`): the SFT stage
(`sft.data`; raftjax.sft.stage), then RAFT (raftjax.rl.loop) from the SFT stage's best epoch, or from
`sft_checkpoint` itself when there is no SFT stage. Rerunning it resumes whichever stage was cut."""

import ml_collections

from raftjax.model import checkpoint
from raftjax.rl import loop
from raftjax.sft import stage


def run(config: ml_collections.ConfigDict) -> dict:
  """Runs (or resumes) the job; returns RAFT's training log. A starting model that cannot be used raises
  CheckpointError before anything else happens."""
  checkpoint.check(config.sft_checkpoint, config.generation.prompt_format)
  start = stage.run(config)
  if not start:
    return loop.run(config)
  config.sft_checkpoint = start  # RAFT trains on top of the SFT stage's best epoch
  # RAFT's base evaluation is the SFT stage's last one of that epoch: the same model, tasks and sampling
  # (tests/sft/test_stage.py checks it), unless it also needs the sampled evaluation SFT does not run.
  evaluation = None if config.evaluation.pass_at_k else stage.best_evaluation(config)
  return loop.run(config, base_evaluation=evaluation)
