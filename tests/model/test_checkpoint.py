"""Orbax checkpoints of a cycle, and `checkpoint.load`, the one way a model is built from a checkpoint name."""

import os

import jax
import numpy as np
import pytest
from flax import nnx

from raftjax.model import checkpoint as ckpt
from raftjax.model import weights
from raftjax.model.lora import add_lora

from helpers import saved_params

LORA = dict(rank=4, alpha=8.0, targets=['q_proj', 'down_proj'])


def _meta(base: str, full: bool) -> dict:
  return dict(cycle=1, base=base, full_finetune=full, lora=LORA, seeds=dict(sample=[0, 1], train=0))


def _moved(model, kind, seed: int) -> None:
  """Every `kind` parameter moved randomly (a LoRA b starts at zero: a save of it would prove nothing)."""
  state = nnx.state(model, kind)
  keys = iter(jax.random.split(jax.random.key(seed), len(jax.tree.leaves(state))))
  nnx.update(model, jax.tree.map(lambda x: x + 0.1 * jax.random.normal(next(keys), x.shape, x.dtype), state))


def test_lora_cycle_round_trip_saves_only_the_adapters(tiny_dir, tmp_path, mesh1):
  base = os.path.join(tiny_dir, 'model')
  model, _, meta = ckpt.load(base, mesh1, LORA)
  assert meta is None and np.abs(model.layers[0].self_attn.q_proj.lora.b[...]).max() == 0  # fresh adapters
  _moved(model, nnx.LoRAParam, 0)
  directory = str(tmp_path / 'cycle_1' / 'checkpoint')
  ckpt.save(directory, 1, model, _meta(base, False), full_finetune=False)

  assert ckpt.finished_step(directory) == 1 and ckpt.find(str(tmp_path / 'cycle_1')) == directory
  assert ckpt.read_meta(directory) == dict(_meta(base, False), scan_layers=False)  # save records the layout
  items = set(os.listdir(os.path.join(directory, '1')))
  assert {'meta', 'params'} <= items and 'optimizer' not in items  # a fresh optimizer every cycle: not saved
  saved = saved_params(directory)
  assert {p[-1].key for p, _ in jax.tree_util.tree_flatten_with_path(saved)[0]} == {'a', 'b'}

  loaded, tokenizer, meta = ckpt.load(str(tmp_path / 'cycle_1'), mesh1, None)
  assert meta['base'] == base and tokenizer.eos_token == '<|im_end|>'
  for a, b in zip(jax.tree.leaves(nnx.state(loaded, nnx.Param)), jax.tree.leaves(nnx.state(model, nnx.Param))):
    np.testing.assert_array_equal(a, b)
  ids = np.arange(3, 15, dtype=np.int32)[None]
  np.testing.assert_array_equal(loaded(ids), model(ids))


def test_full_finetune_round_trip(tiny_dir, tmp_path, mesh1):
  base = os.path.join(tiny_dir, 'model')
  model, _, _ = ckpt.load(base, mesh1, None, scan_layers=True)  # reloaded in the layout it was saved in
  assert not jax.tree.leaves(nnx.state(model, nnx.LoRAParam))  # no adapters for a full fine-tune
  _moved(model, nnx.Param, 1)
  ckpt.save(str(tmp_path / 'c' / 'checkpoint'), 3, model, _meta(base, True), full_finetune=True)
  loaded = ckpt.load(str(tmp_path / 'c'), mesh1, LORA)[0]  # the checkpoint says full: LORA is not used
  assert not jax.tree.leaves(nnx.state(loaded, nnx.LoRAParam))
  for a, b in zip(jax.tree.leaves(nnx.state(loaded, nnx.Param)), jax.tree.leaves(nnx.state(model, nnx.Param))):
    np.testing.assert_array_equal(a, b)


def test_checkpoints_from_before_the_scanned_layout_load_as_a_loop(tiny_dir, tmp_path, mesh1):
  """Metadata without `scan_layers` (written before the scanned layout existed) means the loop layout,
  whatever the run asks for."""
  import orbax.checkpoint as ocp

  base = os.path.join(tiny_dir, 'model')
  model, _, _ = ckpt.load(base, mesh1, LORA)
  _moved(model, nnx.LoRAParam, 2)
  with ocp.CheckpointManager(str(tmp_path / 'checkpoint'), item_names=('params', 'meta')) as mngr:  # as before
    params = ocp.args.StandardSave(nnx.to_pure_dict(nnx.state(model, nnx.LoRAParam)))
    mngr.save(1, args=ocp.args.Composite(params=params, meta=ocp.args.JsonSave(_meta(base, False))))
  loaded = ckpt.load(str(tmp_path), mesh1, None, scan_layers=True)[0]
  assert not loaded.cfg.scan_layers
  ids = np.arange(3, 15, dtype=np.int32)[None]
  np.testing.assert_array_equal(loaded(ids), model(ids))


def test_an_unfinished_write_is_no_checkpoint(tiny_dir, tmp_path, mesh1):
  model = weights.load_model(os.path.join(tiny_dir, 'model'), mesh1)
  add_lora(model, 4, 8.0, 0.0, LORA['targets'], seed=0)
  directory = str(tmp_path / 'checkpoint')
  os.makedirs(os.path.join(directory, '2.orbax-checkpoint-tmp-0'))  # what a killed save leaves
  assert ckpt.finished_step(directory) is None and ckpt.find(str(tmp_path)) is None
  with pytest.raises(FileNotFoundError, match='no finished raftjax checkpoint'):
    ckpt.restore(directory, model, full_finetune=False)
