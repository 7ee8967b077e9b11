"""What the beginner samples of a model copy from its SFT references' checks, from tools.evaluate's samples.

  python records/sft/habits.py NAME=SAMPLES.jsonl [NAME=SAMPLES.jsonl ...]

Per model: the share of samples that check a read's result (`scanf(...) != 1`, `fgets(...) == NULL`), that
check a bound and exit (`if (n < 1 || n > 100) return 1;`), that ran and exited with status 1 on a test, and
that are correct. The patterns are the corpus test's (tests/data/test_corpus.py).
"""

import json
import re
import sys

READ_CHECKED = re.compile(r'(scanf|fgets)\([^;]*\)\s*(!=|==)')
BOUND_EXIT = re.compile(r'(\w+) < -?\d+ \|\| \1 > \d+[^)]*\)\s*\{?\s*return 1;')


def habits(path: str) -> dict[str, float]:
  rows = [json.loads(line) for line in open(path)]
  n = len(rows)
  return {
    'samples': n,
    'read checked': sum(bool(READ_CHECKED.search(r['completion'])) for r in rows) / n,
    'bound checked, exits': sum(bool(BOUND_EXIT.search(r['completion'])) for r in rows) / n,
    'exit status 1': sum(r['stage'] == 'runtime_error' and r['exit_code'] == 1 for r in rows) / n,
    'correct': sum(r['stage'] == 'correct' for r in rows) / n,
  }


def main(args: list[str]) -> None:
  table = {name: habits(path) for name, path in (a.split('=', 1) for a in args)}
  columns = list(next(iter(table.values())))
  print('| model | ' + ' | '.join(columns) + ' |')
  print('|---' * (len(columns) + 1) + '|')
  for name, row in table.items():
    cells = [f'{v}' if isinstance(v, int) else f'{v:.1%}' for v in row.values()]
    print(f'| {name} | ' + ' | '.join(cells) + ' |')


if __name__ == '__main__':
  main(sys.argv[1:])
