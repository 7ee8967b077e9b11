"""What a reference program reads from standard input, in Python: glibc's scanf and fgets over the same bytes.

Every task's oracle (build.answer) must say what its C reference prints for ANY input, a held-out task's
test input included: that is how the corpus is kept apart from the held-out sets without compiling anything.
So the oracle reads as the program does, including the odd cases: "12abc" is 12 for %d, a word longer than
the width is split in two, a number past long's range is clamped as strtol does and then cut to int's 32
bits (what glibc's scanf stores for %d). Only the conversions the references use are here: %d, %lld, %Ns,
" %c" and fgets. Text is one character per byte (latin-1), as C sees it; white space is C's isspace.

C's integer division truncates toward zero (`cdiv`, `cmod`), unlike Python's // and %.
"""

import re

SPACE = ' \t\n\v\f\r'
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
_NUMBER = re.compile(r'[+-]?[0-9]+')


class Stdin:
  """A program's standard input and how far its reads have got."""

  def __init__(self, text: str):
    self.text = text.encode('utf-8', 'surrogateescape').decode('latin-1')
    self.pos = 0

  def _skip_space(self) -> None:
    while self.pos < len(self.text) and self.text[self.pos] in SPACE:
      self.pos += 1

  def number(self, wide: bool = False) -> int | None:
    """scanf's %d (an int) or, when `wide`, %lld; None where scanf would not assign it."""
    self._skip_space()
    match = _NUMBER.match(self.text, self.pos)
    if match is None:
      return None
    self.pos = match.end()
    digits = match.group().lstrip('+-').lstrip('0') or '0'
    value = int(digits) if len(digits) <= 20 else LONG_MAX + 1  # no 4300-digit int() for a huge token
    value = max(LONG_MIN, min(LONG_MAX, -value if match.group()[0] == '-' else value))
    return value if wide else (value + 2**31) % 2**32 - 2**31

  def word(self, size: int) -> str | None:
    """scanf's %Ns with N = size - 1 (a buffer of `size` bytes), as the C string it leaves."""
    self._skip_space()
    start = self.pos
    while self.pos < len(self.text) and self.pos - start < size - 1 and self.text[self.pos] not in SPACE:
      self.pos += 1
    return _c_string(self.text[start : self.pos]) if self.pos > start else None

  def char(self) -> str | None:
    """scanf's " %c": the next byte that is not white space."""
    self._skip_space()
    if self.pos >= len(self.text):
      return None
    self.pos += 1
    return self.text[self.pos - 1]

  def line(self, size: int) -> str | None:
    """fgets into a buffer of `size` bytes, then the newline removed; None at the end of input."""
    if self.pos >= len(self.text):
      return None
    end = self.text.find('\n', self.pos, self.pos + size - 1)
    end = self.pos + size - 1 if end < 0 else end + 1
    text, self.pos = self.text[self.pos : end], min(end, len(self.text))
    return _c_string(text).split('\n')[0]


def _c_string(text: str) -> str:
  return text.split('\0')[0]


def output(text: str) -> str:
  """An oracle's output (one character per byte) as the text the program's bytes decode to."""
  return text.encode('latin-1').decode('utf-8', 'surrogateescape')


def cdiv(a: int, b: int) -> int:
  """C's a / b (truncated toward zero)."""
  q = abs(a) // abs(b)
  return q if (a < 0) == (b < 0) else -q


def cmod(a: int, b: int) -> int:
  """C's a % b (the sign of a)."""
  return a - b * cdiv(a, b)
