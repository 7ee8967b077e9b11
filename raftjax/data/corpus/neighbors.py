"""Arrays, third part: neighbours, a[i] against a[i - 1] (family array_neighbors).

The held-out sets test whether values are non-decreasing; these count rises, falls, steps and peaks, print
the differences and sums of neighbours, test for other orders and find the longest runs. The arrays are
read as in ordering.py.
"""

import random

from raftjax.data.corpus.arrays import array_inputs, values_phrase
from raftjax.data.corpus.loops import SEPARATORS
from raftjax.data.corpus.ordering import _array, _reads
from raftjax.data.corpus.program import task
from raftjax.data.corpus.snippets import choose, joined, separator_words

FAMILIES = ('array_neighbors',)


_WORDS = (('yes', 'no'), ('increasing', 'not increasing'), ('true', 'false'), ('ok', 'not ok'))


def _loop_print(sep: str, expr: str, start: int = 1) -> str:
  c_sep = sep.replace('\n', '\\n')
  if sep == '\n':
    return f'for (int i = {start}; i < n; i++)\n  printf("%lld\\n", {expr});'
  return (
    f'for (int i = {start}; i < n; i++) {{\n  if (i > {start})\n    printf("{c_sep}");\n'
    f'  printf("%lld", {expr});\n}}\n'
    'printf("\\n");'
  )


_COUNTS = (  # (id, words, C condition on i, Python on (previous, current))
  ('rises', 'how many times a value is greater than the value just before it', 'a[i] > a[i - 1]', lambda p, c: c > p),
  ('falls', 'how many times a value is smaller than the value just before it', 'a[i] < a[i - 1]', lambda p, c: c < p),
  ('repeats', 'how many times a value is equal to the value just before it', 'a[i] == a[i - 1]', lambda p, c: c == p),
  ('changes', 'how many times a value differs from the value just before it', 'a[i] != a[i - 1]', lambda p, c: c != p),
  (
    'sign_changes',
    'how many times two neighbouring values have opposite signs (one negative, the other positive)',
    '(a[i] < 0 && a[i - 1] > 0) || (a[i] > 0 && a[i - 1] < 0)',
    lambda p, c: p * c < 0,
  ),
  (
    'same_parity',
    'how many pairs of neighbouring values are both even or both odd',
    '(a[i] - a[i - 1]) % 2 == 0',
    lambda p, c: (c - p) % 2 == 0,
  ),
)


def _array_neighbors() -> list:
  rng = random.Random('array_neighbors')
  out = []
  rows = [[3, 3, 5, 2, 2, 8], [1, 2, 3, 4], [9, -1, 4, -4, 0]]
  for name, words, cond, py in _COUNTS:
    out.append(
      task(
        'array_neighbors',
        name,
        3,
        (_array(),),
        values_phrase,
        f'{words}, followed by a newline',
        f'int count = 0;\nfor (int i = 1; i < n; i++)\n  if ({cond})\n    count++;\nprintf("%d\\n", count);',
        lambda v, py=py: f'{sum(py(p, c) for p, c in zip(v, v[1:]))}\n',
        array_inputs(rng, 4, rows),
      )
    )
  for k in rng.sample(range(1, 12), 6):
    out.append(
      task(
        'array_neighbors',
        f'step_{k}',
        3,
        (_array(),),
        values_phrase,
        f'how many values are exactly {k} more than the value just before them, followed by a newline',
        f'int count = 0;\nfor (int i = 1; i < n; i++)\n'
        f'  if ((long long)a[i] - a[i - 1] == {k})\n    count++;\nprintf("%d\\n", count);',
        lambda v, k=k: f'{sum(c - p == k for p, c in zip(v, v[1:]))}\n',
        array_inputs(rng, 4, [[1, 1 + k, 1 + 2 * k, 5, 5 + k]]),
      )
    )
  for sep in SEPARATORS:
    out.append(
      task(
        'array_neighbors',
        f'differences_{len(out)}',
        3,
        (_array(2),),
        _reads(2),
        f'the difference between every value and the value before it (second minus first, third minus '
        f'second, ...), {separator_words(sep)}',
        _loop_print(sep, '(long long)a[i] - a[i - 1]'),
        lambda v, sep=sep: joined([c - p for p, c in zip(v, v[1:])], sep),
        array_inputs(rng, 4, [[1, 4, 9, 16], [5, 5]], nlo=2),
      )
    )
    out.append(
      task(
        'array_neighbors',
        f'pair_sums_{len(out)}',
        3,
        (_array(2),),
        _reads(2),
        f'the sum of every two neighbouring values (first plus second, second plus third, ...), {separator_words(sep)}',
        _loop_print(sep, '(long long)a[i] + a[i - 1]'),
        lambda v, sep=sep: joined([c + p for p, c in zip(v, v[1:])], sep),
        array_inputs(rng, 4, [[1, 4, 9, 16], [5, -5]], nlo=2),
      )
    )
  for name, rel, py in (
    ('strict_up', '>', lambda p, c: c > p),
    ('strict_down', '<', lambda p, c: c < p),
    ('all_equal', '==', lambda p, c: c == p),
  ):
    for yes, no in rng.sample(_WORDS, 2):
      text = {
        '>': 'strictly increasing (every value greater than the one before it)',
        '<': 'strictly decreasing (every value smaller than the one before it)',
        '==': 'all equal',
      }[rel]
      out.append(
        task(
          'array_neighbors',
          f'{name}_{yes}'.replace(' ', '_'),
          3,
          (_array(),),
          values_phrase,
          f'{yes} if the n integers are {text} and {no} otherwise, followed by a newline',
          lambda s, rel=rel, yes=yes, no=no: _all_body(s, rel, yes, no),
          lambda v, py=py, yes=yes, no=no: f'{yes if all(py(p, c) for p, c in zip(v, v[1:])) else no}\n',
          array_inputs(rng, 4, [[1, 2, 3], [3, 3, 3], [5, 4, 1], [1, 3, 2]]),
        )
      )
  for name, words, c_cond, py_cond in (
    ('equal_run', 'equal values', 'a[i] == a[i - 1]', lambda v, i: v[i] == v[i - 1]),
    ('rising_run', 'values that keep increasing', 'a[i] > a[i - 1]', lambda v, i: v[i] > v[i - 1]),
  ):
    out.append(
      task(
        'array_neighbors',
        name,
        3,
        (_array(),),
        values_phrase,
        f'the length of the longest run of consecutive {words} (a single value is a run of length 1), '
        'followed by a newline',
        f'int best = 1, run = 1;\nfor (int i = 1; i < n; i++) {{\n  if ({c_cond})\n    run++;\n  else\n'
        '    run = 1;\n  if (run > best)\n    best = run;\n}\nprintf("%d\\n", best);',
        lambda v, py=py_cond: f'{_longest(v, py)}\n',
        array_inputs(rng, 4, rows),
      )
    )
  for name, words, cond, py in (
    ('positive_run', 'positive values', 'a[i] > 0', lambda x: x > 0),
    ('even_run', 'even values', 'a[i] % 2 == 0', lambda x: x % 2 == 0),
  ):
    out.append(
      task(
        'array_neighbors',
        name,
        3,
        (_array(),),
        values_phrase,
        f'the length of the longest run of consecutive {words} (0 if there are none), followed by a newline',
        f'int best = 0, run = 0;\nfor (int i = 0; i < n; i++) {{\n  run = {cond} ? run + 1 : 0;\n'
        '  if (run > best)\n    best = run;\n}\nprintf("%d\\n", best);',
        lambda v, py=py: f'{_longest_where(v, py)}\n',
        array_inputs(rng, 4, rows),
      )
    )
  out.append(
    task(
      'array_neighbors',
      'peaks',
      3,
      (_array(),),
      values_phrase,
      'how many values are greater than both of their neighbours (the first and the last value have one '
      'neighbour and are never counted), followed by a newline',
      'int count = 0;\nfor (int i = 1; i + 1 < n; i++)\n  if (a[i] > a[i - 1] && a[i] > a[i + 1])\n'
      '    count++;\nprintf("%d\\n", count);',
      lambda v: f'{sum(v[i - 1] < v[i] > v[i + 1] for i in range(1, len(v) - 1))}\n',
      array_inputs(rng, 4, [[1, 3, 2, 5, 4], [2, 2, 2]]),
    )
  )
  return out


def _all_body(style, rel: str, yes: str, no: str):
  loop = f'int ok = 1;\nfor (int i = 1; i < n; i++)\n  if (!(a[i] {rel} a[i - 1]))\n    ok = 0;\n'
  body, helper = choose(style, 'ok', yes, no, 'int ok', 'ok')
  return loop + body, helper


def _longest(v, same) -> int:
  best = run = 1
  for i in range(1, len(v)):
    run = run + 1 if same(v, i) else 1
    best = max(best, run)
  return best


def _longest_where(v, good) -> int:
  best = run = 0
  for x in v:
    run = run + 1 if good(x) else 0
    best = max(best, run)
  return best


def tasks() -> list:
  return _array_neighbors()
