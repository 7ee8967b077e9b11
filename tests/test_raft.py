"""The RAFT loop end to end on a tiny model, and its rules one by one."""

import json
import os
import signal
import subprocess
import sys
import time

import jax
import numpy as np
import orbax.checkpoint as ocp
import pytest
from flax import nnx

import tiny
from configs import raft as raft_config
from raftjax import checkpoint as ckpt
from raftjax import raft, train, weights

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope='module')
def tiny_dir(tmp_path_factory):
  directory = str(tmp_path_factory.mktemp('tiny'))
  tiny.make(directory)
  return directory


def tiny_config(tiny_dir: str, output_dir: str):
  c = raft_config.get_config()
  c.sft_checkpoint = os.path.join(tiny_dir, 'model')
  c.output_dir = output_dir
  c.prompts = os.path.join(tiny_dir, 'tasks.jsonl')
  c.eval_prompts = os.path.join(tiny_dir, 'eval.jsonl')
  c.mesh.shape = (1, 1, 1)
  c.raft.num_cycles = 2
  c.raft.samples_per_prompt = 4
  c.raft.early_stopping = False  # these tests check two full cycles
  c.generation.max_new_tokens = 40
  c.generation.batch_size = 2
  c.training.batch_size = 2
  c.training.lora_rank = 4
  c.training.learning_rate = 3e-3
  c.training.max_seq_len = 256
  c.verifier.num_workers = 2
  c.cycles = [{'raft.reward_threshold': 0.3},
              {'raft.reward_threshold': 0.5, 'verifier.run_after_compile': True}]
  return c


def _jsonl(path):
  with open(path) as f:
    return [json.loads(line) for line in f]


def _saved_params(directory: str) -> dict:
  """The saved trainable params as numpy arrays, whatever devices/processes wrote them."""
  path = os.path.join(directory, str(ckpt.finished_step(directory)), 'params')
  checkpointer = ocp.PyTreeCheckpointer()
  as_numpy = jax.tree.map(lambda _: ocp.RestoreArgs(restore_type=np.ndarray), checkpointer.metadata(path).item_metadata.tree)
  return checkpointer.restore(path, args=ocp.args.PyTreeRestore(restore_args=as_numpy))


# ------------------------------------------------------------------------------------ whole loop


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
    samples = _jsonl(os.path.join(d, 'samples.jsonl'))
    kept = _jsonl(os.path.join(d, 'kept.jsonl'))
    with open(os.path.join(d, 'stats.json')) as f:
      stats = json.load(f)
    assert len(samples) == len(tiny.TASKS) * 4
    for s in samples:
      assert {'prompt_id', 'sample_index', 'completion', 'tokens', 'finish_reason', 'reward', 'stage',
              'compiler_output'} <= set(s)
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
  records = _jsonl(os.path.join(out, 'metrics.jsonl'))
  assert [r['cycle'] for r in records if r['kind'] == 'cycle'] == [0, 1, 2]
  for cycle in (1, 2):
    stats = log['cycles'][cycle - 1]
    steps = [r for r in records if r['kind'] == 'train_step' and r['cycle'] == cycle]
    assert [r['loss'] for r in steps] == pytest.approx(stats['losses'])
    assert all(r['learning_rate'] > 0 and r['tokens_per_s'] > 0 for r in steps)
  assert os.listdir(os.path.join(out, 'tensorboard'))
  # Cycle 2 ran the programs (curriculum), cycle 1 only compiled them.
  assert not any(s['stage'] in ('ran', 'correct', 'tests_failed') for s in _jsonl(f'{out}/cycle_1/samples.jsonl'))
  assert any(s['stage'] in ('ran', 'correct', 'tests_failed', 'runtime_error')
             for s in _jsonl(f'{out}/cycle_2/samples.jsonl'))

  # Only the adapters are saved; reloading the cycle restores them on top of the unchanged base.
  saved = _saved_params(os.path.join(out, 'cycle_2', 'checkpoint'))
  assert {path[-1].key for path, _ in jax.tree_util.tree_flatten_with_path(saved)[0]} == {'a', 'b'}
  model, _ = raft.load_start_model(tiny_config(tiny_dir, out), weights.default_mesh(),
                                   os.path.join(out, 'cycle_2'))
  base = weights.load_model(os.path.join(tiny_dir, 'model'))
  np.testing.assert_array_equal(model.layers[1].mlp.down_proj.kernel[...], base.layers[1].mlp.down_proj.kernel[...])
  np.testing.assert_array_equal(model.layers[1].mlp.down_proj.lora.b[...],
                                saved['layers']['1']['mlp']['down_proj']['lora']['b'])
  assert np.abs(model.layers[1].mlp.down_proj.lora.b[...]).max() > 0


def test_lora_training_moves_only_adapters_and_lowers_loss(tiny_dir, mesh1):
  model = weights.load_model(os.path.join(tiny_dir, 'model'), mesh1)
  train.add_lora(model, 4, 8.0, 0.0, ('q_proj', 'v_proj', 'gate_proj', 'down_proj'), seed=0)
  model.eval()
  base = [np.asarray(x) for x in jax.tree.leaves(nnx.state(model, nnx.All(nnx.Param, nnx.Not(nnx.LoRAParam))))]
  tok = weights.load_tokenizer(os.path.join(tiny_dir, 'model'))
  target = tok.encode('int main(void) { return 42; } /* the kept answer */')
  examples = [train.Example(tok.encode(f'Task {i}:'), target) for i in range(6)]
  tcfg = raft_config.get_config().training
  tcfg.batch_size, tcfg.epochs, tcfg.learning_rate, tcfg.max_seq_len = 2, 12, 3e-2, 64
  before = train.evaluate_loss(model, examples, 64)
  losses, _ = train.train(model, examples, tcfg, mesh1, cycle=1, seed=0)
  after = train.evaluate_loss(model, examples, 64)
  assert after < before - 0.5, (before, after, losses)
  assert np.mean(losses[-2:]) < np.mean(losses[:2])
  now = [np.asarray(x) for x in jax.tree.leaves(nnx.state(model, nnx.All(nnx.Param, nnx.Not(nnx.LoRAParam))))]
  assert all(np.array_equal(a, b) for a, b in zip(base, now))


def test_train_step_compiles_once_and_applies_each_steps_learning_rate(tiny_dir, mesh1, monkeypatch):
  """One trace of the step for every step of every cycle (fresh optimizer, new dropout keys, learning rate
  changing per step), and the rate given is the rate applied: Adam's first step moves every adapter weight
  whose gradient is not ~0 by exactly the learning rate."""
  traces = []
  real_loss = train.loss_and_count
  monkeypatch.setattr(train, 'loss_and_count', lambda m, b: traces.append(1) or real_loss(m, b))
  model = weights.load_model(os.path.join(tiny_dir, 'model'), mesh1)
  train.add_lora(model, 4, 8.0, 0.1, ('q_proj', 'down_proj'), seed=0)  # dropout on: its keys are inputs too
  tok = weights.load_tokenizer(os.path.join(tiny_dir, 'model'))
  examples = [train.Example(tok.encode(f'Task {i}:'), tok.encode('int main(void) { return 0; }')) for i in range(8)]
  tcfg = raft_config.get_config().training
  tcfg.batch_size, tcfg.max_seq_len, tcfg.learning_rate = 2, 24, 1e-3
  steps = train.num_steps(len(train.pack(examples, 24)['tokens']), tcfg)
  assert steps >= 2
  rates = []
  for cycle in (1, 2, 3):
    train.train(model, examples, tcfg, mesh1, cycle, seed=cycle,
                on_step=lambda step, steps, loss, rate, tokens: rates.append((step, steps, rate)))
  assert [r[:2] for r in rates] == [(step, steps) for step in range(1, steps + 1)] * 3
  assert all(0.1 * tcfg.learning_rate < r[2] <= tcfg.learning_rate for r in rates)  # no ~0 step in a short cycle

  optimizer = train.make_optimizer(model, tcfg)
  batch, _ = next(train.batches(train.pack(examples, 24), tcfg, mesh1, np.random.default_rng(0)))
  model.train()
  before = [np.asarray(x) for x in jax.tree.leaves(nnx.state(model, nnx.LoRAParam))]
  train.train_step(model, optimizer, batch, np.float32(3e-4))
  after = [np.asarray(x) for x in jax.tree.leaves(nnx.state(model, nnx.LoRAParam))]
  moved = max(float(np.abs(a - b).max()) for a, b in zip(after, before))
  assert moved == pytest.approx(3e-4, rel=1e-3)
  assert len(traces) == 1


# ------------------------------------------------------------------------------- selection rules


def _s(prompt, i, reward, completion=None):
  return dict(prompt_id=prompt, sample_index=i, reward=reward, completion=completion or f'{prompt}-{i}')


def test_select_threshold_never_zero_and_dedup():
  samples = [_s('a', 0, 0.0), _s('a', 1, 0.5), _s('a', 2, 0.5, 'a-1 '), _s('a', 3, 0.3), _s('b', 0, 1.0)]
  kept = raft.select(samples, 0.0, 1.0, 'global', 4, seed=0)
  assert [(k['prompt_id'], k['sample_index']) for k in kept] == [('a', 1), ('a', 3), ('b', 0)]
  assert [k['sample_index'] for k in raft.select(samples, 0.5, 1.0, 'global', 4, 0)] == [1, 0]


def test_select_per_prompt_keeps_best_of_k_and_global_top_percent():
  samples = [_s('a', i, r) for i, r in enumerate([0.3, 1.0, 0.5, 0.7])] + [_s('b', i, 0.5) for i in range(4)]
  best_of_k = raft.select(samples, 0.3, 0.25, 'per_prompt', 4, seed=0)
  assert [k['prompt_id'] for k in best_of_k] == ['a', 'b'] and best_of_k[0]['reward'] == 1.0
  top_half = raft.select(samples, 0.3, 0.5, 'global', 4, seed=0)
  assert len(top_half) == 4 and sorted(k['reward'] for k in top_half)[-2:] == [0.7, 1.0]


def test_select_breaks_ties_fairly_not_by_file_order():
  samples = [_s(f'p{i}', 0, 0.5) for i in range(100)]
  kept = [int(k['prompt_id'][1:]) for seed in range(20) for k in raft.select(samples, 0.5, 0.1, 'global', 1, seed)]
  assert len(kept) == 200 and len(set(kept)) > 50  # different prompts win the ties under different seeds
  assert 35 < np.mean(kept) < 65  # positions in the file are kept evenly (a stable sort would give 4.5)


# ------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize('key,value,message', [
    ('raft.reward_threshold', 1.5, r'raft\.reward_threshold = 1\.5: expected a reward in \[0, 1\]'),
    ('raft.reward_threshold', -0.1, r'raft\.reward_threshold = -0\.1'),
    ('raft.keep_top_percent', 0.0, r'raft\.keep_top_percent = 0\.0: expected a fraction in \(0, 1\]'),
    ('raft.selection', 'best', r"raft\.selection = 'best': expected one of"),
])
def test_config_values_are_checked(key, value, message):
  c = raft_config.get_config()
  c.cycles = []
  section, name = key.split('.')
  c[section][name] = value
  with pytest.raises(ValueError, match=message):
    raft.check_config(c)


def test_cycle_overrides_are_checked():
  c = raft_config.get_config()
  c.cycles = [{'raft.reward_threshold': 2.0}]
  with pytest.raises(ValueError, match=r'raft\.reward_threshold \(cycle 1\) = 2\.0'):
    raft.check_config(c)
  c.cycles = [{'raft.treshold': 0.5}]
  with pytest.raises(ValueError, match=r"cycles\[0\] = 'raft\.treshold': expected keys among"):
    raft.check_config(c)


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
  impossible.write_text(''.join(json.dumps(dict(t, tests=[dict(stdin='', stdout='never')])) + '\n'
                                for t in tiny.TASKS))
  c = tiny_config(tiny_dir, str(tmp_path / 'out'))
  c.prompts = str(impossible)
  c.raft.num_cycles = 1
  c.cycles = [{'raft.reward_threshold': 1.0, 'verifier.run_after_compile': True}]
  log = raft.run(c)
  stats = log['cycles'][0]
  assert stats['kept'] == 0 and not stats['trained'] and stats['losses'] == []
  assert stats['eval'] == log['base']  # unchanged weights are not evaluated again
  assert _jsonl(tmp_path / 'out' / 'cycle_1' / 'kept.jsonl') == []
  assert ckpt.finished_step(str(tmp_path / 'out' / 'cycle_1' / 'checkpoint')) == 1


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
  model, _ = raft.load_start_model(tiny_config(tiny_dir, out), weights.default_mesh(), os.path.join(out, 'cycle_1'))
  assert np.abs(model.layers[0].self_attn.q_proj.lora.b[...]).max() > 0


# ------------------------------------------------------------------------------- kill and resume


def _main(config_file: str, out: str) -> subprocess.Popen:
  return subprocess.Popen([sys.executable, '-m', 'raftjax.main', f'--config={config_file}',
                           f'--config.output_dir={out}'], cwd=REPO, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, env=dict(os.environ, JAX_PLATFORMS='cpu'))


@pytest.mark.slow
def test_sigkill_mid_cycle_then_resume_equals_uninterrupted(tiny_dir, tmp_path):
  config_file = tmp_path / 'tiny_config.py'
  config_file.write_text(
      f'import sys\nsys.path.insert(0, {os.path.join(REPO, "tests")!r})\n'
      'from test_raft import tiny_config\n\n'
      f'def get_config():\n  return tiny_config({tiny_dir!r}, "unset")\n')
  whole, killed = str(tmp_path / 'whole'), str(tmp_path / 'killed')
  proc = _main(str(config_file), whole)
  assert proc.wait(timeout=600) == 0, proc.stderr.read()

  proc = _main(str(config_file), killed)
  samples = os.path.join(killed, 'cycle_2', 'samples.jsonl')
  deadline = time.time() + 600
  while not (os.path.exists(samples) and os.path.getsize(samples) > 0):  # mid-cycle 2: some samples written
    assert proc.poll() is None and time.time() < deadline, 'run ended before it could be killed'
    time.sleep(0.05)
  proc.send_signal(signal.SIGKILL)
  proc.wait(timeout=60)
  assert not os.path.exists(os.path.join(killed, 'cycle_2', 'stats.json'))

  proc = _main(str(config_file), killed)
  assert proc.wait(timeout=600) == 0, proc.stderr.read()
  for cycle in (1, 2):
    for name in ('samples.jsonl', 'kept.jsonl'):
      a, b = (_jsonl(os.path.join(d, f'cycle_{cycle}', name)) for d in (whole, killed))
      strip = lambda rows: [{k: v for k, v in r.items() if not k.endswith('_s')} for r in rows]  # timings
      assert strip(a) == strip(b), (cycle, name)
  a, b = (_saved_params(os.path.join(d, 'cycle_2', 'checkpoint')) for d in (whole, killed))
  jax.tree.map(np.testing.assert_array_equal, a, b)
  with open(os.path.join(whole, 'training_log.json')) as f, open(os.path.join(killed, 'training_log.json')) as g:
    la, lb = json.load(f), json.load(g)
  assert [c['losses'] for c in la['cycles']] == [c['losses'] for c in lb['cycles']]
