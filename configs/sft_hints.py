"""The default run with hinted rollouts (records/sft): in the cycle that runs programs, every prompt without
a correct sample is sampled again from the first half of its task's reference program (raftjax.rl.hints).

Run:  python -m raftjax.main --config=configs/sft_hints.py
      (RAFT only, from an SFT stage that already ran: --config.sft.data= --config.sft_checkpoint=RUN/sft/final)

To anneal the share over several program-running cycles, give each its own `raft.hint_share` in `cycles`,
e.g. 0.5 -> 0.25 -> 0 as QuestA does.
"""

from configs import raft


def get_config():
  c = raft.get_config()
  c.output_dir = 'runs/sft_hints'
  c.cycles[-1] = dict(c.cycles[-1], **{'raft.hint_share': 0.5})
  return c
