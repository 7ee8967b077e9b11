"""Lines of text read with fgets: counting characters and words, and editing the line.

The held-out sets measure a line, count its vowels, uppercase letters and words, uppercase it, replace spaces
by underscores, remove vowels, capitalize and take the initials, the last and the longest word; these count
other characters and words by length or first letter, replace and delete other characters, and reorder
words. A word is a maximal run of characters that are not spaces; only ASCII letters are letters.
"""

import random

from raftjax.data.corpus.program import Line, task
from raftjax.data.corpus.snippets import joined, separator_words

FAMILIES = ('line_count', 'line_edit')
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


def _line_edit() -> list:
  rng = random.Random('line_edit')
  out = []
  pairs = [(x, y) for x in 'aeiost .,0123456789-' for y in '*#-+.x' if x != y]
  for x, y in rng.sample(pairs, 20):
    out.append(
      _line_task(
        'line_edit',
        f'replace_{ord(x)}_{ord(y)}',
        f'the line with every "{x}" replaced by "{y}", followed by a newline',
        f"for (int i = 0; s[i] != '\\0'; i++)\n  if (s[i] == '{x}')\n    s[i] = '{y}';\nprintf(\"%s\\n\", s);",
        lambda s, x=x, y=y: s.replace(x, y) + '\n',
        f'{x}b{x} {x}\n',
      )
    )
  for x in rng.sample('aeiostn,.!0123456789-', 10):
    out.append(
      _line_task(
        'line_edit',
        f'remove_{ord(x)}',
        f'the line with every "{x}" removed, followed by a newline',
        f"for (int i = 0; s[i] != '\\0'; i++)\n  if (s[i] != '{x}')\n    putchar(s[i]);\nputchar('\\n');",
        lambda s, x=x: s.replace(x, '') + '\n',
        f'{x}b{x} {x}\n',
      )
    )
  for name, words, body, py in list(_EDITS) + _more_edits():
    out.append(_line_task('line_edit', name, words, body, py))
  for sep in ('\n', ' | ', ', '):
    out.append(
      _line_task(
        'line_edit',
        f'words_{len(out)}',
        f'its words (runs of characters that are not spaces), {separator_words(sep)}',
        _words_body(sep),
        lambda s, sep=sep: joined(_words(s), sep),
      )
    )
  for k in (2, 3, 4):
    out.append(
      _line_task(
        'line_edit',
        f'mask_{k}',
        f'the line with every {_NTH[k]} character (the {_NTH[k]}, the '
        f'{_NTH[2 * k]}, ...) replaced by *, followed by a newline',
        f'size_t len = strlen(s);\nfor (size_t i = {k - 1}; i < len; i += {k})\n  s[i] = \'*\';\nprintf("%s\\n", s);',
        lambda s, k=k: _masked(s, k) + '\n',
      )
    )
  return out


def _masked(s: str, k: int) -> str:
  return ''.join('*' if i % k == k - 1 else c for i, c in enumerate(s))


def _swapped_pairs(s: str) -> str:
  return ''.join(s[i + 1] + s[i] for i in range(0, len(s) - 1, 2)) + (s[-1] if len(s) % 2 else '')


_NTH = {2: 'second', 3: 'third', 4: 'fourth', 6: 'sixth', 8: 'eighth'}
_EDITS = (
  (
    'no_spaces',
    'the line with all spaces removed, followed by a newline',
    "for (int i = 0; s[i] != '\\0'; i++)\n  if (s[i] != ' ')\n    putchar(s[i]);\nputchar('\\n');",
    lambda s: s.replace(' ', '') + '\n',
  ),
  (
    'lowercase',
    'the line with every uppercase letter (A to Z) changed to lowercase, followed by a newline',
    "for (int i = 0; s[i] != '\\0'; i++)\n  if (s[i] >= 'A' && s[i] <= 'Z')\n    s[i] = (char)(s[i] - 'A' + 'a');\n"
    'printf("%s\\n", s);',
    lambda s: ''.join(c.lower() if 'A' <= c <= 'Z' else c for c in s) + '\n',
  ),
  (
    'swap_case',
    'the line with every lowercase letter made uppercase and every uppercase letter made lowercase, '
    'followed by a newline',
    "for (int i = 0; s[i] != '\\0'; i++) {\n  if (s[i] >= 'a' && s[i] <= 'z')\n"
    "    s[i] = (char)(s[i] - 'a' + 'A');\n  else if (s[i] >= 'A' && s[i] <= 'Z')\n"
    "    s[i] = (char)(s[i] - 'A' + 'a');\n}\n"
    'printf("%s\\n", s);',
    lambda s: ''.join(c.swapcase() if _letter(c) else c for c in s) + '\n',
  ),
  (
    'reverse_words',
    'its words in reverse order, separated by single spaces (a word is a run of characters that are '
    'not spaces), followed by a newline',
    "int stop = (int)strlen(s), shown = 0;\nwhile (stop > 0) {\n  while (stop > 0 && s[stop - 1] == ' ')\n"
    '    stop--;\n'
    "  int start = stop;\n  while (start > 0 && s[start - 1] != ' ')\n    start--;\n  if (start < stop) {\n"
    '    if (shown)\n      putchar(\' \');\n    printf("%.*s", stop - start, s + start);\n    shown = 1;\n  }\n'
    "  stop = start;\n}\nputchar('\\n');",
    lambda s: ' '.join(_words(s)[::-1]) + '\n',
  ),
  (
    'reverse_each',
    'the line with every word reversed in place (spaces stay where they are), followed by a newline',
    "for (int i = 0; s[i] != '\\0'; ) {\n  if (s[i] == ' ') {\n    putchar(' ');\n    i++;\n    continue;\n  }\n"
    "  int j = i;\n  while (s[j] != ' ' && s[j] != '\\0')\n    j++;\n  for (int k = j - 1; k >= i; k--)\n"
    '    putchar(s[k]);\n'
    "  i = j;\n}\nputchar('\\n');",
    lambda s: ' '.join(w[::-1] for w in s.split(' ')) + '\n',
  ),
  (
    'squeeze',
    'the line with the spaces at the start and the end removed and every run of spaces inside replaced by '
    'a single space, followed by a newline',
    "int shown = 0, space = 0;\nfor (int i = 0; s[i] != '\\0'; i++) {\n"
    "  if (s[i] == ' ') {\n    space = 1;\n    continue;\n  }\n  if (space && shown)\n    putchar(' ');\n"
    '  putchar(s[i]);\n'
    "  shown = 1;\n  space = 0;\n}\nputchar('\\n');",
    lambda s: ' '.join(_words(s)) + '\n',
  ),
  (
    'first_word',
    'its first word (a word is a run of characters that are not spaces), or an empty line if it has none',
    "int i = 0;\nwhile (s[i] == ' ')\n  i++;\nwhile (s[i] != ' ' && s[i] != '\\0')\n  putchar(s[i++]);\n"
    "putchar('\\n');",
    lambda s: (_words(s) or [''])[0] + '\n',
  ),
  (
    'only_letters',
    'only the letters of the line (a to z and A to Z), in order, followed by a newline',
    "for (int i = 0; s[i] != '\\0'; i++)\n  if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))\n"
    "    putchar(s[i]);\nputchar('\\n');",
    lambda s: ''.join(filter(_letter, s)) + '\n',
  ),
  (
    'only_digits',
    'only the digits of the line (0 to 9), in order, followed by a newline',
    "for (int i = 0; s[i] != '\\0'; i++)\n  if (s[i] >= '0' && s[i] <= '9')\n    putchar(s[i]);\nputchar('\\n');",
    lambda s: ''.join(c for c in s if '0' <= c <= '9') + '\n',
  ),
  (
    'quoted',
    'the line between double quotes (for hi there: "hi there"), followed by a newline',
    'printf("\\"%s\\"\\n", s);',
    lambda s: f'"{s}"\n',
  ),
  (
    'length_first',
    'the number of characters in the line, a colon, a space and then the line itself (for abc: 3: '
    'abc), followed by a newline',
    'printf("%zu: %s\\n", strlen(s), s);',
    lambda s: f'{len(s)}: {s}\n',
  ),
)


def _more_edits() -> list:
  out = [
    (
      'doubled',
      'the line with every character written twice (ab c becomes aabb  cc), followed by a newline',
      "for (int i = 0; s[i] != '\\0'; i++) {\n  putchar(s[i]);\n  putchar(s[i]);\n}\nputchar('\\n');",
      lambda s: ''.join(c + c for c in s) + '\n',
    ),
    (
      'swap_pairs',
      'the line with the first and second characters swapped, the third and fourth, and so on (a '
      'last character without a partner stays), followed by a newline',
      'size_t len = strlen(s);\nfor (size_t i = 0; i + 1 < len; i += 2) {\n  char t = s[i];\n  s[i] = s[i + 1];\n'
      '  s[i + 1] = t;\n}\nprintf("%s\\n", s);',
      lambda s: _swapped_pairs(s) + '\n',
    ),
    (
      'digits_hidden',
      'the line with every digit (0 to 9) replaced by #, followed by a newline',
      "for (int i = 0; s[i] != '\\0'; i++)\n  if (s[i] >= '0' && s[i] <= '9')\n    s[i] = '#';\nprintf(\"%s\\n\", s);",
      lambda s: ''.join('#' if '0' <= c <= '9' else c for c in s) + '\n',
    ),
    (
      'digits_up',
      'the line with every digit d replaced by the digit (d + 1) % 10 (9 becomes 0), followed by a newline',
      "for (int i = 0; s[i] != '\\0'; i++)\n  if (s[i] >= '0' && s[i] <= '9')\n"
      "    s[i] = (char)('0' + (s[i] - '0' + 1) % 10);\nprintf(\"%s\\n\", s);",
      lambda s: ''.join(str((int(c) + 1) % 10) if '0' <= c <= '9' else c for c in s) + '\n',
    ),
    (
      'drop_last',
      'the line without its last character (an empty line if it is empty), followed by a newline',
      'size_t len = strlen(s);\nif (len > 0)\n  s[len - 1] = \'\\0\';\nprintf("%s\\n", s);',
      lambda s: s[:-1] + '\n',
    ),
  ]
  for sep in (' ', '-', '.', ',', '_', '|'):
    out.append(
      (
        f'spread_{ord(sep)}',
        f'the characters of the line separated by "{sep}" (ab becomes a{sep}b), followed by a newline',
        f"for (int i = 0; s[i] != '\\0'; i++) {{\n  if (i > 0)\n    putchar('{sep}');\n"
        "  putchar(s[i]);\n}\nputchar('\\n');",
        lambda s, sep=sep: sep.join(s) + '\n',
      )
    )
  for sep in (' | ', '', ' / ', ' + ', ', ', ' ~ '):
    out.append(
      (
        f'twice_{len(out)}',
        f'the line twice, joined by "{sep}", followed by a newline'
        if sep
        else 'the line twice with nothing in between, followed by a newline',
        f'printf("%s{sep}%s\\n", s, s);',
        lambda s, sep=sep: f'{s}{sep}{s}\n',
      )
    )
  for left, right in (
    ('<<', '>>'),
    ('*** ', ' ***'),
    ('{', '}'),
    ('(', ')'),
    ('-> ', ' <-'),
    ('| ', ' |'),
    ('# ', ' #'),
  ):
    out.append(
      (
        f'framed_{len(out)}',
        f'the line between {left.strip()} and {right.strip()} (for hi: {left}hi{right}), followed by a newline',
        f'printf("{left}%s{right}\\n", s);',
        lambda s, a=left, b=right: f'{a}{s}{b}\n',
      )
    )
  for k in (1, 2, 3, 4, 5):
    out.append(
      (
        f'drop_first_{k}',
        f'the line without its first {k} characters (an empty line if it is shorter), followed by a newline',
        f'size_t len = strlen(s);\nprintf("%s\\n", len > {k} ? s + {k} : "");',
        lambda s, k=k: s[k:] + '\n',
      )
    )
  for k in (1, 2):
    out.append(
      (
        f'rotate_{k}',
        f'the line rotated left by {k} (the first {k} characters moved to the end; rotate by '
        f'{k} modulo the length, an empty line stays empty), followed by a newline',
        f"size_t len = strlen(s);\nfor (size_t i = 0; i < len; i++)\n  putchar(s[(i + {k}) % len]);\nputchar('\\n');",
        lambda s, k=k: (s[k % len(s) :] + s[: k % len(s)] if s else '') + '\n',
      )
    )
  return out


def _words_body(sep: str) -> str:
  c_sep = sep.replace('\n', '\\n')
  if sep == '\n':
    return (
      "for (int i = 0; s[i] != '\\0'; i++) {\n  if (s[i] == ' ')\n    continue;\n  putchar(s[i]);\n"
      "  if (s[i + 1] == ' ' || s[i + 1] == '\\0')\n    putchar('\\n');\n}"
    )
  return (
    "int shown = 0;\nfor (int i = 0; s[i] != '\\0'; i++) {\n  if (s[i] == ' ')\n    continue;\n"
    f'  if (shown && (i == 0 || s[i - 1] == \' \'))\n    printf("{c_sep}");\n  putchar(s[i]);\n  shown = 1;\n}}\n'
    "putchar('\\n');"
  )


def tasks() -> list:
  return _line_count() + _line_edit()
