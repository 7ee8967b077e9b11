"""The default job with hinted rollouts (records/sft): in every cycle, each prompt without a correct sample
whose task has a reference is sampled again, each sample starting from the first part of that reference
(raftjax.rl.hints): half of its lines in cycle 1, a quarter in cycle 2, none in cycle 3 (QuestA's
annealing), the default curriculum otherwise.

Run:  python -m raftjax.main --config=configs/sft_hints.py
      (RAFT only, from an SFT stage that already ran: --config.sft.data= --config.sft_checkpoint=RUN/sft/final)
"""

from configs import raft


def get_config():
  c = raft.get_config()
  c.output_dir = 'runs/sft_hints'
  c.cycles = [dict(c.cycles[-1], **{'raft.hint_share': share}) for share in (0.5, 0.25, 0.0)]
  return c
