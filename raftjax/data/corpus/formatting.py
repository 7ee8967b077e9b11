"""Formatted output: printf field widths, padding, signs and bases, and tables of rows (families
printf_widths and tables; decimals.py prints %.Nf).

The held-out sets print cents as dollars, H:MM:SS and hexadecimal in uppercase; these use other widths,
fills and conversions. The oracles format as C does: Python's % formatting agrees with glibc's printf for %d
and %x, but not for the # flag, so those are spelled out.
"""

import random

from raftjax.data.corpus.arithmetic import _UNITS, tuple_inputs
from raftjax.data.corpus.program import Int, an_int, some_ints, task

FAMILIES = ('printf_widths', 'tables')


_BARS = (('|', '|'), ('[', ']'), ('<', '>'), ('(', ')'), ('"', '"'))


def _n_task(name: str, lo: int, hi: int, words: str, fmt: str, py, inputs, check=None):
  c_fmt = fmt.replace('"', '\\"')
  return task(
    'printf_widths',
    name,
    2,
    (Int('n', lo, hi, check=check),),
    lambda s: an_int(s, 'n', lo, hi),
    f'{words}, followed by a newline',
    f'printf("{c_fmt}\\n", n);',
    lambda n: py(n) + '\n',
    inputs,
  )


def _printf_widths() -> list:
  rng = random.Random('printf_widths')
  out = []
  for width in rng.sample(range(4, 13), 7):
    left, right = rng.choice(_BARS)
    out.append(
      _n_task(
        f'right_{width}_{ord(left)}',
        -100000,
        100000,
        f'n right-aligned in a field {width} characters wide (padded with spaces on the left, as printf '
        f'"%{width}d" does) between {left} and {right}',
        f'{left}%{width}d{right}',
        lambda n, w=width, a=left, b=right: f'{a}{n:{w}d}{b}',
        ['42\n', '-7\n', '100000\n', '0\n'],
      )
    )
  for width in rng.sample(range(4, 13), 6):
    left, right = rng.choice(_BARS)
    out.append(
      _n_task(
        f'left_{width}_{ord(left)}',
        -100000,
        100000,
        f'n left-aligned in a field {width} characters wide (padded with spaces on the right, as printf '
        f'"%-{width}d" does) between {left} and {right}',
        f'{left}%-{width}d{right}',
        lambda n, w=width, a=left, b=right: f'{a}{n:<{w}d}{b}',
        ['42\n', '-7\n', '100000\n', '0\n'],
      )
    )
  for width in rng.sample(range(3, 11), 6):
    out.append(
      _n_task(
        f'zeros_{width}',
        0,
        1000000,
        f'n padded with zeros on the left to {width} digits (printf "%0{width}d"; a longer number is printed whole)',
        f'%0{width}d',
        lambda n, w=width: f'{n:0{w}d}',
        ['42\n', '0\n', '1000000\n', '7\n'],
      )
    )
  for left, right in rng.sample(_BARS, 2):
    out.append(
      _n_task(
        f'sign_{ord(left)}',
        -1000000,
        1000000,
        f'n with its sign always shown (+ for zero and positive '
        f'numbers, as printf "%+d" does) between {left} and {right}',
        f'{left}%+d{right}',
        lambda n, a=left, b=right: f'{a}{n:+d}{b}',
        ['42\n', '-7\n', '0\n', '1000000\n'],
      )
    )
  for name, words, fmt, py in (
    ('hex', 'n in hexadecimal with lowercase digits and no prefix (printf "%x")', '%x', lambda n: f'{n:x}'),
    (
      'hex_prefix',
      'n in hexadecimal with lowercase digits after the prefix 0x (printf "%#x": 0 is printed as 0)',
      '%#x',
      lambda n: f'0x{n:x}' if n else '0',
    ),
    ('octal', 'n in octal (base 8, printf "%o")', '%o', lambda n: f'{n:o}'),
    (
      'octal_prefix',
      'n in octal with a leading 0 (printf "%#o": 8 is printed as 010 and 0 as 0)',
      '%#o',
      lambda n: f'0{n:o}' if n else '0',
    ),
    (
      'hex_upper_prefix',
      'n in hexadecimal with uppercase digits after the prefix 0x (for 255: 0xFF)',
      '0x%X',
      lambda n: f'0x{n:X}',
    ),
    ('percent', 'n followed by a percent sign (for 42: 42%)', '%d%%', lambda n: f'{n}%'),
    (
      'thousandths',
      'n as a number of thousandths written with a decimal point and three decimals (for 1234: 1.234, for 5: 0.005)',
      '%d.%03d',
      None,
    ),
  ):
    if py is None:
      out.append(
        task(
          'printf_widths',
          name,
          2,
          (Int('n', 0, 1000000),),
          lambda s: an_int(s, 'n', 0, 1000000),
          f'{words}, followed by a newline',
          'printf("%d.%03d\\n", n / 1000, n % 1000);',
          lambda n: f'{n // 1000}.{n % 1000:03d}\n',
          ['1234\n', '5\n', '0\n', '1000000\n'],
        )
      )
      continue
    out.append(_n_task(name, 0, 1000000, words, fmt, py, ['255\n', '0\n', '8\n', '1000000\n'], check=True))
  for name, words, fields, c, py, inputs in _PAIRS:
    out.append(
      task(
        'printf_widths',
        name,
        2,
        fields,
        words[0],
        f'{words[1]}, followed by a newline',
        c,
        lambda *v, py=py: py(*v) + '\n',
        inputs,
      )
    )
  for width in (4, 5, 6, 8):
    out.append(
      task(
        'printf_widths',
        f'row_{width}',
        2,
        (Int('a', -999, 999), Int('b', -999, 999), Int('c', -999, 999)),
        lambda s: some_ints(s, 'abc', -999, 999),
        f'the three numbers on one line, each right-aligned in a field {width} characters wide (printf '
        f'"%{width}d" three times, nothing between them), followed by a newline',
        f'printf("%{width}d%{width}d%{width}d\\n", a, b, c);',
        lambda a, b, c, w=width: f'{a:{w}d}{b:{w}d}{c:{w}d}\n',
        tuple_inputs(rng, 3, -999, 999, fixed=[(1, 22, 333), (-999, 0, 999)]),
      )
    )
  out.append(
    task(
      'printf_widths',
      'star_width',
      2,
      (Int('w', 1, 20), Int('n', -1000, 1000)),
      'two integers w (1 <= w <= 20) and n (-1000 <= n <= 1000)',
      'n right-aligned in a field w characters wide between | and | (printf "|%*d|" with w and n), '
      'followed by a newline',
      'printf("|%*d|\\n", w, n);',
      lambda w, n: f'|{n:{w}d}|\n',
      ['6 42\n', '1 -7\n', '20 1000\n', '3 0\n'],
    )
  )
  return out


_PAIRS = (
  (
    'clock',
    (
      'two integers h and m (0 <= h <= 23, 0 <= m <= 59), an hour and a minute',
      'the time as HH:MM with two digits each (for 7 and 5: 07:05)',
    ),
    (Int('h', 0, 23), Int('m', 0, 59)),
    'printf("%02d:%02d\\n", h, m);',
    lambda h, m: f'{h:02d}:{m:02d}',
    ['7 5\n', '0 0\n', '23 59\n', '12 30\n'],
  ),
  (
    'minutes_clock',
    (
      'an integer t (0 <= t <= 1439), a number of minutes after midnight',
      'the time of day as HH:MM with two digits each (for 65: 01:05)',
    ),
    (Int('t', 0, 1439),),
    'printf("%02d:%02d\\n", t / 60, t % 60);',
    lambda t: f'{t // 60:02d}:{t % 60:02d}',
    ['65\n', '0\n', '1439\n', '720\n'],
  ),
  (
    'date',
    (
      'three integers y, m and d (1 <= y <= 9999, 1 <= m <= 12, 1 <= d <= 31), a year, a month and a day',
      'the date as YYYY-MM-DD, with the year in four digits and the month and day in two (for 2024 3 7: 2024-03-07)',
    ),
    (Int('y', 1, 9999), Int('m', 1, 12), Int('d', 1, 31)),
    'printf("%04d-%02d-%02d\\n", y, m, d);',
    lambda y, m, d: f'{y:04d}-{m:02d}-{d:02d}',
    ['2024 3 7\n', '1 1 1\n', '9999 12 31\n', '1999 10 5\n'],
  ),
  (
    'stopwatch',
    (
      'an integer s (0 <= s <= 5999), a number of seconds',
      'the time as M:SS, minutes and then the seconds in two digits (for 65: 1:05)',
    ),
    (Int('s', 0, 5999),),
    'printf("%d:%02d\\n", s / 60, s % 60);',
    lambda s: f'{s // 60}:{s % 60:02d}',
    ['65\n', '0\n', '5999\n', '600\n'],
  ),
  (
    'fraction',
    ('two integers a and b (1 <= a, b <= 1000)', 'the fraction a/b with no spaces (for 3 and 4: 3/4)'),
    (Int('a', 1, 1000), Int('b', 1, 1000)),
    'printf("%d/%d\\n", a, b);',
    lambda a, b: f'{a}/{b}',
    ['3 4\n', '1 1\n', '1000 7\n', '12 5\n'],
  ),
)


def _tables() -> list:
  rng = random.Random('tables')
  out = []
  for k in rng.sample(range(2, 20), 8):
    w = rng.choice((3, 4, 5))
    out.append(
      task(
        'tables',
        f'times_{k}_{w}',
        2,
        (Int('n', 1, 20),),
        lambda s: an_int(s, 'n', 1, 20),
        f'a table of n lines: line i (from 1 to n) holds i and {k} * i, each right-aligned in a field {w} '
        f'characters wide (printf "%{w}d%{w}d")',
        f'for (int i = 1; i <= n; i++)\n  printf("%{w}d%{w}d\\n", i, {k} * i);',
        lambda n, k=k, w=w: ''.join(f'{i:{w}d}{k * i:{w}d}\n' for i in range(1, n + 1)),
        ['3\n', '1\n', '20\n', f'{rng.randint(4, 12)}\n'],
      )
    )
  for k in rng.sample(range(2, 13), 5):
    out.append(
      task(
        'tables',
        f'sentences_{k}',
        2,
        (Int('n', 1, 20),),
        lambda s: an_int(s, 'n', 1, 20),
        f'n lines of the form "i * {k} = p" for i from 1 to n, where p is i times {k}',
        f'for (int i = 1; i <= n; i++)\n  printf("%d * {k} = %d\\n", i, i * {k});',
        lambda n, k=k: ''.join(f'{i} * {k} = {i * k}\n' for i in range(1, n + 1)),
        ['3\n', '1\n', '20\n', '7\n'],
      )
    )
  for big, small, k in rng.sample(_UNITS, 8):
    out.append(
      task(
        'tables',
        f'convert_{big}_{small}'.replace(' ', '_'),
        2,
        (Int('n', 1, 20),),
        lambda s: an_int(s, 'n', 1, 20),
        f'a conversion table of n lines: line i (from 1 to n) reads "i {big} = x {small}" with x the '
        f'number of {small} in i {big}',
        f'for (int i = 1; i <= n; i++)\n  printf("%d {big} = %d {small}\\n", i, i * {k});',
        lambda n, k=k, b=big, sm=small: ''.join(f'{i} {b} = {i * k} {sm}\n' for i in range(1, n + 1)),
        ['2\n', '1\n', '20\n', '5\n'],
      )
    )
  for ch in '#*=o':
    out.append(
      task(
        'tables',
        f'bars_{ord(ch)}',
        2,
        (Int('n', 1, 20),),
        lambda s: an_int(s, 'n', 1, 20),
        f'a bar chart of n lines: line i (from 1 to n) holds i right-aligned in a field 2 characters wide, '
        f'a space, a | and then i {ch} characters',
        f'for (int i = 1; i <= n; i++) {{\n  printf("%2d |", i);\n  for (int j = 0; j < i; j++)\n'
        f"    putchar('{ch}');\n  putchar('\\n');\n}}",
        lambda n, c=ch: ''.join(f'{i:2d} |{c * i}\n' for i in range(1, n + 1)),
        ['3\n', '1\n', '12\n', '5\n'],
      )
    )
  for w in (4, 6):
    out.append(
      task(
        'tables',
        f'powers_{w}',
        2,
        (Int('n', 1, 20),),
        lambda s: an_int(s, 'n', 1, 20),
        f'a table of n lines: line i (from 1 to n) holds i, i * i and i * i * i, each right-aligned in a '
        f'field {w} characters wide',
        f'for (int i = 1; i <= n; i++)\n  printf("%{w}d%{w}d%{w}d\\n", i, i * i, i * i * i);',
        lambda n, w=w: ''.join(f'{i:{w}d}{i * i:{w}d}{i**3:{w}d}\n' for i in range(1, n + 1)),
        ['3\n', '1\n', '20\n', '9\n'],
      )
    )
  return out


def tasks() -> list:
  return _printf_widths() + _tables()
