"""Conditions on one integer, with their prompt words, their C and their Python, for the families that test,
count or filter numbers (conditions, loops, arrays). A condition's C uses {x} for the value tested; its Python
follows C (the sign of a remainder is the sign of the dividend). `nonneg` conditions are only offered where the
values cannot be negative: "ends in the digit 3" means something else to C for -13.
"""

import dataclasses
import random
from collections.abc import Callable

from raftjax.data.corpus.scan import cmod


@dataclasses.dataclass(frozen=True)
class Pred:
  """A condition: id (part of a task id), `is_` and `are` (prompt words for one value and for several), C and
  Python."""

  id: str
  is_: str
  are: str
  c: str
  py: Callable[[int], bool]

  def of(self, x: str) -> str:
    return self.c.format(x=x)


def compare(k: int) -> list[Pred]:
  return [
    Pred(f'gt_{_n(k)}', f'is greater than {k}', f'are greater than {k}', f'{{x}} > {k}', lambda x: x > k),
    Pred(f'lt_{_n(k)}', f'is less than {k}', f'are less than {k}', f'{{x}} < {k}', lambda x: x < k),
    Pred(f'ge_{_n(k)}', f'is at least {k}', f'are at least {k}', f'{{x}} >= {k}', lambda x: x >= k),
    Pred(f'le_{_n(k)}', f'is at most {k}', f'are at most {k}', f'{{x}} <= {k}', lambda x: x <= k),
  ]


def _n(k: int) -> str:
  return str(k) if k >= 0 else f'm{-k}'


def divisible(k: int, m: int, r: int) -> list[Pred]:
  return [
    Pred(f'div_{k}', f'is divisible by {k}', f'are divisible by {k}', f'{{x}} % {k} == 0', lambda x: x % k == 0),
    Pred(
      f'ndiv_{k}', f'is not divisible by {k}', f'are not divisible by {k}', f'{{x}} % {k} != 0', lambda x: x % k != 0
    ),
    Pred(
      f'rem_{r}_{k}',
      f'leaves a remainder of {r} when divided by {k}',
      f'leave a remainder of {r} when divided by {k}',
      f'{{x}} % {k} == {r}',
      lambda x: cmod(x, k) == r,
    ),
    Pred(
      f'both_{k}_{m}',
      f'is divisible by both {k} and {m}',
      f'are divisible by both {k} and {m}',
      f'{{x}} % {k} == 0 && {{x}} % {m} == 0',
      lambda x: x % k == 0 and x % m == 0,
    ),
    Pred(
      f'either_{k}_{m}',
      f'is divisible by {k} or by {m}',
      f'are divisible by {k} or by {m}',
      f'{{x}} % {k} == 0 || {{x}} % {m} == 0',
      lambda x: x % k == 0 or x % m == 0,
    ),
    Pred(
      f'only_{k}_{m}',
      f'is divisible by {k} but not by {m}',
      f'are divisible by {k} but not by {m}',
      f'{{x}} % {k} == 0 && {{x}} % {m} != 0',
      lambda x: x % k == 0 and x % m != 0,
    ),
  ]


def _ranges(lo: int, hi: int) -> list[Pred]:
  return [
    Pred(
      f'in_{_n(lo)}_{_n(hi)}',
      f'is between {lo} and {hi} (inclusive)',
      f'are between {lo} and {hi} (inclusive)',
      f'{{x}} >= {lo} && {{x}} <= {hi}',
      lambda x: lo <= x <= hi,
    ),
    Pred(
      f'out_{_n(lo)}_{_n(hi)}',
      f'is less than {lo} or greater than {hi}',
      f'are less than {lo} or greater than {hi}',
      f'{{x}} < {lo} || {{x}} > {hi}',
      lambda x: x < lo or x > hi,
    ),
  ]


def _parity(k: int) -> list[Pred]:
  return [
    Pred(
      f'even_gt_{_n(k)}',
      f'is even and greater than {k}',
      f'are even and greater than {k}',
      f'{{x}} % 2 == 0 && {{x}} > {k}',
      lambda x: x % 2 == 0 and x > k,
    ),
    Pred(
      f'odd_lt_{_n(k)}',
      f'is odd and less than {k}',
      f'are odd and less than {k}',
      f'{{x}} % 2 != 0 && {{x}} < {k}',
      lambda x: x % 2 != 0 and x < k,
    ),
  ]


def digit(d: int) -> list[Pred]:
  return [
    Pred(
      f'ends_{d}', f'ends in the digit {d}', f'end in the digit {d}', f'{{x}} % 10 == {d}', lambda x: cmod(x, 10) == d
    ),
    Pred(
      f'nends_{d}',
      f'does not end in the digit {d}',
      f'do not end in the digit {d}',
      f'{{x}} % 10 != {d}',
      lambda x: cmod(x, 10) != d,
    ),
  ]


def predicates(
  rng: random.Random,
  count: int,
  lo: int,
  hi: int,
  nonneg: bool = False,
  kinds: tuple[str, ...] = ('compare', 'divisible', 'range', 'parity', 'digit'),
) -> list[Pred]:
  """`count` distinct conditions of the given kinds, with constants that make sense for values in lo..hi
  (a comparison's constant inside the range, a divisor from 3 to 13, ...)."""
  pool = []
  span = (max(lo, -50), min(hi, 100))
  if 'compare' in kinds:
    for _ in range(6):
      pool += compare(rng.randint(*span))
  if 'divisible' in kinds:
    for k in (3, 4, 5, 6, 7, 8, 9, 11, 12, 13):
      m = rng.choice([v for v in (2, 3, 4, 5, 7) if v != k and k % v and v % k])
      pool += divisible(k, m, rng.randint(1, k - 1))
  if 'range' in kinds:
    for _ in range(4):
      a, b = sorted(rng.sample(range(*span), 2))
      pool += _ranges(a, b)
  if 'parity' in kinds:
    for _ in range(3):
      pool += _parity(rng.randint(*span))
  if 'digit' in kinds and nonneg:
    for d in range(10):
      pool += digit(d)
  unique = list({p.id: p for p in pool}.values())
  return rng.sample(unique, min(count, len(unique)))


def c_bool(style, pred: Pred, param: str = 'x') -> tuple[str, str]:
  """A helper function `static int name(int x)` for the condition, and the name (some styles test inline)."""
  name = style.pick('pred_name', ('is_good', 'matches', 'wanted', 'check'))
  return f'static int {name}(int {param}) {{\n  return {pred.of(param)};\n}}\n', name


def both_ways(rng: random.Random, pred: Pred, lo: int, hi: int, count: int = 4, first=()) -> list[int]:
  """`count` distinct values in lo..hi: one for which `pred` holds and one for which it fails (where such
  values exist), then `first`, then random ones."""
  values = []
  for want in (True, False):
    for _ in range(2000):
      v = rng.randint(lo, hi) if rng.random() < 0.5 else rng.randint(max(lo, -60), min(hi, 120))
      if pred.py(v) == want and v not in values:
        values.append(v)
        break
  values += [v for v in first if lo <= v <= hi and v not in values]
  while len(values) < count:
    v = rng.randint(lo, hi)
    if v not in values:
      values.append(v)
  return values[:count]
