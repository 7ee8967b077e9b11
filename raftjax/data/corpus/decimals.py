"""Formatted output, second part: decimals with %.Nf (family decimals).

The held-out sets print an average and a Fahrenheit temperature with one decimal; these use other numbers
of decimals. Python's % formatting agrees with glibc's printf for %f (both round the exact binary value).
"""

import math

from raftjax.data.corpus.program import Int, an_int, some_ints, task

FAMILIES = ('decimals',)


_FACTORS = (
  ('miles', 'kilometers', 1.609344),
  ('inches', 'centimeters', 2.54),
  ('kilograms', 'pounds', 2.20462),
  ('pounds', 'kilograms', 0.453592),
  ('kilometers', 'miles', 0.621371),
  ('feet', 'meters', 0.3048),
  ('liters', 'gallons', 0.264172),
  ('ounces', 'grams', 28.3495),
)


def _decimals() -> list:
  out = []
  for d in range(1, 5):
    out.append(
      task(
        'decimals',
        f'divide_{d}',
        2,
        (Int('a', -1000, 1000), Int('b', -1000, 1000)),
        'two integers a and b (-1000 <= a, b <= 1000, b is not 0)',
        f'a divided by b as a decimal number with exactly {d} digits after the decimal point, followed by a newline',
        f'if (b == 0)\n  return 1;\nprintf("%.{d}f\\n", (double)a / b);',
        lambda a, b, d=d: None if b == 0 else f'{a / b:.{d}f}\n',
        ['7 2\n', '1 3\n', '-10 4\n', '0 5\n'],
      )
    )
  for d in range(1, 4):
    out.append(
      task(
        'decimals',
        f'average3_{d}',
        2,
        tuple(Int(x, -1000, 1000) for x in 'abc'),
        lambda s: some_ints(s, 'abc', -1000, 1000),
        f'their average with exactly {d} digits after the decimal point, followed by a newline',
        f'printf("%.{d}f\\n", (a + b + c) / 3.0);',
        lambda a, b, c, d=d: f'{(a + b + c) / 3.0:.{d}f}\n',
        ['1 2 4\n', '0 0 0\n', '-5 10 7\n', '1000 999 1000\n'],
      )
    )
  for d in range(0, 3):
    out.append(
      task(
        'decimals',
        f'percent_{d}',
        2,
        (Int('a', 0, 100000), Int('b', 1, 100000)),
        'two integers a and b (0 <= a <= 100000, 1 <= b <= 100000)',
        f'a as a percentage of b (100 * a / b) with exactly {d} digits after the decimal point and then a '
        '% sign, followed by a newline',
        f'printf("%.{d}f%%\\n", 100.0 * a / b);',
        lambda a, b, d=d: f'{100.0 * a / b:.{d}f}%\n',
        ['1 3\n', '0 7\n', '5 4\n', '2 8\n'],
      )
    )
  for i, (src, dst, k) in enumerate(_FACTORS):
    d = 1 + i % 3
    out.append(
      task(
        'decimals',
        f'{src}_{dst}',
        2,
        (Int('n', 0, 100000),),
        lambda s, src=src: an_int(s, 'n', 0, 100000, f'a number of {src}'),
        f'that many {src} in {dst} (one of them is {k} {dst}) with exactly {d} digits after the decimal '
        'point, followed by a newline',
        f'printf("%.{d}f\\n", n * {k});',
        lambda n, k=k, d=d: f'{n * k:.{d}f}\n',
        ['10\n', '0\n', '1\n', '100000\n'],
      )
    )
  for name, words, expr, py in (
    (
      'fahrenheit_to_celsius',
      'a temperature in degrees Fahrenheit converted to Celsius ((F - 32) * 5 / 9)',
      '(n - 32) * 5.0 / 9.0',
      lambda n: (n - 32) * 5.0 / 9.0,
    ),
    (
      'celsius_to_kelvin',
      'a temperature in degrees Celsius converted to Kelvin (C + 273.15)',
      'n + 273.15',
      lambda n: n + 273.15,
    ),
    (
      'circle_area',
      'the area of a circle with radius n, using 3.14159 for pi (3.14159 * n * n)',
      '3.14159 * n * n',
      lambda n: 3.14159 * n * n,
    ),
    (
      'circumference',
      'the circumference of a circle with radius n, using 3.14159 for pi (2 * 3.14159 * n)',
      '2 * 3.14159 * n',
      lambda n: 2 * 3.14159 * n,
    ),
    ('square_root', 'the square root of n (sqrt from math.h)', 'sqrt(n)', lambda n: math.sqrt(n) if n >= 0 else None),
    ('half', 'half of n', 'n / 2.0', lambda n: n / 2.0),
  ):
    for d in (1, 2, 3):
      lo = 0 if name in ('square_root', 'circle_area', 'circumference') else -1000
      out.append(
        task(
          'decimals',
          f'{name}_{d}',
          2,
          (Int('n', lo, 1000),),
          lambda s, lo=lo: an_int(s, 'n', lo, 1000),
          f'{words} with exactly {d} digits after the decimal point, followed by a newline',
          f'printf("%.{d}f\\n", {expr});',
          lambda n, py=py, d=d: f'{py(n):.{d}f}\n',
          ['10\n', '0\n', '7\n', '1000\n'],
        )
      )
  return out


def tasks() -> list:
  return _decimals()
