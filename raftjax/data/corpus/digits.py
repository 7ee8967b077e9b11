"""Digits: the n % base, n / base loop, for statistics of the digits (families digits_base and digit_stats;
numerals.py prints them and writes other bases).

The held-out sets sum, count and take the first, last and largest decimal digits, and test palindromes and
Armstrong numbers; these ask for other statistics (how many 7s, the product, the tens digit) and take them in
bases 2 to 16. A loop over the digits of n runs at least once (0 has the one digit 0).
"""

import random

from raftjax.data.corpus.program import Int, an_int, task
from raftjax.data.corpus.snippets import choose

FAMILIES = ('digits_base', 'digit_stats')


BIG = 1000000000


def digits(n: int, base: int = 10) -> list[int]:
  """The digits of n >= 0 in `base`, most significant first ([0] for 0)."""
  out = [n % base]
  while n >= base:
    n //= base
    out.append(n % base)
  return out[::-1]


def _reads(style) -> str:
  return an_int(style, 'n', 0, BIG, style.pick('n_what', ('a non-negative integer', 'an integer')))


def _inputs(rng: random.Random, *extra: int) -> list[str]:
  values = list(dict.fromkeys([*extra[:2], rng.randint(1000, BIG), 0, *extra[2:]]))
  return [f'{v}\n' for v in values[:4]]


def _loop(style, base: int, init: str, update: str, result: str, fmt: str = '%d') -> tuple[str, str]:
  """A do-while over the digits of n (d holds each digit), `init` before and `result` printed after; some
  styles put it in a helper function."""
  d = style.pick('digit', ('d', 'digit'))
  update = update.replace('{d}', d)
  loop = f'{init}\ndo {{\n  int {d} = n % {base};\n  {update}\n  n /= {base};\n}} while (n > 0);'
  loop = loop.replace('\n  \n', '\n')
  if style.flag('helper'):
    name = style.pick('fname', ('digit_stat', 'solve', 'digits_of'))
    kind = 'long long' if fmt == '%lld' else 'int'
    body = '\n'.join('  ' + ln for ln in f'{loop}\nreturn {result};'.split('\n'))
    return f'printf("{fmt}\\n", {name}(n));', f'static {kind} {name}(int n) {{\n{body}\n}}\n'
  return f'{loop}\nprintf("{fmt}\\n", {result});', ''


_STATS = (  # (id, prompt words, init, update, result, Python over the digit list)
  ('sum', 'the sum of the digits of n in base {b}', 'int sum = 0;', 'sum += {d};', 'sum', sum),
  (
    'max',
    'the largest digit of n written in base {b}',
    'int best = 0;',
    'if ({d} > best)\n    best = {d};',
    'best',
    max,
  ),
  (
    'min',
    'the smallest digit of n written in base {b}',
    'int best = {b1};',
    'if ({d} < best)\n    best = {d};',
    'best',
    min,
  ),
  (
    'zeros',
    'how many digits of n written in base {b} are 0',
    'int zeros = 0;',
    'if ({d} == 0)\n    zeros++;',
    'zeros',
    lambda ds: ds.count(0),
  ),
  (
    'nonzero',
    'how many digits of n written in base {b} are not 0',
    'int count = 0;',
    'if ({d} != 0)\n    count++;',
    'count',
    lambda ds: len(ds) - ds.count(0),
  ),
)


def _digits_base() -> list:
  rng = random.Random('digits_base')
  out = []
  for name, words, init, update, result, py in _STATS:
    bases = [b for b in range(2, 17) if b != 10 or name in ('min', 'zeros', 'nonzero')]
    for b in rng.sample(bases, 12):
      out.append(
        task(
          'digits_base',
          f'{name}_{b}',
          2,
          (Int('n', 0, BIG),),
          _reads,
          f'{words.format(b=b)}, followed by a newline',
          lambda s, b=b, i=init, u=update, r=result: _loop(s, b, i.format(b1=b - 1), u, r),
          lambda n, b=b, py=py: f'{py(digits(n, b))}\n',
          _inputs(rng, b**3 + 2, b - 1, b * b),
        )
      )
  return out


_DECIMAL = (  # (id, prompt words, init, update, result, Python over the digits, fmt)
  (
    'product',
    'the product of the decimal digits of n',
    'long long p = 1;',
    'p *= {d};',
    'p',
    lambda ds: _prod(ds),
    '%lld',
  ),
  (
    'product_nonzero',
    'the product of the nonzero decimal digits of n (1 if there are none)',
    'long long p = 1;',
    'if ({d} != 0)\n    p *= {d};',
    'p',
    lambda ds: _prod(d for d in ds if d),
    '%lld',
  ),
  (
    'even_count',
    'how many decimal digits of n are even',
    'int c = 0;',
    'if ({d} % 2 == 0)\n    c++;',
    'c',
    lambda ds: sum(d % 2 == 0 for d in ds),
    '%d',
  ),
  (
    'odd_count',
    'how many decimal digits of n are odd',
    'int c = 0;',
    'if ({d} % 2 != 0)\n    c++;',
    'c',
    lambda ds: sum(d % 2 for d in ds),
    '%d',
  ),
  (
    'even_sum',
    'the sum of the even decimal digits of n',
    'int s = 0;',
    'if ({d} % 2 == 0)\n    s += {d};',
    's',
    lambda ds: sum(d for d in ds if d % 2 == 0),
    '%d',
  ),
  (
    'odd_sum',
    'the sum of the odd decimal digits of n',
    'int s = 0;',
    'if ({d} % 2 != 0)\n    s += {d};',
    's',
    lambda ds: sum(d for d in ds if d % 2),
    '%d',
  ),
  (
    'square_sum',
    'the sum of the squares of the decimal digits of n',
    'int s = 0;',
    's += {d} * {d};',
    's',
    lambda ds: sum(d * d for d in ds),
    '%d',
  ),
  (
    'alternating',
    'the alternating sum of the decimal digits of n, starting from the last digit: last digit minus '
    'the one before it plus the one before that, and so on',
    'int s = 0, sign = 1;',
    's += sign * {d};\n  sign = -sign;',
    's',
    lambda ds: sum(d * (-1) ** i for i, d in enumerate(reversed(ds))),
    '%d',
  ),
)


def _prod(values) -> int:
  p = 1
  for v in values:
    p *= v
  return p


def _digit_stats() -> list:
  rng = random.Random('digit_stats')
  out = []
  for name, words, init, update, result, py, fmt in _DECIMAL:
    out.append(
      task(
        'digit_stats',
        name,
        2,
        (Int('n', 0, BIG),),
        _reads,
        f'{words}, followed by a newline',
        lambda s, i=init, u=update, r=result, f=fmt: _loop(s, 10, i, u, r, f),
        lambda n, py=py: f'{py(digits(n))}\n',
        _inputs(rng, rng.randint(100, 99999), 7),
      )
    )
  for d in range(10):
    out.append(
      task(
        'digit_stats',
        f'count_{d}',
        2,
        (Int('n', 0, BIG),),
        _reads,
        f'how many times the digit {d} appears in n, followed by a newline',
        lambda s, d=d: _loop(s, 10, 'int count = 0;', f'if ({{d}} == {d})\n    count++;', 'count'),
        lambda n, d=d: f'{digits(n).count(d)}\n',
        _inputs(rng, int(f'{d}{(d + 3) % 10}{d}'), d + 1),
      )
    )
  for k in range(1, 9):
    for cmp, words in (('>', 'greater'), ('<', 'less')):
      out.append(
        task(
          'digit_stats',
          f'{"gt" if cmp == ">" else "lt"}_{k}',
          2,
          (Int('n', 0, BIG),),
          _reads,
          f'how many decimal digits of n are {words} than {k}, followed by a newline',
          lambda s, t=f'if ({{d}} {cmp} {k})\n    count++;': _loop(s, 10, 'int count = 0;', t, 'count'),
          lambda n, k=k, c=cmp: f'{sum(d > k if c == ">" else d < k for d in digits(n))}\n',
          _inputs(rng, int(f'{k + 1}{k}{k - 1}{rng.randint(0, 9)}'), k),
        )
      )
  for k in range(3, 10):
    out.append(
      task(
        'digit_stats',
        f'sum_div_{k}',
        2,
        (Int('n', 0, BIG),),
        _reads,
        f'the word yes if the sum of the decimal digits of n is divisible by {k}, and no otherwise, '
        'followed by a newline',
        lambda s, k=k: _sum_then(choose(s, f'sum % {k} == 0', 'yes', 'no', 'int sum', 'sum')),
        lambda n, k=k: f'{"yes" if sum(digits(n)) % k == 0 else "no"}\n',
        _inputs(rng, int('1' * k), k + 1, 10**k - 1),
      )
    )
  for k in range(2, 7):
    out.append(
      task(
        'digit_stats',
        f'place_{k}',
        2,
        (Int('n', 0, BIG),),
        _reads,
        f'the {_ORDINAL[k]} digit of n counted from the right (0 if n has fewer than {k} digits), '
        'followed by a newline',
        f'for (int i = 1; i < {k}; i++)\n  n /= 10;\nprintf("%d\\n", n % 10);',
        lambda n, k=k: f'{n // 10 ** (k - 1) % 10}\n',
        _inputs(rng, 1234567, 10 ** (k - 1) - 1, 10**k),
      )
    )
  return out


_ORDINAL = {2: 'second', 3: 'third', 4: 'fourth', 5: 'fifth', 6: 'sixth'}


def _sum_then(choice: tuple[str, str]) -> tuple[str, str]:
  body, helper = choice
  return 'int sum = 0;\ndo {\n  sum += n % 10;\n  n /= 10;\n} while (n > 0);\n' + body, helper


def tasks() -> list:
  return _digits_base() + _digit_stats()
