"""Teaching the answer, not the prompt: configs/sweep_efficacy.py's `all` variant with the last cycle
keeping only programs whose answers are right. Compare with that sweep's `all` runs (same seeds):

  python -m raftjax.sweep --config=configs/raft.py --sweep=configs/sweep_answers.py --output=runs/answers
  python -m raftjax.report --compare=runs/efficacy/all/seed_0,runs/efficacy/all/seed_1,runs/answers/answer/seed_0,...

In `all`, most kept samples of the last cycle (threshold 0.7) run and print the wrong thing, half of them
after a prompt such as "Enter a number: ". The variants:
  answer  verifier.answer_credit = 0.5 for the whole run, and a last-cycle threshold of 0.8: it keeps
          programs that print every test's answer last (maybe after a prompt or a label), or match at
          least half of the tests exactly; a wrong answer on every test (0.7) is not kept
  strict  the last cycle keeps correct programs only (threshold 1.0)
"""

import os

from raftjax import sweep


def get_sweep():
  efficacy = sweep.load_spec(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'sweep_efficacy.py'))
  run = lambda threshold: {'raft.reward_threshold': threshold, 'verifier.run_after_compile': True}
  all_levers = {k: v for k, v in efficacy['variants']['all'].items() if k != 'cycles'}
  return dict(
      seeds=efficacy['seeds'],
      overrides=efficacy['overrides'],
      variants={
          'answer': dict(all_levers, **{'verifier.answer_credit': 0.5, 'cycles': [run(0.5), run(0.5), run(0.8)]}),
          'strict': dict(all_levers, cycles=[run(0.5), run(0.5), run(1.0)]),
      },
  )
