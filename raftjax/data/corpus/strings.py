"""Characters and words: one character (checked to be what the prompt says), one word, or two words.

The held-out sets echo, reverse and double words, test palindromes, anagrams and "ends with ing", count a
character read from input, give the next letter and a letter's position; these shift by other amounts,
cut, frame, rotate and search words for fixed letters, and compare two words in other ways. Text is bytes as
C sees it: only ASCII letters are letters (no ctype call on a byte that may be negative).
"""

import random

from raftjax.data.corpus.program import Char, Word, task
from raftjax.data.corpus.snippets import choose, joined, separator_words

FAMILIES = ('char_ops', 'word_ops', 'word_count', 'two_words')
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
  return _char_ops() + _word_ops() + _word_count() + _two_words()
