"""Write the built-in corpus of beginner C tasks (raftjax.data.corpus.build) to a JSONL file.

  python -m raftjax.tools.corpus --output=corpus.jsonl [--format=tasks|sft] [--families=a,b] [--limit=N]
                                 [--checks=all|needed]

--format=tasks (default): one task-file line per task, {"id", "prompt", "tests", "reference", "family",
"difficulty"}, which `prompts`, `extra_train_prompts` and `tools.verify --tasks` read. --format=sft: one
{"prompt", "completion"} line per task, the completion the reference in a ```c fence (raftjax.data.formats
reads it). --families keeps only the named families; --limit=N keeps N tasks, taken from each family in turn
so that a small N still covers every family. --checks=needed writes the references without the checks a
beginner leaves out (scanf's result, the bounds the prompt states; raftjax.data.corpus.program). Prints how
many tasks of each family it wrote.
"""

import collections

from raftjax import cli, rundir
from raftjax.verifier.extract import fenced

FORMATS = ('tasks', 'sft')


def select(tasks: list[dict], families: list[str], limit: int) -> list[dict]:
  """The tasks of `families` (all when empty), at most `limit` of them (0 = all), one family after the other
  in turn, in corpus order within each family."""
  queues = collections.defaultdict(list)
  for t in tasks:
    if not families or t['family'] in families:
      queues[t['family']].append(t)
  order = [queues[f] for f in (families or list(queues))]
  picked, i = [], 0
  while any(i < len(q) for q in order) and (not limit or len(picked) < limit):
    picked += [q[i] for q in order if i < len(q)][: limit - len(picked) if limit else None]
    i += 1
  return picked


def lines(tasks: list[dict], fmt: str) -> list[dict]:
  """The JSONL rows of `tasks` in format `fmt`."""
  if fmt == 'sft':
    return [{'prompt': t['prompt'], 'completion': fenced(t['reference'])} for t in tasks]
  keys = ('id', 'prompt', 'tests', 'reference', 'family', 'difficulty')
  return [{k: t[k] for k in keys} for t in tasks]


def run(
  output: str, fmt: str = 'tasks', families: list[str] | None = None, limit: int = 0, checks: str = 'all'
) -> dict[str, int]:
  """Writes the corpus (as `select` picks it) to `output` in format `fmt`; returns the count per family."""
  from raftjax.data.corpus import build

  unknown = sorted(set(families or ()) - set(build.FAMILIES))
  if unknown:
    raise ValueError(f'--families: unknown {", ".join(unknown)}; the families are {", ".join(build.FAMILIES)}')
  if fmt not in FORMATS:
    raise ValueError(f'--format: expected one of {", ".join(FORMATS)}, got {fmt!r}')
  if limit < 0:
    raise ValueError(f'--limit: expected 0 (all) or a positive number of tasks, got {limit}')
  if checks not in build.CHECKS:
    raise ValueError(f'--checks: expected one of {", ".join(build.CHECKS)}, got {checks!r}')
  picked = select(build.tasks(checks), list(families or ()), limit)
  rundir.write_jsonl(output, lines(picked, fmt))
  return dict(collections.Counter(t['family'] for t in picked))


def main(argv):
  from absl import app, flags

  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  f = flags.FLAGS
  try:
    counts = run(f.output, f.format, [x for x in f.families.split(',') if x], f.limit, f.checks)
  except ValueError as e:
    raise app.UsageError(str(e)) from None
  width = max(map(len, counts), default=0)
  for family, n in counts.items():
    print(f'{family:<{width}}  {n}')
  print(f'{sum(counts.values())} tasks of {len(counts)} families ({f.format}) -> {f.output}')


if __name__ == '__main__':
  from absl import flags

  flags.DEFINE_string('output', None, 'JSONL file to write.', required=True)
  flags.DEFINE_enum('format', 'tasks', FORMATS, 'tasks: task-file lines; sft: {"prompt", "completion"} lines.')
  flags.DEFINE_string('families', '', 'Comma-separated families to keep (default: all).')
  flags.DEFINE_integer('limit', 0, 'At most this many tasks, taken from each family in turn (0 = all).')
  flags.DEFINE_string('checks', 'all', "What references check: 'all', or only what the program 'needed's.")
  cli.run(main)
