"""Teaching the answer, not the prompt: configs/sweep_efficacy.py's `all` variant plus one lever that acts on
the answers. Compare with that sweep's `all` runs (same seeds; order: seed 0 of each, then seed 1):

  python -m raftjax.tools.sweep --config=configs/raft.py --sweep=configs/sweep_answers.py --output=runs/answers
  python -m raftjax.tools.report --compare=runs/efficacy/all/seed_0,runs/answers/demos/seed_0,...

In `all`, no sampled program that reads input was ever correct, and most kept samples of the last cycle
(threshold 0.7) run and print the wrong thing, half of them after a prompt such as "Enter a number: ".
The variants:
  demos   raft.demonstrations: a prompt of the cycle whose task has a reference (the 31 `easy` family
          tasks) and no correct sample also trains on that reference: the model sees a right program for
          exactly the tasks it failed (STaR's rationalization)
  answer  verifier.answer_credit = 0.5 for the whole run, and a last-cycle threshold of 0.8: it keeps
          programs that print every test's answer last (maybe after a prompt or a label), or match at
          least half of the tests exactly; a wrong answer on every test (0.7) is not kept
"""

import os

from raftjax.tools import sweep


def get_sweep():
  efficacy = sweep.load_spec(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'sweep_efficacy.py'))
  run = lambda threshold: {'raft.reward_threshold': threshold, 'verifier.run_after_compile': True}
  all_levers = efficacy['variants']['all']
  return dict(
    seeds=efficacy['seeds'],
    overrides=efficacy['overrides'],
    variants={
      'demos': dict(all_levers, **{'raft.demonstrations': True}),
      'answer': dict(all_levers, **{'verifier.answer_credit': 0.5, 'cycles': [run(0.5), run(0.5), run(0.8)]}),
    },
  )
