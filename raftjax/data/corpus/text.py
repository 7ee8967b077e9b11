"""Lines of text read with fgets: counting characters and words (family line_count; editing.py edits the line).

The held-out sets measure a line and count its vowels, uppercase letters and words; these count other
characters and words by length or first letter. A word is a maximal run of characters that are not spaces;
only ASCII letters are letters.
"""

import random

from raftjax.data.corpus.program import Line, task

FAMILIES = ('line_count',)


_LINES = [
  'the quick brown fox\n',
  'Hello, World! 123\n',
  '  two  spaces  here \n',
  'a\n',
  "C is fun, isn't it?\n",
  'one two three four five\n',
  'Zebra crossing at 9:45\n',
  'mississippi river\n',
  '\n',
  'x y z\n',
]


def _reads(style) -> str:
  return style.pick(
    'line_words',
    (
      'one line of text (at most 200 characters, it may contain spaces)',
      'a line of text of at most 200 characters',
      'one line (up to 200 characters; spaces allowed)',
    ),
  )


def _inputs(name: str, must: str = '') -> list[str]:
  rng = random.Random(name)
  lines = rng.sample([x for x in _LINES if x != '\n'], 3)
  if must:
    lines[0] = must
  return lines + [rng.choice(['\n', 'a\n', 'x y z\n'])]


def _line_task(family: str, name: str, words: str, body, py, must: str = '', difficulty: int = 3):
  return task(family, name, difficulty, (Line('s'),), _reads, words, body, py, _inputs(name, must))


def _letter(c: str) -> bool:
  return 'a' <= c <= 'z' or 'A' <= c <= 'Z'


def _count(cond: str) -> str:
  return f'int count = 0;\nfor (int i = 0; s[i] != \'\\0\'; i++)\n  if ({cond})\n    count++;\nprintf("%d\\n", count);'


def _c_char(c: str) -> str:
  return {"'": "\\'", '\\': '\\\\'}.get(c, c)


def _line_count() -> list:
  rng = random.Random('line_count')
  out = []
  for x in rng.sample('aeiostn,.!?0123456789', 12):
    what = {',': 'commas', '.': 'periods', '!': 'exclamation marks', '?': 'question marks'}.get(x, f'{x} characters')
    out.append(
      _line_task(
        'line_count',
        f'count_{ord(x)}',
        f'how many {what} ({x}) it contains, followed by a newline',
        _count(f"s[i] == '{_c_char(x)}'"),
        lambda s, x=x: f'{s.count(x)}\n',
        f'{x}{x} and {x}\n',
      )
    )
  for name, words, cond, py in (
    ('spaces', 'how many spaces it contains', "s[i] == ' '", lambda c: c == ' '),
    ('digits', 'how many digits (0 to 9) it contains', "s[i] >= '0' && s[i] <= '9'", lambda c: '0' <= c <= '9'),
    (
      'letters',
      'how many letters (a to z and A to Z) it contains',
      "(s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')",
      _letter,
    ),
    (
      'lowercase',
      'how many lowercase letters (a to z) it contains',
      "s[i] >= 'a' && s[i] <= 'z'",
      lambda c: 'a' <= c <= 'z',
    ),
    (
      'others',
      'how many characters are neither letters, digits nor spaces',
      "!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == ' ')",
      lambda c: not (_letter(c) or '0' <= c <= '9' or c == ' '),
    ),
  ):
    out.append(
      _line_task(
        'line_count',
        name,
        f'{words}, followed by a newline',
        _count(cond),
        lambda s, py=py: f'{sum(map(py, s))}\n',
        'Route 66, exit 9!\n',
      )
    )
  for k in range(2, 7):
    out.append(
      _line_task(
        'line_count',
        f'words_longer_{k}',
        f'how many of its words have more than {k} characters '
        '(a word is a run of characters that are not spaces), followed by a newline',
        _word_loop(f'if (len > {k})\n    count++;'),
        lambda s, k=k: f'{sum(len(w) > k for w in _words(s))}\n',
        f'{"y" * (k + 1)} ab {"z" * (k + 3)}\n',
      )
    )
    out.append(
      _line_task(
        'line_count',
        f'words_of_{k}',
        f'how many of its words have exactly {k} characters '
        '(a word is a run of characters that are not spaces), followed by a newline',
        _word_loop(f'if (len == {k})\n    count++;'),
        lambda s, k=k: f'{sum(len(w) == k for w in _words(s))}\n',
        f'{"y" * k} abcdefgh {"z" * k}\n',
      )
    )
  for x in rng.sample('abcdefghilmnoprstw', 5):
    out.append(
      _line_task(
        'line_count',
        f'words_start_{x}',
        f'how many of its words start with the letter {x} '
        '(a word is a run of characters that are not spaces), followed by a newline',
        _count(f"s[i] == '{x}' && (i == 0 || s[i - 1] == ' ')"),
        lambda s, x=x: f'{sum(w[0] == x for w in _words(s))}\n',
        f'{x}1 {x}{x} b{x}\n',
      )
    )
  for name, words, update, _, py in (
    (
      'longest_length',
      'the length of its longest word (0 if it has no words)',
      'if (len > best)\n    best = len;',
      'best',
      lambda ws: max(map(len, ws), default=0),
    ),
    (
      'capitals',
      'how many of its words start with an uppercase letter (A to Z)',
      None,
      'count',
      lambda ws: sum('A' <= w[0] <= 'Z' for w in ws),
    ),
  ):
    body = _word_loop(update, 'best') if update else _count("s[i] >= 'A' && s[i] <= 'Z' && (i == 0 || s[i - 1] == ' ')")
    out.append(
      _line_task(
        'line_count',
        name,
        f'{words}, followed by a newline',
        body,
        lambda s, py=py: f'{py(_words(s))}\n',
        'Ada Lovelace wrote the First program\n',
      )
    )
  for pair in ('th', 'ss', 'an', 'e ', 'oo'):
    out.append(
      _line_task(
        'line_count',
        f'pair_{pair.strip()}_{len(pair)}',
        f'how many times the two characters '
        f'"{pair}" appear next to each other in it (overlapping ones count), followed by a newline',
        _count(f"s[i] == '{pair[0]}' && s[i + 1] == '{pair[1]}'"),
        lambda s, p=pair: f'{sum(s[i : i + 2] == p for i in range(len(s)))}\n',
        f'{pair}{pair} x{pair}\n',
      )
    )
  return out


def _words(s: str) -> list[str]:
  return [w for w in s.split(' ') if w]


def _word_loop(update: str, var: str = 'count') -> str:
  """Counts with `update` over the lengths (`len`) of the words of s."""
  return (
    f"int {var} = 0, len = 0;\nfor (int i = 0; ; i++) {{\n  if (s[i] != ' ' && s[i] != '\\0') {{\n    len++;\n"
    f"    continue;\n  }}\n  {update.replace(chr(10), chr(10) + '  ')}\n  len = 0;\n  if (s[i] == '\\0')\n"
    f'    break;\n}}\n'
    f'printf("%d\\n", {var});'
  )


def tasks() -> list:
  return _line_count()
