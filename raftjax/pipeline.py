"""The seed's pipeline, the one job every entry point runs (`raftjax.main`, `tools.sweep`): the SFT stage
(`sft.data`; raftjax.sft.stage), then RAFT (raftjax.rl.loop) from the SFT stage's best epoch, or from
`sft_checkpoint` itself when there is no SFT stage. Rerunning it resumes whichever stage was cut."""

import ml_collections

from raftjax.rl import loop
from raftjax.sft import stage


def run(config: ml_collections.ConfigDict) -> dict:
  """Runs (or resumes) the job; returns RAFT's training log (`sft` in it: where RAFT started)."""
  start = stage.run(config)
  if start:  # RAFT trains on top of the SFT stage's best epoch
    config.sft_checkpoint = start
  return loop.run(config)
