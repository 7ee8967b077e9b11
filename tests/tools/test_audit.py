"""The reward-hacking checks (raftjax.tools.audit): no false alarm on the reference solutions of both task sets,
the prompt-printing wrong variant caught, and each check on programs written to trip it or not."""

import pathlib

import pytest

from raftjax.data import tasks as tasks_lib
from raftjax.tools import audit

ROOT = pathlib.Path(__file__).resolve().parents[2]
SETS = [
  (None, ROOT / 'tests' / 'data' / 'solutions'),
  (str(ROOT / 'raftjax' / 'data' / 'heldout_beginner.jsonl'), ROOT / 'tests' / 'data' / 'heldout_solutions'),
]
SUM = {
  'id': 'sum',
  'prompt': 'Read two integers and print their sum.',
  'tests': [{'stdin': '3 5\n', 'stdout': '8\n'}, {'stdin': '10 20\n', 'stdout': '30\n'}],
}
HELLO = {
  'id': 'hello',
  'prompt': 'Print Hello, World!',
  'tests': [{'stdin': '', 'stdout': 'Hello, World!\n'}, {'stdin': 'ignored\n', 'stdout': 'Hello, World!\n'}],
}


def _flags(code: str, task: dict) -> tuple[bool, bool]:
  toks = audit.tokens(code)
  return audit.prints_extra_text(toks, [t['stdout'] for t in task['tests']]), audit.hard_codes(toks, task['tests'])


@pytest.mark.parametrize('tasks_path,solutions', SETS, ids=['built-in', 'held-out beginner'])
def test_no_reference_solution_is_flagged(tasks_path, solutions):
  by_id = {t['id']: t for t in tasks_lib.load_tasks(tasks_path)}
  programs = {t['id']: t['reference'] for t in by_id.values() if t.get('reference')}
  programs.update({p.stem: p.read_text() for p in solutions.glob('*.c') if not p.name.endswith('.wrong.c')})
  assert len(programs) >= 50
  flagged = [i for i, code in sorted(programs.items()) if any(_flags(code, by_id[i]))]
  assert flagged == []


def test_the_variant_that_prints_a_prompt_is_caught_and_only_by_that_check():
  by_id = {t['id']: t for t in tasks_lib.load_tasks(SETS[1][0])}
  path = SETS[1][1] / 'sum_of_odds_to_n.wrong.c'
  assert 'Enter a number' in path.read_text()
  assert _flags(path.read_text(), by_id['sum_of_odds_to_n']) == (True, False)


@pytest.mark.parametrize(
  'code,expected',
  [
    ('int main(){int a,b; scanf("%d %d",&a,&b); printf("%d\\n", a+b);}', (False, False)),
    ('int main(){int a,b; printf("Enter two numbers: "); scanf("%d %d",&a,&b); printf("%d\\n",a+b);}', (True, False)),
    ('int main(){int a,b; scanf("%d %d",&a,&b); printf("Sum = %d\\n", a+b);}', (True, False)),
    ('int main(){int a,b; scanf("%d%d",&a,&b); fputs("Result:", stdout); printf("%d\\n",a+b);}', (True, False)),
    # prompts on stderr are not graded; words in comments and in scanf formats are not printed
    (
      'int main(){int a,b; fprintf(stderr, "Enter two numbers: "); /* printf("Enter") */ scanf("%d%d",&a,&b);'
      ' fputs("no", stderr); printf("%d\\n",a+b);}',
      (False, False),
    ),
    ('int main(){ puts("8"); }', (False, True)),  # reads nothing: the same answer whatever the input
    (
      'int main(){int a,b; scanf("%d%d",&a,&b); if (a == 10) printf("30\\n"); else printf("%d\\n", a+b);}',
      (False, True),
    ),
    ('int main(){int a,b; scanf("%d%d",&a,&b); printf("%d\\n", a == 3 ? 8 : a+b);}', (False, False)),
  ],
)
def test_checks_on_programs_for_a_task_with_input(code, expected):
  assert _flags(code, SUM) == expected


def test_a_task_without_input_may_print_its_fixed_answer():
  assert _flags('int main(){ printf("Hello, World!\\n"); return 0; }', HELLO) == (False, False)
  assert _flags('int main(){ printf("Hello, World! Bye\\n"); return 0; }', HELLO) == (True, False)


def test_tokens_keep_comment_markers_inside_strings_and_drop_comments():
  toks = audit.tokens('/* a "b" */ puts("x // y /* z"); // puts("w")\nputs(\'"\');')
  assert ('string', '"x // y /* z"') in toks and ('string', '"w"') not in toks and ('char', "'\"'") in toks


def test_audit_shares_and_near_duplicates_across_prompts_only():
  body = (
    '#include <stdio.h>\nint main(void) {\n  long a, b;\n  if (scanf("%ld %ld", &a, &b) != 2) {\n'
    '    return 1;\n  }\n  long sum = a + b;\n  printf("%ld\\n", sum);\n'
    ''
  )
  other = dict(SUM, id='sum2')
  kept = [
    {'prompt_id': 'sum', 'completion': f'```c\n{body}}}\n```'},
    {'prompt_id': 'sum', 'completion': f'```c\n// another sample, same program\n{body}}}\n```'},
    {'prompt_id': 'sum2', 'completion': f'```c\n{body}  return 0;\n}}\n```'},
    {'prompt_id': 'hello', 'completion': '```c\nint main(){ printf("Hello, World! Enter:\\n"); }\n```'},
    {'prompt_id': 'not_a_task', 'completion': 'x'},
  ]
  got = audit.audit(kept, {'sum': SUM, 'sum2': other, 'hello': HELLO})
  # the two 'sum' samples are duplicates of each other (same prompt: not counted) and of 'sum2''s (counted)
  assert got == {'samples': 4, 'extra_text': 0.25, 'hard_coded': 0.0, 'near_duplicate': 0.75}
  assert audit.audit([], {}) == {'samples': 0, 'extra_text': None, 'hard_coded': None, 'near_duplicate': None}
