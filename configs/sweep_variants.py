"""The measured comparison of the README: the RAFT variants one factor at a time against RAFT (sft), two
seeds each, at a scale that fits a shared 2-core CPU. The runs of a seed share the base model's
evaluation (raftjax.tools.sweep).

  python -m raftjax.tools.sweep --config=configs/raft.py --sweep=configs/sweep_variants.py --output=runs/sweep
  python -m raftjax.tools.report --compare=runs/sweep

Scale (every run): 2 cycles of 16 training prompts x 4 samples at temperature 0.7 / top-p 0.95, at most 192
new tokens (as the default run; at 128, 3 in 4 samples were cut short), programs run from cycle 1 and
samples kept at reward >= 0.5; 2-row optimizer steps (several per
cycle, so that RAFT++'s ratio moves off 1); held-out: the 27 tasks greedily (the best-cycle rule) and 2
samples per task at temperature 1 (pass@1, pass@2, entropy, KL to the base).
"""


def get_sweep():
  return dict(
    seeds=[0, 1],
    overrides={
      'raft.num_cycles': 2,
      'raft.prompts_per_cycle': 16,
      'raft.early_stopping': False,
      'generation.max_new_tokens': 192,
      'generation.batch_size': 16,
      'cycles': [{'raft.reward_threshold': 0.5, 'verifier.run_after_compile': True}],
      'training.batch_size': 2,
      'training.gradient_accumulation_steps': 1,
      'evaluation.pass_at_k': 2,
      'evaluation.pass_at_k_temperature': 1.0,
    },
    variants={
      'sft': {},
      'raft_pp': {'training.objective': 'raft_pp'},
      'reinforce_rej': {'training.objective': 'reinforce_rej'},
      'sft+filter': {'raft.prompt_filter': 'both', 'raft.refill': True},
      'sft+reset': {'training.reset_to_base': True},
    },
  )
