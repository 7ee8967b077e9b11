"""Patterns: triangles, rectangles and grids of characters and numbers, one row per line (nested loops).

The held-out sets draw star triangles, squares, hollow squares and pyramids of *, a #. checkerboard and the
1 / 1 2 / 1 2 3 triangle; these use other characters and shapes (shrinking and right-aligned triangles,
frames, stripes, diagonals) and other number grids. Rows never end in spaces: the verifier would ignore them,
the model should not learn them.
"""

import random

from raftjax.data.corpus.program import Int, an_int, task
from raftjax.data.corpus.snippets import separator_words

FAMILIES = ('triangles', 'rectangles', 'number_grids')
CHARS = '#+@ox$=%&~^?!0A'


def _rows(lines: list[str]) -> str:
  return ''.join(line + '\n' for line in lines)


_SHAPES = (  # (id, words, spaces before row i (1-based) of n, characters in row i)
  ('grow', 'a right triangle: line i (counting from 1) has i {c} characters', lambda n, i: 0, lambda n, i: i),
  (
    'shrink',
    'an upside-down right triangle: the first line has n {c} characters, the next n - 1, and so on down to 1',
    lambda n, i: 0,
    lambda n, i: n - i + 1,
  ),
  (
    'right_grow',
    'a right triangle aligned to the right: line i (counting from 1) has n - i spaces and then i {c} characters',
    lambda n, i: n - i,
    lambda n, i: i,
  ),
  (
    'right_shrink',
    'an upside-down triangle aligned to the right: line i (counting from 1) has i - 1 spaces and then '
    'n - i + 1 {c} characters',
    lambda n, i: i - 1,
    lambda n, i: n - i + 1,
  ),
  (
    'pyramid',
    'a centered pyramid: line i (counting from 1) has n - i spaces and then 2 * i - 1 {c} characters',
    lambda n, i: n - i,
    lambda n, i: 2 * i - 1,
  ),
  (
    'inverted',
    'an upside-down centered pyramid: line i (counting from 1) has i - 1 spaces and then 2 * (n - i) + 1 '
    '{c} characters',
    lambda n, i: i - 1,
    lambda n, i: 2 * (n - i) + 1,
  ),
  ('double', 'a wide triangle: line i (counting from 1) has 2 * i {c} characters', lambda n, i: 0, lambda n, i: 2 * i),
  (
    'odd',
    'a triangle of odd widths: line i (counting from 1) has 2 * i - 1 {c} characters',
    lambda n, i: 0,
    lambda n, i: 2 * i - 1,
  ),
)
_C_COUNTS = {
  'grow': ('0', 'i'),
  'shrink': ('0', 'n - i + 1'),
  'right_grow': ('n - i', 'i'),
  'right_shrink': ('i - 1', 'n - i + 1'),
  'pyramid': ('n - i', '2 * i - 1'),
  'inverted': ('i - 1', '2 * (n - i) + 1'),
  'double': ('0', '2 * i'),
  'odd': ('0', '2 * i - 1'),
}


def _c(ch: str) -> str:
  return {"'": "\\'", '\\': '\\\\'}.get(ch, ch)


def _triangle_body(style, name: str, ch: str) -> tuple[str, str] | str:
  spaces, count = _C_COUNTS[name]
  if style.flag('helper'):
    helper = 'static void repeat(char c, int times) {\n  for (int k = 0; k < times; k++)\n    putchar(c);\n}\n'
    pad = '' if spaces == '0' else f"  repeat(' ', {spaces});\n"
    return f"for (int i = 1; i <= n; i++) {{\n{pad}  repeat('{_c(ch)}', {count});\n  putchar('\\n');\n}}", helper
  pad = '' if spaces == '0' else f"  for (int j = 0; j < {spaces}; j++)\n    putchar(' ');\n"
  return (
    f"for (int i = 1; i <= n; i++) {{\n{pad}  for (int j = 0; j < {count}; j++)\n    putchar('{_c(ch)}');\n"
    "  putchar('\\n');\n}"
  )


def _triangle(n: int, spaces, count, ch: str) -> str:
  return _rows([' ' * spaces(n, i) + ch * count(n, i) for i in range(1, n + 1)])


def _triangles() -> list:
  rng = random.Random('triangles')
  out = []
  for name, words, spaces, count in _SHAPES:
    for ch in rng.sample(CHARS, 8):
      out.append(
        task(
          'triangles',
          f'{name}_{ord(ch)}',
          2,
          (Int('n', 1, 20),),
          lambda s: an_int(s, 'n', 1, 20),
          f'{words.format(c=ch)}; n lines in all, each followed by a newline',
          lambda s, name=name, ch=ch: _triangle_body(s, name, ch),
          lambda n, sp=spaces, ct=count, ch=ch: _triangle(n, sp, ct, ch),
          ['4\n', '1\n', '2\n', f'{rng.randint(5, 9)}\n'],
        )
      )
  return out


_RECTS = (  # (id, words, C expression choosing the character at row i, column j (from 0), Python)
  ('filled', 'a filled rectangle of {c} characters', "'{c}'", lambda w, h, i, j, c, d: c),
  (
    'hollow',
    'a hollow rectangle: {c} characters on the border and spaces inside',
    "(i == 0 || i == h - 1 || j == 0 || j == w - 1) ? '{c}' : ' '",
    lambda w, h, i, j, c, d: c if i in (0, h - 1) or j in (0, w - 1) else ' ',
  ),
  (
    'frame',
    'a framed rectangle: {c} characters on the border and {d} characters inside',
    "(i == 0 || i == h - 1 || j == 0 || j == w - 1) ? '{c}' : '{d}'",
    lambda w, h, i, j, c, d: c if i in (0, h - 1) or j in (0, w - 1) else d,
  ),
  (
    'row_stripes',
    'a rectangle whose rows alternate between {c} characters (the first row) and {d} characters',
    "i % 2 == 0 ? '{c}' : '{d}'",
    lambda w, h, i, j, c, d: c if i % 2 == 0 else d,
  ),
  (
    'col_stripes',
    'a rectangle whose columns alternate between {c} (the first column) and {d}',
    "j % 2 == 0 ? '{c}' : '{d}'",
    lambda w, h, i, j, c, d: c if j % 2 == 0 else d,
  ),
  (
    'checkered',
    'a checkered rectangle of {c} and {d} characters ({c} in the top left corner, no two equal '
    'characters next to each other in a row or a column)',
    "(i + j) % 2 == 0 ? '{c}' : '{d}'",
    lambda w, h, i, j, c, d: c if (i + j) % 2 == 0 else d,
  ),
)
_SQUARES = (
  (
    'diagonal',
    'an n by n square of {d} characters with {c} characters on the diagonal from the top left to the bottom right',
    "i == j ? '{c}' : '{d}'",
    lambda n, i, j, c, d: c if i == j else d,
  ),
  (
    'anti_diagonal',
    'an n by n square of {d} characters with {c} characters on the diagonal from the top right to the bottom left',
    "i + j == n - 1 ? '{c}' : '{d}'",
    lambda n, i, j, c, d: c if i + j == n - 1 else d,
  ),
  (
    'cross',
    'an n by n square of {d} characters with {c} characters on both diagonals (an X)',
    "(i == j || i + j == n - 1) ? '{c}' : '{d}'",
    lambda n, i, j, c, d: c if i == j or i + j == n - 1 else d,
  ),
  (
    'lower',
    'an n by n square with {c} characters on and below the diagonal from the top left and {d} characters above it',
    "j <= i ? '{c}' : '{d}'",
    lambda n, i, j, c, d: c if j <= i else d,
  ),
)


def _grid(rows: int, cols: int, cell) -> str:
  """`rows` lines of `cols` characters, cell(i, j) at row i and column j (from 0)."""
  return _rows([''.join(cell(i, j) for j in range(cols)) for i in range(rows)])


def _grid_body(expr: str, rows: str, cols: str) -> str:
  return (
    f'for (int i = 0; i < {rows}; i++) {{\n  for (int j = 0; j < {cols}; j++)\n    putchar({expr});\n'
    "  putchar('\\n');\n}"
  )


def _rectangles() -> list:
  rng = random.Random('rectangles')
  out = []
  pairs = [(c, d) for c in CHARS for d in '.-o#+' if c != d]
  for name, words, expr, py in _RECTS:
    for c, d in rng.sample([(c, d) for c, d in pairs if '{d}' in words or d == '.'], 7):
      fields = (Int('w', 1, 20), Int('h', 1, 20))
      out.append(
        task(
          'rectangles',
          f'{name}_{ord(c)}_{ord(d)}',
          2,
          fields,
          'two integers w and h (1 <= w, h <= 20), the width and the height',
          f'{words.format(c=c, d=d)}, h lines of w characters each, each line followed by a newline',
          _grid_body(expr.format(c=_c(c), d=_c(d)), 'h', 'w'),
          lambda w, h, py=py, c=c, d=d: _grid(h, w, lambda i, j: py(w, h, i, j, c, d)),
          ['5 3\n', '1 1\n', '2 4\n', f'{rng.randint(3, 8)} {rng.randint(3, 6)}\n'],
        )
      )
  for name, words, expr, py in _SQUARES:
    for c, d in rng.sample(pairs, 5):
      out.append(
        task(
          'rectangles',
          f'{name}_{ord(c)}_{ord(d)}',
          2,
          (Int('n', 1, 20),),
          lambda s: an_int(s, 'n', 1, 20),
          f'{words.format(c=c, d=d)}: n lines of n characters, each followed by a newline',
          _grid_body(expr.format(c=_c(c), d=_c(d)), 'n', 'n'),
          lambda n, py=py, c=c, d=d: _grid(n, n, lambda i, j: py(n, i, j, c, d)),
          ['4\n', '1\n', '5\n', '2\n'],
        )
      )
  return out


def _nested(row_head: str, head: str, item: str, sep: str, first: str) -> str:
  """C that prints, for each row of `row_head`, the items of `head` separated by `sep` (`first` tells the first
  item of a row), each row followed by a newline."""
  if not sep:
    inner = f'  for ({head})\n    printf("%d", {item});\n'
  else:
    inner = f'  for ({head})\n    printf({first} ? "%d" : "{sep}%d", {item});\n'
  return f'for ({row_head}) {{\n{inner}  printf("\\n");\n}}'


def _lines(n: int, row) -> str:
  """n lines, line i (from 1) holding the items row(i), already joined."""
  return _rows([row(i) for i in range(1, n + 1)])


def _floyd_row(i: int) -> range:
  """Line i (from 1) of Floyd's triangle: the i numbers after the first (i - 1) * i / 2."""
  return range(i * (i - 1) // 2 + 1, i * (i + 1) // 2 + 1)


def _number_grids() -> list:
  rng = random.Random('number_grids')
  out = []
  rows = 'int i = 1; i <= n; i++'
  for sep in ('', ' ', ',', '-'):
    said = 'with nothing between them' if not sep else f'separated by "{sep}"'
    out.append(
      task(
        'number_grids',
        f'repeat_{len(out)}',
        2,
        (Int('n', 1, 9),),
        lambda s: an_int(s, 'n', 1, 9),
        f'n lines: line i (counting from 1) holds the digit i written i times, {said}',
        _nested(rows, 'int j = 1; j <= i; j++', 'i', sep, 'j == 1'),
        lambda n, sep=sep: _lines(n, lambda i: sep.join([str(i)] * i)),
        ['3\n', '1\n', '9\n', '5\n'],
      )
    )
    out.append(
      task(
        'number_grids',
        f'down_{len(out)}',
        2,
        (Int('n', 1, 20),),
        lambda s: an_int(s, 'n', 1, 20),
        f'n lines: line i (counting from 1) counts down from i to 1, the numbers {said}',
        _nested(rows, 'int j = i; j >= 1; j--', 'j', sep, 'j == i'),
        lambda n, sep=sep: _lines(n, lambda i: sep.join(str(j) for j in range(i, 0, -1))),
        ['3\n', '1\n', '12\n', '5\n'],
      )
    )
  for sep in (' ', ',', '  '):
    out.append(
      task(
        'number_grids',
        f'floyd_{len(out)}',
        2,
        (Int('n', 1, 20),),
        lambda s: an_int(s, 'n', 1, 20),
        "Floyd's triangle with n lines: line i holds the next i numbers of 1, 2, 3, ... (so 1, then 2 3, "
        f'then 4 5 6), the numbers separated by "{sep}"',
        'int k = 1;\n' + _nested(rows, 'int j = 1; j <= i; j++', 'k++', sep, 'j == 1'),
        lambda n, sep=sep: _lines(n, lambda i: sep.join(map(str, _floyd_row(i)))),
        ['4\n', '1\n', '7\n', '2\n'],
      )
    )
  for width in (3, 4, 5, 6):
    out.append(
      task(
        'number_grids',
        f'times_grid_{width}',
        2,
        (Int('n', 1, 12),),
        lambda s: an_int(s, 'n', 1, 12),
        'the n by n multiplication grid: n lines, where line i holds i * 1, i * 2, ..., i * n, each '
        f'printed right-aligned in a field {width} characters wide (printf "%{width}d"), with nothing '
        'else between them',
        f'for ({rows}) {{\n  for (int j = 1; j <= n; j++)\n    printf("%{width}d", i * j);\n  printf("\\n");\n}}',
        lambda n, w=width: _lines(n, lambda i: ''.join(f'{i * j:{w}d}' for j in range(1, n + 1))),
        ['3\n', '1\n', '12\n', '6\n'],
      )
    )
  for k in rng.sample(range(2, 10), 6):
    out.append(
      task(
        'number_grids',
        f'multiples_{k}',
        2,
        (Int('n', 1, 15),),
        lambda s: an_int(s, 'n', 1, 15),
        f'n lines: line i (counting from 1) holds the first i multiples of {k} ({k}, {2 * k}, ...), '
        'separated by single spaces',
        _nested(rows, 'int j = 1; j <= i; j++', f'{k} * j', ' ', 'j == 1'),
        lambda n, k=k: _lines(n, lambda i: ' '.join(str(k * j) for j in range(1, i + 1))),
        ['3\n', '1\n', '6\n', '10\n'],
      )
    )
  for name, words, expr, py in (
    ('sum_grid', 'i + j', 'i + j', lambda i, j: i + j),
    ('max_grid', 'the larger of i and j', 'i > j ? i : j', max),
    ('min_grid', 'the smaller of i and j', 'i < j ? i : j', min),
    ('dist_grid', 'the distance |i - j|', 'i > j ? i - j : j - i', lambda i, j: abs(i - j)),
    ('mod_grid', '(i * j) % 10', '(i * j) % 10', lambda i, j: i * j % 10),
  ):
    out.append(
      task(
        'number_grids',
        name,
        2,
        (Int('n', 1, 15),),
        lambda s: an_int(s, 'n', 1, 15),
        'an n by n grid of numbers: line i (counting from 1) holds, for j from 1 to n, the number '
        f'{words}, separated by single spaces',
        _nested(rows, 'int j = 1; j <= n; j++', f'({expr})' if '?' in expr else expr, ' ', 'j == 1'),
        lambda n, py=py: _lines(n, lambda i: ' '.join(str(py(i, j)) for j in range(1, n + 1))),
        ['3\n', '1\n', '5\n', '2\n'],
      )
    )
  for sep in (' ', ','):
    out.append(
      task(
        'number_grids',
        f'tails_{len(out)}',
        2,
        (Int('n', 1, 20),),
        lambda s: an_int(s, 'n', 1, 20),
        f'n lines: line i (counting from 1) holds the numbers from i to n, {separator_words(sep)[12:]}',
        _nested(rows, 'int j = i; j <= n; j++', 'j', sep, 'j == i'),
        lambda n, sep=sep: _lines(n, lambda i: sep.join(str(j) for j in range(i, n + 1))),
        ['4\n', '1\n', '7\n', '2\n'],
      )
    )
  return out


def tasks() -> list:
  return _triangles() + _rectangles() + _number_grids()
