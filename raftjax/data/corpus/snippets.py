"""C statements that many families share, each in a few equivalent spellings (the task's Style picks one):
print one value, print one of two words, print a sequence with a separator, count or sum what a loop sees.
`joined` is the Python twin of `print_seq`: both print exactly the same bytes, an empty sequence included.

Bodies are C text with 2-space indentation; functions that return (body, helpers) put a helper function
before main in some styles.
"""

from raftjax.data.corpus.program import Style


def print_value(
  style: Style, expr: str, params: str = 'int n', args: str = 'n', fmt: str = '%d', kind: str = 'int'
) -> tuple[str, str]:
  """Prints one expression: directly, through a variable, or through a helper function of `params`."""
  form = style.pick('value', (0, 1, 2))
  if form == 0:
    return f'printf("{fmt}\\n", {expr});', ''
  if form == 1:
    return f'{kind} result = {expr};\nprintf("{fmt}\\n", result);', ''
  name = style.pick('helper', ('compute', 'f', 'value_of', 'answer'))
  return f'printf("{fmt}\\n", {name}({args}));', f'static {kind} {name}({params}) {{\n  return {expr};\n}}\n'


def choose(style: Style, cond: str, yes: str, no: str, params: str = 'int n', args: str = 'n') -> tuple[str, str]:
  """Prints `yes` when `cond` holds and `no` otherwise (each followed by a newline); with no `params` (the
  condition uses more than a helper could be given) it stays in main."""
  form = style.pick('choose', (0, 1, 2, 3) if params else (0, 1, 2))
  if form == 0:
    return f'if ({cond})\n  printf("{yes}\\n");\nelse\n  printf("{no}\\n");', ''
  if form == 1:
    return f'printf("%s\\n", {cond} ? "{yes}" : "{no}");', ''
  if form == 2:
    return f'if ({cond}) {{\n  puts("{yes}");\n}} else {{\n  puts("{no}");\n}}', ''
  name = style.pick('verdict', ('verdict', 'classify', 'label'))
  return (
    f'printf("%s\\n", {name}({args}));',
    f'static const char *{name}({params}) {{\n  if ({cond})\n    return "{yes}";\n  return "{no}";\n}}\n',
  )


def chain(style: Style, cases: list[tuple[str, str]], last: str) -> str:
  """Prints the word of the first case (condition, word) that holds, else `last`: an if-else chain."""
  use_puts = style.flag('puts')
  out = (lambda w: f'puts("{w}");') if use_puts else (lambda w: f'printf("{w}\\n");')
  lines = []
  for i, (cond, word) in enumerate(cases):
    lines += [f'{"if" if i == 0 else "else if"} ({cond})', f'  {out(word)}']
  return '\n'.join(lines + ['else', f'  {out(last)}'])


def joined(values, sep: str) -> str:
  """What print_seq prints for `values`: one per line (nothing at all when empty), or joined by `sep` and a
  newline (a bare newline when empty)."""
  values = [str(v) for v in values]
  return ''.join(f'{v}\n' for v in values) if sep == '\n' else sep.join(values) + '\n'


def print_seq(
  style: Style,
  head: str,
  item: str,
  sep: str,
  fmt: str = '%d',
  nonempty: bool = False,
  index: str = 'i',
  after: str = '',
) -> str:
  """A loop `for (head)` that prints `item` each time (then runs `after`), as `joined` does. `index` names the
  loop variable (`head` uses it); `nonempty` allows the shorter spellings that need at least one item."""
  c_sep = sep.replace('\n', '\\n').replace('%', '%%')
  then = ''.join(f'  {line}\n' for line in after.split('\n') if line)
  if sep == '\n':
    if not then:
      return f'for ({head})\n  printf("{fmt}\\n", {item});'
    return f'for ({head}) {{\n  printf("{fmt}\\n", {item});\n{then}}}'
  form = style.pick('seq', (0, 1, 2) if nonempty else (0, 1))
  if form == 0:
    return (
      f'for ({head}) {{\n  if ({index} != {_first(head, index)})\n    printf("{c_sep}");\n'
      f'  printf("{fmt}", {item});\n{then}}}\nprintf("\\n");'
    )
  if form == 1:
    return (
      f'int first = 1;\nfor ({head}) {{\n  if (!first)\n    printf("{c_sep}");\n  printf("{fmt}", {item});\n'
      f'  first = 0;\n{then}}}\nprintf("\\n");'
    )
  return (
    f'int first = 1;\nfor ({head}) {{\n  printf(first ? "{fmt}" : "{c_sep}{fmt}", {item});\n  first = 0;\n'
    f'{then}}}\nprintf("\\n");'
  )


def _first(head: str, index: str) -> str:
  """The initial value of the loop variable in `head` ("int i = 1; ..." -> "1")."""
  return head.split(';')[0].split('=', 1)[1].strip()


def filtered(style: Style, head: str, cond: str, item: str, sep: str, fmt: str = '%d') -> str:
  """A loop that prints `item` where `cond` holds, as `joined` does for what is printed."""
  c_sep = sep.replace('\n', '\\n').replace('%', '%%')
  if sep == '\n':
    return f'for ({head})\n  if ({cond})\n    printf("{fmt}\\n", {item});'
  flag = style.pick('flag', ('printed', 'count', 'shown'))
  return (
    f'int {flag} = 0;\nfor ({head}) {{\n  if ({cond}) {{\n    if ({flag} > 0)\n      printf("{c_sep}");\n'
    f'    printf("{fmt}", {item});\n    {flag}++;\n  }}\n}}\nprintf("\\n");'
  )


def separator_words(sep: str) -> str:
  """How a prompt says what separates printed values."""
  return {
    '\n': 'each on its own line',
    ' ': 'on one line, separated by single spaces',
    ', ': 'on one line, separated by a comma and a space',
    ',': 'on one line, separated by commas',
    ' - ': 'on one line, separated by " - "',
    ' | ': 'on one line, separated by " | "',
    ';': 'on one line, separated by semicolons',
  }.get(sep, f'on one line, separated by "{sep}"')
