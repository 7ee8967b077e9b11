"""Arrays, second part: the n integers mapped or filtered and printed (family array_map), and searched for a
value x read with them (array_search).

The held-out sets reverse them, print running totals, count or find a value x and take the index of the
maximum; these map with other expressions, keep the values that meet other conditions, and search in other
ways (the last position of x, the first value above x, the value closest to x). Reading and the inputs are
arrays.py's.
"""

import random
from functools import partial

from raftjax.data.corpus import ops
from raftjax.data.corpus.arrays import HI, LO, _array, _mixed, array_inputs, each, values_phrase
from raftjax.data.corpus.loops import SEPARATORS
from raftjax.data.corpus.program import Array, Int, task
from raftjax.data.corpus.scan import cdiv, cmod
from raftjax.data.corpus.snippets import joined, separator_words

FAMILIES = ('array_map', 'array_search')


_MAPS = (  # (id, words with {k}, C with {k}, Python)
  ('times', '{k} times each integer', '{k}LL * x', lambda x, k: k * x),
  ('plus', 'each integer plus {k}', '(long long)x + {k}', lambda x, k: x + k),
  ('from_k', '{k} minus each integer', '{k} - (long long)x', lambda x, k: k - x),
  ('rem', "the remainder of each integer divided by {k} (with C's %)", 'x % {k}', lambda x, k: cmod(x, k)),
  ('half', "each integer divided by {k} with C's integer division", 'x / {k}', lambda x, k: cdiv(x, k)),
  ('lin', '{k} times each integer minus 1', '{k}LL * x - 1', lambda x, k: k * x - 1),
)


def _map_body(expr: str, sep: str):
  c_sep = sep.replace('\n', '\\n')

  def body(s):
    field = _array(s.flag('stream'))
    if sep == '\n':
      return each(s, field, f'printf("%lld\\n", (long long)({expr}));')
    return (
      each(s, field, f'if (i > 0)\n  printf("{c_sep}");\nprintf("%lld", (long long)({expr}));') + '\nprintf("\\n");'
    )

  return body


def _array_map() -> list:
  rng = random.Random('array_map')
  out = []
  for name, words, c, py in _MAPS:
    for k in rng.sample(range(2, 15), 6):
      sep = rng.choice(SEPARATORS)
      out.append(
        task(
          'array_map',
          f'{name}_{k}_{len(out)}',
          2,
          (_array(None),),
          values_phrase,
          f'{words.format(k=k)}, in the order they were read, {separator_words(sep)}',
          _map_body(c.format(k=k), sep),
          lambda v, py=py, k=k, sep=sep: joined([py(x, k) for x in v], sep),
          array_inputs(rng, 4, [[7, -3, 0, 12]]),
        )
      )
  for pred in ops.predicates(rng, 22, LO, HI, kinds=('compare', 'divisible', 'range', 'parity')):
    sep = rng.choice(SEPARATORS)
    empty = 'nothing' if sep == '\n' else 'an empty line'
    out.append(
      task(
        'array_map',
        f'keep_{pred.id}_{len(out)}',
        2,
        (_array(None),),
        values_phrase,
        f'those of the n integers that {pred.are}, in the order they were read, {separator_words(sep)} '
        f'({empty} if there are none)',
        _filter_body(pred, sep),
        lambda v, p=pred, sep=sep: joined([x for x in v if p.py(x)], sep),
        array_inputs(rng, 4, _mixed(rng, pred)),
      )
    )
  for k in range(2, 6):
    sep = rng.choice(SEPARATORS)
    out.append(
      task(
        'array_map',
        f'every_{k}',
        2,
        (_array(False),),
        values_phrase,
        f'every {_NTH[k]} integer starting with the first (positions 1, {k + 1}, {2 * k + 1}, ...), '
        f'{separator_words(sep)}',
        lambda s, k=k, sep=sep: _seq(s, f'int i = 0; i < n; i += {k}', 'a[i]', sep),
        lambda v, k=k, sep=sep: joined(v[::k], sep),
        array_inputs(rng, 4, [list(range(10, 21))]),
      )
    )
  for name, words, rel, py in (
    ('running_max', 'the largest value seen so far', '>', max),
    ('running_min', 'the smallest value seen so far', '<', min),
  ):
    sep = rng.choice(SEPARATORS[1:])
    update = f'if (a[i] {rel} best)\n  best = a[i];'
    body = partial(_running, update=update, sep=sep)
    out.append(
      task(
        'array_map',
        name,
        2,
        (_array(False),),
        values_phrase,
        f'for every position, {words} (the running {name[8:]}imum), {separator_words(sep)}',
        body,
        lambda v, py=py, sep=sep: joined([py(v[: i + 1]) for i in range(len(v))], sep),
        array_inputs(rng, 4, [[3, 1, 4, 1, 5, 9, 2, 6]]),
      )
    )
  return out


_NTH = {2: 'second', 3: 'third', 4: 'fourth', 5: 'fifth'}


def _running(style, update: str, sep: str) -> str:
  return 'int best = a[0];\n' + _seq(style, 'int i = 0; i < n; i++', 'best', sep, update)


def _seq(style, head: str, item: str, sep: str, before: str = '') -> str:
  """Prints `item` for each step of `head` (after `before`), as `joined` does."""
  c_sep = sep.replace('\n', '\\n')
  pre = ''.join(f'  {ln}\n' for ln in before.split('\n') if ln)
  if sep == '\n':
    return f'for ({head}) {{\n{pre}  printf("%d\\n", {item});\n}}'
  return f'for ({head}) {{\n{pre}  if (i > 0)\n    printf("{c_sep}");\n  printf("%d", {item});\n}}\nprintf("\\n");'


def _filter_body(pred: ops.Pred, sep: str):
  c_sep = sep.replace('\n', '\\n')

  def body(s):
    field = _array(s.flag('stream'))
    if sep == '\n':
      return each(s, field, f'if ({pred.of("x")})\n  printf("%d\\n", x);')
    return (
      'int shown = 0;\n'
      + each(
        s,
        field,
        f'if ({pred.of("x")}) {{\n  if (shown > 0)\n    printf("{c_sep}");\n  printf("%d", x);\n  shown++;\n}}',
      )
      + '\nprintf("\\n");'
    )

  return body


_SEARCH = (  # (id, prompt words, C (a, n, x), Python (values, x))
  (
    'last_at',
    'the position (counting from 0) of the last occurrence of x among the n integers, or -1 if x does not occur',
    'int pos = -1;\nfor (int i = 0; i < n; i++)\n  if (a[i] == x)\n    pos = i;\nprintf("%d\\n", pos);',
    lambda v, x: max((i for i, y in enumerate(v) if y == x), default=-1),
  ),
  (
    'first_at_1',
    'the position (counting from 1) of the first occurrence of x among the n integers, or 0 if x does not occur',
    'int pos = 0;\nfor (int i = n - 1; i >= 0; i--)\n  if (a[i] == x)\n    pos = i + 1;\nprintf("%d\\n", pos);',
    lambda v, x: next((i + 1 for i, y in enumerate(v) if y == x), 0),
  ),
  (
    'first_above',
    'the first of the n integers that is greater than x, or the word none if there is none',
    'for (int i = 0; i < n; i++) {\n  if (a[i] > x) {\n    printf("%d\\n", a[i]);\n    return 0;\n  }\n}\n'
    'printf("none\\n");',
    lambda v, x: next((str(y) for y in v if y > x), 'none'),
  ),
  (
    'count_above',
    'how many of the n integers are greater than x',
    'int count = 0;\nfor (int i = 0; i < n; i++)\n  if (a[i] > x)\n    count++;\nprintf("%d\\n", count);',
    lambda v, x: sum(y > x for y in v),
  ),
  (
    'sum_below',
    'the sum of the n integers that are less than x (0 if there are none)',
    'long long sum = 0;\nfor (int i = 0; i < n; i++)\n  if (a[i] < x)\n    sum += a[i];\nprintf("%lld\\n", sum);',
    lambda v, x: sum(y for y in v if y < x),
  ),
  (
    'closest',
    'the integer among the n that is closest to x (the smaller one if two are equally close)',
    'int best = a[0];\nfor (int i = 1; i < n; i++) {\n  long long d = (long long)a[i] - x, e = (long long)best - x;\n'
    '  if (d < 0)\n    d = -d;\n  if (e < 0)\n    e = -e;\n  if (d < e || (d == e && a[i] < best))\n'
    '    best = a[i];\n}\n'
    'printf("%d\\n", best);',
    lambda v, x: min(v, key=lambda y: (abs(y - x), y)),
  ),
  (
    'before_x',
    'how many of the n integers come before the first occurrence of x (n if x does not occur)',
    'int count = 0;\nwhile (count < n && a[count] != x)\n  count++;\nprintf("%d\\n", count);',
    lambda v, x: next((i for i, y in enumerate(v) if y == x), len(v)),
  ),
  (
    'smallest_above',
    'the smallest of the n integers that is greater than x, or the word none if there is none',
    'int found = 0, best = 0;\nfor (int i = 0; i < n; i++)\n  if (a[i] > x && (!found || a[i] < best)) {\n'
    '    best = a[i];\n    found = 1;\n  }\nif (found)\n  printf("%d\\n", best);\nelse\n  printf("none\\n");',
    lambda v, x: str(min((y for y in v if y > x), default='none')),
  ),
  (
    'multiples_of_x',
    'how many of the n integers are multiples of x (x is from 1 to 100)',
    'int count = 0;\nfor (int i = 0; i < n; i++)\n  if (a[i] % x == 0)\n    count++;\nprintf("%d\\n", count);',
    lambda v, x: sum(y % x == 0 for y in v),
  ),
  (
    'within',
    'how many of the n integers differ from x by at most 5',
    'int count = 0;\nfor (int i = 0; i < n; i++)\n  if ((long long)a[i] - x <= 5 && (long long)x - a[i] <= 5)\n'
    '    count++;\nprintf("%d\\n", count);',
    lambda v, x: sum(abs(y - x) <= 5 for y in v),
  ),
)


def _array_search() -> list:
  rng = random.Random('array_search')
  out = []
  for name, words, body, py in _SEARCH:
    for x_first in (False, True):
      for check in (False, True):
        x_lo = 1 if name == 'multiples_of_x' else LO
        x = Int('x', x_lo, 100 if x_lo == 1 else HI, check=True if x_lo == 1 else None)
        array = Array(Int('n', 1, 100), 'a', LO, HI, check=check)
        fields = (x, array) if x_first else (array, x)
        order = (
          f'an integer x ({x.lo} <= x <= {x.hi}), then an integer n (1 <= n <= 100), then n integers'
          if x_first
          else f'an integer n (1 <= n <= 100), then n integers, then one more integer x ({x.lo} <= x <= {x.hi})'
        )
        bounds = f' (each of the n integers from {LO} to {HI})' if check else ''
        rows = [[rng.randint(-20, 40) for _ in range(rng.randint(3, 8))] for _ in range(4)]
        xs = [rng.choice(r) if i % 2 == 0 and x_lo < 0 else rng.randint(1, 9) for i, r in enumerate(rows)]
        inputs = [
          (f'{x_}\n{len(r)}\n' if x_first else f'{len(r)}\n')
          + ' '.join(map(str, r))
          + ('\n' if x_first else f'\n{x_}\n')
          for r, x_ in zip(rows, xs)
        ]
        py_ = (lambda x_, v, py=py: f'{py(v, x_)}\n') if x_first else (lambda v, x_, py=py: f'{py(v, x_)}\n')
        out.append(
          task(
            'array_search',
            f'{name}_{int(x_first)}{int(check)}',
            3,
            fields,
            f'{order}, all separated by whitespace{bounds},',
            f'{words}, followed by a newline',
            body,
            py_,
            inputs,
          )
        )
  return out


def tasks() -> list:
  return _array_map() + _array_search()
