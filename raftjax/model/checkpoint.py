"""Orbax checkpoints of a stage: a RAFT cycle (`<output_dir>/cycle_N/checkpoint/N/`) or an SFT epoch
(`<output_dir>/sft/epoch_N/checkpoint/N/`), each `{params, meta}` and, for SFT, `optimizer`.

Saved per cycle or epoch (an `ocp.CheckpointManager` rooted at `.../checkpoint`, step = N): the trainable
parameters (LoRA adapters, or every weight for full fine-tuning) and JSON metadata (the stage and step,
the base checkpoint, the LoRA settings, the RNG seeds, the layers' layout `scan_layers`). Every random
draw (sampling, data order, dropout) is seeded from (`seed`, cycle or epoch), and every RAFT cycle starts a
fresh optimizer, so the weights and those seeds are the whole state a resumed run needs; an SFT epoch also
saves its optimizer, so that the next epoch resumes it. The frozen base is not copied: `meta['base']`
names where it loads from, and may itself be a raftjax checkpoint (RAFT on top of SFT).

Orbax writes a step to a temporary directory and renames it when complete, so a write that fails or is
killed leaves no step behind: that cycle counts as unfinished, and the previous cycle stays loadable.

`load` is the one way a model is built from a checkpoint name: a base (HF directory, .gguf, the embedded
SmolLM2) gets fresh adapters; a raftjax checkpoint gets its base and its saved weights (to resume or
evaluate it), or, `as_base`, those weights merged into the base and fresh adapters on top (to train a next
stage from it: RAFT from an SFT checkpoint). A base that is itself a raftjax checkpoint is built that way,
recursively; `root_base` names the HF/GGUF model at the bottom (its tokenizer and config).
"""

import os

import jax
import orbax.checkpoint as ocp
from flax import nnx
from jax.sharding import Mesh

from raftjax.model import weights
from raftjax.model.llama import Llama
from raftjax.model.lora import add_lora, merge, trainable


def _manager(directory: str, optimizer: bool = False) -> ocp.CheckpointManager:
  names = ('params', 'meta', 'optimizer') if optimizer else ('params', 'meta')
  return ocp.CheckpointManager(os.path.abspath(directory), item_names=names)


def save(directory: str, step: int, model: Llama, meta: dict, full_finetune: bool, optimizer=None) -> None:
  """Saves the trainable weights and metadata (plus the layers' layout) of cycle or epoch `step`, and the
  optimizer's state when given; blocks until written."""
  items = dict(
    params=ocp.args.StandardSave(nnx.to_pure_dict(nnx.state(model, trainable(full_finetune)))),
    meta=ocp.args.JsonSave(dict(meta, scan_layers=model.cfg.scan_layers)),
  )
  if optimizer is not None:
    items['optimizer'] = ocp.args.StandardSave(nnx.to_pure_dict(nnx.state(optimizer, nnx.optimizer.OptState)))
  with _manager(directory, optimizer is not None) as mngr:
    mngr.save(step, args=ocp.args.Composite(**items))
    mngr.wait_until_finished()


def restore_optimizer(directory: str, optimizer) -> None:
  """Loads the optimizer state saved with the step under `directory` into `optimizer` (built the same way)."""
  step = finished_step(directory)
  state = nnx.state(optimizer, nnx.optimizer.OptState)
  abstract = jax.tree.map(
    lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=x.sharding), nnx.to_pure_dict(state)
  )
  with _manager(directory, True) as mngr:
    out = mngr.restore(step, args=ocp.args.Composite(optimizer=ocp.args.StandardRestore(abstract)))
  nnx.replace_by_pure_dict(state, out['optimizer'])
  nnx.update(optimizer, state)


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


def stage_finished(directory: str) -> bool:
  """Whether a cycle's or an SFT epoch's directory is finished: its stats.json (written last) and a
  complete checkpoint are there; a kill at any moment before leaves it unfinished, to be run again."""
  return (
    os.path.exists(os.path.join(directory, 'stats.json'))
    and finished_step(os.path.join(directory, 'checkpoint')) is not None
  )


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
  abstract = jax.tree.map(
    lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=x.sharding), nnx.to_pure_dict(params)
  )
  with _manager(directory) as mngr:
    out = mngr.restore(
      step, args=ocp.args.Composite(params=ocp.args.StandardRestore(abstract), meta=ocp.args.JsonRestore())
    )
  nnx.replace_by_pure_dict(params, out['params'])
  nnx.update(model, params)
  return out['meta']


def root_base(source: str) -> str:
  """The HF directory, GGUF file or embedded model name at the bottom of `source`'s chain of bases."""
  directory = find(source)
  return root_base(read_meta(directory)['base']) if directory else source


def check(source: str, prompt_format: str = '') -> None:
  """`weights.check` of the model at the bottom of `source` (itself, or a raftjax checkpoint's root base):
  one CheckpointError naming what is missing, before any weight is read."""
  weights.check(root_base(source), prompt_format)


def base_model(source: str, mesh: Mesh, **overrides) -> Llama:
  """`source` as frozen base weights: a base checkpoint as it is, a raftjax checkpoint with its trained
  weights merged in (its adapters folded into the kernels, `lora.merge`)."""
  directory = find(source)
  if directory is None:
    return weights.load_model(source, mesh, **overrides)
  model, _, _ = load(source, mesh, None, **overrides)
  merge(model)
  return model


def load(
  source: str,
  mesh: Mesh,
  lora: dict | None,
  *,
  as_base: bool = False,
  lora_dropout: float = 0.0,
  seed: int = 0,
  **overrides,
) -> tuple[Llama, object, dict | None]:
  """(model, tokenizer, metadata) of `source`, the weights on `mesh`; metadata is None for a base and for
  a raftjax checkpoint loaded `as_base`.

  A raftjax checkpoint (`cycle_N`, `cycle_N_final`, `sft/final`, `.../checkpoint`): its base, with the
  adapters (or all weights) it saved, in the layers' layout it saved them in (`saved_layout`); `as_base`,
  those weights merged into the base and fresh adapters `lora` on top. A base checkpoint: fresh adapters
  `lora` (dict of rank, alpha, targets), or none when `lora` is None (a full fine-tune). `overrides` set
  ModelConfig fields (dtypes, `scan_layers`).
  """
  directory = find(source)
  meta = read_meta(directory) if directory else None
  if meta:
    overrides.update(saved_layout(meta))
  if as_base and meta:
    model, meta = base_model(source, mesh, **overrides), None
  else:
    model = base_model(meta['base'] if meta else source, mesh, **overrides)
  full = meta['full_finetune'] if meta else lora is None
  if not full:
    lora = meta['lora'] if meta else lora
    add_lora(model, lora['rank'], lora['alpha'], lora_dropout, lora['targets'], seed)
  if meta:
    restore(directory, model, full)
  model.eval()
  return model, weights.load_tokenizer(root_base(source)), meta
