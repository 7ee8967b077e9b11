"""Arrays: a count n and then n integers, read into an array or one at a time, and counted or summed (families
array_count and array_sum; mapping.py maps, filters and searches them).

The held-out sets sum all of them, count the positive ones, find the minimum and maximum and sum the even
ones; these count and sum under other conditions. n is always checked (it sizes the array); the values only
where a square could overflow. mapping.py, neighbors.py and ordering.py phrase the input and make test
inputs with the helpers here.
"""

import random

from raftjax.data.corpus import ops
from raftjax.data.corpus.program import Array, Int, task
from raftjax.data.corpus.scan import cdiv, cmod

FAMILIES = ('array_count', 'array_sum')


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


def tasks() -> list:
  return _array_count() + _array_sum()
