"""A smoke run of the whole job (SFT stage, one RAFT cycle, held-out evaluation) in about two minutes on a
2-core CPU: for trying a change, a model or a task file end to end before paying for the default run.

Run:  python -m raftjax.main --config=configs/smoke.py [--config.sft_checkpoint=DIR] [--config.prompts=FILE]

The default run's settings (raftjax/sections.py) with everything made small: 16 SFT examples, 4 prompts x 2
samples, 96 new tokens, 4 held-out tasks, one cycle that runs the programs. Its numbers mean nothing.
"""

from configs import raft


def get_config():
  c = raft.get_config()
  c.output_dir = 'runs/smoke'
  c.eval_fraction = 0.03  # 4 of the built-in tasks held out
  c.sft.num_examples = 16
  c.generation.max_new_tokens = 96
  c.generation.batch_size = 4
  c.raft.num_cycles = 1
  c.raft.prompts_per_cycle = 4
  c.raft.samples_per_prompt = 2
  c.training.gradient_accumulation_steps = 1
  c.training.max_seq_len = 384
  c.cycles = [{'raft.reward_threshold': 0.5, 'verifier.run_after_compile': True}]
  return c
