"""Helpers shared by the tests (fixtures are in conftest.py; the tiny C-writing model in tiny.py)."""

import os
import pathlib

import jax
import numpy as np

from configs import raft as raft_config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A tiny LLaMA-family config in transformers' spelling: GQA (6 heads, 2 KV heads), 2 layers.
TINY_HF = dict(
  vocab_size=96,
  hidden_size=48,
  intermediate_size=80,
  num_hidden_layers=2,
  num_attention_heads=6,
  num_key_value_heads=2,
  max_position_embeddings=128,
  rms_norm_eps=1e-5,
)


def save_random_hf_model(config_cls, kwargs: dict, path: str, **save_kwargs):
  """A random transformers model of `config_cls(**kwargs)` saved as safetensors to `path`; biases and norm
  weights are moved off their 0 / 1 initial values, so those paths are really exercised."""
  import torch
  import transformers

  torch.manual_seed(0)
  model = transformers.AutoModelForCausalLM.from_config(config_cls(**kwargs)).float().eval()
  with torch.no_grad():
    for name, p in model.named_parameters():
      if name.endswith('bias') or 'norm' in name:
        p.add_(0.1 * torch.randn_like(p))
  model.save_pretrained(path, safe_serialization=True, **save_kwargs)
  return model


def tiny_config(tiny_dir: str, output_dir: str):
  """configs/raft.py shrunk to the tiny model (tests/tiny.py): 2 cycles of 4 tasks x 4 samples."""
  c = raft_config.get_config()
  c.sft_checkpoint = os.path.join(tiny_dir, 'model')
  c.output_dir = output_dir
  c.prompts = os.path.join(tiny_dir, 'tasks.jsonl')
  c.eval_prompts = os.path.join(tiny_dir, 'eval.jsonl')
  c.mesh.shape = (1, 1, 1)
  c.sft.data = ''  # RAFT from the tiny model itself; the SFT stage's tests turn it on
  c.raft.num_cycles = 2
  c.raft.samples_per_prompt = 4
  c.raft.early_stopping = False  # these tests check two full cycles
  c.generation.max_new_tokens = 40
  c.generation.batch_size = 2
  # The chunked path, which these tests count calls and rows of; the slot engine (the default) draws the
  # same samples: tests/generate/test_slots.py, tests/rl/test_loop.py, tests/test_install.py.
  c.generation.slots = 0
  c.training.batch_size = 2
  c.training.lora_rank = 4
  c.training.learning_rate = 3e-3
  c.training.max_seq_len = 256
  c.verifier.num_workers = 2
  c.cycles = [{'raft.reward_threshold': 0.3}, {'raft.reward_threshold': 0.5, 'verifier.run_after_compile': True}]
  return c


def read_jsonl(path) -> list[dict]:
  import json

  with open(path) as f:
    return [json.loads(line) for line in f]


def write_jsonl(path, rows) -> str:
  import json

  with open(path, 'w') as f:
    f.writelines(json.dumps(r) + '\n' for r in rows)
  return str(path)


def saved_params(directory: str) -> dict:
  """The saved trainable params of an Orbax cycle checkpoint as numpy arrays, whoever wrote them."""
  import orbax.checkpoint as ocp

  from raftjax.model import checkpoint as ckpt

  path = os.path.join(directory, str(ckpt.finished_step(directory)), 'params')
  checkpointer = ocp.PyTreeCheckpointer()
  as_numpy = jax.tree.map(
    lambda _: ocp.RestoreArgs(restore_type=np.ndarray), checkpointer.metadata(path).item_metadata.tree
  )
  return checkpointer.restore(path, args=ocp.args.PyTreeRestore(restore_args=as_numpy))


def reference_files(tasks: list[dict], directory) -> dict[str, pathlib.Path]:
  """{task id: path} of each task's "reference" written to `directory/<id>.c` (for tools that take files)."""
  out = {}
  for task in tasks:
    out[task['id']] = pathlib.Path(directory) / f'{task["id"]}.c'
    out[task['id']].write_text(task['reference'])
  return out


def misjudged_references(tasks: list[dict], solutions) -> tuple[list, list]:
  """Verifies each task's reference solution (its "reference", else `solutions/<id>.c`) and wrong variant
  `<id>.wrong.c` (where there
  is one) in one batch with the real verifier. Returns the references that did not get reward 1.0 and the
  wrong variants that did not compile, exit 0 and fail a test, as (id, reward, stage, detail) rows."""
  from raftjax.sections import VerifierConfig
  from raftjax.verifier.pool import Verifier

  batch, completions, labels = [], [], []
  for task in tasks:
    for kind, suffix in (('ref', '.c'), ('wrong', '.wrong.c')):
      path = os.path.join(solutions, task['id'] + suffix)
      if kind == 'ref' and task.get('reference'):
        code = task['reference']
      elif os.path.exists(path):
        with open(path) as f:
          code = f.read()
      else:
        continue
      completions.append('```c\n' + code + '\n```')
      batch.append(task)
      labels.append((task['id'], kind))
  with Verifier(VerifierConfig(run_after_compile=True)) as verifier:
    results = verifier.verify_batch(batch, completions)  # one pool, one batch
  assert len(results) == len(batch)
  rows = [((i, r['reward'], r['stage'], r['detail']), kind, r) for (i, kind), r in zip(labels, results)]
  bad_refs = [row for row, kind, r in rows if kind == 'ref' and not (r['stage'] == 'correct' and r['reward'] == 1.0)]
  bad_wrongs = [
    row for row, kind, r in rows if kind == 'wrong' and not (r['stage'] == 'tests_failed' and r['reward'] < 1.0)
  ]
  return bad_refs, bad_wrongs


_TORCH_WATCH = """import atexit, importlib.abc, os, sys, traceback

_stacks = []


class _Watch(importlib.abc.MetaPathFinder):
  def find_spec(self, name, path, target=None):  # also asked by availability checks that import nothing
    if name == 'torch':
      _stacks.append(''.join(traceback.format_stack()))
    return None


@atexit.register
def _report():
  if sys.modules.get('torch') is not None:  # None: hidden by raftjax.cli
    with open(os.environ['RAFTJAX_TEST_TORCH_LOG'], 'w') as f:
      f.write(_stacks[-1])


sys.meta_path.insert(0, _Watch())
"""


def torch_watch_env(directory: pathlib.Path) -> tuple[dict, pathlib.Path]:
  """`(env, log)`: a subprocess run with `env` that ends with torch imported writes the import's stack to
  `log`. torch is installed here as the tests' oracle and must stay out of every user command."""
  (directory / 'sitecustomize.py').write_text(_TORCH_WATCH)
  log = directory / 'torch_imports.txt'
  path = os.pathsep.join(filter(None, [str(directory), os.environ.get('PYTHONPATH')]))
  return dict(os.environ, PYTHONPATH=path, RAFTJAX_TEST_TORCH_LOG=str(log), JAX_PLATFORMS='cpu'), log


def assert_same_samples(a: list[dict], b: list[dict], rtol: float = 0.0):
  """Two runs' sample rows are the same samples: same tokens and verdicts; timings aside, and the model's
  float outputs (log-probs, entropy) within `rtol` (a batch of another size reduces in another order)."""
  floats = ('logprob', 'token_logprobs', 'entropy')
  strip = lambda rows: [{k: v for k, v in r.items() if not k.endswith('_s') and k not in floats} for r in rows]
  assert strip(a) == strip(b)
  for key in floats:
    for x, y in zip(a, b):
      np.testing.assert_allclose(x[key], y[key], rtol=rtol, err_msg=f'{x["prompt_id"]} {x["sample_index"]} {key}')
