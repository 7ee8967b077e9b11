"""Loops: sequences printed with a separator, accumulators (a sum or a product over 1..n), counting what a loop
sees, powers.

The held-out sets print 1..n, n..1, the even numbers up to n, the powers of two, and sum 1..n, the odd numbers
and the squares; these loops step by other constants, start elsewhere, sum other terms and count other
conditions. n is always bounds-checked: it sets how long the loop runs (and how much it prints).
"""

import random
from functools import partial

from raftjax.data.corpus import ops
from raftjax.data.corpus.program import Int, an_int, task
from raftjax.data.corpus.snippets import filtered, joined, print_seq, separator_words

FAMILIES = ('step_sequence', 'accumulate', 'count_loop', 'powers')
SEPARATORS = ('\n', ' ', ', ', ',', ' - ', ';')


def _inputs(rng: random.Random, lo: int, hi: int, small: int = 12) -> list[str]:
  values = [min(lo + rng.randint(1, small), hi), lo, hi if hi - lo <= 60 else rng.randint(lo + 10, min(hi, lo + 60))]
  values.append(rng.choice([v for v in range(lo, min(hi, lo + 40) + 1) if v not in values] or [hi]))
  return [f'{v}\n' for v in dict.fromkeys(values)]


def _step_sequence() -> list:
  rng = random.Random('step_sequence')
  out = []
  for i in range(72):
    sep = SEPARATORS[i % len(SEPARATORS)]
    kind = i % 4
    k = rng.randint(3, 12)
    if kind == 0:  # multiples of k up to n
      lo, head, item = k, f'int i = {k}; i <= n; i += {k}', 'i'
      words, py = f'the multiples of {k} from {k} up to n', lambda n, k=k: range(k, n + 1, k)
      name = f'multiples_{k}'
    elif kind == 1:  # n down to a in steps of k
      a = rng.randint(-20, 20)
      lo, head, item = a, f'int i = n; i >= {a}; i -= {k}', 'i'
      words, py = (
        f'the numbers n, n - {k}, n - {2 * k}, ... down to the last one that is at least {a}',
        (lambda n, k=k, a=a: range(n, a - 1, -k)),
      )
      name = f'down_{k}_{a}'.replace('-', 'm')
    elif kind == 2:  # first n terms of an arithmetic sequence
      s, d = rng.randint(-20, 30), rng.choice([-7, -5, -3, -2, 2, 3, 4, 5, 6, 7, 9, 10])
      lo, head, item = 1, 'int i = 0; i < n; i++', f'{s} + {d} * i' if s else f'{d} * i'
      words = (
        f'the first n terms of the sequence that starts at {s} and goes up by {d} each time'
        if d > 0
        else (f'the first n terms of the sequence that starts at {s} and goes down by {-d} each time')
      )
      py, name = (lambda n, s=s, d=d: [s + d * i for i in range(n)]), f'terms_{s}_{d}'.replace('-', 'm')
    else:  # the numbers from a to n that meet a condition
      a = rng.randint(0, 10)
      pred = ops.predicates(rng, 1, 0, 300, nonneg=True, kinds=('divisible', 'digit'))[0]
      lo, head, item = 0, f'int i = {a}; i <= n; i++', 'i'
      empty = 'nothing' if sep == '\n' else 'an empty line'
      words = f'the numbers from {a} to n that {pred.are} ({empty} if there are none)'
      py, name = (lambda n, a=a, p=pred: [i for i in range(a, n + 1) if p.py(i)]), f'filter_{a}_{pred.id}'
    if kind < 3:
      body, inputs = partial(_sequence_body, head=head, item=item, sep=sep), _inputs(rng, lo, 300)
    else:
      body = partial(_filter_body, head=head, cond=pred.of('i'), sep=sep)
      inputs = [f'{v}\n' for v in (rng.randint(20, 60), lo, 300, rng.randint(100, 299))]
    out.append(
      task(
        'step_sequence',
        f'{name}_{i}',
        2,
        (Int('n', lo, 300),),
        partial(an_int, name='n', lo=lo, hi=300),
        f'{words}, {separator_words(sep)}',
        body,
        lambda n, py=py, sep=sep: joined(py(n), sep),
        inputs,
      )
    )
  return out


def _sequence_body(style, head: str, item: str, sep: str) -> str:
  return print_seq(style, head, item, sep, nonempty=True)


def _filter_body(style, head: str, cond: str, sep: str) -> str:
  return filtered(style, head, cond, 'i', sep)


_TERMS = (  # (id, C term of i with {k}, Python, prompt words)
  ('times', '{k} * i', lambda i, k: k * i, '{k} * i'),
  ('sq_plus', 'i * i + {k}', lambda i, k: i * i + k, 'i * i + {k}'),
  ('rect', 'i * (i + {k})', lambda i, k: i * (i + k), 'i * (i + {k})'),
  ('mod', 'i % {k}', lambda i, k: i % k, 'i % {k} (the remainder of i divided by {k})'),
  ('mult', '(i % {k} == 0 ? i : 0)', lambda i, k: i if i % k == 0 else 0, 'i for every i divisible by {k}'),
  ('cube_minus', 'i * i * i - {k}', lambda i, k: i**3 - k, 'i * i * i - {k}'),
  (
    'alt',
    '(i % 2 == 0 ? {k} * i : -i)',
    lambda i, k: k * i if i % 2 == 0 else -i,
    '{k} * i for even i and -i for odd i',
  ),
)


def _accumulate() -> list:
  rng = random.Random('accumulate')
  out = []
  for name, c_term, py, words in _TERMS:
    for k in rng.sample(range(2, 20), 9):
      term, text = c_term.format(k=k), words.format(k=k)
      lo = rng.choice((0, 1))
      expr = f'the sum of {text} over all i from 1 to n' + (' (0 when n is 0)' if lo == 0 else '')

      def body(s, term=term):
        total = s.pick('total', ('sum', 'total', 'acc', 's'))
        if s.flag('while'):
          return (
            f'long long {total} = 0;\nint i = 1;\nwhile (i <= n) {{\n  {total} += {term};\n  i++;\n}}\n'
            f'printf("%lld\\n", {total});'
          )
        return (
          f'long long {total} = 0;\nfor (int i = 1; i <= n; i++)\n  {total} += {term};\nprintf("%lld\\n", {total});'
        )

      out.append(
        task(
          'accumulate',
          f'{name}_{k}',
          2,
          (Int('n', lo, 1000),),
          lambda s, lo=lo: an_int(s, 'n', lo, 1000),
          f'{expr}, followed by a newline',
          body,
          lambda n, py=py, k=k: f'{sum(py(i, k) for i in range(1, n + 1))}\n',
          _inputs(rng, lo, 1000),
        )
      )
  for m in rng.sample(range(7, 1000), 8):
    out.append(
      task(
        'accumulate',
        f'factorial_mod_{m}',
        2,
        (Int('n', 0, 1000),),
        lambda s: an_int(s, 'n', 0, 1000),
        f'n! modulo {m} (the product 1 * 2 * ... * n, which is 1 for n = 0, taking the remainder '
        f'modulo {m} after every multiplication), followed by a newline',
        f'int r = 1 % {m};\nfor (int i = 2; i <= n; i++)\n  r = r * i % {m};\nprintf("%d\\n", r);',
        lambda n, m=m: f'{_fact_mod(n, m)}\n',
        _inputs(rng, 0, 1000),
      )
    )
  return out


def _fact_mod(n: int, m: int) -> int:
  r = 1 % m
  for i in range(2, n + 1):
    r = r * i % m
  return r


def _count_loop() -> list:
  rng = random.Random('count_loop')
  out = []
  for pred in ops.predicates(rng, 72, 1, 10000, nonneg=True):
    a = rng.choice((1, 1, 0, 10))

    def body(s, p=pred, a=a):
      count = s.pick('count', ('count', 'c', 'found', 'total'))
      if s.flag('helper'):
        helper, name = ops.c_bool(s, p)
        return (
          f'int {count} = 0;\nfor (int i = {a}; i <= n; i++)\n  if ({name}(i))\n    {count}++;\n'
          f'printf("%d\\n", {count});',
          helper,
        )
      return (
        f'int {count} = 0;\nint i = {a};\nwhile (i <= n) {{\n  if ({p.of("i")})\n    {count}++;\n  i++;\n}}\n'
        f'printf("%d\\n", {count});'
      )

    out.append(
      task(
        'count_loop',
        f'{pred.id}_{a}',
        2,
        (Int('n', a, 10000),),
        lambda s, a=a: an_int(s, 'n', a, 10000),
        f'how many of the integers from {a} to n (inclusive) {pred.are}, followed by a newline',
        body,
        lambda n, p=pred, a=a: f'{sum(1 for i in range(a, n + 1) if p.py(i))}\n',
        [f'{v}\n' for v in dict.fromkeys((a, rng.randint(a + 5, 60), rng.randint(100, 10000), 10000))],
      )
    )
  return out


def _powers() -> list:
  rng = random.Random('powers')
  out = []
  for k in range(3, 10):
    sep = rng.choice(SEPARATORS)
    out.append(
      task(
        'powers',
        f'first_{k}',
        2,
        (Int('n', 1, 15),),
        lambda s: an_int(s, 'n', 1, 15),
        f'the first n powers of {k} (1, {k}, {k * k}, ...), {separator_words(sep)}',
        lambda s, k=k, sep=sep: (
          'long long p = 1;\n' + print_seq(s, 'int i = 0; i < n; i++, p *= ' + str(k), 'p', sep, '%lld', nonempty=True)
        ),
        lambda n, k=k, sep=sep: joined([k**i for i in range(n)], sep),
        _inputs(rng, 1, 15),
      )
    )
    sep = rng.choice(SEPARATORS)
    out.append(
      task(
        'powers',
        f'upto_{k}',
        2,
        (Int('n', 1, 1000000000),),
        lambda s: an_int(s, 'n', 1, 1000000000, 'a positive integer'),
        f'all powers of {k} that are at most n, starting from 1, {separator_words(sep)}',
        lambda s, k=k, sep=sep: print_seq(
          s, f'long long p = 1; p <= n; p *= {k}', 'p', sep, '%lld', nonempty=True, index='p'
        ),
        lambda n, k=k, sep=sep: joined(_powers_upto(k, n), sep),
        [f'{v}\n' for v in (k * k, 1, k**5 - 1, 1000000000)],
      )
    )
    out.append(
      task(
        'powers',
        f'pow_{k}',
        2,
        (Int('n', 0, 18),),
        lambda s: an_int(s, 'n', 0, 18),
        f'{k} to the power n ({k} multiplied by itself n times; 1 when n is 0), followed by a newline',
        lambda s, k=k: _power_body(s, str(k), 'n'),
        lambda n, k=k: f'{k**n}\n',
        _inputs(rng, 0, 18),
      )
    )
    out.append(
      task(
        'powers',
        f'geometric_{k}',
        2,
        (Int('n', 0, 15),),
        lambda s: an_int(s, 'n', 0, 15),
        f'the sum 1 + {k} + {k}^2 + ... + {k}^n of the powers of {k} up to the n-th, followed by a newline',
        'long long sum = 0, p = 1;\nfor (int i = 0; i <= n; i++) {\n  sum += p;\n  p *= ' + str(k) + ';\n}'
        '\nprintf("%lld\\n", sum);',
        lambda n, k=k: f'{sum(k**i for i in range(n + 1))}\n',
        _inputs(rng, 0, 15),
      )
    )
    out.append(
      task(
        'powers',
        f'above_{k}',
        2,
        (Int('n', 0, 1000000000),),
        lambda s: an_int(s, 'n', 0, 1000000000, 'a non-negative integer'),
        f'the smallest power of {k} (1, {k}, {k * k}, ...) that is greater than n, followed by a newline',
        f'long long p = 1;\nwhile (p <= n)\n  p *= {k};\nprintf("%lld\\n", p);',
        lambda n, k=k: f'{_powers_upto(k, n)[-1] * k if n >= 1 else 1}\n',
        [f'{v}\n' for v in (k * 3, 0, k**4, 1000000000)],
      )
    )
  for e in range(4, 10):  # not 3: the cube is a held-out task
    for lo in (-9, -20)[: 1 + (e < 7)]:
      out.append(
        task(
          'powers',
          f'nth_{e}_{-lo}',
          2,
          (Int('n', lo, -lo),),
          lambda s, lo=lo: an_int(s, 'n', lo, -lo),
          f'n to the power {e} (n multiplied by itself {e} times), followed by a newline',
          lambda s, e=e: _power_body(s, 'n', str(e)),
          lambda n, e=e: f'{n**e}\n',
          [f'{v}\n' for v in (2, -3, 0, -lo)],
        )
      )
  return out


def _powers_upto(k: int, n: int) -> list[int]:
  out, p = [], 1
  while p <= n:
    out.append(p)
    p *= k
  return out


def _power_body(style, base: str, exp: str) -> tuple[str, str] | str:
  if style.flag('helper'):
    return (
      f'printf("%lld\\n", power({base}, {exp}));',
      'static long long power(long long b, int e) {\n  long long r = 1;\n  for (int i = 0; i < e; i++)\n'
      '    r *= b;\n  return r;\n}\n',
    )
  return f'long long r = 1;\nfor (int i = 0; i < {exp}; i++)\n  r *= {base};\nprintf("%lld\\n", r);'


def tasks() -> list:
  return _step_sequence() + _accumulate() + _count_loop() + _powers()
