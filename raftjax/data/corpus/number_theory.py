"""Small number theory: divisors, primes, coprimes and powers (family number_theory).

The held-out sets have gcd, lcm, primality, the primes up to n, the n-th prime, counting divisors and perfect
numbers; these ask other questions of divisors and primes (their sum, the largest below n, those ending in
7). Every loop is bounded by a checked input.
"""

import functools
import math
import random
from functools import partial

from raftjax.data.corpus.loops import SEPARATORS
from raftjax.data.corpus.program import Int, an_int, task
from raftjax.data.corpus.snippets import choose, filtered, joined, separator_words

FAMILIES = ('number_theory',)


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
  return _number_theory()
