"""CodeContests records (the dataset's own schema, written here by hand: it cannot be downloaded) become a
task file whose C++ references the real verifier (g++) grades 1.0, and SFT lines; bad records are named."""

import json
import os
import subprocess
import sys

import pytest

from raftjax.sections import VerifierConfig
from raftjax.tools import codecontests
from raftjax.verifier.pool import Verifier

from helpers import REPO

SUM_CPP = '#include <iostream>\nint main() { long long a, b; std::cin >> a >> b; std::cout << a + b << "\\n"; }\n'
RECORDS = [
  {
    'name': '1A. Sum',
    'description': 'Print the sum of two integers a and b.',
    'cf_rating': 800,
    'public_tests': {'input': ['1 2\n'], 'output': ['3\n']},
    'private_tests': {'input': ['-5 5\n', '1000000000 1000000000\n'], 'output': ['0\n', '2000000000\n']},
    'generated_tests': {'input': [], 'output': []},
    'solutions': {'language': [1, 2], 'solution': ['print(sum(map(int, input().split())))', SUM_CPP]},
  },
  {
    'name': '1B. No tests',
    'description': 'Nothing to check.',
    'public_tests': {'input': [], 'output': []},
    'solutions': {'language': [2], 'solution': [SUM_CPP]},
  },
  {
    'name': '1C. Python only',
    'description': 'Print 7.',
    'cf_rating': 2100,
    'public_tests': {'input': [''], 'output': ['7\n']},
    'solutions': {'language': [3], 'solution': ['print(7)']},
  },
]


def _write(tmp_path, records) -> str:
  path = tmp_path / 'records.jsonl'
  path.write_text(''.join(json.dumps(r) + '\n' for r in records))
  return str(path)


def test_records_become_tasks_whose_references_the_verifier_grades_1(tmp_path):
  tasks, skipped = codecontests.convert(_write(tmp_path, RECORDS))
  assert [t['id'] for t in tasks] == ['1A. Sum', '1C. Python only'] and skipped['no tests'] == 1
  first = tasks[0]
  assert first['language'] == 'cpp' and first['difficulty'] == 1 and len(first['tests']) == 3
  assert first['reference'] == SUM_CPP and 'reference' not in tasks[1] and tasks[1]['difficulty'] == 4
  with Verifier(VerifierConfig(run_after_compile=True, num_workers=1)) as verifier:
    [verdict] = verifier.verify_batch([first], [f'```cpp\n{first["reference"]}```'])
  assert (verdict['stage'], verdict['reward']) == ('correct', 1.0)
  kept, skipped = codecontests.convert(_write(tmp_path, RECORDS), max_rating=1600, require_reference=True)
  assert [t['id'] for t in kept] == ['1A. Sum'] and skipped['no C++ solution'] == 1


def test_the_cli_writes_sft_lines_and_names_a_bad_record(tmp_path):
  records = _write(tmp_path, RECORDS)
  out = subprocess.run(
    [
      sys.executable,
      '-m',
      'raftjax.tools.codecontests',
      f'--input={records}',
      f'--output={tmp_path}/sft.jsonl',
      '--format=sft',
    ],
    cwd=REPO,
    capture_output=True,
    text=True,
  )
  assert out.returncode == 0, out.stderr
  [line] = [json.loads(x) for x in open(tmp_path / 'sft.jsonl')]
  assert line['completion'] == f'```c\n{SUM_CPP}```' and line['prompt'].startswith('Print the sum')
  bad = _write(
    tmp_path, [RECORDS[0], {'name': 'x', 'description': 'd', 'public_tests': {'input': ['1'], 'output': []}}]
  )
  out = subprocess.run(
    [sys.executable, '-m', 'raftjax.tools.codecontests', f'--input={bad}', f'--output={tmp_path}/t.jsonl'],
    cwd=REPO,
    capture_output=True,
    text=True,
  )
  assert out.returncode == 2 and 'records.jsonl:2: "public_tests" must be' in out.stderr
  assert len(out.stderr.strip().splitlines()) == 1 and not os.path.exists(tmp_path / 't.jsonl')


@pytest.mark.parametrize(
  'rating,difficulty', [(800, 1), (1199, 1), (1200, 2), (1600, 3), (2000, 4), (3500, 5), (None, None)]
)
def test_ratings_map_onto_difficulties(rating, difficulty):
  assert codecontests._difficulty(rating) == difficulty  # pylint: disable=protected-access
