"""Orbax checkpoints of a RAFT cycle: `<output_dir>/cycle_N/checkpoint/N/{params, optimizer, meta}`.

Saved per cycle (by an `ocp.CheckpointManager` rooted at `cycle_N/checkpoint`, step = N): the trainable
parameters (LoRA adapters, or every weight for full fine-tuning), the optimizer state, and JSON metadata
(the cycle, the base checkpoint, the LoRA settings, the cycle's RNG seeds and stats). Every random draw of
a cycle (sampling, data order, dropout) is seeded from (`seed`, cycle), so those seeds are its whole RNG
state. The frozen base is not copied: `meta['base']` names where it loads from.

Orbax writes a step to a temporary directory and renames it when complete, so a write that fails or is
killed leaves no step behind: that cycle counts as unfinished, and the previous cycle stays loadable.
"""

import os

import jax
import orbax.checkpoint as ocp
from flax import nnx

from raftjax import train
from raftjax.model import Llama


def cycle_dir(output_dir: str, cycle: int) -> str:
  return os.path.join(output_dir, f'cycle_{cycle}')


def _manager(directory: str) -> ocp.CheckpointManager:
  return ocp.CheckpointManager(os.path.abspath(directory),
                               item_names=('params', 'optimizer', 'meta'))


def _pure(state) -> dict:
  return state.to_pure_dict()


def save(directory: str, cycle: int, model: Llama, optimizer: nnx.Optimizer | None, meta: dict,
         full_finetune: bool) -> None:
  """Saves cycle `cycle`'s trainable weights and optimizer state; blocks until written."""
  items = dict(params=ocp.args.StandardSave(_pure(nnx.state(model, train.trainable(full_finetune)))),
               meta=ocp.args.JsonSave(meta))
  if optimizer is not None:  # a cycle that kept nothing trains nothing and has no optimizer
    items['optimizer'] = ocp.args.StandardSave(_pure(nnx.state(optimizer)))
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

  params = nnx.state(model, train.trainable(full_finetune))
  abstract = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=x.sharding), _pure(params))
  with _manager(directory) as mngr:
    out = mngr.restore(step, args=ocp.args.Composite(params=ocp.args.StandardRestore(abstract),
                                                     meta=ocp.args.JsonRestore()))
  nnx.replace_by_pure_dict(params, out['params'])
  nnx.update(model, params)
  return out['meta']
