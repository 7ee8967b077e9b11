"""Larger, smaller and in order: expressions of the maximum and minimum of a few integers, and a few integers
put in order.

The held-out sets take the max and min of two, the max of three, the middle of three, the distance of two
and clamp; these add and scale extremes (the larger plus 7, the two largest of three summed) and sort three
to five numbers with separators. Written with if statements, the ternary operator or small max/min helpers.
"""

import random

from raftjax.data.corpus.arithmetic import tuple_inputs
from raftjax.data.corpus.program import Int, some_ints, task
from raftjax.data.corpus.snippets import choose, joined, separator_words

FAMILIES = ('extremes', 'order')
_HELPERS = (
  'static int max2(int x, int y) {\n  return x > y ? x : y;\n}\n\n'
  'static int min2(int x, int y) {\n  return x < y ? x : y;\n}\n'
)


def _extreme(style, expr_helpers: str, expr_plain: str) -> tuple[str, str]:
  """Prints an expression written with max2/min2 helpers, or with the ternary operator."""
  if style.flag('helpers'):
    used = ''.join(part for part in _HELPERS.split('\n\n') if part.split('(')[0].split()[-1] in expr_helpers)
    return f'printf("%d\\n", {expr_helpers});', used.replace('}\nstatic', '}\n\nstatic')
  return f'printf("%d\\n", {expr_plain});', ''


_TWO = (  # (id, words with {k}, with helpers, plain C, Python)
  (
    'max_plus',
    'the larger of a and b plus {k}',
    'max2(a, b) + {k}',
    '(a > b ? a : b) + {k}',
    lambda a, b, k: max(a, b) + k,
  ),
  (
    'min_times',
    'the smaller of a and b times {k}',
    'min2(a, b) * {k}',
    '(a < b ? a : b) * {k}',
    lambda a, b, k: min(a, b) * k,
  ),
  (
    'gap_times',
    'the larger of a and b minus the smaller, times {k}',
    '(max2(a, b) - min2(a, b)) * {k}',
    '(a > b ? a - b : b - a) * {k}',
    lambda a, b, k: abs(a - b) * k,
  ),
  (
    'max_shifted',
    'the larger of a + {k} and b',
    'max2(a + {k}, b)',
    '(a + {k} > b ? a + {k} : b)',
    lambda a, b, k: max(a + k, b),
  ),
  (
    'min_with_k',
    'the smallest of a, b and {k}',
    'min2(min2(a, b), {k})',
    '(a < b ? (a < {k} ? a : {k}) : (b < {k} ? b : {k}))',
    lambda a, b, k: min(a, b, k),
  ),
  (
    'max_with_k',
    'the largest of a, b and {k}',
    'max2(max2(a, b), {k})',
    '(a > b ? (a > {k} ? a : {k}) : (b > {k} ? b : {k}))',
    lambda a, b, k: max(a, b, k),
  ),
)
_THREE = (
  (
    'top_two',
    'the sum of the two largest of a, b and c',
    'a + b + c - min2(a, min2(b, c))',
    'a + b + c - (a < b ? (a < c ? a : c) : (b < c ? b : c))',
    lambda a, b, c: a + b + c - min(a, b, c),
  ),
  (
    'low_two',
    'the sum of the two smallest of a, b and c',
    'a + b + c - max2(a, max2(b, c))',
    'a + b + c - (a > b ? (a > c ? a : c) : (b > c ? b : c))',
    lambda a, b, c: a + b + c - max(a, b, c),
  ),
  (
    'spread',
    'the largest of a, b and c minus the smallest',
    'max2(a, max2(b, c)) - min2(a, min2(b, c))',
    '(a > b ? (a > c ? a : c) : (b > c ? b : c)) - (a < b ? (a < c ? a : c) : (b < c ? b : c))',
    lambda a, b, c: max(a, b, c) - min(a, b, c),
  ),
  (
    'max_plus_min',
    'the largest of a, b and c plus the smallest',
    'max2(a, max2(b, c)) + min2(a, min2(b, c))',
    '(a > b ? (a > c ? a : c) : (b > c ? b : c)) + (a < b ? (a < c ? a : c) : (b < c ? b : c))',
    lambda a, b, c: max(a, b, c) + min(a, b, c),
  ),
  (
    'min_of_sums',
    'the smallest of a + b, b + c and a + c',
    'min2(a + b, min2(b + c, a + c))',
    '(a + b < b + c ? (a + b < a + c ? a + b : a + c) : (b + c < a + c ? b + c : a + c))',
    lambda a, b, c: min(a + b, b + c, a + c),
  ),
)


def _extremes() -> list:
  rng = random.Random('extremes')
  out = []
  fields2 = (Int('a', -1000, 1000), Int('b', -1000, 1000))
  for name, words, helpers, plain, py in _TWO:
    for k in rng.sample(range(2, 60), 8):
      out.append(
        task(
          'extremes',
          f'{name}_{k}',
          2,
          fields2,
          lambda s: some_ints(s, 'ab', -1000, 1000),
          f'{words.format(k=k)}, followed by a newline',
          lambda s, h=helpers.format(k=k), p=plain.format(k=k): _extreme(s, h, p),
          lambda a, b, py=py, k=k: f'{py(a, b, k)}\n',
          tuple_inputs(rng, 2, -1000, 1000, fixed=[(3, 9), (k + 5, -k), (5, 5)]),
        )
      )
  for lo in (-1000, -100, 0):
    fields3 = (Int('a', lo, 1000), Int('b', lo, 1000), Int('c', lo, 1000))
    for name, words, helpers, plain, py in _THREE:
      out.append(
        task(
          'extremes',
          f'{name}_{-lo}',
          2,
          fields3,
          lambda s, lo=lo: some_ints(s, 'abc', lo, 1000),
          f'{words}, followed by a newline',
          lambda s, h=helpers, p=plain: _extreme(s, h, p),
          lambda a, b, c, py=py: f'{py(a, b, c)}\n',
          tuple_inputs(rng, 3, max(lo, -50), 1000, fixed=[(4, 9, 2), (7, 7, 1)]),
        )
      )
  return out


def _sort_small(style, names: str, descending: bool) -> tuple[str, str]:
  """Sorts the variables `names` ('abc') in place with compare-and-swap steps (a bubble sort unrolled)."""
  rel = '<' if descending else '>'
  steps = [(names[j], names[j + 1]) for i in range(len(names) - 1) for j in range(len(names) - 1 - i)]
  if style.flag('swap_helper'):
    body = ''.join(f'if ({x} {rel} {y})\n  swap(&{x}, &{y});\n' for x, y in steps)
    return body, 'static void swap(int *x, int *y) {\n  int t = *x;\n  *x = *y;\n  *y = t;\n}\n'
  return ''.join(f'if ({x} {rel} {y}) {{\n  int t = {x};\n  {x} = {y};\n  {y} = t;\n}}\n' for x, y in steps), ''


def _order() -> list:
  rng = random.Random('order')
  out = []
  for count in (3, 4, 5):
    names = 'abcde'[:count]
    fields = tuple(Int(x, -1000, 1000, check=None) for x in names)
    for desc in (False, True):
      for sep in rng.sample((' ', ', ', '\n', ' < ' if not desc else ' > ', ';', ' - '), 3 if count < 5 else 2):
        args = ', '.join(names)
        fmt = sep.replace('\n', '\\n').join(['%d'] * count)
        order = 'from the largest to the smallest' if desc else 'from the smallest to the largest'

        def body(s, names=names, desc=desc, fmt=fmt, args=args):
          code, helper = _sort_small(s, names, desc)
          return code + f'printf("{fmt}\\n", {args});', helper

        out.append(
          task(
            'order',
            f'sort{count}_{"desc" if desc else "asc"}_{len(out)}',
            2,
            fields,
            lambda s, n=names: some_ints(s, n, -1000, 1000),
            f'them {order}, {separator_words(sep)}',
            body,
            lambda *v, d=desc, sep=sep: joined(sorted(v, reverse=d), sep),
            tuple_inputs(rng, count, -1000, 1000, fixed=[tuple(range(count, 0, -1)), (5,) * count]),
          )
        )
  for count, k in ((4, 2), (4, 3), (5, 2), (5, 3), (5, 4)):
    names = 'abcde'[:count]
    fields = tuple(Int(x, -1000, 1000, check=None) for x in names)
    for desc in (False, True):
      which = 'largest' if desc else 'smallest'
      out.append(
        task(
          'order',
          f'kth{count}_{k}_{which}',
          2,
          fields,
          lambda s, n=names: some_ints(s, n, -1000, 1000),
          f'the {_ORD[k]} {which} of them (after putting them in order, equal values counted separately), '
          'followed by a newline',
          lambda s, n=names, d=desc, k=k: (lambda c: (c[0] + f'printf("%d\\n", {n[k - 1]});', c[1]))(
            _sort_small(s, n, d)
          ),
          lambda *v, d=desc, k=k: f'{sorted(v, reverse=d)[k - 1]}\n',
          tuple_inputs(rng, count, -1000, 1000, fixed=[tuple(range(count, 0, -1))]),
        )
      )
  for yes, no in (('yes', 'no'), ('sorted', 'not sorted'), ('true', 'false')):
    for strict in (True, False):
      rel = '<' if strict else '<='
      words = 'each is smaller than the next' if strict else 'each is at most the next'
      out.append(
        task(
          'order',
          f'in_order_{yes}_{int(strict)}'.replace(' ', '_'),
          2,
          tuple(Int(x, -1000, 1000, check=None) for x in 'abc'),
          lambda s: some_ints(s, 'abc', -1000, 1000),
          f'{yes} if a, b and c are in order ({words}) and {no} otherwise, followed by a newline',
          lambda s, c=f'a {rel} b && b {rel} c', y=yes, n=no: choose(s, c, y, n, 'int a, int b, int c', 'a, b, c'),
          lambda a, b, c, st=strict, y=yes, n=no: f'{y if (a < b < c if st else a <= b <= c) else n}\n',
          ['1 2 3\n', '1 1 2\n', '3 2 1\n', '-5 0 5\n'],
        )
      )
  return out


_ORD = {2: 'second', 3: 'third', 4: 'fourth'}


def tasks() -> list:
  return _extremes() + _order()
