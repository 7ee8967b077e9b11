"""Characters and words: one character (checked to be what the prompt says) or one word, transformed or classified
(families char_ops and word_ops; words.py counts in one word and compares two).

The held-out sets echo, reverse and double words and give the next letter and a letter's position; these
shift letters by other amounts, classify a character, and cut, repeat, frame, rotate and encode words. Text
is bytes as C sees it: only ASCII letters are letters (no ctype call on a byte that may be negative).
"""

import random

from raftjax.data.corpus.program import Char, Word, task
from raftjax.data.corpus.snippets import choose

FAMILIES = ('char_ops', 'word_ops')


LOWER = 'abcdefghijklmnopqrstuvwxyz'


_WORDS_IN = ['banana\n', 'x\n', 'programming\n', 'level\n', 'queue\n', 'abcdefg\n', 'mississippi\n', 'hello\n']


_LETTER = 'a lowercase letter (a to z)'


def _lower(c: str) -> bool:
  return 'a' <= c <= 'z'


def _letter_task(name: str, words: str, body: str, py, inputs=('c\n', 'a\n', 'z\n', 'm\n'), difficulty: int = 1):
  """A task that reads one lowercase letter (exiting 1 on anything else)."""
  check = "if (c < 'a' || c > 'z')\n  return 1;\n"
  return task(
    'char_ops',
    name,
    difficulty,
    (Char('c'),),
    _LETTER,
    words,
    check + body,
    lambda c: py(c) if _lower(c) else None,
    list(inputs),
  )


def _char_ops() -> list:
  rng = random.Random('char_ops')
  out = []
  for k in rng.sample(range(2, 26), 12):
    out.append(
      _letter_task(
        f'shift_{k}',
        f'the letter {k} places later in the alphabet, going around from z back to a, followed by a newline',
        f"printf(\"%c\\n\", 'a' + (c - 'a' + {k}) % 26);",
        lambda c, k=k: LOWER[(LOWER.index(c) + k) % 26] + '\n',
      )
    )
  for k in rng.sample(range(1, 26), 8):
    out.append(
      _letter_task(
        f'back_{k}',
        f'the letter {k} places earlier in the alphabet, going around from a back to z, followed by a newline',
        f"printf(\"%c\\n\", 'a' + (c - 'a' + {26 - k}) % 26);",
        lambda c, k=k: LOWER[(LOWER.index(c) - k) % 26] + '\n',
      )
    )
  for k in range(2, 9):
    out.append(
      _letter_task(
        f'next_{k}',
        f'the {k} letters that follow it in the alphabet (after z comes a again), on one line with no spaces',
        f"for (int i = 1; i <= {k}; i++)\n  putchar('a' + (c - 'a' + i) % 26);\nputchar('\\n');",
        lambda c, k=k: ''.join(LOWER[(LOWER.index(c) + i) % 26] for i in range(1, k + 1)) + '\n',
      )
    )
  for k in range(2, 8):
    out.append(
      _letter_task(
        f'repeat_{k}',
        f'the letter {k} times on one line, followed by a newline',
        f"for (int i = 0; i < {k}; i++)\n  putchar(c);\nputchar('\\n');",
        lambda c, k=k: c * k + '\n',
      )
    )
  for name, words, body, py in (
    (
      'from_end',
      'its position counted from the end of the alphabet (z is 1, y is 2, ..., a is 26), followed by a newline',
      'printf("%d\\n", \'z\' - c + 1);',
      lambda c: f'{26 - LOWER.index(c)}\n',
    ),
    (
      'upper',
      'the same letter in uppercase, followed by a newline',
      "printf(\"%c\\n\", c - 'a' + 'A');",
      lambda c: c.upper() + '\n',
    ),
    (
      'mirror',
      'its mirror letter (a and z swap, b and y, and so on), followed by a newline',
      "printf(\"%c\\n\", 'z' - (c - 'a'));",
      lambda c: LOWER[25 - LOWER.index(c)] + '\n',
    ),
    (
      'to_z',
      'the letters from it to z in order on one line with no spaces',
      "for (char x = c; x <= 'z'; x++)\n  putchar(x);\nputchar('\\n');",
      lambda c: LOWER[LOWER.index(c) :] + '\n',
    ),
    (
      'from_a',
      'the letters from a to it in order on one line with no spaces',
      "for (char x = 'a'; x <= c; x++)\n  putchar(x);\nputchar('\\n');",
      lambda c: LOWER[: LOWER.index(c) + 1] + '\n',
    ),
    (
      'neighbors',
      'the letter before it and the letter after it in the alphabet, separated by a space (z comes '
      'before a, and a comes after z), followed by a newline',
      "printf(\"%c %c\\n\", c == 'a' ? 'z' : c - 1, c == 'z' ? 'a' : c + 1);",
      lambda c: f'{LOWER[LOWER.index(c) - 1]} {LOWER[(LOWER.index(c) + 1) % 26]}\n',
    ),
  ):
    out.append(_letter_task(name, words, body, py))
  for k in rng.sample(range(2, 20), 6):
    out.append(
      task(
        'char_ops',
        f'digit_times_{k}',
        1,
        (Char('c'),),
        'a single decimal digit character (0 to 9)',
        f"the digit's value multiplied by {k}, followed by a newline",
        f"if (c < '0' || c > '9')\n  return 1;\nprintf(\"%d\\n\", (c - '0') * {k});",
        lambda c, k=k: f'{(ord(c) - 48) * k}\n' if '0' <= c <= '9' else None,
        ['7\n', '0\n', '9\n', '3\n'],
      )
    )
  for _ in range(10):
    chosen = ''.join(sorted(rng.sample(LOWER, rng.randint(3, 6))))
    yes, no = rng.choice((('yes', 'no'), ('in', 'out'), ('member', 'not a member'), ('found', 'missing')))
    listed = ', '.join(chosen)
    cond = ' || '.join(f"c == '{x}'" for x in chosen)
    out.append(
      task(
        'char_ops',
        f'one_of_{chosen}',
        1,
        (Char('c'),),
        'a single character that is not a space',
        f'{yes} if it is one of the letters {listed}, and {no} otherwise, followed by a newline',
        lambda s, cond=cond, yes=yes, no=no: choose(s, cond, yes, no, 'char c', 'c'),
        lambda c, chosen=chosen, yes=yes, no=no: f'{yes if c in chosen else no}\n',
        [f'{chosen[0]}\n', 'Q\n', f'{chosen[-1]}\n', '5\n'],
      )
    )
  for names in (
    ('upper', 'lower', 'digit', 'other'),
    ('capital', 'small', 'number', 'symbol'),
    ('big letter', 'small letter', 'digit', 'something else'),
  ):
    up, low, dig, other = names
    out.append(
      task(
        'char_ops',
        f'kind_{up}'.replace(' ', '_'),
        2,
        (Char('c'),),
        'a single character that is not a space',
        f'{up} if it is an uppercase letter (A to Z), {low} if it is a lowercase letter (a to z), {dig} if '
        f'it is a digit (0 to 9), and {other} otherwise, followed by a newline',
        f"if (c >= 'A' && c <= 'Z')\n  puts(\"{up}\");\n"
        f"else if (c >= 'a' && c <= 'z')\n  puts(\"{low}\");\n"
        f'else if (c >= \'0\' && c <= \'9\')\n  puts("{dig}");\nelse\n  puts("{other}");',
        lambda c, n=names: _kind(c, n) + '\n',
        ['Q\n', 'q\n', '7\n', '#\n'],
      )
    )
  return out


def _kind(c: str, names: tuple[str, ...]) -> str:
  return names[0] if 'A' <= c <= 'Z' else names[1] if 'a' <= c <= 'z' else names[2] if '0' <= c <= '9' else names[3]


def _word_reads(style) -> str:
  return style.pick(
    'word_words',
    (
      'one word (at most 50 characters, no spaces)',
      'a single word of 1 to 50 characters',
      'one word without spaces (at most 50 characters)',
    ),
  )


def _word_task(family: str, name: str, words: str, body, py, inputs=None, difficulty: int = 2, size: int = 64):
  return task(
    family,
    name,
    difficulty,
    (Word('w', size),),
    _word_reads,
    words,
    body,
    py,
    list(inputs or random.Random(name).sample(_WORDS_IN, 4)),
  )


def _word_ops() -> list:
  out = []
  for k in range(2, 7):
    out.append(
      _word_task(
        'word_ops',
        f'first_{k}',
        f'its first {k} characters (the whole word if it is shorter), followed by a newline',
        f'w[{k}] = \'\\0\';\nprintf("%s\\n", w);' if k < 63 else '',
        lambda w, k=k: w[:k] + '\n',
      )
    )
    out.append(
      _word_task(
        'word_ops',
        f'last_{k}',
        f'its last {k} characters (the whole word if it is shorter), followed by a newline',
        f'size_t len = strlen(w);\nprintf("%s\\n", len > {k} ? w + len - {k} : w);',
        lambda w, k=k: w[-k:] + '\n',
      )
    )
  for k, sep in ((2, ' '), (3, ' '), (3, '-'), (4, ','), (2, ', '), (5, ''), (3, ''), (4, ' | ')):
    out.append(
      _word_task(
        'word_ops',
        f'times_{k}_{len(out)}',
        f'the word {k} times on one line, '
        + (f'separated by "{sep}"' if sep else 'with nothing in between')
        + ', followed by a newline',
        f'for (int i = 0; i < {k}; i++)\n  printf(i > 0 ? "{sep}%s" : "%s", w);\nprintf("\\n");',
        lambda w, k=k, sep=sep: sep.join([w] * k) + '\n',
      )
    )
  for k in range(2, 6):
    out.append(
      _word_task(
        'word_ops',
        f'every_{k}',
        f'every {k}-th character of the word starting with the first '
        '(positions 1, ' + f'{k + 1}, {2 * k + 1}, ...), followed by a newline',
        f"size_t len = strlen(w);\nfor (size_t i = 0; i < len; i += {k})\n  putchar(w[i]);\nputchar('\\n');",
        lambda w, k=k: w[::k] + '\n',
      )
    )
  for sep in ('-', ' ', ',', '.', '*'):
    out.append(
      _word_task(
        'word_ops',
        f'spaced_{len(out)}',
        f'its characters separated by "{sep}" (for cat: {sep.join("cat")}), followed by a newline',
        f"for (int i = 0; w[i] != '\\0'; i++) {{\n  if (i > 0)\n    putchar('{sep}');\n"
        f'  putchar(w[i]);\n}}\n'
        "putchar('\\n');",
        lambda w, sep=sep: sep.join(w) + '\n',
      )
    )
  for left, right in (('<', '>'), ('*', '*'), ('(', ')'), ('{', '}'), ('"', '"'), ('#', '#')):
    c_left, c_right = (x.replace('"', '\\"') for x in (left, right))
    out.append(
      _word_task(
        'word_ops',
        f'framed_{len(out)}',
        f'the word between {left} and {right} (for cat: {left}cat{right}), followed by a newline',
        f'printf("{c_left}%s{c_right}\\n", w);',
        lambda w, a=left, b=right: f'{a}{w}{b}\n',
      )
    )
  for k in range(1, 5):
    for way in ('left', 'right'):
      shift = f'{k} % len' if way == 'left' else f'len - {k} % len'
      out.append(
        _word_task(
          'word_ops',
          f'rotate_{way}_{k}',
          f'the word rotated {way} by {k} (a rotation by one moves '
          + ('the first character to the end' if way == 'left' else 'the last character to the front')
          + f'; rotate by {k} modulo the length), followed by a newline',
          f'size_t len = strlen(w);\nsize_t s = {shift};\nfor (size_t i = 0; i < len; i++)\n'
          "  putchar(w[(i + s) % len]);\nputchar('\\n');",
          lambda w, k=k, way=way: _rotate(w, k if way == 'left' else -k) + '\n',
        )
      )
  for name, words, body, py in (
    (
      'swap_ends',
      'the word with its first and last characters swapped, followed by a newline',
      'size_t len = strlen(w);\nchar t = w[0];\nw[0] = w[len - 1];\nw[len - 1] = t;\nprintf("%s\\n", w);',
      lambda w: (w[-1] + w[1:-1] + w[0] if len(w) > 1 else w) + '\n',
    ),
    (
      'mirror',
      'the word followed by the word reversed (for cat: cattac), followed by a newline',
      'printf("%s", w);\nfor (int i = (int)strlen(w) - 1; i >= 0; i--)\n  putchar(w[i]);\nputchar(\'\\n\');',
      lambda w: w + w[::-1] + '\n',
    ),
    (
      'with_length',
      'the word, a space and its length (for cat: cat 3), followed by a newline',
      'printf("%s %zu\\n", w, strlen(w));',
      lambda w: f'{w} {len(w)}\n',
    ),
    (
      'evens_odds',
      'the characters at odd positions (1st, 3rd, ...) followed by those at even positions (2nd, 4th, '
      '...), followed by a newline',
      'size_t len = strlen(w);\nfor (size_t i = 0; i < len; i += 2)\n  putchar(w[i]);\n'
      "for (size_t i = 1; i < len; i += 2)\n  putchar(w[i]);\nputchar('\\n');",
      lambda w: w[::2] + w[1::2] + '\n',
    ),
  ):
    out.append(_word_task('word_ops', name, words, body, py))
  for mark in ('*', '_', '#', '?'):
    out.append(
      _word_task(
        'word_ops',
        f'hide_vowels_{len(out)}',
        f'the word with every lowercase vowel (a, e, i, o, u) replaced by {mark}, followed by a newline',
        'for (int i = 0; w[i] != \'\\0\'; i++)\n  if (strchr("aeiou", w[i]) != NULL)\n'
        f'    w[i] = \'{mark}\';\nprintf("%s\\n", w);',
        lambda w, m=mark: ''.join(m if c in 'aeiou' else c for c in w) + '\n',
      )
    )
  for k in (3, 5, 10, 13):
    out.append(
      _word_task(
        'word_ops',
        f'caesar_{k}',
        f'the word with every lowercase letter moved {k} places later in '
        'the alphabet (z goes around to a; other characters stay as they are), followed by a newline',
        f"for (int i = 0; w[i] != '\\0'; i++)\n  if (w[i] >= 'a' && w[i] <= 'z')\n"
        f"    w[i] = (char)('a' + (w[i] - 'a' + {k}) % 26);\nprintf(\"%s\\n\", w);",
        lambda w, k=k: ''.join(_shift(c, k) for c in w) + '\n',
      )
    )
  return out


def _shift(c: str, k: int) -> str:
  return LOWER[(LOWER.index(c) + k) % 26] if _lower(c) else c


def _rotate(w: str, k: int) -> str:
  k %= len(w)
  return w[k:] + w[:k]


def tasks() -> list:
  return _char_ops() + _word_ops()
