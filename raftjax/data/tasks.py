"""Task sets: prompts for the model, with stdin/stdout tests for the verifier.

A task file is JSONL: one JSON object per line, blank lines allowed.

  {"id": "add_two_ints", "prompt": "Write a complete C program that ...",
   "tests": [{"stdin": "2 3\\n", "stdout": "5\\n"}], "difficulty": 1}

Fields:
  prompt      required, non-empty string: the user message given to the model.
  id          optional string, unique in the file; default "line-<n>" (n is the
              1-based line number), so halo-forge-style `{"prompt": ...}`
              lines are accepted as they are.
  tests       optional list of {"stdin": str, "stdout": str}; "stdin" may be
              left out (empty input). Without tests the best reward is 0.7
              (the program runs); with tests, 1.0 needs every test's stdout.
              The verifier ignores trailing whitespace on each line and
              trailing newlines.
  language    optional, "c" (default) or "cpp".
  difficulty  optional int 1..5 (1 = print a fixed string, 5 = algorithmic);
              `split_tasks` stratifies on it.
  reference   optional string: a C program that solves the task (the `easy` families
              have one). Training tasks with one can be shown it where the model found
              no correct program (`raft.demonstrations`); nothing else reads it.
Other keys are kept as they are (metadata such as halo-forge's "category").

`load_tasks(None)` returns the built-in set, `raftjax/data/tasks.jsonl`:
C programs from "print Hello, World!" up to edit distance and big numbers.
"""

import collections
import importlib.resources
import json
import random

from raftjax.data import families

LANGUAGES = ('c', 'cpp')
DIFFICULTIES = (1, 2, 3, 4, 5)
BUILTIN = 'tasks.jsonl'
BEGINNER = 'heldout_beginner.jsonl'  # the second held-out set: nothing trains on it (README, "Task files")


class TaskFileError(ValueError):
  """A task file is malformed; the message names FILE:LINE."""


def packaged(name: str) -> str:
  """The path of a task file shipped with the package (BUILTIN, BEGINNER)."""
  return str(importlib.resources.files('raftjax.data').joinpath(name))


def load_tasks(path: str | None = None) -> list[dict]:
  """Reads and validates a task file; None or '' reads the built-in set."""
  if not path:
    resource = importlib.resources.files('raftjax.data').joinpath(BUILTIN)
    return parse_tasks(resource.read_text(encoding='utf-8'), name=f'<built-in {BUILTIN}>')
  try:
    with open(path, 'rb') as f:
      data = f.read()
  except OSError as e:
    raise TaskFileError(f'{path}: cannot read task file: {e}') from e
  return parse_tasks(decode_utf8(data, path, TaskFileError), name=path)


def decode_utf8(data: bytes, name: str, error: type[Exception] = ValueError) -> str:
  """`data` as text; invalid UTF-8 raises `error` naming `name:line` and the byte's column."""
  try:
    return data.decode('utf-8')
  except UnicodeDecodeError as e:
    line_start, lineno = data.rfind(b'\n', 0, e.start) + 1, data.count(b'\n', 0, e.start) + 1
    raise error(
      f'{name}:{lineno}: not valid UTF-8 (byte '
      f'{data[e.start : e.start + 1]!r} at column {e.start - line_start + 1}: {e.reason})'
    ) from None


def jsonl_lines(text: str) -> list[str]:
  """JSONL lines: split on '\n' only (str.splitlines would also split inside a JSON string holding a
  raw U+2028 or form feed, which JSON allows)."""
  return text.split('\n')


def jsonl_objects(lines, name: str, error: type[Exception] = ValueError):
  """(where, line number, object) of each non-blank JSONL line; malformed JSON raises `error` naming
  `name:line` and the column."""
  for lineno, line in enumerate(lines, start=1):
    if not line.strip():
      continue
    where = f'{name}:{lineno}'
    try:
      obj = json.loads(line)
    except json.JSONDecodeError as e:
      raise error(f'{where}: malformed JSON ({e.msg} at column {e.colno}); expected one JSON object per line') from None
    except RecursionError:
      raise error(f'{where}: JSON nested too deeply; expected one flat JSON object per line') from None
    yield where, lineno, obj


def parse_tasks(text: str, name: str = '<string>') -> list[dict]:
  """Parses JSONL task text; `name` is used in error messages."""
  tasks, first_line = [], {}
  for where, lineno, obj in jsonl_objects(jsonl_lines(text), name, TaskFileError):
    task = _check_task(obj, lineno, where)
    if task['id'] in first_line:
      raise TaskFileError(f'{where}: duplicate id {task["id"]!r} (first used on line {first_line[task["id"]]})')
    first_line[task['id']] = lineno
    tasks.append(task)
  if not tasks:
    raise TaskFileError(f'{name}: no tasks (expected JSONL lines like {{"id": ..., "prompt": ..., "tests": [...]}})')
  return tasks


def _check_task(obj, lineno: int, where: str) -> dict:
  """Validates one parsed line and returns the normalised task."""

  def fail(msg):
    raise TaskFileError(f'{where}: {msg}')

  if not isinstance(obj, dict):
    fail(f'expected a JSON object, got {type(obj).__name__}')
  if 'prompt' not in obj:
    fail('missing "prompt" (a non-empty string)')
  if not isinstance(obj['prompt'], str):
    fail(f'"prompt" must be a string, got {type(obj["prompt"]).__name__}')
  if not obj['prompt'].strip():
    fail('"prompt" is empty')
  task = dict(obj)
  task.setdefault('id', f'line-{lineno}')
  if not isinstance(task['id'], str) or not task['id']:
    fail(f'"id" must be a non-empty string, got {task["id"]!r}')
  task.setdefault('language', 'c')
  if task['language'] not in LANGUAGES:
    fail(f'"language" must be one of {LANGUAGES}, got {task["language"]!r}')
  if 'difficulty' in task and (type(task['difficulty']) is not int or task['difficulty'] not in DIFFICULTIES):
    fail(f'"difficulty" must be an integer 1..5, got {task["difficulty"]!r}')
  if 'reference' in task and not (isinstance(task['reference'], str) and task['reference'].strip()):
    fail(f'"reference" must be a non-empty string (a C program), got {task["reference"]!r}')
  tests = task.setdefault('tests', [])
  if not isinstance(tests, list):
    fail(f'"tests" must be a list of {{"stdin": str, "stdout": str}}, got {type(tests).__name__}')
  task['tests'] = [_check_test(t, i, fail) for i, t in enumerate(tests)]
  return task


def _check_test(test, i: int, fail) -> dict:
  if not isinstance(test, dict):
    fail(f'tests[{i}] must be an object {{"stdin": str, "stdout": str}}, got {type(test).__name__}')
  if 'stdout' not in test:
    fail(f'tests[{i}] is missing "stdout"')
  for key in ('stdin', 'stdout'):
    if key in test and not isinstance(test[key], str):
      fail(f'tests[{i}]["{key}"] must be a string, got {type(test[key]).__name__}')
  extra = set(test) - {'stdin', 'stdout'}
  if extra:
    fail(f'tests[{i}] has unknown keys {sorted(extra)}; expected only "stdin" and "stdout"')
  return {'stdin': test.get('stdin', ''), 'stdout': test['stdout']}


def split_tasks(tasks: list[dict], eval_fraction: float, seed: int = 0) -> tuple[list[dict], list[dict]]:
  """Deterministic held-out split, stratified by "difficulty".

  round(len(tasks) * eval_fraction) tasks go to eval, shared out between the
  difficulty strata in proportion to their size (largest remainder). Which
  tasks are picked depends only on the seed and the task ids, not on the file
  order; both halves keep the input order.
  """
  if not 0.0 <= eval_fraction <= 1.0:
    raise ValueError(f'eval_fraction must be in [0, 1], got {eval_fraction}')
  strata = collections.defaultdict(list)
  for task in tasks:
    strata[task.get('difficulty')].append(task['id'])
  keys = sorted(strata, key=lambda k: (k is None, k))
  n_eval = round(len(tasks) * eval_fraction)
  quota = {k: len(strata[k]) * n_eval / max(len(tasks), 1) for k in keys}
  count = {k: int(quota[k]) for k in keys}
  by_remainder = sorted(keys, key=lambda k: count[k] - quota[k])
  for k in by_remainder[: n_eval - sum(count.values())]:
    count[k] += 1
  eval_ids = set()
  for k in keys:
    ids = sorted(strata[k])
    random.Random(f'{seed}/{k}').shuffle(ids)
    eval_ids.update(ids[: count[k]])
  train = [t for t in tasks if t['id'] not in eval_ids]
  evals = [t for t in tasks if t['id'] in eval_ids]
  return train, evals


def task_split(config) -> tuple[list[dict], list[dict], str]:
  """(training tasks, held-out tasks, how they were split) of a run's config: `prompts` and `eval_prompts`
  when that is set, else the `eval_fraction` split of `prompts` (stratified, by `seed`); then
  `extra_train_prompts` join the training side only. The loop trains and evaluates on these;
  `tools.evaluate` evaluates the same held-out tasks by default."""
  tasks = load_tasks(config.prompts or None)
  source = config.prompts or 'the built-in task set'
  if config.eval_prompts:
    train_tasks, eval_tasks = tasks, load_tasks(config.eval_prompts)
    described = f'{source} / eval_prompts {config.eval_prompts}'
  else:
    train_tasks, eval_tasks = split_tasks(tasks, config.eval_fraction, config.seed)
    described = f'{source} split by eval_fraction {config.eval_fraction}, seed {config.seed}'
  if config.extra_train_prompts:
    extra = extra_train_tasks(config.extra_train_prompts)
    clash = sorted({t['id'] for t in extra} & {t['id'] for t in train_tasks + eval_tasks})
    if clash:
      raise TaskFileError(
        f'extra_train_prompts {config.extra_train_prompts}: task id {clash[0]!r} is already '
        f'a task of {source}{" or eval_prompts" if config.eval_prompts else ""}; expected new ids'
      )
    train_tasks = train_tasks + extra
    described += f' + {len(extra)} training tasks from extra_train_prompts {config.extra_train_prompts}'
  if not train_tasks:
    raise TaskFileError(f'{source}: no training tasks left after the held-out split')
  return train_tasks, eval_tasks, described


def transfer_tasks(config) -> list[dict]:
  """`evaluation.transfer_prompts`: [] (off), the package's second held-out set ('beginner'), or a task file."""
  name = config.evaluation.transfer_prompts
  if not name:
    return []
  return load_tasks(packaged(BEGINNER) if name == 'beginner' else name)


def extra_train_tasks(name: str) -> list[dict]:
  """`extra_train_prompts`: 'easy' (the generated families of raftjax.data.families) or a task file."""
  if name == 'easy':
    return families.tasks()
  return load_tasks(name)
