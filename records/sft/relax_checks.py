"""The SFT study's counterfactual (records/sft/README.md): do the input checks the corpus taught cost answers?

  python records/sft/relax_checks.py EVAL.samples.jsonl RELAXED.jsonl
  python -m raftjax.tools.verify --input=RELAXED.jsonl --output=REGRADED.jsonl \
      --tasks=raftjax/data/heldout_beginner.jsonl --config.verifier.run_after_compile=True

Takes the programs of an evaluation (`tools.evaluate --samples`) that ran and exited 1, and loosens their
input checks: a bounds guard (`if (<comparison without scanf>) return 1;`, one line or a block) is removed,
`scanf(...) != k` becomes `scanf(...) < 1`, and bounds joined to such a scanf check are dropped. The verifier
then says which of them were right apart from the check.
"""

import json
import re
import sys

GUARD = re.compile(
  r'^[ \t]*if\s*\((?![^\n]*scanf)[^\n]*[<>][^\n]*\)\s*(\{\s*\n\s*return 1;\s*\n\s*\}|\n?\s*return 1;)[ \t]*\n', re.M
)
COUNT = re.compile(r'(scanf\((?:[^()]|\([^()]*\))*\))\s*!=\s*\d+')
JOINED = re.compile(r'(scanf\((?:[^()]|\([^()]*\))*\)\s*<\s*1)\s*\|\|[^)\n]*(?=\)\s*(\{|\n|return))')


def relax(program: str) -> str:
  return JOINED.sub(r'\1', COUNT.sub(r'\1 < 1', GUARD.sub('', program)))


def main(source: str, dest: str) -> None:
  with open(source) as f:
    rows = [json.loads(line) for line in f]
  exit_1 = [r for r in rows if r['stage'] == 'runtime_error' and r['detail'] == 'exit status 1']
  relaxed = [dict(prompt_id=r['prompt_id'], sample_index=r['sample_index'], completion=relax(r['completion']))
             for r in exit_1]
  with open(dest, 'w') as f:
    f.writelines(json.dumps(r) + '\n' for r, old in zip(relaxed, exit_1) if r['completion'] != old['completion'])
  changed = sum(r['completion'] != old['completion'] for r, old in zip(relaxed, exit_1))
  print(f'{len(exit_1)} of {len(rows)} programs exited 1; {changed} of them loosened -> {dest}')


if __name__ == '__main__':
  main(*sys.argv[1:])
