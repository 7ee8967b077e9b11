"""Lines of text, second part: editing the line read with fgets (family line_edit).

The held-out sets uppercase it, replace spaces by underscores, remove vowels, capitalize and take the
initials, the last and the longest word; these replace and delete other characters and reorder words. The
line is read, and words are split, as in text.py.
"""

import random

from raftjax.data.corpus.snippets import joined, separator_words
from raftjax.data.corpus.text import _letter, _line_task, _words

FAMILIES = ('line_edit',)


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
  return _line_edit()
