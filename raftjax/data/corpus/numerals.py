"""Numerals: the digits of n printed one by one or regrouped (family digit_print), and numbers written in and
read from other bases (to_base).

The held-out sets reverse numbers and convert to binary and hexadecimal and back from binary; these print
the digits in other layouts and use other bases (3 to 9, 11 to 15). Reading n is digits.py's.
"""

import random

from raftjax.data.corpus.digits import BIG, _inputs, _reads, digits
from raftjax.data.corpus.loops import SEPARATORS
from raftjax.data.corpus.program import Int, Word, an_int, task
from raftjax.data.corpus.snippets import joined, separator_words

FAMILIES = ('digit_print', 'to_base')


_SYMBOLS = '0123456789abcdefghijklmnopqrstuvwxyz'


def _digit_print() -> list:
  rng = random.Random('digit_print')
  out = []
  for sep in SEPARATORS:
    out.append(
      task(
        'digit_print',
        f'forward_{len(out)}',
        2,
        (Int('n', 0, BIG),),
        _reads,
        f'the decimal digits of n from the first to the last, {separator_words(sep)}',
        lambda s, sep=sep: _forward(s, sep),
        lambda n, sep=sep: joined(digits(n), sep),
        _inputs(rng, rng.randint(100, 99999), 5),
      )
    )
    out.append(
      task(
        'digit_print',
        f'backward_{len(out)}',
        2,
        (Int('n', 0, BIG),),
        _reads,
        f'the decimal digits of n from the last to the first, {separator_words(sep)}',
        lambda s, sep=sep: _backward(s, sep, 10),
        lambda n, sep=sep: joined(digits(n)[::-1], sep),
        _inputs(rng, rng.randint(100, 99999) * 10, 5),
      )
    )
  for b in range(2, 10):
    sep = rng.choice(SEPARATORS[1:])
    out.append(
      task(
        'digit_print',
        f'backward_base_{b}',
        2,
        (Int('n', 0, BIG),),
        _reads,
        f'the digits of n written in base {b}, from the last (the lowest) to the first, {separator_words(sep)}',
        lambda s, sep=sep, b=b: _backward(s, sep, b),
        lambda n, sep=sep, b=b: joined(digits(n, b)[::-1], sep),
        _inputs(rng, b**3 + 1, b + 1),
      )
    )
  for sep in (',', '.', ' ', "'"):
    out.append(
      task(
        'digit_print',
        f'groups_{len(out)}',
        2,
        (Int('n', 0, BIG),),
        _reads,
        f'n with its digits in groups of three from the right, the groups separated by "{sep}" (for '
        f'1234567: 1{sep}234{sep}567), followed by a newline',
        lambda s, sep=sep: _groups(s, sep),
        lambda n, sep=sep: f'{n:,}\n'.replace(',', sep),
        _inputs(rng, 1234567, 999, 1000),
      )
    )
  for name, words, op, py in (
    (
      'complement',
      'n with every decimal digit d replaced by 9 - d (keep leading 9s, so 90 becomes 09)',
      "'9' - (c - '0')",
      lambda c: str(9 - int(c)),
    ),
    ('doubled', 'n with every decimal digit written twice (123 becomes 112233)', None, lambda c: c + c),
    (
      'shifted',
      'n with every decimal digit d replaced by (d + 1) % 10 (so 9 becomes 0)',
      "'0' + (c - '0' + 1) % 10",
      lambda c: str((int(c) + 1) % 10),
    ),
  ):
    out.append(
      task(
        'digit_print',
        name,
        2,
        (Int('n', 0, BIG),),
        _reads,
        f'{words}, followed by a newline',
        lambda s, op=op: _each_char(s, op),
        lambda n, py=py: ''.join(map(py, str(n))) + '\n',
        _inputs(rng, 1290, 5),
      )
    )
  return out


def _forward(style, sep: str) -> tuple[str, str] | str:
  c_sep = sep.replace('\n', '\\n')
  if style.flag('sprintf'):
    return (
      f'char buf[16];\nsprintf(buf, "%d", n);\nfor (int i = 0; buf[i] != \'\\0\'; i++) {{\n'
      f'  if (i > 0)\n    printf("{c_sep}");\n  putchar(buf[i]);\n}}\nprintf("\\n");'
      if sep != '\n'
      else 'char buf[16];\nsprintf(buf, "%d", n);\nfor (int i = 0; buf[i] != \'\\0\'; i++)\n  printf("%c\\n", buf[i]);'
    )
  if sep == '\n':
    return 'print_digits(n);', (
      'static void print_digits(int n) {\n  if (n >= 10)\n    print_digits(n / 10);\n  printf("%d\\n", n % 10);\n}\n'
    )
  return (
    'print_digits(n);\nprintf("\\n");',
    'static void print_digits(int n) {\n  if (n >= 10) {\n'
    f'    print_digits(n / 10);\n    printf("{c_sep}");\n  }}\n  printf("%d", n % 10);\n}}\n',
  )


def _backward(style, sep: str, base: int) -> str:
  c_sep = sep.replace('\n', '\\n')
  if sep == '\n':
    return f'do {{\n  printf("%d\\n", n % {base});\n  n /= {base};\n}} while (n > 0);'
  return (
    f'printf("%d", n % {base});\nn /= {base};\nwhile (n > 0) {{\n  printf("{c_sep}%d", n % {base});\n'
    f'  n /= {base};\n}}\nprintf("\\n");'
  )


def _groups(style, sep: str) -> tuple[str, str]:
  c_sep = sep.replace("'", "\\'") if len(sep) == 1 else sep
  return (
    'print_groups(n);\nprintf("\\n");',
    f'static void print_groups(int n) {{\n  if (n < 1000) {{\n    printf("%d", n);\n    return;\n  }}\n'
    f'  print_groups(n / 1000);\n  printf("%c%03d", \'{c_sep}\', n % 1000);\n}}\n',
  )


def _each_char(style, op: str | None) -> str:
  loop = "for (int i = 0; buf[i] != '\\0'; i++) {\n  char c = buf[i];\n"
  inner = '  putchar(c);\n  putchar(c);\n' if op is None else f'  putchar({op});\n'
  return f'char buf[16];\nsprintf(buf, "%d", n);\n{loop}{inner}}}\nputchar(\'\\n\');'


def _to_base() -> list:
  rng = random.Random('to_base')
  out = []
  for b in (3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15):
    extra = ' (the digits 10 and up written as the lowercase letters a, b, ...)' if b > 10 else ''
    out.append(
      task(
        'to_base',
        f'write_{b}',
        3,
        (Int('n', 0, BIG),),
        _reads,
        f'n written in base {b}{extra}, without leading zeros (0 is written as 0), followed by a newline',
        lambda s, b=b: _write_base(s, b),
        lambda n, b=b: ''.join(_SYMBOLS[d] for d in digits(n, b)) + '\n',
        _inputs(rng, b * b + 1, b - 1, b),
      )
    )
  for b in (3, 4, 5, 6, 7, 8, 9, 16):
    most = 18 if b < 10 else 15  # digits that always fit in a long long
    out.append(
      task(
        'to_base',
        f'read_{b}',
        3,
        (Word('s', 32),),
        f'a number written in base {b} (1 to {most} digits{", with lowercase a to f" if b == 16 else ""})',
        'its value as a decimal number, followed by a newline',
        lambda s, b=b, most=most: _read_base(s, b, most),
        lambda w, b=b, most=most: _parse(w, b, most),
        [
          f'{v}\n'
          for v in (''.join(_SYMBOLS[d] for d in digits(rng.randint(b, 5000), b)), '0', '1' * 5, _SYMBOLS[b - 1] * most)
        ],
      )
    )
  widths = [(b, w) for b in range(2, 10) for w in (4, 6, 8, 12) if b**w <= BIG]
  for b, w in rng.sample(widths, 10):
    top = b**w - 1
    out.append(
      task(
        'to_base',
        f'padded_{b}_{w}',
        3,
        (Int('n', 0, top),),
        lambda s, top=top: an_int(s, 'n', 0, top),
        f'n written in base {b} with exactly {w} digits (with leading zeros), followed by a newline',
        f"char d[{w + 1}];\nd[{w}] = '\\0';\nfor (int i = {w - 1}; i >= 0; i--) {{\n"
        f"  d[i] = (char)('0' + n % {b});\n"
        f'  n /= {b};\n}}\nprintf("%s\\n", d);',
        lambda n, b=b, w=w: ''.join(map(str, digits(n, b))).rjust(w, '0') + '\n',
        [f'{v}\n' for v in (b + 1, 0, top, rng.randint(0, top))],
      )
    )
  return out


def _write_base(style, b: int) -> str:
  digit = "(char)(d < 10 ? '0' + d : 'a' + d - 10)" if b > 10 else "(char)('0' + d)"
  return (
    f'char buf[40];\nint len = 0;\ndo {{\n  int d = n % {b};\n  buf[len++] = {digit};\n  n /= {b};\n'
    "} while (n > 0);\nwhile (len > 0)\n  putchar(buf[--len]);\nputchar('\\n');"
  )


def _read_base(style, b: int, most: int) -> str:
  value = "c - '0'" if b <= 10 else "(c >= '0' && c <= '9') ? c - '0' : c - 'a' + 10"
  valid = f"c >= '0' && c <= '{b - 1}'" if b <= 10 else "(c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')"
  return (
    f"if (strlen(s) > {most})\n  return 1;\nlong long value = 0;\nfor (int i = 0; s[i] != '\\0'; i++) {{\n"
    f'  char c = s[i];\n  if (!({valid}))\n    return 1;\n  value = value * {b} + ({value});\n}}\n'
    'printf("%lld\\n", value);'
  )


def _parse(word: str, b: int, most: int) -> str | None:
  if len(word) > most or any(c not in _SYMBOLS[:b] for c in word):
    return None
  return f'{int(word, b)}\n'


def tasks() -> list:
  return _digit_print() + _to_base()
