"""Words, second part: one word searched and counted (family word_count), and two words compared (two_words).

The held-out sets test palindromes, anagrams and "ends with ing" and count a character read from input;
these count and find fixed letters, test other endings and beginnings, and compare two words in other ways.
The one-word reading is strings.py's, and so are its rules: only ASCII letters are letters.
"""

import random

from raftjax.data.corpus.program import Word, task
from raftjax.data.corpus.snippets import choose, joined, separator_words
from raftjax.data.corpus.strings import LOWER, _lower, _word_task

FAMILIES = ('word_count', 'two_words')


def _positions(w: str, x: str) -> list[int]:
  return [i + 1 for i, c in enumerate(w) if c == x]


def _count_where(cond: str) -> str:
  return f'int count = 0;\nfor (int i = 0; w[i] != \'\\0\'; i++)\n  if ({cond})\n    count++;\nprintf("%d\\n", count);'


def _position_of(cond: str) -> str:
  return f'int pos = 0;\nfor (int i = 0; w[i] != \'\\0\'; i++)\n  if ({cond})\n    pos = i + 1;\nprintf("%d\\n", pos);'


def _word_count() -> list:
  rng = random.Random('word_count')
  out = []
  for x in rng.sample(LOWER, 10):
    out.append(
      _word_task(
        'word_count',
        f'count_{x}',
        f'how many times the letter {x} appears in the word, followed by a newline',
        _count_where(f"w[i] == '{x}'"),
        lambda w, x=x: f'{w.count(x)}\n',
        [f'{x}b{x}\n', 'zzz\n', f'{x}\n', 'programming\n'],
      )
    )
  for x in rng.sample(LOWER, 6):
    sep = rng.choice((' ', ', ', '\n', ','))
    empty = 'nothing' if sep == '\n' else 'an empty line'
    out.append(
      _word_task(
        'word_count',
        f'where_{x}',
        f'the positions (counting from 1) where the letter {x} '
        f'appears in the word, {separator_words(sep)} ({empty} if it does not appear)',
        lambda s, x=x, sep=sep: _where_body(s, x, sep),
        lambda w, x=x, sep=sep: joined(_positions(w, x), sep),
        [f'{x}a{x}\n', 'qqq\n', f'{x}\n', f'bb{x}\n'],
      )
    )
  for x in rng.sample(LOWER, 5):
    inputs = [f'b{x}c{x}\n', 'qqq\n', f'{x}\n', 'hello\n']
    out.append(
      _word_task(
        'word_count',
        f'first_{x}',
        f'the position (counting from 1) of the first {x} in the word, or 0 if there is none, followed by a newline',
        _position_of(f"w[i] == '{x}' && pos == 0"),
        lambda w, x=x: f'{(_positions(w, x) or [0])[0]}\n',
        inputs,
      )
    )
    out.append(
      _word_task(
        'word_count',
        f'last_{x}',
        f'the position (counting from 1) of the last {x} in the word, or 0 if there is none, followed by a newline',
        _position_of(f"w[i] == '{x}'"),
        lambda w, x=x: f'{(_positions(w, x) or [0])[-1]}\n',
        inputs,
      )
    )
  for _ in range(6):
    chosen = ''.join(sorted(rng.sample(LOWER, 3)))
    out.append(
      _word_task(
        'word_count',
        f'count_set_{chosen}',
        f'how many characters of the word are one of the letters {", ".join(chosen)}, followed by a newline',
        _count_where(f'strchr("{chosen}", w[i]) != NULL'),
        lambda w, c=chosen: f'{sum(x in c for x in w)}\n',
        [f'{chosen}{chosen[0]}\n', 'zzz\n', f'x{chosen[1]}\n', 'hello\n'],
      )
    )
  for suffix in ('ed', 'ly', 'er', 's', 'tion'):
    yes, no = rng.choice((('yes', 'no'), ('true', 'false')))
    cond = f'len >= {len(suffix)} && strcmp(w + len - {len(suffix)}, "{suffix}") == 0'
    out.append(
      _word_task(
        'word_count',
        f'ends_{suffix}',
        f'{yes} if the word ends with {suffix} and {no} otherwise, followed by a newline',
        lambda s, c=cond, y=yes, n=no: 'size_t len = strlen(w);\n' + choose(s, c, y, n, '', '')[0],
        lambda w, sfx=suffix, yes=yes, no=no: f'{yes if w.endswith(sfx) else no}\n',
        [f'jump{suffix}\n', 'cat\n', f'{suffix}\n', f'{suffix}x\n'],
      )
    )
  for x in rng.sample(LOWER, 3):
    out.append(
      _word_task(
        'word_count',
        f'starts_{x}',
        f'yes if the word starts with the letter {x} and no otherwise, followed by a newline',
        lambda s, x=x: choose(s, f"w[0] == '{x}'", 'yes', 'no', '', '')[0],
        lambda w, x=x: f'{"yes" if w[0] == x else "no"}\n',
        [f'{x}ab\n', 'zzz\n', f'b{x}\n', f'{x}\n'],
      )
    )
  for name, words, body, py in _WORD_FACTS:
    out.append(
      _word_task(
        'word_count', name, f'{words}, followed by a newline', body, py, ['r2d2\n', 'hello\n', 'a1b22c333\n', 'book\n']
      )
    )
  return out


def _where_body(style, x: str, sep: str) -> str:
  c_sep = sep.replace('\n', '\\n')
  if sep == '\n':
    return f"for (int i = 0; w[i] != '\\0'; i++)\n  if (w[i] == '{x}')\n    printf(\"%d\\n\", i + 1);"
  return (
    f"int shown = 0;\nfor (int i = 0; w[i] != '\\0'; i++)\n  if (w[i] == '{x}') {{\n    if (shown)\n"
    f'      printf("{c_sep}");\n    printf("%d", i + 1);\n    shown = 1;\n  }}\nprintf("\\n");'
  )


_WORD_FACTS = (
  (
    'digits',
    'how many characters of the word are digits (0 to 9)',
    "int count = 0;\nfor (int i = 0; w[i] != '\\0'; i++)\n  if (w[i] >= '0' && w[i] <= '9')\n    count++;\n"
    'printf("%d\\n", count);',
    lambda w: f'{sum("0" <= c <= "9" for c in w)}\n',
  ),
  (
    'early',
    'how many characters of the word are lowercase letters from a to m',
    "int count = 0;\nfor (int i = 0; w[i] != '\\0'; i++)\n  if (w[i] >= 'a' && w[i] <= 'm')\n    count++;\n"
    'printf("%d\\n", count);',
    lambda w: f'{sum("a" <= c <= "m" for c in w)}\n',
  ),
  (
    'double_letter',
    'yes if the word has two equal characters next to each other and no otherwise',
    "int found = 0;\nfor (int i = 1; w[i] != '\\0'; i++)\n  if (w[i] == w[i - 1])\n    found = 1;\n"
    'printf("%s\\n", found ? "yes" : "no");',
    lambda w: f'{"yes" if any(a == b for a, b in zip(w, w[1:])) else "no"}\n',
  ),
  (
    'distinct',
    'how many different characters the word has',
    "int count = 0;\nfor (int i = 0; w[i] != '\\0'; i++) {\n  int seen = 0;\n  for (int j = 0; j < i; j++)\n"
    '    if (w[j] == w[i])\n      seen = 1;\n  if (!seen)\n    count++;\n}\nprintf("%d\\n", count);',
    lambda w: f'{len(set(w))}\n',
  ),
  (
    'letter_sum',
    'the sum of the alphabet positions of its lowercase letters (a is 1, b is 2, ..., z is 26; other '
    'characters count 0)',
    "int sum = 0;\nfor (int i = 0; w[i] != '\\0'; i++)\n  if (w[i] >= 'a' && w[i] <= 'z')\n"
    '    sum += w[i] - \'a\' + 1;\nprintf("%d\\n", sum);',
    lambda w: f'{sum(LOWER.index(c) + 1 for c in w if _lower(c))}\n',
  ),
)


def _two_words() -> list:
  out = []
  reads = 'two words a and b, separated by whitespace (each at most 50 characters, no spaces),'
  fields = (Word('a'), Word('b'))
  inputs = ['apple pie\n', 'cat dog\n', 'zebra ant\n', 'same same\n']
  facts = [
    (
      'longer',
      'the longer of the two words (the first one if they have the same length)',
      'printf("%s\\n", strlen(b) > strlen(a) ? b : a);',
      lambda a, b: b if len(b) > len(a) else a,
    ),
    (
      'shorter',
      'the shorter of the two words (the first one if they have the same length)',
      'printf("%s\\n", strlen(b) < strlen(a) ? b : a);',
      lambda a, b: b if len(b) < len(a) else a,
    ),
    (
      'first_in_order',
      'the word that comes first in dictionary order (compared with strcmp)',
      'printf("%s\\n", strcmp(a, b) <= 0 ? a : b);',
      lambda a, b: min(a, b, key=_bytes),
    ),
    (
      'last_in_order',
      'the word that comes last in dictionary order (compared with strcmp)',
      'printf("%s\\n", strcmp(a, b) >= 0 ? a : b);',
      lambda a, b: max(a, b, key=_bytes),
    ),
    (
      'total_length',
      'the total number of characters in the two words',
      'printf("%zu\\n", strlen(a) + strlen(b));',
      lambda a, b: len(a) + len(b),
    ),
    (
      'same_place',
      'how many positions hold the same character in both words (comparing up to the end of the shorter word)',
      "int count = 0;\nfor (int i = 0; a[i] != '\\0' && b[i] != '\\0'; i++)\n  if (a[i] == b[i])\n"
      '    count++;\nprintf("%d\\n", count);',
      lambda a, b: sum(x == y for x, y in zip(a, b)),
    ),
    (
      'prefix_length',
      'the length of the longest common beginning of the two words',
      'int i = 0;\nwhile (a[i] != \'\\0\' && a[i] == b[i])\n  i++;\nprintf("%d\\n", i);',
      lambda a, b: next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b))),
    ),
    (
      'interleave',
      'the two words merged letter by letter (first of a, first of b, second of a, ...), with the rest '
      'of the longer word at the end',
      'size_t la = strlen(a), lb = strlen(b);\nfor (size_t i = 0; i < la || i < lb; i++) {\n'
      "  if (i < la)\n    putchar(a[i]);\n  if (i < lb)\n    putchar(b[i]);\n}\nputchar('\\n');",
      lambda a, b: _merge(a, b),
    ),
  ]
  for sep in ('-', ' and ', '+', ', ', '_', ' & '):
    facts.append(
      (
        f'joined_{len(facts)}',
        f'the two words joined by "{sep}" (for cat and dog: cat{sep}dog)',
        f'printf("%s{sep}%s\\n", a, b);',
        lambda a, b, sep=sep: f'{a}{sep}{b}',
      )
    )
  for sep in (' ', ', ', '\n'):
    facts.append(
      (
        f'swapped_{len(facts)}',
        f'the second word and then the first, {separator_words(sep)}',
        f'printf("%s{sep.replace(chr(10), "[nl]")}%s\\n", b, a);'.replace('[nl]', '\\n'),
        lambda a, b, sep=sep: f'{b}{sep}{a}',
      )
    )
  for name, words, cond, py in (
    ('same_first', 'the two words start with the same character', 'a[0] == b[0]', lambda a, b: a[0] == b[0]),
    (
      'same_last',
      'the two words end with the same character',
      'a[strlen(a) - 1] == b[strlen(b) - 1]',
      lambda a, b: a[-1] == b[-1],
    ),
    ('same_length', 'the two words have the same length', 'strlen(a) == strlen(b)', lambda a, b: len(a) == len(b)),
    ('contains', 'the second word appears inside the first', 'strstr(a, b) != NULL', lambda a, b: b in a),
  ):
    for yes, no in (('yes', 'no'), ('true', 'false')):
      facts.append(
        (
          f'{name}_{yes}',
          f'{yes} if {words} and {no} otherwise',
          lambda s, c=cond, y=yes, n=no: choose(s, c, y, n, '', '')[0],
          lambda a, b, py=py, y=yes, n=no: y if py(a, b) else n,
        )
      )
  for name, words, body, py in facts:
    out.append(
      task(
        'two_words',
        name,
        3,
        fields,
        reads,
        f'{words}, followed by a newline',
        body,
        lambda a, b, py=py: f'{py(a, b)}\n',
        inputs,
      )
    )
  return out


def _bytes(w: str) -> bytes:
  return w.encode('latin-1')


def _merge(a: str, b: str) -> str:
  out = ''.join(x + y for x, y in zip(a, b))
  return out + (a[len(b) :] if len(a) > len(b) else b[len(a) :])


def tasks() -> list:
  return _word_count() + _two_words()
