"""Recurrences, loops that run until a condition holds, and small number theory (divisors, primes, coprimes).

The held-out sets have Fibonacci from 0 1, the Collatz steps, gcd, lcm, primality, the primes up to n, the
n-th prime, counting divisors and perfect numbers; these start other sequences (2 1, 1 3, ...), stop on
other conditions and ask other questions of divisors and primes (their sum, the largest below n, those
ending in 7). Every loop is bounded by a checked input.
"""

import functools
import math
import random
from functools import partial

from raftjax.data.corpus.loops import SEPARATORS, _inputs
from raftjax.data.corpus.program import Int, an_int, num_id, signed, task
from raftjax.data.corpus.snippets import choose, filtered, joined, print_seq, separator_words

FAMILIES = ('recurrences', 'repeat_until', 'number_theory')


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


@functools.cache
def _sieve(limit: int = 1100000) -> bytearray:
  prime = bytearray([1]) * (limit + 1)
  prime[0] = prime[1] = 0
  for i in range(2, math.isqrt(limit) + 1):
    if prime[i]:
      prime[i * i :: i] = bytearray(len(prime[i * i :: i]))
  return prime


def primes(n: int, keep=lambda p: True) -> list[int]:
  """The primes up to n for which `keep` holds."""
  return [p for p in range(2, n + 1) if _sieve()[p] and keep(p)]


def _divisors(n: int) -> list[int]:
  small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
  return sorted(set(small + [n // d for d in small]))


_IS_PRIME = (
  'static int is_prime(int x) {\n  if (x < 2)\n    return 0;\n  for (int d = 2; d * d <= x; d++)\n'
  '    if (x % d == 0)\n      return 0;\n  return 1;\n}\n'
)


def _number_theory() -> list:
  rng = random.Random('number_theory')
  out = []
  n_in = (Int('n', 1, 100000),)
  reads = partial(an_int, name='n', lo=1, hi=100000, what='a positive integer')

  def inputs():
    return [f'{v}\n' for v in (rng.choice((12, 36, 60, 28)), 1, rng.randint(100, 999), 99991)]

  for k in rng.sample(range(2, 30), 8):
    out.append(
      task(
        'number_theory',
        f'divisors_above_{k}',
        3,
        n_in,
        reads,
        f'the sum of the divisors of n that are greater than {k}, followed by a newline',
        f'long long sum = 0;\nfor (int d = 1; d <= n; d++)\n  if (n % d == 0 && d > {k})\n    sum += d;\n'
        'printf("%lld\\n", sum);',
        lambda n, k=k: f'{sum(d for d in _divisors(n) if d > k)}\n',
        inputs(),
      )
    )
  for k in (2, 3, 4, 5, 6, 7, 10):
    out.append(
      task(
        'number_theory',
        f'divisors_multiple_{k}',
        3,
        n_in,
        reads,
        f'how many divisors of n are multiples of {k}, followed by a newline',
        f'int count = 0;\nfor (int d = {k}; d <= n; d += {k})\n  if (n % d == 0)\n    count++;\n'
        'printf("%d\\n", count);',
        lambda n, k=k: f'{sum(1 for d in _divisors(n) if d % k == 0)}\n',
        [f'{v}\n' for v in (k * 12, 1, k * 7, 99990)],
      )
    )
  for k in rng.sample(range(6, 100), 7):
    out.append(
      task(
        'number_theory',
        f'coprime_{k}',
        3,
        n_in,
        reads,
        f'how many of the integers from 1 to n have no common divisor greater than 1 with {k}, followed by a newline',
        f'int count = 0;\nfor (int i = 1; i <= n; i++) {{\n  int a = i, b = {k};\n  while (b != 0) {{\n'
        '    int t = a % b;\n    a = b;\n    b = t;\n  }\n  if (a == 1)\n    count++;\n}\n'
        'printf("%d\\n", count);',
        lambda n, k=k: f'{sum(1 for i in range(1, n + 1) if math.gcd(i, k) == 1)}\n',
        inputs(),
      )
    )
  for name, words, c, py in (
    ('sum_divisors', 'the sum of all divisors of n (n included)', 'd <= n', lambda n: sum(_divisors(n))),
    ('sum_proper', 'the sum of the divisors of n that are smaller than n', 'd < n', lambda n: sum(_divisors(n)) - n),
  ):
    out.append(
      task(
        'number_theory',
        name,
        3,
        n_in,
        reads,
        f'{words}, followed by a newline',
        f'long long sum = 0;\nfor (int d = 1; {c}; d++)\n  if (n % d == 0)\n    sum += d;\nprintf("%lld\\n", sum);',
        lambda n, py=py: f'{py(n)}\n',
        inputs(),
      )
    )
  out.append(
    task(
      'number_theory',
      'largest_proper',
      3,
      (Int('n', 2, 100000),),
      lambda s: an_int(s, 'n', 2, 100000),
      'the largest divisor of n that is smaller than n, followed by a newline',
      'int d = n - 1;\nwhile (n % d != 0)\n  d--;\nprintf("%d\\n", d);',
      lambda n: f'{_divisors(n)[-2]}\n',
      ['12\n', '2\n', '97\n', '100000\n'],
    )
  )
  p_in, p_reads = (Int('n', 1, 10000),), lambda s: an_int(s, 'n', 1, 10000)
  out.append(
    task(
      'number_theory',
      'prime_sum',
      3,
      p_in,
      p_reads,
      'the sum of all prime numbers up to n, followed by a newline',
      (
        'long long sum = 0;\nfor (int i = 2; i <= n; i++)\n  if (is_prime(i))\n    sum += i;\nprintf("%lld\\n", sum);',
        _IS_PRIME,
      ),
      lambda n: f'{sum(primes(n))}\n',
      ['10\n', '1\n', '100\n', '10000\n'],
    )
  )
  for d in (1, 3, 7, 9):
    out.append(
      task(
        'number_theory',
        f'primes_ending_{d}',
        3,
        p_in,
        p_reads,
        f'how many prime numbers up to n end in the digit {d}, followed by a newline',
        (
          f'int count = 0;\nfor (int i = 2; i <= n; i++)\n  if (i % 10 == {d} && is_prime(i))\n'
          '    count++;\nprintf("%d\\n", count);',
          _IS_PRIME,
        ),
        lambda n, d=d: f'{len(primes(n, lambda p: p % 10 == d))}\n',
        ['50\n', '1\n', '1000\n', '10000\n'],
      )
    )
  for a in rng.sample(range(2, 60), 6):
    sep = rng.choice(SEPARATORS[1:])
    out.append(
      task(
        'number_theory',
        f'primes_from_{a}',
        3,
        (Int('n', a, 10000),),
        lambda s, a=a: an_int(s, 'n', a, 10000),
        f'the prime numbers from {a} to n (an empty line if there are none), {separator_words(sep)}',
        lambda s, a=a, sep=sep: (_filtered_primes(s, a, sep), _IS_PRIME),
        lambda n, a=a, sep=sep: joined([p for p in primes(n) if p >= a], sep),
        [f'{v}\n' for v in (a + 20, a, a + 1, a + 100)],
      )
    )
  for name, words, c, py in (
    (
      'largest_prime',
      'the largest prime number that is at most n',
      'int p = n;\nwhile (!is_prime(p))\n  p--;',
      lambda n: next(p for p in range(n, 1, -1) if _sieve()[p]),
    ),
    (
      'next_prime',
      'the smallest prime number that is greater than n',
      'int p = n + 1;\nwhile (!is_prime(p))\n  p++;',
      lambda n: next(p for p in range(n + 1, n + 200) if _sieve()[p]),
    ),
  ):
    lo = 2 if name == 'largest_prime' else 1
    out.append(
      task(
        'number_theory',
        name,
        3,
        (Int('n', lo, 1000000),),
        lambda s, lo=lo: an_int(s, 'n', lo, 1000000),
        f'{words}, followed by a newline',
        (c + '\nprintf("%d\\n", p);', _IS_PRIME),
        lambda n, py=py: f'{py(n)}\n',
        ['20\n', '2\n', '1000\n', '999999\n'],
      )
    )
  for k in (3, 5, 6, 7, 10):
    out.append(
      task(
        'number_theory',
        f'power_of_{k}',
        3,
        (Int('n', 1, 1000000000),),
        lambda s: an_int(s, 'n', 1, 1000000000, 'a positive integer'),
        f'the word yes if n is a power of {k} (1, {k}, {k * k}, ...) and the word no otherwise, followed by a newline',
        lambda s, k=k: _power_check(s, k),
        lambda n, k=k: f'{"yes" if _power_of(n, k) else "no"}\n',
        [f'{v}\n' for v in (k**3, 1, k**3 + k, k * 2 if k > 2 else 5)],
      )
    )
  for sep in SEPARATORS:
    out.append(
      task(
        'number_theory',
        f'divisor_list_{len(out)}',
        3,
        n_in,
        reads,
        f'all divisors of n in increasing order, {separator_words(sep)}',
        lambda s, sep=sep: _divisor_list(s, sep),
        lambda n, sep=sep: joined(_divisors(n), sep),
        inputs(),
      )
    )
  for k in rng.sample(range(12, 400), 6):
    out.append(
      task(
        'number_theory',
        f'gcd_with_{k}',
        3,
        (Int('n', 1, 1000000),),
        lambda s: an_int(s, 'n', 1, 1000000, 'a positive integer'),
        f'the greatest common divisor of n and {k}, followed by a newline',
        f'int a = n, b = {k};\nwhile (b != 0) {{\n  int t = a % b;\n  a = b;\n  b = t;\n}}\nprintf("%d\\n", a);',
        lambda n, k=k: f'{math.gcd(n, k)}\n',
        [f'{v}\n' for v in (k * 3, 1, k + 1, 999999)],
      )
    )
  return out


def _divisor_list(style, sep: str) -> str:
  return filtered(style, 'int d = 1; d <= n; d++', 'n % d == 0', 'd', sep)


def _filtered_primes(style, a: int, sep: str) -> str:
  return filtered(style, f'int i = {a}; i <= n; i++', 'is_prime(i)', 'i', sep)


def _power_of(n: int, k: int) -> bool:
  while n % k == 0:
    n //= k
  return n == 1


def _power_check(style, k: int):
  body, helper = choose(style, 'n == 1', 'yes', 'no')
  return f'while (n % {k} == 0)\n  n /= {k};\n' + body, helper


def tasks() -> list:
  return _recurrences() + _repeat_until() + _number_theory()
