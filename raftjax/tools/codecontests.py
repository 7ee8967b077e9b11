"""Bring a real task set: CodeContests-style records (DeepMind's CodeContests, CC BY 4.0) as a raftjax
task file, for `--config.prompts=` (RAFT), `--config.eval_prompts=` or, with their C++ solutions as
references, SFT data (`tools.corpus`' format: `--format=sft`).

  python -m raftjax.tools.codecontests --input=records.jsonl --output=tasks.jsonl [--format=tasks|sft]
      [--max_tests=10] [--max_rating=1600] [--require_reference]

Input: JSON lines with CodeContests' fields: `name`, `description`, `public_tests` / `private_tests` /
`generated_tests` as `{"input": [...], "output": [...]}`, `solutions` as `{"language": [...], "solution":
[...]}` with languages as CodeContests' enum (2 = CPP; 0 UNKNOWN, 1 PYTHON, 3 PYTHON3, 4 JAVA), and
optionally `cf_rating` (Codeforces difficulty). The dataset itself is not shipped or downloaded: export
its records (e.g. with `datasets`, to JSON lines) and point --input at them.

Output: one task per record, `"language": "cpp"` (graded with g++), its tests (public first, then
private, then generated, at most --max_tests), `difficulty` 1..5 from `cf_rating`, and its first C++
solution as `reference`. Records without tests are skipped and counted; a malformed line stops the
conversion with one error naming FILE:LINE, before anything is written.
"""

import sys

from raftjax import cli, rundir
from raftjax.data import tasks as tasks_lib
from raftjax.verifier.extract import fenced

CPP = 2  # CodeContests' Language enum
CONTRACT = (
  'Write a complete C++ program that reads the input from standard input and writes the answer to '
  'standard output, exactly as the problem describes: no prompts and no extra text.'
)


class RecordError(ValueError):
  """A record that is not CodeContests-shaped; the message names FILE:LINE."""


def _tests(record: dict, where: str, limit: int) -> list[dict]:
  tests = []
  for key in ('public_tests', 'private_tests', 'generated_tests'):
    block = record.get(key) or {}
    if (
      not isinstance(block, dict)
      or not isinstance(block.get('input', []), list)
      or not isinstance(block.get('output', []), list)
      or len(block.get('input', [])) != len(block.get('output', []))
    ):
      raise RecordError(f'{where}: "{key}" must be {{"input": [str], "output": [str]}} of equal lengths')
    for stdin, stdout in zip(block.get('input', []), block.get('output', [])):
      if not isinstance(stdin, str) or not isinstance(stdout, str):
        raise RecordError(f'{where}: "{key}" holds a test that is not two strings')
      tests.append({'stdin': stdin, 'stdout': stdout})
  return tests[:limit]


def _reference(record: dict, where: str) -> str | None:
  solutions = record.get('solutions') or {}
  languages, programs = solutions.get('language', []), solutions.get('solution', [])
  if not isinstance(languages, list) or not isinstance(programs, list) or len(languages) != len(programs):
    raise RecordError(f'{where}: "solutions" must be {{"language": [int], "solution": [str]}} of equal lengths')
  return next((p for lang, p in zip(languages, programs) if lang == CPP and isinstance(p, str) and p.strip()), None)


def _difficulty(rating) -> int | None:
  """Codeforces ratings (800..3500) onto the task files' 1..5."""
  if not isinstance(rating, (int, float)) or rating <= 0:
    return None
  return min(5, max(1, int((rating - 800) // 400) + 1))


def convert(path: str, max_tests: int = 10, max_rating: int = 0, require_reference: bool = False):
  """(tasks, counts of what was skipped and why) of a CodeContests JSONL file."""
  with open(path, 'rb') as f:
    text = tasks_lib.decode_utf8(f.read(), path, RecordError)
  tasks, skipped, seen = [], {'no tests': 0, 'no C++ solution': 0, 'rated above --max_rating': 0}, set()
  for where, lineno, record in tasks_lib.jsonl_objects(tasks_lib.jsonl_lines(text), path, RecordError):
    if not isinstance(record, dict) or not isinstance(record.get('description'), str) or not record['description']:
      raise RecordError(f'{where}: expected an object with a non-empty string "description"')
    name = str(record.get('name') or f'line-{lineno}')
    if name in seen:
      raise RecordError(f'{where}: duplicate "name" {name!r}')
    seen.add(name)
    tests, reference = _tests(record, where, max_tests), _reference(record, where)
    rating = record.get('cf_rating')
    if not tests:
      skipped['no tests'] += 1
    elif require_reference and reference is None:
      skipped['no C++ solution'] += 1
    elif max_rating and isinstance(rating, (int, float)) and rating > max_rating:
      skipped['rated above --max_rating'] += 1
    else:
      task = {'id': name, 'prompt': f'{record["description"].strip()}\n\n{CONTRACT}', 'language': 'cpp', 'tests': tests}
      if _difficulty(rating):
        task['difficulty'] = _difficulty(rating)
      if reference:
        task['reference'] = reference
      tasks.append(task)
  return tasks, skipped


def main(argv) -> None:
  from absl import app, flags

  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  f = flags.FLAGS
  try:
    out = rundir.AtomicOutput(f.output)
    tasks, skipped = convert(f.input, f.max_tests, f.max_rating, f.require_reference or f.format == 'sft')
  except (ValueError, OSError) as e:
    cli.fail(
      f'{f.output}: cannot write there: {e.strerror}' if isinstance(e, OSError) and e.filename is None else str(e)
    )
  rows = (
    tasks if f.format == 'tasks' else [{'prompt': t['prompt'], 'completion': fenced(t['reference'])} for t in tasks]
  )
  with out:
    out.write(rows)
    out.commit()
  print(f'{len(rows)} {f.format} lines -> {f.output}; skipped: {skipped}', file=sys.stderr)


if __name__ == '__main__':
  from absl import flags

  flags.DEFINE_string('input', None, 'CodeContests records, JSON lines', required=True)
  flags.DEFINE_string('output', None, 'the task file (or SFT data) to write', required=True)
  flags.DEFINE_enum('format', 'tasks', ['tasks', 'sft'], 'a task file, or SFT prompt/completion lines')
  flags.DEFINE_integer('max_tests', 10, 'tests kept per task (public first)', lower_bound=1)
  flags.DEFINE_integer('max_rating', 0, 'skip problems rated above this (0: keep all)', lower_bound=0)
  flags.DEFINE_bool('require_reference', False, 'skip problems without a C++ solution')
  cli.run(main)
