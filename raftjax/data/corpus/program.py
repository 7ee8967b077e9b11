"""What every corpus task is made of: the inputs it reads (one description that gives both the C that reads
them and the oracle's reading of them, so the two cannot drift apart), the style a reference is written in,
the rendered C program and the prompt.

A reference checks scanf's return value and exits 1 when input is missing, and checks the bounds its prompt
states wherever the program needs them (an array's size, a loop's length, a product that must fit in an
int); elsewhere a task's style decides. So a reference has no undefined behaviour and a bounded run time on
any input, and its oracle can say exactly what it prints, or that it fails (None), for a held-out task's
input too.

With checks='needed' (build.tasks(checks='needed')) the references are written as a beginner writes them:
scanf's and fgets' results unchecked, and no bounds checked but an array's size (what keeps the program in
its memory on any input). A small model trained on the checked references copies the checks without their
numbers (`scanf("%d %d", ...) != 1`, bounds its prompt does not state: records/sft). Such a reference does
what its prompt asks on every input the prompt allows; where input is missing or outside the bounds the
prompt states, its oracle still says None, and the program's behaviour is undefined there.
"""

import contextvars
import dataclasses
import re
import zlib
from collections.abc import Callable

from raftjax.data.corpus import scan
from raftjax.data.families import CONTRACT

# ------------------------------------------------------------------------------------------ style


CHECKS = ('all', 'needed')  # what references check: see the module docstring
CHECKING = contextvars.ContextVar('checks', default=CHECKS[0])  # of the tasks made now (build sets it)


@dataclasses.dataclass(frozen=True)
class Style:
  """A task's deterministic choices among equivalent ways of writing its reference (and its prompt)."""

  key: str
  checks: str = CHECKS[0]

  @property
  def plain(self) -> bool:
    """Reads without checking what it read, except the bounds the program needs."""
    return self.checks == 'needed'

  def pick(self, salt: str, options):
    return options[zlib.crc32(f'{self.key}/{salt}'.encode()) % len(options)]

  def flag(self, salt: str) -> bool:
    return self.pick(salt, (False, True))

  def fail(self, cond: str, indent: str = '') -> list[str]:
    """`if (cond) return 1;` in one of its usual spellings."""
    form = self.pick('fail', (0, 0, 1, 2))
    if form == 0:
      return [f'{indent}if ({cond}) return 1;']
    if form == 1:
      return [f'{indent}if ({cond}) {{', f'{indent}  return 1;', f'{indent}}}']
    return [f'{indent}if ({cond})', f'{indent}  return 1;']


# ------------------------------------------------------------------------------------------ inputs


def _bounds(name: str, lo: int, hi: int) -> str:
  return f'{name} < {lo} || {name} > {hi}'


@dataclasses.dataclass(frozen=True)
class Int:
  """An integer read with %d (%lld when `wide`); its bounds are checked when `check` (None: the style decides)."""

  name: str
  lo: int
  hi: int
  check: bool | None = True
  wide: bool = False

  def read(self, stdin: scan.Stdin):
    value = stdin.number(self.wide)
    return None if value is None or (self.check and not self.lo <= value <= self.hi) else value


@dataclasses.dataclass(frozen=True)
class Array:
  """A count, then that many integers (each checked against lo..hi when `check`). A `stream` array is read
  by the task's own loop, one value at a time (arrays.each), rather than into `name` (None: the style decides)."""

  count: Int
  name: str
  lo: int
  hi: int
  check: bool = False
  stream: bool | None = False

  def read(self, stdin: scan.Stdin):
    n = self.count.read(stdin)
    if n is None:
      return None
    values = []
    for _ in range(n):
      x = stdin.number()
      if x is None or (self.check and not self.lo <= x <= self.hi):
        return None
      values.append(x)
    return values

  def scan(self, target: str, style: Style, indent: str = '') -> list[str]:
    """C that reads one value into `target` (an lvalue), checked as this array is."""
    call = f'scanf("%d", &{target})'
    if style.plain or not self.check:
      return _unchecked(call, '!= 1', style, indent)
    return style.fail(f'{call} != 1 || {_bounds(target, self.lo, self.hi)}', indent)


@dataclasses.dataclass(frozen=True)
class Matrix:
  """Two counts, rows and columns, then the entries row by row into `name` (unchecked ints)."""

  rows: Int
  cols: Int
  name: str

  def read(self, stdin: scan.Stdin):
    r = self.rows.read(stdin)
    c = None if r is None else self.cols.read(stdin)
    if c is None:
      return None
    values = [stdin.number() for _ in range(r * c)]
    return None if None in values else [values[i * c : (i + 1) * c] for i in range(r)]


@dataclasses.dataclass(frozen=True)
class Word:
  """A word read with %Ns into a buffer of `size` bytes."""

  name: str
  size: int = 64

  def read(self, stdin: scan.Stdin):
    return stdin.word(self.size)


@dataclasses.dataclass(frozen=True)
class Char:
  """One character that is not white space, read with " %c"."""

  name: str

  def read(self, stdin: scan.Stdin):
    return stdin.char()


@dataclasses.dataclass(frozen=True)
class Line:
  """One line read with fgets into a buffer of `size` bytes, the newline removed."""

  name: str
  size: int = 256

  def read(self, stdin: scan.Stdin):
    return stdin.line(self.size)


def resolve(fields: tuple, style: Style) -> tuple:
  """`fields` with every `check=None` and `stream=None` decided by the style (`Style.flag('stream')`)."""
  out = []
  for f in fields:
    if isinstance(f, Int) and f.check is None:
      f = dataclasses.replace(f, check=not style.plain and style.flag(f'check/{f.name}'))
    if isinstance(f, Array) and f.stream is None:
      f = dataclasses.replace(f, stream=style.flag('stream'))
    out.append(f)
  return tuple(out)


def read_values(fields: tuple, stdin: str) -> tuple | None:
  """What the program holds after reading its inputs from `stdin`, or None where it exits 1."""
  source, values = scan.Stdin(stdin), []
  for field in fields:
    value = field.read(source)
    if value is None:
      return None
    values.append(value)
  return tuple(values)


def read_code(fields: tuple, style: Style) -> list[str]:
  """The C statements that declare and read `fields` (main's first lines)."""
  lines, i = [], 0
  while i < len(fields):
    group = []
    while (
      i + len(group) < len(fields)
      and isinstance(fields[i + len(group)], Int)
      and (not group or fields[i + len(group)].wide == group[0].wide)
    ):
      group.append(fields[i + len(group)])
    lines += _read_ints(group, style) if group else _read_other(fields[i], style)
    i += max(len(group), 1)
  return lines


def _read_ints(group: list[Int], style: Style, sizes: bool = False) -> list[str]:
  """One scanf for the whole group and then its bounds, or one scanf (and its bounds) per integer. A plain
  style checks bounds only where the integers are `sizes` (of an array the program declares)."""
  kind, conv = ('long long', '%lld') if group[0].wide else ('int', '%d')
  lines = [f'{kind} {", ".join(f.name for f in group)};']
  if style.plain and not sizes:
    group = [dataclasses.replace(f, check=False) for f in group]
  if len(group) > 1 and style.flag('together'):
    call = f'scanf("{" ".join([conv] * len(group))}", {", ".join("&" + f.name for f in group)})'
    checks = ' || '.join(_bounds(f.name, f.lo, f.hi) for f in group if f.check)
    return lines + _unchecked(call, f'!= {len(group)}', style) + (style.fail(checks) if checks else [])
  for f in group:
    call = f'scanf("{conv}", &{f.name})'
    if f.check and style.flag('inline_check') and not style.plain:
      lines += style.fail(f'{call} != 1 || {_bounds(f.name, f.lo, f.hi)}')
    else:
      lines += _unchecked(call, '!= 1', style) + (style.fail(_bounds(f.name, f.lo, f.hi)) if f.check else [])
  return lines


def _read_other(field, style: Style) -> list[str]:
  if isinstance(field, Array):
    lines = _read_ints([field.count], style, sizes=not field.stream)
    if field.stream:
      return lines
    size = field.count.hi
    lines.append(f'int {field.name}[{size}];')
    if style.flag('array_while'):
      return lines + [
        'int got = 0;',
        f'while (got < {field.count.name}) {{',
        *field.scan(f'{field.name}[got]', style, '  '),
        '  got++;',
        '}',
      ]
    return lines + [
      f'for (int i = 0; i < {field.count.name}; i++) {{',
      *field.scan(f'{field.name}[i]', style, '  '),
      '}',
    ]
  if isinstance(field, Matrix):
    r, c, m = field.rows, field.cols, field.name
    lines = _read_ints([r, c], style, sizes=True) + [
      f'int {m}[{r.hi}][{c.hi}];',
      f'for (int i = 0; i < {r.name}; i++)',
      f'  for (int j = 0; j < {c.name}; j++)',
    ]
    return lines + _unchecked(f'scanf("%d", &{m}[i][j])', '!= 1', style, '    ')
  if isinstance(field, Word):
    call = f'scanf("%{field.size - 1}s", {field.name})'
    return [f'char {field.name}[{field.size}];', *_unchecked(call, '!= 1', style)]
  if isinstance(field, Char):
    return [f'char {field.name};', *_unchecked(f'scanf(" %c", &{field.name})', '!= 1', style)]
  if isinstance(field, Line):
    name = field.name
    lines = [f'char {name}[{field.size}];', *_unchecked(f'fgets({name}, sizeof {name}, stdin)', '== NULL', style)]
    if style.flag('strcspn'):
      return lines + [f'{name}[strcspn({name}, "\\n")] = \'\\0\';']
    return lines + [
      f'size_t end = strlen({name});',
      f"if (end > 0 && {name}[end - 1] == '\\n')",
      f"  {name}[end - 1] = '\\0';",
    ]
  raise TypeError(f'unknown input field {field!r}')


def _unchecked(call: str, failed: str, style: Style, indent: str = '') -> list[str]:
  """`call;` for a plain style, else `if (call failed) return 1;`."""
  return [f'{indent}{call};'] if style.plain else style.fail(f'{call} {failed}', indent)


# ------------------------------------------------------------------------------------------ programs

_HEADERS = (
  ('string.h', r'\b(str[a-z]+|mem[a-z]+)\('),
  ('stdlib.h', r'\b(qsort|abs|llabs)\('),
  ('ctype.h', r'\b(is[a-z]+|to(upper|lower))\('),
  ('math.h', r'\b(sqrt|pow|fabs)\('),
  ('stdbool.h', r'\bbool\b'),
)


def render(fields: tuple, body: str, style: Style, helpers: str = '') -> str:
  """The complete C program: headers, `helpers` (functions before main), main reading `fields` and then
  running `body` (C statements written with 2-space indentation, which the style may widen to 4)."""
  lines = read_code(fields, style) + body.strip('\n').split('\n') + ['return 0;']
  main = '\n'.join('  ' + ln if ln else '' for ln in lines)
  code = '\n\n'.join(part.strip('\n') for part in (helpers, f'int main(void) {{\n{main}\n}}') if part.strip())
  headers = ['stdio.h'] + [h for h, pattern in _HEADERS if re.search(pattern, code)]
  text = ''.join(f'#include <{h}>\n' for h in headers) + '\n' + code + '\n'
  if style.flag('indent4'):
    text = re.sub(r'^( +)', lambda m: m.group(1) * 2, text, flags=re.M)
  return text.replace('\n\n\n', '\n\n')


# ------------------------------------------------------------------------------------------ prompts

_OPENINGS = (
  'Write a complete C program that reads {reads} from standard input and prints {prints}.',
  'Write a C program that reads {reads} from standard input and prints {prints}.',
  'Write a complete C program that reads {reads} from standard input. It prints {prints}.',
  'Write a program in C that reads {reads} from standard input and prints {prints}.',
)
_CLOSINGS = (
  '',
  f' {CONTRACT}',
  ' Print only the answer: no prompt and no labels.',
  f' {CONTRACT}',
  ' It must not print anything else.',
  '',
)
_COUNTS = {2: 'two', 3: 'three', 4: 'four', 5: 'five'}


def an_int(style: Style, name: str, lo: int, hi: int, what: str = 'an integer') -> str:
  """How a prompt names one bounded integer input."""
  return style.pick(
    'int_words', (f'{what} {name} ({lo} <= {name} <= {hi})', f'{what} {name}, where {lo} <= {name} <= {hi},')
  )


def some_ints(style: Style, names: str, lo: int, hi: int) -> str:
  """How a prompt names several integers with the same bounds (`names`: 'abc' for a, b and c)."""
  listed = ', '.join(names[:-1]) + f' and {names[-1]}'
  count = _COUNTS[len(names)]
  return style.pick(
    'ints_words',
    (
      f'{count} integers {listed} ({lo} <= {", ".join(names)} <= {hi})',
      f'{count} integers {listed}, each from {lo} to {hi},',
      f'{count} space-separated integers {listed} ({lo} <= {", ".join(names)} <= {hi})',
    ),
  )


def prompt(style: Style, reads: str, prints: str, example: tuple[str, str] | None = None) -> str:
  """A task prompt in one of the project's phrasings; `example` (stdin, stdout) is shown when both are short
  single lines and the style wants one."""
  text = style.pick('opening', _OPENINGS).format(reads=reads, prints=prints)
  if example and style.flag('example'):
    stdin, stdout = (x.strip('\n') for x in example)
    if '\n' not in stdin + stdout and 0 < len(stdin) <= 30 and 0 < len(stdout) <= 30 and stdout == stdout.strip():
      text += f' For example, for the input {stdin} it prints {stdout}.'
  return text + style.pick('closing', _CLOSINGS)


# ------------------------------------------------------------------------------------------ a task


@dataclasses.dataclass(frozen=True)
class Task:
  """A corpus task before it is written out: `compute` maps the values read (program.read_values) to
  exactly what the reference prints, or None where it exits 1."""

  id: str
  family: str
  difficulty: int
  prompt: str
  reference: str
  fields: tuple
  compute: Callable[..., str | None]
  inputs: tuple[str, ...]

  def answer(self, stdin: str) -> str | None:
    """What the reference prints for `stdin`, or None where it exits 1."""
    values = read_values(self.fields, stdin)
    out = None if values is None else self.compute(*values)
    return None if out is None else scan.output(out)


def task(family: str, name: str, difficulty: int, fields: tuple, reads, prints, body, compute, inputs) -> Task:
  """A Task named `<family>_<name>`. `reads`, `prints` (prompt text) and `body` may be functions of the task's
  Style, so that a family chooses among phrasings and equivalent implementations; `body` gives main's
  statements after the reading, or (those statements, functions to put before main). `inputs` are the
  test inputs (stdin texts)."""
  key = f'{family}_{name}'
  style = Style(key, CHECKING.get())
  fields = resolve(fields, style)
  reads, prints, body = (x(style) if callable(x) else x for x in (reads, prints, body))
  body, helpers = body if isinstance(body, tuple) else (body, '')
  provisional = Task(key, family, difficulty, '', '', fields, compute, tuple(dict.fromkeys(inputs)))
  first = provisional.answer(inputs[0])
  text = prompt(style, reads, prints, (inputs[0], first) if first is not None else None)
  return dataclasses.replace(provisional, prompt=text, reference=render(fields, body, style, helpers))


def signed(k: int) -> str:
  """' + k' or ' - |k|', to follow a term."""
  return f' + {k}' if k >= 0 else f' - {-k}'


def num_id(k: int) -> str:
  """A number as part of a task id: 5, m5 for -5."""
  return str(k) if k >= 0 else f'm{-k}'
