"""Held-out evaluation: `evaluate.evaluate`, and the CLI evaluating the run's own held-out split."""

import collections
import dataclasses
import json
import os
import subprocess
import sys

import pytest

from raftjax import config as config_lib
from raftjax import evaluate, rundir
from raftjax.generate import sampler as sample_lib
from raftjax.model import checkpoint as ckpt
from raftjax.verifier.pool import Verifier

import tiny
from helpers import REPO, tiny_config


def test_evaluate_runs_programs_and_counts_what_it_verified(tiny_dir, mesh1, tmp_path):
  c = tiny_config(tiny_dir, str(tmp_path))
  cycle = config_lib.for_cycle(c, 1)  # cycle 1 only compiles; evaluation runs the programs anyway
  assert not cycle.verifier.run_after_compile
  model, tokenizer, _ = ckpt.load(c.sft_checkpoint, mesh1, None)
  sampler = sample_lib.Sampler(model, tokenizer, mesh1, dataclasses.replace(cycle.generation, temperature=1.0))
  with Verifier(cycle.verifier) as verifier:
    metrics, rows = evaluate.evaluate(model, sampler, verifier, cycle.verifier, tiny.TASKS, 3, seed=0)
  assert [(r['prompt_id'], r['sample_index']) for r in rows] == [(t['id'], j) for t in tiny.TASKS for j in range(3)]
  assert metrics['num_tasks'] == len(tiny.TASKS) and metrics['samples_per_prompt'] == 3
  assert metrics['compile_rate'] == sum(r['reward'] > 0 for r in rows) / len(rows)
  assert sum(metrics['stages'].values()) == len(rows)
  assert any(r['stage'] in ('correct', 'tests_failed', 'runtime_error', 'ran') for r in rows)  # programs ran
  assert 0 <= metrics['pass@1'] <= metrics['pass@3'] <= 1


@pytest.mark.slow
def test_cli_evaluates_the_held_out_split_like_the_loop(tiny_dir, tiny_run, tmp_path):
  config_file = tmp_path / 'tiny_config.py'
  config_file.write_text(
    f'import sys\nsys.path.insert(0, {os.path.join(REPO, "tests")!r})\n'
    'from helpers import tiny_config\n\n'
    f'def get_config():\n  return tiny_config({tiny_dir!r}, {tiny_run!r})\n'
  )
  out = subprocess.run(
    [
      sys.executable,
      '-m',
      'raftjax.tools.evaluate',
      f'--config={config_file}',
      f'--checkpoint={tiny_run}/cycle_2',
      f'--samples={tmp_path}/samples.jsonl',
    ],
    cwd=REPO,
    capture_output=True,
    text=True,
    timeout=300,
    env=dict(os.environ, JAX_PLATFORMS='cpu'),
  )
  assert out.returncode == 0, out.stderr
  eval_file = os.path.join(tiny_dir, 'eval.jsonl')
  assert f'evaluating 1 tasks: held-out tasks of {tiny_dir}/tasks.jsonl / eval_prompts {eval_file}' in out.stderr
  metrics = json.loads(out.stdout)
  logged = rundir.read_json(os.path.join(tiny_run, rundir.TRAINING_LOG))['cycles'][1]['eval']
  assert {k: metrics[k] for k in logged} == logged  # greedy: exactly what the loop measured after cycle 2
  rows = rundir.read_jsonl(f'{tmp_path}/samples.jsonl')  # --samples: every sample with its verdict
  assert len(rows) == metrics['num_tasks'] * metrics['samples_per_prompt'] and all(r['completion'] for r in rows)
  assert dict(collections.Counter(r['stage'] for r in rows)) == metrics['stages']
  assert metrics['solved'] == sorted({r['prompt_id'] for r in rows if r['stage'] == 'correct'})
