"""Conditions: one integer (or two) tested against constants, the answer one word of the prompt's choosing.

The held-out sets ask for even/odd, sign, max/min, leap year, letter grades and divisibility of a by b; these
tasks test other conditions with other words (n > 37 -> "high"/"low", inside 12..40, divisible by 7 but not
by 3, a temperature in bands). Comparisons are safe for any int, so the style may leave their bounds
unchecked; sums and products of the input are always checked.
"""

import random
from functools import partial

from raftjax.data.corpus import ops
from raftjax.data.corpus.arithmetic import tuple_inputs
from raftjax.data.corpus.program import Int, an_int, num_id, some_ints, task
from raftjax.data.corpus.snippets import chain, choose

FAMILIES = ('threshold', 'interval', 'divisibility', 'pair_test', 'bands')
WORDS = (
  ('yes', 'no'),
  ('high', 'low'),
  ('big', 'small'),
  ('pass', 'fail'),
  ('hot', 'cold'),
  ('above', 'below'),
  ('over', 'under'),
  ('true', 'false'),
  ('win', 'lose'),
  ('open', 'closed'),
  ('ok', 'too low'),
  ('go', 'stop'),
  ('heavy', 'light'),
  ('fast', 'slow'),
  ('accept', 'reject'),
  ('good', 'bad'),
  ('Y', 'N'),
  ('on', 'off'),
)


def _said(style, yes: str, no: str, cond: str) -> str:
  """How a prompt says which of two words to print."""
  return style.pick(
    'said',
    (
      f'the word {yes} if {cond} and the word {no} otherwise',
      f'"{yes}" if {cond}, or "{no}" otherwise (without the quotes)',
      f'{yes} when {cond} and {no} when not',
    ),
  )


def _yes_no(
  family: str,
  name: str,
  difficulty: int,
  fields,
  reads,
  pred_words: str,
  cond: str,
  yes: str,
  no: str,
  py,
  inputs,
  params='int n',
  args='n',
):
  return task(
    family,
    name,
    difficulty,
    fields,
    reads,
    lambda s: f'{_said(s, yes, no, pred_words)}, followed by a newline',
    lambda s: choose(s, cond, yes, no, params, args),
    lambda *v: f'{yes if py(*v) else no}\n',
    inputs,
  )


def _threshold() -> list:
  rng = random.Random('threshold')
  out, seen = [], set()
  while len(out) < 66:
    pred = rng.choice(ops.compare(rng.randint(-100, 500)))
    yes, no = rng.choice(WORDS)
    name = f'{pred.id}_{yes}_{no}'.replace(' ', '_').lower()
    if name in seen:
      continue
    seen.add(name)
    k = int(pred.id.split('_')[1].replace('m', '-'))
    values = ops.both_ways(rng, pred, -1000, 1000, 4, first=(k, k + 1, rng.randint(-1000, 1000)))
    out.append(
      _yes_no(
        'threshold',
        name,
        1,
        (Int('n', -1000, 1000, check=None),),
        lambda s: an_int(s, 'n', -1000, 1000),
        f'n {pred.is_}',
        pred.of('n'),
        yes,
        no,
        pred.py,
        [f'{v}\n' for v in values],
      )
    )
  return out


_BANDS3 = (
  ('below', 'inside', 'above'),
  ('too low', 'ok', 'too high'),
  ('small', 'medium', 'large'),
  ('left', 'middle', 'right'),
  ('under', 'within', 'over'),
  ('cold', 'fine', 'hot'),
)


def _interval() -> list:
  rng = random.Random('interval')
  out = []
  for i in range(64):
    lo, hi = sorted(rng.sample(range(-200, 400), 2))
    fields = (Int('n', -1000, 1000, check=None),)
    inputs = [f'{v}\n' for v in (lo - 1, lo, hi, hi + 1, rng.randint(lo, hi))]
    if i % 2 == 0:
      yes, no = rng.choice(WORDS + (('inside', 'outside'), ('in', 'out')))
      pred = ops.Pred(
        '',
        f'n is between {lo} and {hi} (inclusive)',
        '',
        f'n >= {lo} && n <= {hi}',
        lambda n, lo=lo, hi=hi: lo <= n <= hi,
      )
      out.append(
        _yes_no(
          'interval',
          f'{num_id(lo)}_{num_id(hi)}_{yes}'.replace(' ', '_'),
          1,
          fields,
          lambda s: an_int(s, 'n', -1000, 1000),
          pred.is_,
          pred.c,
          yes,
          no,
          pred.py,
          inputs,
        )
      )
      continue
    w = rng.choice(_BANDS3)
    cases = [(f'n < {lo}', w[0]), (f'n > {hi}', w[2])]
    out.append(
      task(
        'interval',
        f'{num_id(lo)}_{num_id(hi)}_three',
        1,
        fields,
        lambda s: an_int(s, 'n', -1000, 1000),
        f'{w[0]} if n is less than {lo}, {w[2]} if n is greater than {hi}, and {w[1]} otherwise, followed by a newline',
        lambda s, cases=cases, w=w: chain(s, cases, w[1]),
        lambda n, lo=lo, hi=hi, w=w: f'{w[0] if n < lo else w[2] if n > hi else w[1]}\n',
        inputs,
      )
    )
  return out


def _divisibility() -> list:
  rng = random.Random('divisibility')
  preds = ops.predicates(rng, 70, 0, 1000000, nonneg=True, kinds=('divisible', 'digit'))
  out = []
  for pred in preds:
    yes, no = rng.choice(WORDS[:1] * 4 + WORDS)
    nonneg = pred.id.startswith(('ends', 'nends')) or rng.random() < 0.5
    lo = 0 if nonneg else -1000000
    values = ops.both_ways(rng, pred, lo, 1000000, 4, first=(0, rng.randint(100, 1000000)))
    out.append(
      _yes_no(
        'divisibility',
        f'{pred.id}_{yes}',
        1,
        (Int('n', lo, 1000000, check=None),),
        lambda s, lo=lo: an_int(s, 'n', lo, 1000000),
        f'n {pred.is_}',
        pred.of('n'),
        yes,
        no,
        pred.py,
        [f'{v}\n' for v in values],
      )
    )
  return out


_PAIR = (  # (id, prompt words with {k}, C with {k}, Python)
  ('gap', 'a is greater than b by more than {k}', 'a - b > {k}', lambda a, b, k: a - b > k),
  ('sum_gt', 'a + b is greater than {k}', 'a + b > {k}', lambda a, b, k: a + b > k),
  ('sum_div', 'a + b is divisible by {k}', '(a + b) % {k} == 0', lambda a, b, k: (a + b) % k == 0),
  ('times', 'a is at least {k} times b', 'a >= {k} * b', lambda a, b, k: a >= k * b),
  ('close', 'a and b differ by at most {k}', 'a - b <= {k} && b - a <= {k}', lambda a, b, k: abs(a - b) <= k),
  ('both_gt', 'both a and b are greater than {k}', 'a > {k} && b > {k}', lambda a, b, k: a > k and b > k),
  (
    'one_div',
    'at least one of a and b is divisible by {k}',
    'a % {k} == 0 || b % {k} == 0',
    lambda a, b, k: a % k == 0 or b % k == 0,
  ),
  (
    'exactly_one',
    'exactly one of a and b is greater than {k}',
    '(a > {k}) != (b > {k})',
    lambda a, b, k: (a > k) != (b > k),
  ),
  ('prod_gt', 'a * b is greater than {k}', 'a * b > {k}', lambda a, b, k: a * b > k),
  ('diff_div', 'a - b is divisible by {k}', '(a - b) % {k} == 0', lambda a, b, k: (a - b) % k == 0),
)


def _pair_test() -> list:
  rng = random.Random('pair_test')
  out = []
  for name, words, c, py in _PAIR:
    for _ in range(6):
      k = rng.randint(2, 13) if '%' in c or '*' in c else rng.randint(1 if name == 'close' else -20, 60)
      yes, no = rng.choice(WORDS)
      rows = []
      for want in (True, False):
        near = [(rng.randint(k - 12, k + 12), rng.randint(k - 12, k + 12)) for _ in range(300)]
        rows += [
          r for r in near + [(rng.randint(-30, 60), rng.randint(-30, 60)) for _ in range(300)] if py(*r, k) == want
        ][:1]
      fields = (Int('a', -1000, 1000), Int('b', -1000, 1000))
      out.append(
        _yes_no(
          'pair_test',
          f'{name}_{num_id(k)}_{yes}'.replace(' ', '_'),
          2,
          fields,
          lambda s: some_ints(s, 'ab', -1000, 1000),
          words.format(k=k),
          c.format(k=k),
          yes,
          no,
          lambda a, b, py=py, k=k: py(a, b, k),
          tuple_inputs(rng, 2, -1000, 1000, fixed=rows),
          'int a, int b',
          'a, b',
        )
      )
  return out


_THEMES = (
  ('a temperature in degrees Celsius', 't', -50, 60, ('freezing', 'cold', 'mild', 'warm', 'hot')),
  ('an age in years', 'age', 0, 120, ('baby', 'child', 'teenager', 'adult', 'senior')),
  ('an exam score', 's', 0, 100, ('fail', 'pass', 'merit', 'distinction')),
  ('a speed in km/h', 'v', 0, 300, ('slow', 'normal', 'fast', 'too fast')),
  ('a height in centimeters', 'h', 50, 250, ('short', 'average', 'tall')),
  ('a weight in kilograms', 'w', 0, 500, ('light', 'medium', 'heavy', 'very heavy')),
  ('a number of points', 'p', 0, 1000, ('bronze', 'silver', 'gold', 'platinum')),
  ('a battery level in percent', 'b', 0, 100, ('empty', 'low', 'half', 'full')),
  ('an hour of the day', 'h', 0, 23, ('night', 'morning', 'afternoon', 'evening')),
  ('a wind speed in knots', 'k', 0, 150, ('calm', 'breeze', 'gale', 'storm')),
  ('a number of pages', 'n', 1, 2000, ('leaflet', 'booklet', 'book', 'tome')),
)


def _bands() -> list:
  rng = random.Random('bands')
  out = []
  for what, var, lo, hi, labels in _THEMES:
    for i in range(6):
      k = rng.randint(3, len(labels))
      names = labels[:k] if i % 2 else labels[-k:]
      cuts = sorted(rng.sample(range(lo + 1, hi + 1), k - 1))
      parts = [f'{names[0]} if {var} is less than {cuts[0]}']
      parts += [f'{w} if it is less than {c}' for w, c in zip(names[1:-1], cuts[1:])]
      text = ', '.join(parts) + f', and {names[-1]} otherwise'
      inputs = [f'{v}\n' for v in dict.fromkeys([cuts[0] - 1, cuts[-1], lo, hi, rng.randint(lo, hi)])]
      out.append(
        task(
          'bands',
          f'{var}_{i}_{"_".join(map(str, cuts))}',
          2,
          (Int(var, lo, hi, check=None),),
          lambda s, w=what, v=var, lo=lo, hi=hi: an_int(s, v, lo, hi, w),
          f'{text}, followed by a newline',
          partial(_bands_body, var=var, cuts=cuts, names=names),
          lambda x, cuts=cuts, names=names: _band(x, cuts, names) + '\n',
          inputs,
        )
      )
  return out


def _bands_body(style, var: str, cuts: list[int], names: tuple[str, ...]) -> str:
  """An if-else chain from the lowest band up (var < cut), or from the highest band down (var >= cut)."""
  if style.flag('from_top'):
    return chain(style, [(f'{var} >= {c}', w) for c, w in zip(cuts[::-1], names[:0:-1])], names[0])
  return chain(style, [(f'{var} < {c}', w) for c, w in zip(cuts, names)], names[-1])


def _band(x: int, cuts: list[int], names: tuple[str, ...]) -> str:
  return next((w for c, w in zip(cuts, names) if x < c), names[-1])


def tasks() -> list:
  return _threshold() + _interval() + _divisibility() + _pair_test() + _bands()
