"""Integer arithmetic: one expression of the input, the first thing a C course asks for after "Hello, World!".

Constants vary from task to task (3 * n - 4, n * (n + 5), a * b + 7, ...), and none is a held-out problem
(twice n, n + 1, a + b, a * b, a * b * c, n / 2, n % 10, minutes to seconds, legs of chickens and cows):
build.decontaminated drops whatever still comes too close. Every input is bounds-checked: a product of an
unchecked int could overflow.
"""

import random
from functools import partial

from raftjax.data.corpus.program import Int, an_int, num_id, signed, some_ints, task
from raftjax.data.corpus.snippets import print_value


def int_inputs(rng: random.Random, lo: int, hi: int, count: int = 4) -> list[str]:
  """`count` distinct test inputs for one integer in lo..hi: a small one, 0 or lo, hi, then random ones."""
  values = [min(max(rng.randint(2, 19), lo), hi), 0 if lo <= 0 else lo, hi]
  while len(set(values)) < count:
    values.append(rng.randint(lo, hi) if rng.random() < 0.5 else rng.randint(max(lo, -30), min(hi, 30)))
  return [f'{v}\n' for v in dict.fromkeys(values)][:count]


def tuple_inputs(rng: random.Random, k: int, lo: int, hi: int, count: int = 4, fixed=()) -> list[str]:
  """`count` distinct inputs of `k` integers in lo..hi on one line, starting with `fixed` ones."""
  rows = [tuple(row) for row in fixed]
  while len(rows) < count:
    wide = rng.random() < 0.3
    row = tuple(rng.randint(lo, hi) if wide else rng.randint(max(lo, -20), min(hi, 20)) for _ in range(k))
    if row not in rows:
      rows.append(row)
  return [' '.join(map(str, row)) + '\n' for row in rows]


def pairs(rng: random.Random, count: int, ps, qs, template: str) -> list[tuple[int, int]]:
  """`count` (p, q) constant pairs, p from `ps` and q from `qs`, that make distinct `template.format(p=, q=)`
  (a form may use only one of the two)."""
  out = {}
  for p, q in rng.sample([(p, q) for p in ps for q in qs], len(ps) * len(qs)):
    out.setdefault(template.format(p=p, q=q), (p, q))
    if len(out) == count:
      break
  return list(out.values())


def _affine() -> list:
  rng = random.Random('affine')
  pairs = [(a, b) for a in (*range(-9, -1), *range(2, 13)) for b in range(-25, 26) if b and (a, b) != (2, 3)]
  out = []
  for a, b in sorted(rng.sample(pairs, 72)):
    expr = f'{a} * n{signed(b)}'
    words = (
      f'the value of {expr}',
      f'{a} times n{signed(b).replace("+", "plus").replace("-", "minus")}',
      f'n multiplied by {a}, {"plus" if b > 0 else "minus"} {abs(b)} (that is {expr})',
    )
    out.append(
      task(
        'affine',
        f'{num_id(a)}_{num_id(b)}',
        1,
        (Int('n', -1000, 1000),),
        lambda s: an_int(s, 'n', -1000, 1000, s.pick('what', ('one integer', 'an integer'))),
        lambda s, w=words: s.pick('words', w) + ', followed by a newline',
        lambda s, e=expr: print_value(s, e),
        lambda n, a=a, b=b: f'{a * n + b}\n',
        int_inputs(rng, -1000, 1000),
      )
    )
  return out


_QUADRATIC = (  # (id, C expression of n, Python, prompt text)
  ('sq_plus', 'n * n + {p} * n + {q}', lambda n, p, q: n * n + p * n + q, 'n * n + {p} * n + {q}'),
  ('shifted', '(n + {p}) * (n - {q})', lambda n, p, q: (n + p) * (n - q), 'the product (n + {p}) * (n - {q})'),
  ('times_next', 'n * (n + {p})', lambda n, p, q: n * (n + p), 'n times (n + {p})'),
  ('cube_plus', 'n * n * n + {q}', lambda n, p, q: n**3 + q, 'the cube of n plus {q} (n * n * n + {q})'),
  ('sq_minus', 'n * n - {p} * n', lambda n, p, q: n * n - p * n, 'the square of n minus {p} times n'),
  ('twice_sq', '{p} * n * n + {q}', lambda n, p, q: p * n * n + q, '{p} * n * n + {q}'),
)


def _quadratic() -> list:
  rng = random.Random('quadratic')
  out = []
  for name, c_expr, py, words in _QUADRATIC:
    for p, q in pairs(rng, 11, range(2, 16), range(1, 41), c_expr):
      expr, text = c_expr.format(p=p, q=q), words.format(p=p, q=q)
      out.append(
        task(
          'quadratic',
          f'{name}_{p}_{q}',
          1,
          (Int('n', -100, 100),),
          lambda s: an_int(s, 'n', -100, 100),
          f'{text}, followed by a newline',
          lambda s, e=expr: print_value(s, e),
          lambda n, py=py, p=p, q=q: f'{py(n, p, q)}\n',
          int_inputs(rng, -100, 100),
        )
      )
  return out


_TWO = (  # (id, C expression of a and b, Python, prompt text)
  ('lin', '{p} * a + {q} * b', lambda a, b, p, q: p * a + q * b, '{p} * a + {q} * b'),
  ('prod_plus', 'a * b + {q}', lambda a, b, p, q: a * b + q, 'the product of a and b plus {q}'),
  ('shifted_prod', '(a + {p}) * (b + {q})', lambda a, b, p, q: (a + p) * (b + q), '(a + {p}) * (b + {q})'),
  ('sum_times', '(a + b) * {p}', lambda a, b, p, q: (a + b) * p, 'the sum of a and b multiplied by {p}'),
  ('diff_times', '(a - b) * {p} + {q}', lambda a, b, p, q: (a - b) * p + q, '(a - b) * {p} + {q}'),
  ('sq_minus', 'a * a - {p} * b', lambda a, b, p, q: a * a - p * b, 'the square of a minus {p} times b'),
)


def _two_ints() -> list:
  rng = random.Random('two_ints')
  out = []
  for name, c_expr, py, words in _TWO:
    for p, q in pairs(rng, 12, range(2, 13), range(2, 31), c_expr):
      expr, text = c_expr.format(p=p, q=q), words.format(p=p, q=q)
      fields = (Int('a', -1000, 1000), Int('b', -1000, 1000))
      out.append(
        task(
          'two_ints',
          f'{name}_{p}_{q}',
          1,
          fields,
          lambda s: some_ints(s, 'ab', -1000, 1000),
          f'{text}, followed by a newline',
          lambda s, e=expr: print_value(s, e, 'int a, int b', 'a, b'),
          lambda a, b, py=py, p=p, q=q: f'{py(a, b, p, q)}\n',
          tuple_inputs(rng, 2, -1000, 1000, fixed=[(3, 4), (-5, 0)]),
        )
      )
  return out


_THREE = (
  ('lin', '{p} * a + {q} * b - c', lambda a, b, c, p, q: p * a + q * b - c, '{p} * a + {q} * b - c'),
  ('ab_plus_c', 'a * b + {p} * c', lambda a, b, c, p, q: a * b + p * c, 'a * b + {p} * c'),
  ('sum_times_c', '(a + b) * c + {q}', lambda a, b, c, p, q: (a + b) * c + q, '(a + b) * c + {q}'),
  ('prod_minus', 'a * b * c - {q}', lambda a, b, c, p, q: a * b * c - q, 'the product of the three minus {q}'),
  ('weighted', '{p} * a - b + {q} * c', lambda a, b, c, p, q: p * a - b + q * c, '{p} * a - b + {q} * c'),
)


def _three_ints() -> list:
  rng = random.Random('three_ints')
  out = []
  for name, c_expr, py, words in _THREE:
    for p, q in pairs(rng, 13, range(2, 10), range(2, 31), c_expr):
      expr, text = c_expr.format(p=p, q=q), words.format(p=p, q=q)
      fields = (Int('a', -100, 100), Int('b', -100, 100), Int('c', -100, 100))
      out.append(
        task(
          'three_ints',
          f'{name}_{p}_{q}',
          1,
          fields,
          lambda s: some_ints(s, 'abc', -100, 100),
          f'{text}, followed by a newline',
          lambda s, e=expr: print_value(s, e, 'int a, int b, int c', 'a, b, c'),
          lambda a, b, c, py=py, p=p, q=q: f'{py(a, b, c, p, q)}\n',
          tuple_inputs(rng, 3, -100, 100, fixed=[(1, 2, 3), (0, -4, 7)]),
        )
      )
  return out


_DIVMOD = (  # (id, C expression of n and k, Python, prompt text); k is never 2 or 10
  ('quotient', 'n / {k}', lambda n, k: n // k, 'n divided by {k}, rounded down to a whole number'),
  ('remainder', 'n % {k}', lambda n, k: n % k, 'the remainder of n divided by {k}'),
  ('down', 'n - n % {k}', lambda n, k: n - n % k, 'n rounded down to a multiple of {k}'),
  ('up', '(n + {k1}) / {k} * {k}', lambda n, k: (n + k - 1) // k * k, 'n rounded up to a multiple of {k}'),
  (
    'boxes',
    '(n + {k1}) / {k}',
    lambda n, k: (n + k - 1) // k,
    'how many boxes are needed to pack n items when a box holds {k} items',
  ),
  (
    'both',
    None,
    lambda n, k: f'{n // k} {n % k}',
    'the quotient and the remainder of n divided by {k} on one line, separated by a space',
  ),
)


def _divmod() -> list:
  rng = random.Random('divmod')
  out = []
  for name, c_expr, py, words in _DIVMOD:
    for k in (3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15):
      text = words.format(k=k)
      both = f'printf("%d %d\\n", n / {k}, n % {k});'
      body = both if c_expr is None else partial(print_value, expr=c_expr.format(k=k, k1=k - 1))
      out.append(
        task(
          'divmod',
          f'{name}_{k}',
          1,
          (Int('n', 0, 1000000),),
          lambda s: an_int(s, 'n', 0, 1000000, 'a non-negative integer'),
          f'{text}, followed by a newline',
          body,
          lambda n, py=py, k=k: f'{py(n, k)}\n',
          [f'{v}\n' for v in (k * 7 + 1, k * 3, 0, rng.randint(1000, 1000000))],
        )
      )
  return out


_UNITS = (
  ('weeks', 'days', 7),
  ('days', 'hours', 24),
  ('feet', 'inches', 12),
  ('meters', 'centimeters', 100),
  ('kilometers', 'meters', 1000),
  ('kilograms', 'grams', 1000),
  ('liters', 'milliliters', 1000),
  ('dozens', 'eggs', 12),
  ('centimeters', 'millimeters', 10),
  ('hours', 'seconds', 3600),
  ('days', 'minutes', 1440),
  ('years', 'months', 12),
  ('weeks', 'hours', 168),
  ('centuries', 'years', 100),
  ('dollars', 'cents', 100),
  ('pounds', 'ounces', 16),
  ('gallons', 'quarts', 4),
  ('bytes', 'bits', 8),
  ('kilobytes', 'bytes', 1024),
  ('decades', 'years', 10),
  ('fortnights', 'days', 14),
  ('yards', 'inches', 36),
  ('tons', 'kilograms', 1000),
  ('leap years', 'days', 366),
)
_THINGS = (
  ('spiders', 8, 'ants', 6, 'legs'),
  ('tricycles', 3, 'cars', 4, 'wheels'),
  ('bicycles', 2, 'tricycles', 3, 'wheels'),
  ('octopuses', 8, 'starfish', 5, 'arms'),
  ('small boxes', 6, 'large boxes', 12, 'eggs'),
  ('ducks', 2, 'horses', 4, 'legs'),
  ('triangles', 3, 'squares', 4, 'corners'),
  ('pentagons', 5, 'hexagons', 6, 'sides'),
  ('cheap tickets', 7, 'expensive tickets', 15, 'dollars'),
  ('vans', 9, 'buses', 50, 'seats'),
  ('short songs', 3, 'long songs', 5, 'minutes'),
  ('hands', 5, 'feet', 5, 'fingers and toes'),
  ('nickels', 5, 'dimes', 10, 'cents'),
  ('dimes', 10, 'quarters', 25, 'cents'),
  ('packs of 4 pens', 4, 'packs of 10 pens', 10, 'pens'),
  ('bees', 6, 'spiders', 8, 'legs'),
)


def _conversions() -> list:
  rng = random.Random('conversions')
  out = []
  for big, small, k in _UNITS:
    name = f'{big}_{small}'.replace(' ', '_')
    out.append(
      task(
        'conversions',
        name,
        1,
        (Int('n', 0, 100000),),
        lambda s, b=big: an_int(s, 'n', 0, 100000, f'a number of {b}'),
        f'how many {small} that is, followed by a newline',
        lambda s, k=k: print_value(s, f'{k} * n'),
        lambda n, k=k: f'{k * n}\n',
        [f'{v}\n' for v in (rng.randint(2, 9), 0, 1, 100000)],
      )
    )
    out.append(
      task(
        'conversions',
        f'{name}_split',
        2,
        (Int('n', 0, 1000000),),
        lambda s, sm=small: an_int(s, 'n', 0, 1000000, f'a number of {sm}'),
        f'it as whole {big} and the {small} left over: the two numbers on one line separated by a '
        'space, followed by a newline',
        f'printf("%d %d\\n", n / {k}, n % {k});',
        lambda n, k=k: f'{n // k} {n % k}\n',
        [f'{v}\n' for v in (k * 2 + 1, k - 1, 0, rng.randint(k, 1000000))],
      )
    )
  for first, k1, second, k2, unit in _THINGS:
    name = f'{first}_{second}'.replace(' ', '_')
    fields = (Int('a', 0, 10000), Int('b', 0, 10000))
    out.append(
      task(
        'conversions',
        name,
        1,
        fields,
        f'two integers, the number of {first} and the number of {second} (each from 0 to 10000)',
        f'the total number of {unit} when each of the {first} has {k1} and each of the {second} '
        f'has {k2}, followed by a newline',
        lambda s, k1=k1, k2=k2: print_value(s, f'{k1} * a + {k2} * b', 'int a, int b', 'a, b'),
        lambda a, b, k1=k1, k2=k2: f'{k1 * a + k2 * b}\n',
        tuple_inputs(rng, 2, 0, 10000, fixed=[(2, 3), (0, 5), (7, 0)]),
      )
    )
  return out


FAMILIES = ('affine', 'quadratic', 'two_ints', 'three_ints', 'divmod', 'conversions')


def tasks() -> list:
  return _affine() + _quadratic() + _two_ints() + _three_ints() + _divmod() + _conversions()
