"""Grade a file of completions with the run's verifier, without a model.

  python -m raftjax.tools.verify --input=SAMPLES.jsonl --output=REWARDS.jsonl [--tasks=TASKS.jsonl]
      [--config=configs/raft.py] [--config.verifier.run_after_compile=True] [--config.verifier.answer_credit=0.5]

Input: JSON lines with a "completion" and either "prompt_id" (or "id") naming a task of --tasks (default:
the built-in set), or the task itself inline ("prompt", optional "tests" and "language"). Output: each
input line with the verifier's verdict added (raftjax.rows.Verdict), written whole or not at all. The
verifier's settings are the config's `verifier` section (every key, timeouts and memory included).

Exit status: 0 done, 1 failed while grading (no compiler, sandbox refused, a worker kept dying, disk
full), 2 bad input, output path or option (before any work), 130 interrupted.
"""

import collections
import json
import sys
import time

from raftjax import cli, rundir
from raftjax import config as config_lib
from raftjax.data import tasks as tasks_lib
from raftjax.sections import VerifierConfig
from raftjax.verifier import pool, reward, sandbox


class InputError(ValueError):
  """A malformed input line; the message names FILE:LINE."""


def read_samples(path: str, tasks_path: str | None) -> tuple[list[dict], list[dict]]:
  """(samples, their tasks) from a SAMPLES.jsonl; tasks come from the line or from the task file."""
  by_id = None
  samples, tasks = [], []
  with open(path, 'rb') as f:
    text = tasks_lib.decode_utf8(f.read(), path, InputError)
  for where, _, sample in tasks_lib.jsonl_objects(tasks_lib.jsonl_lines(text), path, InputError):
    if not isinstance(sample, dict) or not isinstance(sample.get('completion'), str):
      raise InputError(f'{where}: expected an object with a string "completion"')
    task_id = sample.get('prompt_id', sample.get('id'))
    if task_id is not None and not isinstance(task_id, str):
      raise InputError(f'{where}: "prompt_id" / "id" must be a string, got {type(task_id).__name__}')
    if 'prompt' in sample and ('tests' in sample or task_id is None or tasks_path is None):
      task = _inline_task(sample, task_id, where)
    elif task_id is None:
      raise InputError(f'{where}: needs "prompt_id" (or "id") naming a task, or "prompt"')
    else:
      if by_id is None:
        by_id = {t['id']: t for t in tasks_lib.load_tasks(tasks_path)}
      if task_id not in by_id:
        raise InputError(f'{where}: unknown task id {task_id!r} (not in {tasks_path or "the built-in task set"})')
      task = by_id[task_id]
    samples.append(sample)
    tasks.append(task)
  return samples, tasks


def _inline_task(sample: dict, task_id, where: str) -> dict:
  language = sample.get('language', 'c')
  if language not in tasks_lib.LANGUAGES:
    raise InputError(f'{where}: "language" must be one of {tasks_lib.LANGUAGES}, got {language!r}')
  tests = sample.get('tests', [])
  if not isinstance(tests, list) or not all(
    isinstance(t, dict) and isinstance(t.get('stdout'), str) and isinstance(t.get('stdin', ''), str) for t in tests
  ):
    raise InputError(
      f'{where}: "tests" must be a list of {{"stdin": str, "stdout": str}}, got {json.dumps(tests)[:80]}'
    )
  return {'id': task_id, 'prompt': sample['prompt'], 'language': language, 'tests': tests}


def summary_table(results: list[dict]) -> str:
  counts = collections.Counter(r['stage'] for r in results)
  n = max(len(results), 1)
  lines = [f'{"stage":<24}{"count":>7}{"share":>9}']
  lines += [f'{s:<24}{counts[s]:>7}{counts[s] / n:>9.1%}' for s in reward.STAGES if counts[s]]
  mean = sum(r['reward'] for r in results) / n
  lines.append(f'{"total":<24}{len(results):>7}   mean reward {mean:.3f}')
  graded = [r for r in results if 'answered' in r]
  if graded:  # answer credit on: the wrong-output programs whose every test ends with the answer
    answers = sum(sum(r['tests']) + r['answered'] == len(r['tests']) for r in graded)
    lines.append(f'of the {len(graded)} tests_failed, {answers} print every answer after extra text')
  return '\n'.join(lines)


def grade_file(input_path: str, output: str, tasks_path: str | None, cfg: VerifierConfig) -> int:
  """The CLI's work; returns its exit status (module docstring)."""
  try:
    with pool.sigterm_unwinds():  # SIGTERM unwinds: runs stopped, work dirs and temp output removed
      return _grade(input_path, output, tasks_path, cfg)
  except KeyboardInterrupt:  # unwound the same way
    print('error: interrupted', file=sys.stderr)
    return 130


def _grade(input_path: str, output: str, tasks_path: str | None, cfg: VerifierConfig) -> int:
  try:
    out = rundir.AtomicOutput(output)  # before any work: a bad output path fails now, not after
  except (OSError, ValueError) as e:
    print(f'error: {output}: cannot write there: {getattr(e, "strerror", None) or e}', file=sys.stderr)
    return 2
  with out:
    try:
      samples, tasks = read_samples(input_path, tasks_path)
    except (ValueError, OSError) as e:  # InputError, TaskFileError, unreadable files
      print(f'error: {e}', file=sys.stderr)
      return 2
    t0 = time.monotonic()
    try:
      with pool.Verifier(cfg) as verifier:
        results = verifier.verify_batch(tasks, [s['completion'] for s in samples])
    except (RuntimeError, sandbox.SandboxError) as e:  # no compiler, sandbox refused, workers kept dying
      print(f'error: {e}', file=sys.stderr)
      return 1
    try:
      out.write({**s, **r} for s, r in zip(samples, results))
      out.commit()
    except OSError as e:  # disk full, quota, permissions changed under us
      print(f'error: {output}: cannot write: {e.strerror or e}', file=sys.stderr)
      return 1
  print(summary_table(results))
  print(f'isolation: {verifier.isolation} ({sandbox.DESCRIPTION[verifier.isolation]})')
  shown = output.encode('utf-8', 'backslashreplace').decode('utf-8')  # a path need not be UTF-8
  print(f'{len(results)} samples in {time.monotonic() - t0:.1f}s -> {shown}')
  return 0


def main(argv) -> int:
  from absl import app, flags
  from absl import logging as absl_logging

  absl_logging.set_verbosity(absl_logging.WARNING)  # stderr is for problems; the summary names the level
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  f = flags.FLAGS
  try:
    cfg = config_lib.for_cycle(f.config, 0).verifier
  except ValueError as e:
    print(f'error: {e}', file=sys.stderr)
    return 2
  return grade_file(f.input, f.output, f.tasks or None, cfg)


if __name__ == '__main__':
  from absl import flags

  cli.config_flag('raftjax config file: its `verifier` section')
  flags.DEFINE_string('input', None, 'samples JSONL: prompt_id|id, completion (or prompt, tests)', required=True)
  flags.DEFINE_string('output', None, 'rewards JSONL: the input fields + the verdict', required=True)
  flags.DEFINE_string('tasks', '', 'task JSONL (default: the built-in set)')
  cli.run(main)
