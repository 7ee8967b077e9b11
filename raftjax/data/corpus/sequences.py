"""Recurrences and loops that run until a condition holds (families recurrences and repeat_until; the
divisors and primes are in number_theory.py).

The held-out sets have Fibonacci from 0 1 and the Collatz steps; these start other sequences (2 1, 1 3, ...)
and stop on other conditions. Every loop is bounded by a checked input.
"""

import math
import random

from raftjax.data.corpus.loops import SEPARATORS, _inputs
from raftjax.data.corpus.program import Int, an_int, num_id, signed, task
from raftjax.data.corpus.snippets import joined, print_seq, separator_words

FAMILIES = ('recurrences', 'repeat_until')


def _fib(x: int, y: int, n: int) -> list[int]:
  out = []
  for _ in range(n):
    out.append(x)
    x, y = y, x + y
  return out


def _terms(init: str, item: str, step: str, sep: str):
  """A body that declares `init` (long longs), then prints `item` n times, running `step` after each, as `joined`
  does."""
  return lambda s: f'{init}\n' + print_seq(s, 'int i = 0; i < n; i++', item, sep, '%lld', True, after=step)


def _recurrences() -> list:
  rng = random.Random('recurrences')
  out = []
  starts = [(x, y) for x in range(-3, 8) for y in range(1, 9) if (x, y) not in ((0, 1), (1, 1), (1, 2))]
  two = 'long long next = a + b;\na = b;\nb = next;'
  for x, y in rng.sample(starts, 16):
    sep = rng.choice(SEPARATORS)
    out.append(
      task(
        'recurrences',
        f'fib_{num_id(x)}_{y}',
        3,
        (Int('n', 1, 50),),
        lambda s: an_int(s, 'n', 1, 50),
        f'the first n terms of the sequence that starts with {x} and {y}, where every later term is the '
        f'sum of the two terms before it, {separator_words(sep)}',
        _terms(f'long long a = {x}, b = {y};', 'a', two, sep),
        lambda n, x=x, y=y, sep=sep: joined(_fib(x, y, n), sep),
        _inputs(rng, 1, 50),
      )
    )
  for x, y in rng.sample(starts, 14):
    out.append(
      task(
        'recurrences',
        f'fib_nth_{num_id(x)}_{y}',
        3,
        (Int('n', 0, 60),),
        lambda s: an_int(s, 'n', 0, 60),
        f'the term with index n of the sequence t(0) = {x}, t(1) = {y}, t(i) = t(i - 1) + t(i - 2), '
        'followed by a newline',
        f'long long a = {x}, b = {y};\nfor (int i = 0; i < n; i++) {{\n  long long next = a + b;\n'
        '  a = b;\n  b = next;\n}\nprintf("%lld\\n", a);',
        lambda n, x=x, y=y: f'{_fib(x, y, n + 1)[-1]}\n',
        _inputs(rng, 0, 60),
      )
    )
  three = 'long long next = a + b + c;\na = b;\nb = c;\nc = next;'
  for x, y, z in rng.sample([(x, y, z) for x in range(0, 4) for y in range(0, 4) for z in range(1, 5)], 12):
    sep = rng.choice(SEPARATORS)
    out.append(
      task(
        'recurrences',
        f'trib_{x}_{y}_{z}',
        3,
        (Int('n', 1, 35),),
        lambda s: an_int(s, 'n', 1, 35),
        f'the first n terms of the sequence {x}, {y}, {z}, ... in which every later term is the sum of '
        f'the three terms before it, {separator_words(sep)}',
        _terms(f'long long a = {x}, b = {y}, c = {z};', 'a', three, sep),
        lambda n, v=(x, y, z), sep=sep: joined(_trib(*v, n), sep),
        _inputs(rng, 1, 35),
      )
    )
  for m, c, s0 in rng.sample([(m, c, s0) for m in (2, 3, 4, 5) for c in range(-3, 6) for s0 in range(1, 4)], 14):
    sep = rng.choice(SEPARATORS)
    out.append(
      task(
        'recurrences',
        f'linear_{m}_{num_id(c)}_{s0}',
        3,
        (Int('n', 1, 12),),
        lambda s: an_int(s, 'n', 1, 12),
        f'the first n terms of the sequence that starts at {s0} and in which every next term is {m} '
        f'times the previous term {"plus" if c >= 0 else "minus"} {abs(c)}, {separator_words(sep)}',
        _terms(f'long long t = {s0};', 't', f't = {m} * t{signed(c)};', sep),
        lambda n, m=m, c=c, s0=s0, sep=sep: joined(_linear(m, c, s0, n), sep),
        _inputs(rng, 1, 12),
      )
    )
  for mul, inc, mod in rng.sample([(a, b, p) for a in (3, 5, 7) for b in (1, 3) for p in (11, 13, 17, 19)], 8):
    out.append(
      task(
        'recurrences',
        f'lcg_{mul}_{inc}_{mod}',
        3,
        (Int('n', 0, 100),),
        lambda s: an_int(s, 'n', 0, 100),
        'the first 10 terms of the sequence that starts at n and in which every next term is the remainder '
        f'of ({mul} * previous + {inc}) divided by {mod}, on one line, separated by single spaces',
        lambda s, step=f'n = ({mul} * n + {inc}) % {mod};': print_seq(
          s, 'int i = 0; i < 10; i++', 'n', ' ', nonempty=True, after=step
        ),
        lambda n, a=mul, b=inc, p=mod: joined(_lcg(n, a, b, p), ' '),
        _inputs(rng, 0, 100),
      )
    )
  return out


def _trib(a: int, b: int, c: int, n: int) -> list[int]:
  out = []
  for _ in range(n):
    out.append(a)
    a, b, c = b, c, a + b + c
  return out


def _linear(m: int, c: int, t: int, n: int) -> list[int]:
  out = []
  for _ in range(n):
    out.append(t)
    t = m * t + c
  return out


def _lcg(n: int, a: int, b: int, p: int) -> list[int]:
  out = []
  for _ in range(10):
    out.append(n)
    n = (a * n + b) % p
  return out


def _steps(n: int, step, done) -> int:
  count = 0
  while not done(n):
    n, count = step(n), count + 1
  return count


def _repeat_until() -> list:
  rng = random.Random('repeat_until')
  out = []
  big = 1000000000
  for k in (2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 16):
    out.append(
      task(
        'repeat_until',
        f'divide_{k}',
        3,
        (Int('n', 0, big),),
        lambda s: an_int(s, 'n', 0, big),
        f'how many times n must be divided by {k} (integer division, dropping the remainder) until it '
        'becomes 0, followed by a newline',
        'int steps = 0;\nwhile (n > 0) {\n  n /= ' + str(k) + ';\n  steps++;\n}\nprintf("%d\\n", steps);',
        lambda n, k=k: f'{_steps(n, lambda v: v // k, lambda v: v == 0)}\n',
        [f'{v}\n' for v in (k * k + 1, 0, k - 1, big)],
      )
    )
    out.append(
      task(
        'repeat_until',
        f'factor_{k}',
        3,
        (Int('n', 1, big),),
        lambda s: an_int(s, 'n', 1, big),
        f'how many times n can be divided by {k} with no remainder, one division after the other (the '
        f'exponent of {k} in n), followed by a newline',
        'int count = 0;\nwhile (n % ' + str(k) + ' == 0) {\n  n /= ' + str(k) + ';\n  count++;\n}\n'
        'printf("%d\\n", count);',
        lambda n, k=k: f'{_steps(n, lambda v: v // k, lambda v: v % k)}\n',
        [f'{v}\n' for v in (k**3 * 7, 1, k * 5 + 1, k**5)],
      )
    )
  for k in range(1, 9):
    out.append(
      task(
        'repeat_until',
        f'reach_{k}',
        3,
        (Int('n', 1, big),),
        lambda s: an_int(s, 'n', 1, big),
        f'the smallest m such that {k} * (1 + 2 + ... + m) is at least n, followed by a newline',
        f'long long sum = 0;\nint m = 0;\nwhile (sum < n) {{\n  m++;\n  sum += {k}LL * m;\n}}\nprintf("%d\\n", m);',
        lambda n, k=k: f'{_reach(n, k)}\n',
        [f'{v}\n' for v in (10, 1, rng.randint(100, 10000), big)],
      )
    )
  for k, t in rng.sample([(k, t) for k in (3, 4, 5, 7, 9, 11) for t in (100, 250, 500, 1000, 5000)], 10):
    out.append(
      task(
        'repeat_until',
        f'add_{k}_{t}',
        3,
        (Int('n', -1000000, 1000000),),
        lambda s: an_int(s, 'n', -1000000, 1000000),
        f'how many times {k} must be added to n until the result is at least {t} (0 if n is already at '
        f'least {t}), followed by a newline',
        f'int count = 0;\nwhile (n < {t}) {{\n  n += {k};\n  count++;\n}}\nprintf("%d\\n", count);',
        lambda n, k=k, t=t: f'{max(0, -((n - t) // k))}\n',
        [f'{v}\n' for v in (t - 3 * k - 1, t, 0, -1000000)],
      )
    )
  for m, c in rng.sample([(m, c) for m in (2, 3) for c in range(0, 8)], 8):
    out.append(
      task(
        'repeat_until',
        f'grow_{m}_{c}',
        3,
        (Int('n', 1, 1000000),),
        lambda s: an_int(s, 'n', 1, 1000000),
        f'how many steps it takes until the value is greater than 1000000000 when every step replaces the '
        f'value v (starting with n) by {m} * v + {c}, followed by a newline',
        f'long long v = n;\nint steps = 0;\nwhile (v <= 1000000000) {{\n  v = {m} * v + {c};\n  steps++;\n'
        '}\nprintf("%d\\n", steps);',
        lambda n, m=m, c=c: f'{_steps(n, lambda v: m * v + c, lambda v: v > 1000000000)}\n',
        [f'{v}\n' for v in (1, 1000000, 777, rng.randint(2, 999))],
      )
    )
  for k in rng.sample(range(2, 60), 8):
    out.append(
      task(
        'repeat_until',
        f'halve_{k}',
        3,
        (Int('n', 0, big),),
        lambda s: an_int(s, 'n', 0, big),
        f'how many times n must be halved (n = n / 2, rounding down) until it is less than {k}, followed by a newline',
        f'int count = 0;\nwhile (n >= {k}) {{\n  n /= 2;\n  count++;\n}}\nprintf("%d\\n", count);',
        lambda n, k=k: f'{_steps(n, lambda v: v // 2, lambda v: v < k)}\n',
        [f'{v}\n' for v in (k * 5, 0, k, big)],
      )
    )
  out.append(
    task(
      'repeat_until',
      'digit_sum_steps',
      3,
      (Int('n', 0, big),),
      lambda s: an_int(s, 'n', 0, big),
      'how many times n must be replaced by the sum of its decimal digits until it has a single digit, '
      'followed by a newline',
      'int steps = 0;\nwhile (n >= 10) {\n  int s = 0;\n  while (n > 0) {\n    s += n % 10;\n'
      '    n /= 10;\n  }\n  n = s;\n  steps++;\n}\nprintf("%d\\n", steps);',
      lambda n: f'{_steps(n, lambda v: sum(map(int, str(v))), lambda v: v < 10)}\n',
      ['99\n', '7\n', '19999999\n', '123\n'],
    )
  )
  return out


def _reach(n: int, k: int) -> int:
  m = max(0, math.isqrt(2 * n // k) - 2)
  while k * m * (m + 1) // 2 < n:
    m += 1
  return m


def tasks() -> list:
  return _recurrences() + _repeat_until()
