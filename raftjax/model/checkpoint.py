"""Orbax checkpoints of a RAFT cycle: `<output_dir>/cycle_N/checkpoint/N/{params, meta}`.

Saved per cycle (by an `ocp.CheckpointManager` rooted at `cycle_N/checkpoint`, step = N): the trainable
parameters (LoRA adapters, or every weight for full fine-tuning) and JSON metadata (the cycle, the base
checkpoint, the LoRA settings, the cycle's RNG seeds, the layers' layout `scan_layers`). Every random
draw of a cycle (sampling, data order, dropout) is seeded from (`seed`, cycle), and every cycle starts a
fresh optimizer, so the weights and those seeds are the whole state a resumed run needs. The frozen base
is not copied: `meta['base']` names where it loads from.

Orbax writes a step to a temporary directory and renames it when complete, so a write that fails or is
killed leaves no step behind: that cycle counts as unfinished, and the previous cycle stays loadable.

`load` is the one way a model is built from a checkpoint name: a base (HF directory, .gguf, the embedded
SmolLM2) gets fresh adapters; a raftjax cycle gets its base and its saved weights.
"""

import os

import jax
import orbax.checkpoint as ocp
from flax import nnx
from jax.sharding import Mesh

from raftjax.model import weights
from raftjax.model.llama import Llama
from raftjax.model.lora import add_lora, trainable


def _manager(directory: str) -> ocp.CheckpointManager:
  return ocp.CheckpointManager(os.path.abspath(directory), item_names=('params', 'meta'))


def save(directory: str, cycle: int, model: Llama, meta: dict, full_finetune: bool) -> None:
  """Saves cycle `cycle`'s trainable weights and metadata (plus the layers' layout); blocks until written."""
  items = dict(params=ocp.args.StandardSave(nnx.to_pure_dict(nnx.state(model, trainable(full_finetune)))),
               meta=ocp.args.JsonSave(dict(meta, scan_layers=model.cfg.scan_layers)))
  with _manager(directory) as mngr:
    mngr.save(cycle, args=ocp.args.Composite(**items))
    mngr.wait_until_finished()


def finished_step(directory: str) -> int | None:
  """The saved step under `directory`, or None when there is none (absent, or the write never ended)."""
  if not os.path.isdir(directory):
    return None
  with _manager(directory) as mngr:
    return mngr.latest_step()


def find(path: str) -> str | None:
  """The Orbax directory of a raftjax cycle given as `cycle_N`, `cycle_N_final` or `.../checkpoint`,
  or None when `path` holds no finished raftjax checkpoint."""
  for candidate in (os.path.join(path, 'checkpoint'), path):
    if finished_step(candidate) is not None:
      return candidate
  return None


def saved_layout(meta: dict) -> dict:
  """The ModelConfig fields a cycle's checkpoint fixes: the layers' layout its weights were saved in
  (checkpoints written before the scanned layout existed are loop-layout ones)."""
  return dict(scan_layers=meta.get('scan_layers', False))


def read_meta(directory: str) -> dict:
  step = finished_step(directory)
  if step is None:
    raise FileNotFoundError(f'{directory}: no finished raftjax checkpoint')
  with _manager(directory) as mngr:
    return mngr.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))['meta']


def restore(directory: str, model: Llama, full_finetune: bool) -> dict:
  """Loads the trainable weights into `model`, onto their current shardings; returns the metadata."""
  step = finished_step(directory)
  if step is None:
    raise FileNotFoundError(f'{directory}: no finished raftjax checkpoint')
  params = nnx.state(model, trainable(full_finetune))
  abstract = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=x.sharding),
                          nnx.to_pure_dict(params))
  with _manager(directory) as mngr:
    out = mngr.restore(step, args=ocp.args.Composite(params=ocp.args.StandardRestore(abstract),
                                                     meta=ocp.args.JsonRestore()))
  nnx.replace_by_pure_dict(params, out['params'])
  nnx.update(model, params)
  return out['meta']


def load(source: str, mesh: Mesh, lora: dict | None, *, lora_dropout: float = 0.0, seed: int = 0,
         **overrides) -> tuple[Llama, object, dict | None]:
  """(model, tokenizer, metadata) of `source`, the weights on `mesh`; metadata is None for a base.

  A raftjax cycle (`cycle_N`, `cycle_N_final`, `.../checkpoint`): its base, with the adapters (or all
  weights) it saved, in the layers' layout it saved them in (`saved_layout`). A base checkpoint: fresh
  adapters `lora` (dict of rank, alpha, targets), or none when `lora` is None (a full fine-tune).
  `overrides` set ModelConfig fields (dtypes, `scan_layers`).
  """
  directory = find(source)
  meta = read_meta(directory) if directory else None
  if meta:
    overrides.update(saved_layout(meta))
  base = meta['base'] if meta else source
  model = weights.load_model(base, mesh, **overrides)
  full = meta['full_finetune'] if meta else lora is None
  if not full:
    lora = meta['lora'] if meta else lora
    add_lora(model, lora['rank'], lora['alpha'], lora_dropout, lora['targets'], seed)
  if meta:
    restore(directory, model, full)
  model.eval()
  return model, weights.load_tokenizer(base), meta
