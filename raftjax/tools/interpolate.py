"""Moves a fine-tuned checkpoint along the line from its base: weights = base + alpha * (trained - base).

  python -m raftjax.tools.interpolate --checkpoint=runs/raft/cycle_1_final --alpha=0.5 --output=runs/raft/wise_0.5

Why: RAFT sharpens what the model it starts from samples and drops tasks that model solved rarely
(records/sft). Averaging a fine-tuned model with the one it started from trades some of the gain back for
breadth (WiSE-FT, Wortsman et al. 2022; WARP's interpolation towards the initialisation, Ramé et al. 2024),
and alpha > 1 extrapolates past it (ExPO, Zheng et al. 2024). The base is what the checkpoint was trained
on, as its metadata names it: the SFT model for a RAFT cycle on top of an SFT stage, the HF/GGUF model for
an SFT epoch or a plain run.

A LoRA checkpoint's update is `a @ b * alpha_lora / rank`, linear in `b`: scaling `b` by alpha is the exact
interpolation, and the output stays a LoRA checkpoint of the same base. A full fine-tune's weights are
mixed with the base's, in float32. The output is a raftjax checkpoint like the input (OUT/checkpoint/<step>/,
the same metadata plus `interpolated`: source and alpha): `tools.evaluate`, `tools.export` and
`sft_checkpoint` take it. It is built in `.OUT.partial` and renamed when complete; a non-empty OUT is an
error unless `--overwrite`.
"""

import logging
import math
import os
import sys

import jax
import jax.numpy as jnp
from flax import nnx

from raftjax import cli
from raftjax.model import checkpoint as ckpt
from raftjax.model.llama import Llama
from raftjax.tools import export

log = logging.getLogger(__name__)


def interpolated(model: Llama, base: Llama | None, alpha: float) -> None:
  """Moves `model` in place to base + alpha * (model - base): its LoRA `b`s scaled by alpha when `base` is
  None (the update of a LoRA model is linear in them), else every weight mixed with `base`'s."""
  if base is None:
    for _, lora in export.lora_modules(model):
      lora.b.set_value(lora.b.get_value() * alpha)
    return

  def mix(w, b):
    w32, b32 = w.astype(jnp.float32), b.astype(jnp.float32)
    return (b32 + alpha * (w32 - b32)).astype(w.dtype)

  nnx.update(model, jax.tree.map(mix, nnx.state(model, nnx.Param), nnx.state(base, nnx.Param)))


def interpolate(checkpoint: str, alpha: float, out: str, overwrite: bool = False) -> None:
  """Writes the checkpoint `alpha` of the way from `checkpoint`'s base to it (1: itself) to `out`."""
  directory = export.find_checkpoint(checkpoint)
  meta = ckpt.read_meta(directory)
  export.check_output(out, checkpoint, overwrite)
  model = export.load(directory, meta)
  full = meta['full_finetune']
  base = ckpt.base_model(meta['base'], export.host_mesh(), **ckpt.saved_layout(meta)) if full else None
  interpolated(model, base, alpha)
  step, saved = ckpt.finished_step(directory), dict(meta, interpolated=dict(source=checkpoint, alpha=alpha))
  export.write_dir(out, lambda tmp: ckpt.save(os.path.join(tmp, 'checkpoint'), step, model, saved, full))
  log.info('Wrote %s: %s moved %g of the way from its base %s', out, checkpoint, alpha, meta['base'])


def main(argv) -> None:
  from absl import app, flags

  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  cli.log_info()
  f = flags.FLAGS
  if not math.isfinite(f.alpha):
    cli.fail(f'--alpha={f.alpha}: expected a finite number (0 = the base, 1 = the checkpoint, 0.5 = halfway)')
  try:
    interpolate(f.checkpoint, f.alpha, f.output, f.overwrite)
  except export.ExportError as e:
    sys.exit(f'raftjax.tools.interpolate: {e}')


if __name__ == '__main__':
  from absl import flags

  flags.DEFINE_string(
    'checkpoint', None, 'raftjax checkpoint (cycle_N, cycle_N_final, sft/final, or its checkpoint/)', required=True
  )
  flags.DEFINE_float('alpha', None, 'where on the line from the base (0) to the checkpoint (1)', required=True)
  flags.DEFINE_string(
    'output', None, 'directory to write (must not exist or be empty, unless --overwrite)', required=True
  )
  flags.DEFINE_bool('overwrite', False, 'replace a non-empty --output')
  cli.run(main)
