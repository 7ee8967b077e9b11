"""Which levers teach correct answers rather than compiling programs: the default run against the levers
one at a time and all together, two seeds each, at the default run's scale (3 cycles of 24 prompts x 4
samples), with pass@1 / pass@4 at temperature 0.7 on the built-in held-out split after every cycle.

  python -m raftjax.tools.sweep --config=configs/raft.py --sweep=configs/sweep_efficacy.py --output=runs/efficacy
  python -m raftjax.tools.report --compare=runs/efficacy

The second held-out set (raftjax/data/heldout_beginner.jsonl, never trained on, never used to choose) is
each run's transfer set: evaluated on the base model and after the last cycle, 4 samples per task at 0.7
(`evaluation.transfer_prompts`); `report --compare` puts it in the table.

The variants (the sweep runs seed 0 of every variant before seed 1, in this order):
  default         configs/raft.py as it is (the seed's curriculum: 0.3, 0.5, then run at 0.7)
  all             the four levers below, with programs run from cycle 1 (threshold 0.5, 0.5, 0.7: no
                  compile-only cycle)
  prefer_correct  a prompt with a correct sample keeps only its correct ones (raft.prefer_correct)
  easy            31 generated stdin/stdout training tasks at the easy end (extra_train_prompts='easy')
  contract        a system prompt that states the I/O contract (generation.system_prompt)
  adaptive        one adaptive round (raft.adaptive_rounds = 1): 4 more samples for each prompt without a
                  correct one, in the cycle that runs programs
"""

CONTRACT = (
  'You write complete C programs. Read the input from standard input exactly as described and print '
  'only the requested output: no prompts such as "Enter a number:", no labels, no explanations. '
  'Answer with the program in one C code block.'
)


def get_sweep():
  return dict(
    seeds=[0, 1],
    overrides={
      'raft.early_stopping': False,  # every run does its 3 cycles: the curves compare cycle by cycle
      'evaluation.pass_at_k': 4,
      'evaluation.pass_at_k_temperature': 0.7,
      'evaluation.transfer_prompts': 'beginner',
    },
    variants={
      'default': {},
      'all': {
        'raft.prefer_correct': True,
        'extra_train_prompts': 'easy',
        'generation.system_prompt': CONTRACT,
        'raft.adaptive_rounds': 1,
        'cycles': [
          {'raft.reward_threshold': 0.5, 'verifier.run_after_compile': True},
          {'raft.reward_threshold': 0.5, 'verifier.run_after_compile': True},
          {'raft.reward_threshold': 0.7, 'verifier.run_after_compile': True},
        ],
      },
      'prefer_correct': {'raft.prefer_correct': True},
      'easy': {'extra_train_prompts': 'easy'},
      'contract': {'generation.system_prompt': CONTRACT},
      'adaptive': {'raft.adaptive_rounds': 1},
    },
  )
