"""Arrays: a count n and then n integers, read into an array or one at a time, and counted, summed, mapped,
filtered or searched.

The held-out sets sum all of them, count the positive ones, find the minimum and maximum, the index of the
maximum, reverse them, sum the even ones, count or find a value x, and print running totals; these count
and sum under other conditions, map with other expressions and search in other ways (the last position of
x, the first value above x, the value closest to x). n is always checked (it sizes the array); the values
only where a square could overflow.
"""

import random
from functools import partial

from raftjax.data.corpus import ops
from raftjax.data.corpus.loops import SEPARATORS
from raftjax.data.corpus.program import Array, Int, task
from raftjax.data.corpus.scan import cdiv, cmod
from raftjax.data.corpus.snippets import joined, separator_words

FAMILIES = ('array_count', 'array_sum', 'array_map', 'array_search')
LO, HI = -1000, 1000


def values_phrase(style, lo: int = LO, hi: int = HI, what: str = 'integers') -> str:
  """How a prompt names the input: a count n and then n integers."""
  return style.pick(
    'array_words',
    (
      f'an integer n (1 <= n <= 100) followed by n {what} (each from {lo} to {hi})',
      f'a count n (1 to 100) and then n {what} between {lo} and {hi}, all separated by whitespace,',
      f'n (1 <= n <= 100) and then n {what}, each between {lo} and {hi}',
    ),
  )


def array_inputs(rng: random.Random, count: int = 4, fixed=(), lo: int = LO, hi: int = HI, nlo: int = 1) -> list[str]:
  """Test inputs "n\\nv1 v2 ...\\n": the `fixed` lists first, then a one-element list and random ones."""
  rows = [list(f) for f in fixed if len(f) >= nlo]
  if nlo == 1:
    rows.append([rng.randint(max(lo, -30), min(hi, 60))])
  while len(rows) < count:
    n = rng.randint(max(nlo, 4), 9)
    wide = rng.random() < 0.25
    row = [rng.randint(lo, hi) if wide else rng.randint(max(lo, -30), min(hi, 60)) for _ in range(n)]
    if row not in rows:
      rows.append(row)
  return [f'{len(r)}\n{" ".join(map(str, r))}\n' for r in rows[:count]]


def each(style, field: Array, statements: str) -> str:
  """A loop over the values that runs `statements` with x holding each one: read one at a time (a stream
  array) or taken from the array read before."""
  inner = '\n'.join('  ' + ln for ln in statements.split('\n'))
  if field.stream:
    read = '\n'.join(field.scan('x', style, '  '))
    return f'for (int i = 0; i < n; i++) {{\n  int x;\n{read}\n{inner}\n}}'
  return f'for (int i = 0; i < n; i++) {{\n  int x = {field.name}[i];\n{inner}\n}}'


def _array(stream=None, check: bool = False) -> Array:
  return Array(Int('n', 1, 100), 'a', LO, HI, check=check, stream=stream)


def _count_body(pred: ops.Pred):
  def body(s):
    field = _array(s.flag('stream'))
    count = s.pick('count', ('count', 'c', 'hits'))
    helper, name = ops.c_bool(s, pred) if s.flag('helper') else ('', None)
    test = f'{name}(x)' if name else pred.of('x')
    loop = each(s, field, f'if ({test})\n  {count}++;')
    return f'int {count} = 0;\n{loop}\nprintf("%d\\n", {count});', helper

  return body


def _mixed(rng, pred: ops.Pred, count: int = 3) -> list[list[int]]:
  """`count` lists in which 1, 2, ... values meet `pred` and the others do not."""
  pool = [rng.randint(LO, HI) if i % 2 else rng.randint(-60, 120) for i in range(3000)]
  yes, no = [v for v in pool if pred.py(v)], [v for v in pool if not pred.py(v)]
  rows = []
  for i in range(count):
    row = rng.sample(yes, min(i + 1, len(yes))) + rng.sample(no, min(2 + i % 2, len(no)))
    rng.shuffle(row)
    rows.append(row)
  return rows


def _array_count() -> list:
  rng = random.Random('array_count')
  out = []
  for pred in ops.predicates(rng, 62, LO, HI, kinds=('compare', 'divisible', 'range', 'parity')):
    if pred.id == 'gt_0':
      continue
    out.append(
      task(
        'array_count',
        pred.id,
        2,
        (_array(None),),
        values_phrase,
        f'how many of the n integers {pred.are}, followed by a newline',
        _count_body(pred),
        lambda v, p=pred: f'{sum(1 for x in v if p.py(x))}\n',
        array_inputs(rng, 4, _mixed(rng, pred)),
      )
    )
  for name, words, cond, py in (
    (
      'above_first',
      'how many of the n integers are greater than the first one',
      'a[i] > a[0]',
      lambda v: sum(x > v[0] for x in v),
    ),
    (
      'below_last',
      'how many of the n integers are smaller than the last one',
      'a[i] < a[n - 1]',
      lambda v: sum(x < v[-1] for x in v),
    ),
    (
      'equal_first',
      'how many of the n integers are equal to the first one (the first one included)',
      'a[i] == a[0]',
      lambda v: sum(x == v[0] for x in v),
    ),
    (
      'above_average',
      'how many of the n integers are greater than their average (compare x * n with the sum, no rounding)',
      '(long long)a[i] * n > sum',
      lambda v: sum(x * len(v) > sum(v) for x in v),
    ),
  ):
    pre = 'long long sum = 0;\nfor (int i = 0; i < n; i++)\n  sum += a[i];\n' if 'sum' in cond else ''
    out.append(
      task(
        'array_count',
        name,
        2,
        (_array(False),),
        values_phrase,
        f'{words}, followed by a newline',
        f'{pre}int count = 0;\nfor (int i = 0; i < n; i++)\n  if ({cond})\n    count++;\nprintf("%d\\n", count);',
        lambda v, py=py: f'{py(v)}\n',
        array_inputs(rng, 4, [[5, 2, 9, 5, 7]]),
      )
    )
  for k in rng.sample(range(-20, 40), 5):
    out.append(
      task(
        'array_count',
        f'pairs_sum_{k}'.replace('-', 'm'),
        3,
        (_array(False),),
        values_phrase,
        f'how many pairs of positions i < j have values that add up to {k}, followed by a newline',
        f'int count = 0;\nfor (int i = 0; i < n; i++)\n  for (int j = i + 1; j < n; j++)\n'
        f'    if ((long long)a[i] + a[j] == {k})\n      count++;\nprintf("%d\\n", count);',
        lambda v, k=k: f'{sum(v[i] + v[j] == k for i in range(len(v)) for j in range(i + 1, len(v)))}\n',
        array_inputs(rng, 4, [[k - 1, 1, k, 0, 2, k - 2]]),
      )
    )
  return out


def _sum_body(term: str, fmt: str = '%lld', check: bool = False):
  def body(s):
    field = _array(s.flag('stream'), check)
    total = s.pick('total', ('sum', 'total', 's'))
    return f'long long {total} = 0;\n' + each(s, field, f'{total} += {term};') + f'\nprintf("{fmt}\\n", {total});'

  return body


def _array_sum() -> list:
  rng = random.Random('array_sum')
  out = []
  for pred in ops.predicates(rng, 30, LO, HI, kinds=('compare', 'divisible', 'range', 'parity')):
    if pred.id == 'ndiv_2':
      continue
    out.append(
      task(
        'array_sum',
        f'where_{pred.id}',
        2,
        (_array(None),),
        values_phrase,
        f'the sum of those of the n integers that {pred.are} (0 if there are none), followed by a newline',
        _sum_body(f'({pred.of("x")} ? x : 0)'),
        lambda v, p=pred: f'{sum(x for x in v if p.py(x))}\n',
        array_inputs(rng, 4, _mixed(rng, pred)),
      )
    )
  terms = [
    ('squares', 'the sum of the squares of the n integers', '(long long)x * x', lambda x: x * x, True),
    ('abs', 'the sum of the absolute values of the n integers', '(x < 0 ? -(long long)x : x)', abs, False),
  ]
  for k in rng.sample(range(2, 13), 4):
    terms.append((f'times_{k}', f'{k} times the sum of the n integers', f'{k}LL * x', lambda x, k=k: k * x, False))
  for k in rng.sample(range(3, 13), 4):
    terms.append(
      (
        f'rem_{k}',
        f"the sum of the remainders of the n integers divided by {k} (C's %: a negative "
        'value has a negative remainder)',
        f'x % {k}',
        lambda x, k=k: cmod(x, k),
        False,
      )
    )
  for name, words, term, py, check in terms:
    out.append(
      task(
        'array_sum',
        name,
        2,
        (_array(None, check),),
        values_phrase,
        f'{words}, followed by a newline',
        _sum_body(term, check=check),
        lambda v, py=py: f'{sum(py(x) for x in v)}\n',
        array_inputs(rng, 4, [[3, -4, 5, 0]]),
      )
    )
  for name, words, body, py in _EXTREMES:
    out.append(
      task(
        'array_sum',
        name,
        2,
        (_array(False),),
        values_phrase,
        f'{words}, followed by a newline',
        body,
        lambda v, py=py: f'{py(v)}\n',
        array_inputs(rng, 4, [[4, -2, 9, 9, 1]]),
      )
    )
  for k in range(2, 7):
    for where in ('first', 'last'):
      part = 'a[i]' if where == 'first' else 'a[n - 1 - i]'
      out.append(
        task(
          'array_sum',
          f'{where}_{k}',
          2,
          (_array(False),),
          values_phrase,
          f'the sum of the {where} {k} of the n integers (of all of them when n is less than {k}), '
          'followed by a newline',
          f'long long sum = 0;\nfor (int i = 0; i < n && i < {k}; i++)\n  sum += {part};\nprintf("%lld\\n", sum);',
          lambda v, k=k, w=where: f'{sum(v[:k] if w == "first" else v[-k:])}\n',
          array_inputs(rng, 4, [list(range(1, k + 3))]),
        )
      )
  return out


_EXTREMES = (
  (
    'range',
    'the largest of the n integers minus the smallest',
    'int lo = a[0], hi = a[0];\nfor (int i = 1; i < n; i++) {\n  if (a[i] < lo)\n    lo = a[i];\n  if (a[i] > hi)\n'
    '    hi = a[i];\n}\nprintf("%lld\\n", (long long)hi - lo);',
    lambda v: max(v) - min(v),
  ),
  (
    'even_positions',
    'the sum of the integers at even positions (the first, the third, and so on)',
    'long long sum = 0;\nfor (int i = 0; i < n; i += 2)\n  sum += a[i];\nprintf("%lld\\n", sum);',
    lambda v: sum(v[::2]),
  ),
  (
    'odd_positions',
    'the sum of the integers at the second, fourth, sixth, ... positions (0 if n is 1)',
    'long long sum = 0;\nfor (int i = 1; i < n; i += 2)\n  sum += a[i];\nprintf("%lld\\n", sum);',
    lambda v: sum(v[1::2]),
  ),
  (
    'average_down',
    "their average as a whole number: the sum divided by n with C's integer division (rounding toward zero)",
    'long long sum = 0;\nfor (int i = 0; i < n; i++)\n  sum += a[i];\nprintf("%lld\\n", sum / n);',
    lambda v: cdiv(sum(v), len(v)),
  ),
  (
    'largest_abs',
    'the largest absolute value among the n integers',
    'long long best = 0;\nfor (int i = 0; i < n; i++) {\n  long long m = a[i] < 0 ? -(long long)a[i] : a[i];\n'
    '  if (m > best)\n    best = m;\n}\nprintf("%lld\\n", best);',
    lambda v: max(abs(x) for x in v),
  ),
  (
    'max_only',
    'the largest of the n integers',
    'int best = a[0];\nfor (int i = 1; i < n; i++)\n  if (a[i] > best)\n    best = a[i];\nprintf("%d\\n", best);',
    max,
  ),
  (
    'weighted',
    'the sum of every integer times its position counting from 1 (1 * first + 2 * second + ...)',
    'long long sum = 0;\nfor (int i = 0; i < n; i++)\n  sum += (long long)(i + 1) * a[i];\nprintf("%lld\\n", sum);',
    lambda v: sum((i + 1) * x for i, x in enumerate(v)),
  ),
)


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
  return _array_count() + _array_sum() + _array_map() + _array_search()
