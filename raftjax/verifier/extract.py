"""Finding the program in a model completion.

Fenced blocks with any tag or none; an unterminated final fence (a truncated generation); code before a
lone closing fence followed by prose; bare code without fences. Of several candidates the first that
defines `main` wins, else the longest. Fence lines (and a lone language tag on the first line of a block)
never reach the compiler. Only the first EXTRACT_MAX_CHARS characters of a completion are looked at, and
the time taken is linear in them (no pattern can backtrack across lines).
"""

import re

EXTRACT_MAX_CHARS = 1 << 21  # characters of a completion that extraction looks at (2 Mi)

_FENCE = re.compile(r'^\s{0,3}(`{3,}|~{3,})\s*([\w+#.-]*)')  # matched against one line at a time
_MAIN = re.compile(r'\bmain\s*\(')
_LANG_TAGS = {'c', 'cpp', 'c++', 'cc', 'cxx', 'h', 'hpp'}
# [ \t], not \s: with \s, `^\s*` at every line start scans all the blank lines that follow (quadratic).
_CODE_HINT = re.compile(r'^[ \t]*#[ \t]*include\b|\bmain\s*\(', re.M)
_FIRST_DIRECTIVE = re.compile(r'^[ \t]*#', re.M)


def fenced(code: str) -> str:
  """A program as a model writes it in an answer: one fenced C block (what SFT data and demonstrations
  train on; `extract_code` gets `code` back)."""
  return f'```c\n{code}```'


def extract_code(completion: str) -> str | None:
  """The program in a model completion, or None when there is none (module docstring)."""
  lines = completion[:EXTRACT_MAX_CHARS].splitlines()
  fences = [i for i, line in enumerate(lines) if _FENCE.match(line)]
  candidates = []
  if fences:
    # Text before the first fence counts only if it looks like code: SmolLM2 often writes
    # "code ``` prose" with no opening fence.
    head = '\n'.join(lines[: fences[0]])
    if _CODE_HINT.search(head):
      candidates.append(_from_first_code_line(head))
    bounds = fences + [len(lines)]  # an unterminated last block runs to the end
    for start, end in zip(bounds[0::2], bounds[1::2]):
      candidates.append(_drop_tag_line(lines[start + 1 : end]))
  else:
    text = '\n'.join(lines)
    if _CODE_HINT.search(text):
      candidates.append(_from_first_code_line(text))
  candidates = [c for c in candidates if c.strip()]
  if not candidates:
    return None
  with_main = [c for c in candidates if _MAIN.search(c)]
  return with_main[0] if with_main else max(candidates, key=len)


def _drop_tag_line(block: list[str]) -> str:
  """A block whose first line is only a language tag ("```\\nc\\n...") loses that line."""
  if block and block[0].strip().lower() in _LANG_TAGS:
    block = block[1:]
  return '\n'.join(block) + '\n'


def _from_first_code_line(text: str) -> str:
  """Unfenced code: drop prose before the first preprocessor line, if there is one."""
  m = _FIRST_DIRECTIVE.search(text)
  return (text[m.start() :] if m else text).strip('\n') + '\n'
