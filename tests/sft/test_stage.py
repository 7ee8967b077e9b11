"""The SFT stage (raftjax.sft.stage) on the tiny model: it trains on the answers only, evaluates and
checkpoints every epoch, keeps the best, resumes after a kill to the same weights, and RAFT then starts
from its result with the SFT adapters merged into the base."""

import json
import os
import shutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from raftjax import rundir
from raftjax.model import checkpoint
from raftjax.model import mesh as mesh_lib
from raftjax.rl import loop
from raftjax.sft import stage

import helpers

pytestmark = pytest.mark.slow  # whole runs or several processes: the full suite, not the fast tier

DOUBLE = (
  '#include <stdio.h>\nint main(void) {\n  int n;\n  if (scanf("%d", &n) != 1) return 1;\n'
  '  printf("%d\\n", 2 * n);\n  return 0;\n}\n'
)
ECHO = (
  '#include <stdio.h>\nint main(void) {\n  int n;\n  if (scanf("%d", &n) != 1) return 1;\n'
  '  printf("%d\\n", n);\n  return 0;\n}\n'
)


def _config(tiny_dir, tmp_path):
  data = tmp_path / 'sft.jsonl'
  data.write_text(
    ''.join(
      json.dumps(line) + '\n'
      for line in [
        {'prompt': 'Double a number.', 'completion': f'```c\n{DOUBLE}```'},
        {
          'messages': [
            {'role': 'user', 'content': 'Echo a number.'},
            {'role': 'assistant', 'content': f'```c\n{ECHO}```'},
          ]
        },
        {'prompt': 'Print hello!', 'completion': '```c\n#include <stdio.h>\nint main(void) { puts("hello"); }\n```'},
      ]
      * 4
    )
  )
  c = helpers.tiny_config(tiny_dir, str(tmp_path / 'run'))
  c.sft.data = str(data)
  c.sft.num_examples = 0
  c.sft.epochs = 2
  c.sft.learning_rate = 3e-3
  c.raft.num_cycles = 1
  return c


def test_sft_stage_then_raft_from_its_best_epoch(tiny_dir, tmp_path):
  c = _config(tiny_dir, tmp_path)
  final = stage.run(c)
  out = rundir.sft_dir(c.output_dir)
  assert final == rundir.sft_final(c.output_dir)
  log = json.load(open(os.path.join(out, rundir.SFT_LOG)))
  assert [e['epoch'] for e in log['epochs']] == [1, 2] and log['best_epoch'] in (1, 2)
  assert log['data'] == f'12 of the 12 examples of {c.sft.data}'
  assert log['epochs'][1]['loss_last'] < log['epochs'][0]['loss_first']
  assert set(log['evaluation']) >= {'compile_rate', 'pass_rate', 'mean_reward'}
  meta = checkpoint.read_meta(checkpoint.find(final))
  assert meta['stage'] == 'sft' and meta['epoch'] == log['best_epoch'] and meta['base'] == c.sft_checkpoint
  kinds = {json.loads(line)['kind'] for line in open(os.path.join(out, 'metrics.jsonl'))}
  assert kinds == {'train_step', 'cycle'} and os.listdir(os.path.join(out, 'tensorboard'))
  assert stage.run(c) == final  # finished: not run again

  # As a base: the adapters merged into the kernels compute what base + adapters computed.
  mesh = mesh_lib.make_mesh((1, 1, 1), ('data', 'fsdp', 'tensor'), devices=jax.devices()[:1])
  adapted, tokenizer, _ = checkpoint.load(final, mesh, None)
  merged, _, meta_as_base = checkpoint.load(
    final, mesh, dict(rank=4, alpha=8.0, targets=['q_proj', 'up_proj']), as_base=True
  )
  ids = jnp.asarray([tokenizer.encode('int main(void) { return 0; }')])
  np.testing.assert_allclose(np.asarray(merged(ids)), np.asarray(adapted(ids)), atol=2e-5)
  assert meta_as_base is None

  # RAFT from it: its base evaluation is the SFT stage's best epoch's, and its cycles sit on that base.
  c.sft_checkpoint = final
  training_log = loop.run(c)
  best = log['epochs'][log['best_epoch'] - 1]['eval']
  assert {k: training_log['base'][k] for k in ('compile_rate', 'pass_rate', 'mean_reward')} == {
    k: best[k] for k in ('compile_rate', 'pass_rate', 'mean_reward')
  }
  cycle_meta = checkpoint.read_meta(checkpoint.find(rundir.cycle_dir(c.output_dir, 1)))
  assert (
    cycle_meta['base'] == final
    and checkpoint.root_base(rundir.cycle_dir(c.output_dir, 1)) == helpers.tiny_config(tiny_dir, '').sft_checkpoint
  )


def test_a_killed_sft_stage_resumes_to_the_same_weights(tiny_dir, tmp_path):
  c = _config(tiny_dir, tmp_path)
  stage.run(c)
  out = rundir.sft_dir(c.output_dir)
  first = helpers.saved_params(os.path.join(rundir.epoch_dir(c.output_dir, 2), 'checkpoint'))
  # What a kill during epoch 2 leaves: epoch 1 finished, no epoch 2, no result.
  shutil.rmtree(rundir.epoch_dir(c.output_dir, 2))
  shutil.rmtree(rundir.sft_final(c.output_dir))
  log = json.load(open(os.path.join(out, rundir.SFT_LOG)))
  log.update(epochs=log['epochs'][:1], best_epoch=None)
  rundir.write_json(os.path.join(out, rundir.SFT_LOG), log)
  stage.run(c)
  again = helpers.saved_params(os.path.join(rundir.epoch_dir(c.output_dir, 2), 'checkpoint'))
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6), first, again)
  log = json.load(open(os.path.join(out, rundir.SFT_LOG)))
  assert [e['epoch'] for e in log['epochs']] == [1, 2] and checkpoint.find(rundir.sft_final(c.output_dir))
