"""Arrays, fourth part: sorting, and matrices read row by row (families sorting and matrix).

The held-out sets sort ascending and descending, remove duplicates, take the second largest, merge, rotate,
and transpose, add, multiply and sum the diagonal of matrices; these take the k smallest or the median after
sorting, and sum rows and columns. Sorting is written several ways (bubble, selection and insertion sort,
qsort).
"""

import random

from raftjax.data.corpus.arrays import array_inputs, values_phrase
from raftjax.data.corpus.loops import SEPARATORS
from raftjax.data.corpus.program import Array, Int, Matrix, task
from raftjax.data.corpus.snippets import joined, separator_words

FAMILIES = ('sorting', 'matrix')


def _array(lo: int = 1) -> Array:
  return Array(Int('n', lo, 100), 'a', -1000, 1000)


def _reads(lo: int):
  if lo == 1:
    return values_phrase
  return lambda s: f'an integer n ({lo} <= n <= 100) followed by n integers (each from -1000 to 1000)'


def _sort(style, descending: bool = False) -> tuple[str, str]:
  """Statements that sort a[0..n-1] (ascending, or descending), and the functions they need."""
  rel = '<' if descending else '>'
  how = style.pick('sort', ('bubble', 'selection', 'insertion', 'qsort'))
  if how == 'bubble':
    return (
      f'for (int i = 0; i < n - 1; i++)\n  for (int j = 0; j < n - 1 - i; j++)\n    if (a[j] {rel} a[j + 1]) {{\n'
      '      int t = a[j];\n      a[j] = a[j + 1];\n      a[j + 1] = t;\n    }\n',
      '',
    )
  if how == 'selection':
    return (
      f'for (int i = 0; i < n - 1; i++) {{\n  int m = i;\n  for (int j = i + 1; j < n; j++)\n'
      f'    if (a[m] {rel} a[j])\n      m = j;\n  int t = a[i];\n  a[i] = a[m];\n  a[m] = t;\n}}\n',
      '',
    )
  if how == 'insertion':
    return (
      f'for (int i = 1; i < n; i++) {{\n  int key = a[i];\n  int j = i - 1;\n'
      f'  while (j >= 0 && a[j] {rel} key) {{\n'
      '    a[j + 1] = a[j];\n    j--;\n  }\n  a[j + 1] = key;\n}\n',
      '',
    )
  first, second = ('y', 'x') if descending else ('x', 'y')
  return (
    'qsort(a, n, sizeof a[0], compare);\n',
    f'static int compare(const void *p, const void *q) {{\n  int x = *(const int *)p, y = *(const int *)q;\n'
    f'  return ({first} > {second}) - ({first} < {second});\n}}\n',
  )


def _sorted_then(rest: str, descending: bool = False):
  def body(s):
    code, helper = _sort(s, descending)
    return code + rest, helper

  return body


def _print_first(sep: str, k: int) -> str:
  c_sep = sep.replace('\n', '\\n')
  if sep == '\n':
    return f'for (int i = 0; i < n && i < {k}; i++)\n  printf("%d\\n", a[i]);'
  return (
    f'for (int i = 0; i < n && i < {k}; i++) {{\n  if (i > 0)\n    printf("{c_sep}");\n'
    '  printf("%d", a[i]);\n}\nprintf("\\n");'
  )


def _gaps(v: list[int]) -> list[int]:
  """The differences between neighbours of `v` sorted."""
  s = sorted(v)
  return [b - a for a, b in zip(s, s[1:])]


_GAP_LOOP = (
  'long long best = {init};\nfor (int i = {start}; i < n; i++)\n'
  '  if ((long long)a[i] - a[i - 1] {rel} best)\n    best = (long long)a[i] - a[i - 1];\n'
  'printf("%lld\\n", best);'
)


def _sorting() -> list:
  rng = random.Random('sorting')
  out = []
  rows = [[5, 3, 9, 1, 7, 3], [4, -2, 8], [10, 20, 30, 40, 50]]
  for k in range(2, 6):
    for desc in (False, True):
      which = 'largest' if desc else 'smallest'
      for sep in rng.sample(SEPARATORS, 2):
        out.append(
          task(
            'sorting',
            f'{which}_{k}_{len(out)}',
            3,
            (_array(),),
            values_phrase,
            f'the {k} {which} of the n integers {order_words(desc)} (all n of them if n is less than {k}), '
            f'{separator_words(sep)}',
            _sorted_then(_print_first(sep, k), desc),
            lambda v, k=k, d=desc, sep=sep: joined(sorted(v, reverse=d)[:k], sep),
            array_inputs(rng, 4, rows),
          )
        )
      total = f'long long sum = 0;\nfor (int i = 0; i < n && i < {k}; i++)\n  sum += a[i];\nprintf("%lld\\n", sum);'
      out.append(
        task(
          'sorting',
          f'sum_{which}_{k}',
          3,
          (_array(),),
          values_phrase,
          f'the sum of the {k} {which} of the n integers (of all of them if n is less than {k}), followed by a newline',
          _sorted_then(total, desc),
          lambda v, k=k, d=desc: f'{sum(sorted(v, reverse=d)[:k])}\n',
          array_inputs(rng, 4, rows),
        )
      )
      out.append(
        task(
          'sorting',
          f'kth_{which}_{k}',
          3,
          (_array(k),),
          _reads(k),
          f'the {_ORD[k]} {which} of the n integers (after sorting them {order_words(desc)}, the value at '
          f'position {k} counting from 1), followed by a newline',
          _sorted_then(f'printf("%d\\n", a[{k - 1}]);', desc),
          lambda v, k=k, d=desc: f'{sorted(v, reverse=d)[k - 1]}\n',
          array_inputs(rng, 4, rows, nlo=k),
        )
      )
  out.append(
    task(
      'sorting',
      'median_low',
      3,
      (_array(),),
      values_phrase,
      'the middle value after sorting them from the smallest up: the value at position n / 2 counting from '
      '0 (with integer division), followed by a newline',
      _sorted_then('printf("%d\\n", a[n / 2]);'),
      lambda v: f'{sorted(v)[len(v) // 2]}\n',
      array_inputs(rng, 4, rows),
    )
  )
  for sep in SEPARATORS:
    out.append(
      task(
        'sorting',
        f'unique_{len(out)}',
        3,
        (_array(),),
        values_phrase,
        f'the different values among the n integers from the smallest up, each once, {separator_words(sep)}',
        _sorted_then(_unique(sep)),
        lambda v, sep=sep: joined(sorted(set(v)), sep),
        array_inputs(rng, 4, [[4, 1, 4, 2, 1], [7, 7, 7]]),
      )
    )
  first_gap = 'n > 1 ? (long long)a[1] - a[0] : 0'
  for name, most, code in (
    ('gap', 'largest', _GAP_LOOP.format(init=0, start=1, rel='>')),
    ('close', 'smallest', _GAP_LOOP.format(init=first_gap, start=2, rel='<')),
  ):
    pick = max if most == 'largest' else min
    out.append(
      task(
        'sorting',
        name,
        3,
        (_array(),),
        values_phrase,
        f'the {most} difference between two values that are next to each other after sorting (0 if n is '
        '1), followed by a newline',
        _sorted_then(code),
        lambda v, pick=pick: f'{pick(_gaps(v), default=0)}\n',
        array_inputs(rng, 4, rows),
      )
    )
  return out


_ORD = {2: 'second', 3: 'third', 4: 'fourth', 5: 'fifth'}


def order_words(descending: bool) -> str:
  return 'from the largest down' if descending else 'from the smallest up'


def _unique(sep: str) -> str:
  c_sep = sep.replace('\n', '\\n')
  if sep == '\n':
    return 'for (int i = 0; i < n; i++)\n  if (i == 0 || a[i] != a[i - 1])\n    printf("%d\\n", a[i]);'
  return (
    f'for (int i = 0; i < n; i++) {{\n  if (i > 0 && a[i] == a[i - 1])\n    continue;\n  if (i > 0)\n'
    f'    printf("{c_sep}");\n  printf("%d", a[i]);\n}}\nprintf("\\n");'
  )


_MATRIX = (  # (id, words, C, Python over the rows)
  (
    'row_sums',
    'the sum of every row, one per line',
    'for (int i = 0; i < r; i++) {\n  long long sum = 0;\n  for (int j = 0; j < c; j++)\n    sum += m[i][j];\n'
    '  printf("%lld\\n", sum);\n}',
    lambda rows: ''.join(f'{sum(r)}\n' for r in rows),
  ),
  (
    'col_sums',
    'the sum of every column on one line, separated by single spaces, followed by a newline',
    'for (int j = 0; j < c; j++) {\n  long long sum = 0;\n  for (int i = 0; i < r; i++)\n    sum += m[i][j];\n'
    '  printf(j > 0 ? " %lld" : "%lld", sum);\n}\nprintf("\\n");',
    lambda rows: ' '.join(str(sum(col)) for col in zip(*rows)) + '\n',
  ),
  (
    'row_max',
    'the largest value of every row, one per line',
    'for (int i = 0; i < r; i++) {\n  int best = m[i][0];\n  for (int j = 1; j < c; j++)\n    if (m[i][j] > best)\n'
    '      best = m[i][j];\n  printf("%d\\n", best);\n}',
    lambda rows: ''.join(f'{max(r)}\n' for r in rows),
  ),
  (
    'col_min',
    'the smallest value of every column on one line, separated by single spaces, followed by a newline',
    'for (int j = 0; j < c; j++) {\n  int best = m[0][j];\n  for (int i = 1; i < r; i++)\n    if (m[i][j] < best)\n'
    '      best = m[i][j];\n  printf(j > 0 ? " %d" : "%d", best);\n}\nprintf("\\n");',
    lambda rows: ' '.join(str(min(col)) for col in zip(*rows)) + '\n',
  ),
  (
    'total',
    'the sum of all entries, followed by a newline',
    'long long sum = 0;\nfor (int i = 0; i < r; i++)\n  for (int j = 0; j < c; j++)\n    sum += m[i][j];\n'
    'printf("%lld\\n", sum);',
    lambda rows: f'{sum(map(sum, rows))}\n',
  ),
  (
    'border',
    'the sum of the entries on the border (the first and last row and the first and last column, each '
    'entry counted once), followed by a newline',
    'long long sum = 0;\nfor (int i = 0; i < r; i++)\n  for (int j = 0; j < c; j++)\n'
    '    if (i == 0 || i == r - 1 || j == 0 || j == c - 1)\n      sum += m[i][j];\nprintf("%lld\\n", sum);',
    lambda rows: f'{_border(rows)}\n',
  ),
  (
    'best_row',
    'the number (counting from 1) of the row with the largest sum (the first such row if there is a tie), '
    'followed by a newline',
    'int best = 0;\nlong long top = 0;\nfor (int i = 0; i < r; i++) {\n  long long sum = 0;\n'
    '  for (int j = 0; j < c; j++)\n'
    '    sum += m[i][j];\n  if (i == 0 || sum > top) {\n    top = sum;\n    best = i;\n  }\n}\n'
    'printf("%d\\n", best + 1);',
    lambda rows: f'{[sum(r) for r in rows].index(max(sum(r) for r in rows)) + 1}\n',
  ),
  (
    'mirror',
    'the matrix with every row reversed, one row per line with the entries separated by single spaces',
    'for (int i = 0; i < r; i++) {\n  for (int j = c - 1; j >= 0; j--)\n'
    '    printf(j < c - 1 ? " %d" : "%d", m[i][j]);\n'
    '  printf("\\n");\n}',
    lambda rows: ''.join(' '.join(map(str, r[::-1])) + '\n' for r in rows),
  ),
  (
    'upside_down',
    'the rows in reverse order (the last row first), one row per line with the entries separated by single spaces',
    'for (int i = r - 1; i >= 0; i--) {\n  for (int j = 0; j < c; j++)\n'
    '    printf(j > 0 ? " %d" : "%d", m[i][j]);\n  printf("\\n");\n}',
    lambda rows: ''.join(' '.join(map(str, r)) + '\n' for r in rows[::-1]),
  ),
  (
    'negatives',
    'how many entries are negative, followed by a newline',
    'int count = 0;\nfor (int i = 0; i < r; i++)\n  for (int j = 0; j < c; j++)\n    if (m[i][j] < 0)\n'
    '      count++;\nprintf("%d\\n", count);',
    lambda rows: f'{sum(x < 0 for r in rows for x in r)}\n',
  ),
)


def _border(rows: list[list[int]]) -> int:
  return sum(x for i, r in enumerate(rows) for j, x in enumerate(r) if i in (0, len(rows) - 1) or j in (0, len(r) - 1))


def _matrix() -> list:
  rng = random.Random('matrix')
  out = []
  for name, words, body, py in _MATRIX:
    for variant in range(4):
      hi = (10, 5, 20, 8)[variant]
      fields = (Matrix(Int('r', 1, hi), Int('c', 1, hi), 'm'),)
      inputs = []
      for rows, cols in ((2, 3), (1, 1), (3, 2), (rng.randint(2, 4), rng.randint(2, 4)))[:4]:
        values = [[rng.randint(-9, 20) for _ in range(cols)] for _ in range(rows)]
        inputs.append(f'{rows} {cols}\n' + ''.join(' '.join(map(str, r)) + '\n' for r in values))
      out.append(
        task(
          'matrix',
          f'{name}_{hi}_{variant}',
          3,
          fields,
          f'two integers r and c (1 <= r, c <= {hi}), the number of rows and columns of a matrix, and then '
          'its r * c integer entries row by row',
          f'{words}',
          body,
          lambda rows, py=py: py(rows),
          inputs,
        )
      )
  return out


def tasks() -> list:
  return _sorting() + _matrix()
