"""Every RAFT cycle of the longer chain (records/sft/README.md, "RAFT longer") side by side: what the loop
picks by (greedy held-out mean reward, 1 sample per task), the held-out split sampled as evaluated (4 samples
at T = 0.7) and the beginner set. Cycle 0 is the SFT checkpoint.
python records/sft/cycles.py [runs/sft_chain_longer]"""

import json
import os
import sys

from table import read_eval  # records/sft/table.py, beside this script


def rows(out: str, seed: str) -> list[str]:
  with open(os.path.join(out, 'sft_raft', f'seed_{seed}', 'training_log.json')) as f:
    log = json.load(f)
  greedy = [log['base']] + [c['eval'] for c in log['cycles']]
  lines = []
  for cycle, loop_eval in enumerate(greedy):
    held = read_eval(os.path.join(out, 'eval', f'seed_{seed}', f'cycle_{cycle}.held_out.json'))
    beginner = read_eval(os.path.join(out, 'eval', f'seed_{seed}', f'cycle_{cycle}.beginner.json'))
    pct = lambda m, k: f'{100 * m[k]:.1f}%' if m else 'not run'
    reward = f'{held["mean_reward"]:.3f}' if held else 'not run'
    solved = len(beginner['solved']) if beginner else 'not run'
    picked = ' (picked)' if cycle == log['best_cycle'] else ''
    lines.append(
      f'| {seed} | {cycle}{picked} | {loop_eval["mean_reward"]:.3f} | {reward} | {pct(held, "pass@4")} | '
      f'{pct(beginner, "compile_rate")} | {pct(beginner, "pass@1")} | {pct(beginner, "pass@4")} | {solved} |'
    )
  return lines


def main(out: str) -> None:
  seeds = sorted(d.removeprefix('seed_') for d in os.listdir(os.path.join(out, 'eval')))
  print(
    "| seed | cycle | loop's pick: held-out greedy mean reward | held-out, 4 at T = 0.7: mean reward | pass@4 "
    '| beginner: compile | pass@1 | pass@4 | solved |'
  )
  print('|---' * 9 + '|')
  for seed in seeds:
    print('\n'.join(rows(out, seed)))


if __name__ == '__main__':
  main(sys.argv[1] if len(sys.argv) > 1 else 'runs/sft_chain_longer')
