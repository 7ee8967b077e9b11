"""Generated training tasks at the easy end: families of stdin/stdout problems (one integer, two, three; a
count n; one word), each task with a C reference solution that proves its tests.

A 135M model rarely writes a correct program for the built-in set's stdin/stdout tasks, so RAFT has few
correct samples to learn the I/O contract from (read the input, print only the answer). These tasks are
one step above "print a constant": the answer is one expression, one comparison or one loop, and every
prompt states the contract ("must print nothing else: no prompt such as ...").

  config.extra_train_prompts = 'easy'   # added to the training tasks after the held-out split

They are training tasks only: raftjax.config.task_split never evaluates on them. A task's `reference` is
what `raft.demonstrations` shows the model for a prompt none of its samples solved. tests/test_families.py runs
every reference with the real verifier (reward 1.0), checks that a reference which prints a prompt first is
refused, and keeps the families apart from both held-out sets (no near-duplicate prompt, no reference that
solves a held-out task). Expected outputs are computed here in Python; the C references prove them.
"""

import dataclasses
from collections.abc import Callable

CONTRACT = 'The program must print nothing else: no prompt such as "Enter a number:" and no extra text.'
# A family's input: (what the prompt says is read, the C that reads it, the test inputs). A reference that
# finds less input than it reads exits 1 rather than compute from an uninitialised variable: on a held-out
# task's input it then fails, whatever the stack holds (the overlap test runs references on those inputs).
_READ_INT = 'int n;\n  if (scanf("%d", &n) != 1) return 1;'
_INPUTS = {
  'one': ('one integer n (-1000 <= n <= 1000)', _READ_INT, [(5,), (0,), (-12,), (1000,)]),
  'one_natural': ('one integer n (0 <= n <= 1000)', _READ_INT, [(14,), (0,), (20,), (999,)]),
  'two': (
    'two integers a and b (-1000 <= a, b <= 1000) separated by a space',
    'int a, b;\n  if (scanf("%d %d", &a, &b) != 2) return 1;',
    [(2, 3), (-4, 7), (6, 6), (0, -9)],
  ),
  'three': (
    'three integers a, b and c (-1000 <= a, b, c <= 1000) separated by spaces',
    'int a, b, c;\n  if (scanf("%d %d %d", &a, &b, &c) != 3) return 1;',
    [(1, 2, 3), (5, 5, 5), (-2, 8, 0), (7, 7, 1)],
  ),
  'count': ('one integer n (1 <= n <= 20)', _READ_INT, [(1,), (3,), (5,)]),
  'word': (
    'one word of at most 50 lowercase letters',
    'char w[64];\n  if (scanf("%63s", w) != 1) return 1;',
    [('cat',), ('hello',), ('x',)],
  ),
}


@dataclasses.dataclass(frozen=True)
class Family:
  """Tasks that read the same input: (id, what is printed, C statements after reading, the answer as a
  function of the inputs)."""

  inputs: str  # a key of _INPUTS
  tasks: tuple[tuple[str, str, str, Callable[..., object]], ...]


def _int(expr: str) -> str:
  return f'printf("%d\\n", {expr});'


def _choice(cond: str, yes: str, no: str) -> str:
  return f'printf("%s\\n", {cond} ? "{yes}" : "{no}");'


FAMILIES = (
  Family(
    'one',
    (
      ('plus_seven', 'n plus seven (n + 7)', _int('n + 7'), lambda n: n + 7),
      ('minus_ten', 'n minus ten (n - 10)', _int('n - 10'), lambda n: n - 10),
      ('times_six', 'six times n (6 * n)', _int('6 * n'), lambda n: 6 * n),
      ('twice_plus_three', 'twice n plus three (2 * n + 3)', _int('2 * n + 3'), lambda n: 2 * n + 3),
      ('fifty_minus_n', 'fifty minus n (50 - n)', _int('50 - n'), lambda n: 50 - n),
      ('square_minus_one', 'the square of n minus one (n * n - 1)', _int('n * n - 1'), lambda n: n * n - 1),
      ('n_plus_its_square', 'n plus its square (n + n * n)', _int('n + n * n'), lambda n: n + n * n),
      (
        'greater_than_hundred',
        'the word yes if n is greater than 100 and no otherwise',
        _choice('n > 100', 'yes', 'no'),
        lambda n: 'yes' if n > 100 else 'no',
      ),
      (
        'zero_or_nonzero',
        'the word zero if n is 0 and nonzero otherwise',
        _choice('n == 0', 'zero', 'nonzero'),
        lambda n: 'zero' if n == 0 else 'nonzero',
      ),
      (
        'negative_or_not',
        'the word negative if n < 0 and the words not negative otherwise',
        _choice('n < 0', 'negative', 'not negative'),
        lambda n: 'negative' if n < 0 else 'not negative',
      ),
      (
        'inside_one_to_ten',
        'the word inside if 1 <= n <= 10 and outside otherwise',
        _choice('n >= 1 && n <= 10', 'inside', 'outside'),
        lambda n: 'inside' if 1 <= n <= 10 else 'outside',
      ),
    ),
  ),
  Family(
    'one_natural',
    (
      (
        'multiple_of_seven',
        'the word yes if n is a multiple of 7 and no otherwise',
        _choice('n % 7 == 0', 'yes', 'no'),
        lambda n: 'yes' if n % 7 == 0 else 'no',
      ),
    ),
  ),
  Family(
    'two',
    (
      ('a_minus_twice_b', 'a minus twice b (a - 2 * b)', _int('a - 2 * b'), lambda a, b: a - 2 * b),
      (
        'product_plus_sum',
        'the product of a and b plus their sum (a * b + a + b)',
        _int('a * b + a + b'),
        lambda a, b: a * b + a + b,
      ),
      (
        'first_is_bigger',
        'the word bigger if a > b and the words not bigger otherwise',
        _choice('a > b', 'bigger', 'not bigger'),
        lambda a, b: 'bigger' if a > b else 'not bigger',
      ),
      (
        'equal_or_different',
        'the word equal if a equals b and different otherwise',
        _choice('a == b', 'equal', 'different'),
        lambda a, b: 'equal' if a == b else 'different',
      ),
      (
        'sum_and_product',
        'a + b and a * b on one line, separated by a space',
        'printf("%d %d\\n", a + b, a * b);',
        lambda a, b: f'{a + b} {a * b}',
      ),
      (
        'sum_equation',
        'the equation "a + b = s" with s their sum (for 2 and 3: 2 + 3 = 5)',
        'printf("%d + %d = %d\\n", a, b, a + b);',
        lambda a, b: f'{a} + {b} = {a + b}',
      ),
      (
        'pair_in_parentheses',
        'the pair as "(a, b)" (for 2 and 3: (2, 3))',
        'printf("(%d, %d)\\n", a, b);',
        lambda a, b: f'({a}, {b})',
      ),
    ),
  ),
  Family(
    'three',
    (
      (
        'twice_a_plus_b_minus_c',
        'twice a plus b minus c (2 * a + b - c)',
        _int('2 * a + b - c'),
        lambda a, b, c: 2 * a + b - c,
      ),
      (
        'all_three_equal',
        'the word yes if all three are equal and no otherwise',
        _choice('a == b && b == c', 'yes', 'no'),
        lambda a, b, c: 'yes' if a == b == c else 'no',
      ),
      (
        'three_in_reverse',
        'c, b and a in that order on one line, separated by spaces',
        'printf("%d %d %d\\n", c, b, a);',
        lambda a, b, c: f'{c} {b} {a}',
      ),
    ),
  ),
  Family(
    'count',
    (
      (
        'multiples_of_three',
        'the first n multiples of 3 (3, 6, 9, ...), one per line',
        'for (int i = 1; i <= n; i++) printf("%d\\n", 3 * i);',
        lambda n: '\n'.join(str(3 * i) for i in range(1, n + 1)),
      ),
      (
        'squares_up_to_n',
        'the squares 1, 4, 9, ... up to n * n, one per line',
        'for (int i = 1; i <= n; i++) printf("%d\\n", i * i);',
        lambda n: '\n'.join(str(i * i) for i in range(1, n + 1)),
      ),
      (
        'n_to_twice_n',
        'the integers from n to 2n on one line, separated by spaces',
        'for (int i = n; i <= 2 * n; i++) printf(i < 2 * n ? "%d " : "%d\\n", i);',
        lambda n: ' '.join(str(i) for i in range(n, 2 * n + 1)),
      ),
      (
        'hello_n_times',
        'the word hello n times, one per line',
        'for (int i = 0; i < n; i++) printf("hello\\n");',
        lambda n: '\n'.join(['hello'] * n),
      ),
      (
        'n_dashes',
        'n dash characters (-) on one line',
        "for (int i = 0; i < n; i++) putchar('-');\n  putchar('\\n');",
        lambda n: '-' * n,
      ),
      (
        'sum_n_to_twice_n',
        'the sum n + (n + 1) + ... + 2n',
        'int s = 0;\n  for (int i = n; i <= 2 * n; i++) s += i;\n  printf("%d\\n", s);',
        lambda n: sum(range(n, 2 * n + 1)),
      ),
    ),
  ),
  Family(
    'word',
    (
      (
        'word_twice',
        'the word twice on one line, separated by a space',
        'printf("%s %s\\n", w, w);',
        lambda w: f'{w} {w}',
      ),
      (
        'word_exclaimed',
        'the word followed by an exclamation mark (for cat: cat!)',
        'printf("%s!\\n", w);',
        lambda w: f'{w}!',
      ),
      (
        'word_labelled',
        'the text "word: " followed by the word (for cat: word: cat)',
        'printf("word: %s\\n", w);',
        lambda w: f'word: {w}',
      ),
    ),
  ),
)


def _stdin(values: tuple) -> str:
  return ' '.join(map(str, values)) + '\n'


def tasks() -> list[dict]:
  """Every family's tasks in the task-file format, each with its C `reference` (kept as metadata)."""
  out = []
  for family in FAMILIES:
    reads, read_code, inputs = _INPUTS[family.inputs]
    for task_id, prints, code, answer in family.tasks:
      out.append(
        dict(
          id=f'easy_{task_id}',
          prompt=f'Write a complete C program that reads {reads} from standard input and prints {prints}, '
          f'followed by a newline. {CONTRACT}',
          tests=[dict(stdin=_stdin(v), stdout=f'{answer(*v)}\n') for v in inputs],
          language='c',
          difficulty=1,
          family=family.inputs,
          reference=f'#include <stdio.h>\n\nint main(void) {{\n  {read_code}\n  {code}\n  return 0;\n}}\n',
        )
      )
  return out
