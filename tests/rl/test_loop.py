"""The RAFT loop end to end on a tiny model, and its rules one by one."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import jax
import numpy as np
import pytest
from flax import nnx

from raftjax import rundir
from raftjax.model import checkpoint as ckpt
from raftjax.model import weights
from raftjax.rl import loop as raft

import tiny
from helpers import REPO, assert_same_samples, read_jsonl, saved_params, tiny_config, torch_watch_env


def _load_cycle(cycle_dir: str):
  """The model of a saved cycle, as the loop reloads it."""
  return ckpt.load(cycle_dir, weights.default_mesh(), None)[0]


def _per_layer(model) -> dict:
  """{path: array} of every parameter, paths per layer ('layers', i, ...) whichever layout `model` has."""
  return {
    p: np.asarray(w)
    for path, v in nnx.to_flat_state(nnx.state(model, nnx.Param))
    for p, w in weights.per_layer(path, v.get_value())
  }


# ------------------------------------------------------------------------------------ whole loop


@pytest.mark.slow
def test_two_cycles_write_every_output(tiny_dir, tmp_path):
  out = str(tmp_path / 'run')
  log = raft.run(tiny_config(tiny_dir, out))

  assert [s['cycle'] for s in log['cycles']] == [1, 2]
  assert log['stop_reason'] == 'num_cycles'
  assert log['base']['num_tasks'] == 1 and 'pass@1' in log['base']
  best = log['best_cycle']
  assert os.path.isdir(os.path.join(out, f'cycle_{best}_final', 'checkpoint'))
  with open(os.path.join(out, 'training_log.json')) as f:
    assert json.load(f)['best_cycle'] == best

  for cycle, threshold in ((1, 0.3), (2, 0.5)):
    d = os.path.join(out, f'cycle_{cycle}')
    samples = read_jsonl(os.path.join(d, 'samples.jsonl'))
    kept = read_jsonl(os.path.join(d, 'kept.jsonl'))
    with open(os.path.join(d, 'stats.json')) as f:
      stats = json.load(f)
    assert len(samples) == len(tiny.TASKS) * 4
    for s in samples:
      assert {
        'prompt_id',
        'sample_index',
        'completion',
        'tokens',
        'finish_reason',
        'reward',
        'stage',
        'compiler_output',
      } <= set(s)
    assert kept, 'the tiny model writes some compiling programs'
    assert all(k['reward'] >= threshold and k['reward'] > 0 for k in kept)
    assert len({(k['prompt_id'], k['completion'].strip()) for k in kept}) == len(kept)
    assert stats['kept'] == len(kept) and stats['total'] == len(samples)
    assert stats['train']['compile_rate'] == pytest.approx(np.mean([s['reward'] > 0 for s in samples]))
    assert sum(stats['train']['levels'].values()) == len(samples)
    assert set(stats['seconds']) >= {'generate_s', 'train_s', 'eval_s', 'save_s'}
    assert stats['losses'] and stats['sample_tokens_per_s'] > 0 and stats['train_tokens_per_s'] > 0
    assert ckpt.finished_step(os.path.join(d, 'checkpoint')) == cycle
  # metrics.jsonl: the base as cycle 0, every cycle, and one record per optimizer step with its loss.
  records = read_jsonl(os.path.join(out, 'metrics.jsonl'))
  assert [r['cycle'] for r in records if r['kind'] == 'cycle'] == [0, 1, 2]
  for cycle in (1, 2):
    stats = log['cycles'][cycle - 1]
    steps = [r for r in records if r['kind'] == 'train_step' and r['cycle'] == cycle]
    assert [r['loss'] for r in steps] == pytest.approx(stats['losses'])
    assert all(r['learning_rate'] > 0 and r['tokens_per_s'] > 0 for r in steps)
  assert os.listdir(os.path.join(out, 'tensorboard'))
  # Cycle 2 ran the programs (curriculum), cycle 1 only compiled them.
  assert not any(s['stage'] in ('ran', 'correct', 'tests_failed') for s in read_jsonl(f'{out}/cycle_1/samples.jsonl'))
  assert any(
    s['stage'] in ('ran', 'correct', 'tests_failed', 'runtime_error')
    for s in read_jsonl(f'{out}/cycle_2/samples.jsonl')
  )

  # Only the adapters are saved; reloading the cycle restores them on top of the unchanged base.
  saved = saved_params(os.path.join(out, 'cycle_2', 'checkpoint'))
  assert {path[-1].key for path, _ in jax.tree_util.tree_flatten_with_path(saved)[0]} == {'a', 'b'}
  model = _load_cycle(os.path.join(out, 'cycle_2'))
  assert model.cfg.scan_layers  # the default config's layout, which the checkpoint records
  params = _per_layer(model)
  base = weights.load_model(os.path.join(tiny_dir, 'model'), scan_layers=False)
  np.testing.assert_array_equal(
    params[('layers', 1, 'mlp', 'down_proj', 'kernel')], base.layers[1].mlp.down_proj.kernel[...]
  )
  lora_b = params[('layers', 1, 'mlp', 'down_proj', 'lora', 'b')]
  np.testing.assert_array_equal(lora_b, saved['layers']['mlp']['down_proj']['lora']['b'][1])
  assert np.abs(lora_b).max() > 0


# ------------------------------------------------------------------------------------ bad input


def test_empty_and_malformed_prompts_files(tiny_dir, tmp_path):
  empty = tmp_path / 'empty.jsonl'
  empty.write_text('')
  bad = tmp_path / 'bad.jsonl'
  bad.write_text('{"id": "a", "prompt": "x"}\n{"id": "b", "prompt": \n')
  for path, message in ((empty, 'empty.jsonl'), (bad, r'bad\.jsonl:2')):
    c = tiny_config(tiny_dir, str(tmp_path / 'out'))
    c.prompts = str(path)
    with pytest.raises(ValueError, match=message):
      raft.run(c)


def test_cycle_where_nothing_passes_does_not_train(tiny_dir, tmp_path):
  impossible = tmp_path / 'impossible.jsonl'
  impossible.write_text(''.join(json.dumps(dict(t, tests=[dict(stdin='', stdout='never')])) + '\n' for t in tiny.TASKS))
  c = tiny_config(tiny_dir, str(tmp_path / 'out'))
  c.prompts = str(impossible)
  c.raft.num_cycles = 1
  c.cycles = [{'raft.reward_threshold': 1.0, 'verifier.run_after_compile': True}]
  log = raft.run(c)
  stats = log['cycles'][0]
  assert stats['kept'] == 0 and not stats['trained'] and stats['losses'] == []
  assert stats['eval'] == log['base']  # unchanged weights are not evaluated again
  assert read_jsonl(tmp_path / 'out' / 'cycle_1' / 'kept.jsonl') == []
  assert ckpt.finished_step(str(tmp_path / 'out' / 'cycle_1' / 'checkpoint')) == 1


@pytest.mark.slow
def test_failed_checkpoint_write_keeps_previous_cycle(tiny_dir, tmp_path, monkeypatch):
  out = str(tmp_path / 'out')
  real_save = ckpt.save

  def save(directory, cycle, *args, **kwargs):
    if cycle == 2:
      raise OSError('disk full')
    return real_save(directory, cycle, *args, **kwargs)

  monkeypatch.setattr(ckpt, 'save', save)
  with pytest.raises(OSError, match='disk full'):
    raft.run(tiny_config(tiny_dir, out))
  assert not os.path.exists(os.path.join(out, 'cycle_2', 'stats.json'))
  assert ckpt.finished_step(os.path.join(out, 'cycle_2', 'checkpoint')) is None
  model = _load_cycle(os.path.join(out, 'cycle_1'))
  assert np.abs(_per_layer(model)[('layers', 0, 'self_attn', 'q_proj', 'lora', 'b')]).max() > 0


# ------------------------------------------------------------------------------- kill and resume


def _main(config_file: str, out: str, env=None, slots: int = 0) -> subprocess.Popen:
  return subprocess.Popen(
    [
      sys.executable,
      '-m',
      'raftjax.main',
      f'--config={config_file}',
      f'--config.output_dir={out}',
      f'--config.generation.slots={slots}',
    ],
    cwd=REPO,
    stdout=subprocess.DEVNULL,
    stderr=subprocess.PIPE,
    text=True,
    env=env or dict(os.environ, JAX_PLATFORMS='cpu'),
  )


@pytest.mark.slow
@pytest.mark.parametrize('slots', [0, 3])
def test_sigkill_mid_cycle_then_resume_equals_uninterrupted(tiny_dir, tmp_path, slots):
  config_file = tmp_path / 'tiny_config.py'
  config_file.write_text(
    f'import sys\nsys.path.insert(0, {os.path.join(REPO, "tests")!r})\n'
    'from helpers import tiny_config\n\n'
    f'def get_config():\n  return tiny_config({tiny_dir!r}, "unset")\n'
  )
  whole, killed = str(tmp_path / 'whole'), str(tmp_path / 'killed')
  env, torch_log = torch_watch_env(tmp_path)
  proc = _main(str(config_file), whole, env, slots)
  assert proc.wait(timeout=600) == 0, proc.stderr.read()
  assert not torch_log.exists(), torch_log.read_text()  # the whole job, on an HF checkpoint, without torch

  proc = _main(str(config_file), killed, slots=slots)
  samples = os.path.join(killed, 'cycle_2', 'samples.jsonl')
  deadline = time.time() + 600
  while not (os.path.exists(samples) and os.path.getsize(samples) > 0):  # mid-cycle 2: some samples written
    assert proc.poll() is None and time.time() < deadline, 'run ended before it could be killed'
    time.sleep(0.05)
  proc.send_signal(signal.SIGKILL)
  proc.wait(timeout=60)
  assert not os.path.exists(os.path.join(killed, 'cycle_2', 'stats.json'))

  proc = _main(str(config_file), killed, slots=slots)
  assert proc.wait(timeout=600) == 0, proc.stderr.read()
  for cycle in (1, 2):
    for name in ('samples.jsonl', 'kept.jsonl'):
      a, b = (read_jsonl(os.path.join(d, f'cycle_{cycle}', name)) for d in (whole, killed))
      assert_same_samples(a, b, rtol=1e-5 if slots else 0.0)  # a resumed slot call has fewer prompts
  a, b = (saved_params(os.path.join(d, 'cycle_2', 'checkpoint')) for d in (whole, killed))
  jax.tree.map(np.testing.assert_array_equal, a, b)
  with open(os.path.join(whole, 'training_log.json')) as f, open(os.path.join(killed, 'training_log.json')) as g:
    la, lb = json.load(f), json.load(g)
  assert [c['losses'] for c in la['cycles']] == [c['losses'] for c in lb['cycles']]


# ----------------------------------------------------------------------------------------------- slots


@pytest.mark.slow
def test_slots_make_the_chunked_run(tiny_dir, tiny_run, tmp_path):
  """generation.slots: one sampler call per round across the chunks' seams, each task verified as soon as
  its samples are done: the samples, verdicts, kept sets and training of the chunked path (tiny_run)."""
  out = str(tmp_path / 'run')
  c = tiny_config(tiny_dir, out)
  c.generation.slots = 3  # fewer slots than a chunk's 2 x 4 samples: slots refill across tasks and chunks
  log = raft.run(c)
  for cycle in (1, 2):
    for name in ('samples.jsonl', 'kept.jsonl'):
      a, b = (read_jsonl(os.path.join(d, f'cycle_{cycle}', name)) for d in (tiny_run, out))
      assert_same_samples(a, b, rtol=1e-5)
    stats = rundir.read_json(os.path.join(out, f'cycle_{cycle}', 'stats.json'))['sampler']
    assert stats['calls'] == 1 and stats['rows'] == 3  # one call over both chunks
  chunked = rundir.read_json(os.path.join(tiny_run, 'training_log.json'))
  assert [c['losses'] for c in log['cycles']] == [c['losses'] for c in chunked['cycles']]


def test_slots_resume_a_cycle_whose_samples_are_all_written(tiny_dir, tiny_run, tmp_path):
  """A kill after the last sample of a round was written and before the cycle ended: the resumed slot
  run samples nothing and trains on the rows in the file, as the chunked run did."""
  out = str(tmp_path / 'run')
  shutil.copytree(tiny_run, out)
  os.remove(os.path.join(out, 'cycle_2', 'stats.json'))  # cycle 2 unfinished, its samples.jsonl whole
  c = tiny_config(tiny_dir, out)
  c.generation.slots = 3
  log = raft.run(c)
  stats = rundir.read_json(os.path.join(out, 'cycle_2', 'stats.json'))['sampler']
  assert stats['calls'] == 0
  for name in ('samples.jsonl', 'kept.jsonl'):
    assert read_jsonl(os.path.join(out, 'cycle_2', name)) == read_jsonl(os.path.join(tiny_run, 'cycle_2', name))
  chunked = rundir.read_json(os.path.join(tiny_run, 'training_log.json'))
  assert [c['losses'] for c in log['cycles']] == [c['losses'] for c in chunked['cycles']]
