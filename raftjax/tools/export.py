"""Exports a raftjax cycle for Hugging Face: a merged model directory, or a PEFT LoRA adapter.

  python -m raftjax.tools.export --checkpoint=runs/raft/cycle_2_final --output=exported/merged --merge
  python -m raftjax.tools.export --checkpoint=runs/raft/cycle_2_final --output=exported/adapter [--nomerge]

`--checkpoint` is a raftjax cycle directory (`cycle_N`, `cycle_N_final`) or its `checkpoint/` subdirectory.
Its metadata names the base model (an HF directory, a .gguf file or 'smollm2-135m-instruct'; a relative
path resolves against the current directory, as it did in the run), which is loaded, on the host CPU,
before the cycle's weights.

Merged (`--merge`; the default for a full fine-tune): `model.safetensors` (float32; above `--max_shard_gb`,
shards plus `model.safetensors.index.json`) with every LoRA update (alpha / rank) * A @ B added to its
base weight, `config.json` (the base's own, model_type llama / mistral / qwen2; for a GGUF base a
LlamaConfig built from the loaded model's shapes), `generation_config.json` and the tokenizer:

    model = transformers.AutoModelForCausalLM.from_pretrained('exported/merged')
    tokenizer = transformers.AutoTokenizer.from_pretrained('exported/merged')

Adapter (the default for LoRA checkpoints; `--nomerge` insists, and fails for a full fine-tune):
`adapter_config.json` (peft_type LORA, r, lora_alpha, target_modules; PEFT scales by lora_alpha / r, as
raftjax does by alpha / rank), `adapter_model.safetensors` (`base_model.model.<module>.lora_A.weight`
[r, in] and `.lora_B.weight` [out, r]) and the tokenizer. `base_model_name_or_path` is the base as the
checkpoint names it; load that base with transformers:

    base = transformers.AutoModelForCausalLM.from_pretrained('/path/to/base', dtype=torch.float32)
    model = peft.PeftModel.from_pretrained(base, 'exported/adapter')

GGUF bases: the merged export holds dequantized float32 weights, not the quantized ones. For the adapter,
transformers must load the base from the GGUF file itself; for the built-in SmolLM2:

    path = raftjax.model.weights.resolve('smollm2-135m-instruct')
    base = AutoModelForCausalLM.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path))

Nothing is written to OUT until the export is complete: it is built in `.OUT.partial` beside OUT and
renamed. An existing non-empty OUT is an error unless `--overwrite` (which replaces it).
"""

import logging
import math
import os
import shutil
import sys
from collections.abc import Iterable, Iterator

import jax
import numpy as np
from flax import nnx

from raftjax import cli, rundir
from raftjax.model import checkpoint as ckpt
from raftjax.model import mesh as mesh_lib
from raftjax.model import weights
from raftjax.model.llama import Linear, Llama, ModelConfig
from raftjax.model.lora import LoRA

log = logging.getLogger(__name__)

PEFT_PREFIX = 'base_model.model.'  # PeftModel wraps the CausalLM: its keys name the CausalLM's modules


class ExportError(ValueError):
  """A checkpoint, output or mode that cannot be exported; the message says what was expected."""


# --------------------------------------------------------------------------------------- checkpoint


def find_checkpoint(path: str) -> str:
  """The Orbax directory of a raftjax cycle given as `cycle_N`, `cycle_N_final` or `.../checkpoint`."""
  if not os.path.isdir(path):
    raise ExportError(f'{path}: no such directory; expected a raftjax cycle directory (cycle_N, cycle_N_final)')
  directory = ckpt.find(path)
  if directory:
    return directory
  raise ExportError(
    f'{path}: not a finished raftjax checkpoint; expected a cycle directory (cycle_N, '
    'cycle_N_final) holding checkpoint/<step>/ with a completed Orbax step, or that checkpoint/'
  )


def host_mesh():
  """One host CPU device: a host job's output is host arrays anyway, and a float32 copy may not fit on one
  accelerator."""
  return mesh_lib.make_mesh((1, 1, 1), ('data', 'fsdp', 'tensor'), devices=jax.devices('cpu')[:1])


def load(directory: str, meta: dict) -> Llama:
  """The base model on the host CPU, with the checkpoint's weights (adapters or all) restored."""
  try:
    return ckpt.load(directory, host_mesh(), None)[0]
  except FileNotFoundError as e:
    raise ExportError(f'{directory} was trained on base {meta["base"]!r}, which cannot be loaded: {e}') from e


def lora_modules(model: Llama) -> list[tuple[tuple, LoRA]]:
  """(path of the projection, its adapter) for every projection that has one (one stacked adapter per
  projection of a scanned stack)."""
  return [(path, m.lora) for path, m in nnx.iter_modules(model) if isinstance(m, Linear) and m.lora is not None]


# ------------------------------------------------------------------------------------------- merged


def merged_params(model: Llama) -> Iterator[tuple[tuple, np.ndarray]]:
  """(path, host array) of every base weight, each kernel with its LoRA update added, one layer's at a
  time (a scanned stack is taken apart: paths are per layer, as HF names are)."""
  deltas = {(*path, 'kernel'): lora for path, lora in lora_modules(model)}
  base = nnx.state(model, nnx.All(nnx.Param, nnx.Not(nnx.LoRAParam)))
  for path, var in nnx.to_flat_state(base):
    for layer_path, w in weights.per_layer(path, var.get_value()):
      w = np.asarray(w, np.float32)
      if path in deltas:
        w = w + np.asarray(deltas[path].delta(None if layer_path == path else layer_path[1]), np.float32)
      yield layer_path, w


def _shards(tensors: Iterable[tuple[str, np.ndarray]], max_bytes: int) -> Iterator[dict[str, np.ndarray]]:
  shard, size = {}, 0
  for name, w in tensors:
    if shard and size + w.nbytes > max_bytes:
      yield shard
      shard, size = {}, 0
    shard[name] = np.ascontiguousarray(w)
    size += w.nbytes
  yield shard


def write_safetensors(tensors: Iterable[tuple[str, np.ndarray]], directory: str, max_shard_bytes: int) -> None:
  """`model.safetensors`, or shards plus the index transformers reads; holds one shard at a time."""
  from safetensors.numpy import save_file

  files, weight_map, total = [], {}, 0
  for i, shard in enumerate(_shards(tensors, max_shard_bytes), 1):
    files.append(os.path.join(directory, f'model-{i:05d}.safetensors'))
    save_file(shard, files[-1], metadata={'format': 'pt'})  # transformers refuses files without 'format'
    weight_map.update(dict.fromkeys(shard, i - 1))
    total += sum(w.nbytes for w in shard.values())
  if len(files) == 1:
    os.rename(files[0], os.path.join(directory, 'model.safetensors'))
    return
  # Shard names carry the count, known only now.
  names = [f'model-{i:05d}-of-{len(files):05d}.safetensors' for i in range(1, len(files) + 1)]
  for file, name in zip(files, names):
    os.rename(file, os.path.join(directory, name))
  rundir.write_json(
    os.path.join(directory, 'model.safetensors.index.json'),
    dict(metadata=dict(total_size=total), weight_map={k: names[i] for k, i in weight_map.items()}),
  )


def hf_config(base: str, cfg: ModelConfig, tokenizer):
  """The transformers config of the merged model: the base's own, or a LlamaConfig for a GGUF base."""
  import transformers

  path = weights.resolve(base)
  if os.path.isdir(path):
    config = transformers.AutoConfig.from_pretrained(path)  # keeps model_type, RoPE scaling, token ids
  else:
    # config_from_gguf never reads RoPE scaling, so the default RoPE is the loaded model's.
    config = transformers.LlamaConfig(
      vocab_size=cfg.vocab_size,
      hidden_size=cfg.hidden_size,
      intermediate_size=cfg.intermediate_size,
      num_hidden_layers=cfg.num_layers,
      num_attention_heads=cfg.num_heads,
      num_key_value_heads=cfg.num_kv_heads,
      head_dim=cfg.head_dim,
      rope_parameters=dict(rope_type='default', rope_theta=cfg.rope_theta),
      rms_norm_eps=cfg.rms_norm_eps,
      tie_word_embeddings=cfg.tie_embeddings,
      max_position_embeddings=cfg.max_position_embeddings,
      bos_token_id=tokenizer.bos_token_id,
      eos_token_id=tokenizer.eos_token_id,
      pad_token_id=tokenizer.pad_token_id,
      architectures=['LlamaForCausalLM'],
    )
  config.dtype = 'float32'  # what the weights are: a bf16 base would otherwise load rounded
  return config


def export_merged(model: Llama, meta: dict, out: str, max_shard_bytes: int) -> None:
  import transformers

  root = ckpt.root_base(meta['base'])  # an SFT checkpoint's base: the HF model under it
  tokenizer = weights.load_tokenizer(root)
  write_safetensors(weights.to_hf(merged_params(model)), out, max_shard_bytes)
  config = hf_config(root, model.cfg, tokenizer)
  config.save_pretrained(out)
  path = weights.resolve(root)
  if os.path.isfile(os.path.join(path, 'generation_config.json')):
    generation = transformers.GenerationConfig.from_pretrained(path)  # the base's sampling defaults
  else:
    generation = transformers.GenerationConfig.from_model_config(config)
  generation.save_pretrained(out)
  tokenizer.save_pretrained(out)


# ------------------------------------------------------------------------------------------ adapter


def adapter_tensors(model: Llama) -> dict[str, np.ndarray]:
  """PEFT's LoRA tensors: lora_A [r, in] and lora_B [out, r], inputs and outputs flattened HF's way."""
  out = {}
  for stacked_path, lora in lora_modules(model):
    stacked_a, stacked_b = np.asarray(lora.a[...], np.float32), np.asarray(lora.b[...], np.float32)
    for (path, a), (_, b) in zip(
      weights.per_layer(stacked_path, stacked_a), weights.per_layer(stacked_path, stacked_b)
    ):
      module = PEFT_PREFIX + weights.hf_name((*path, 'kernel')).removesuffix('.weight')
      out[f'{module}.lora_A.weight'] = np.ascontiguousarray(a.reshape(-1, a.shape[-1]).T)  # [*in, r] -> [r, in]
      out[f'{module}.lora_B.weight'] = np.ascontiguousarray(b.reshape(b.shape[0], -1).T)  # [r, *out] -> [out, r]
  return out


def adapter_config(model: Llama, meta: dict) -> dict:
  lora = meta['lora']
  return dict(
    peft_type='LORA',
    task_type='CAUSAL_LM',
    r=lora['rank'],
    lora_alpha=lora['alpha'],
    target_modules=sorted({path[-1] for path, _ in lora_modules(model)}),  # our module names are HF's
    lora_dropout=0.0,  # a training setting, not in the checkpoint; inference ignores it
    bias='none',
    use_rslora=False,
    fan_in_fan_out=False,
    inference_mode=True,
    base_model_name_or_path=meta['base'],
  )


def export_adapter(model: Llama, meta: dict, out: str) -> None:
  from safetensors.numpy import save_file

  save_file(adapter_tensors(model), os.path.join(out, 'adapter_model.safetensors'), metadata={'format': 'pt'})
  rundir.write_json(os.path.join(out, 'adapter_config.json'), adapter_config(model, meta))
  weights.load_tokenizer(meta['base']).save_pretrained(out)


# ------------------------------------------------------------------------------------------- driver


def check_output(out: str, checkpoint: str, overwrite: bool) -> None:
  if not os.path.exists(out) or (os.path.isdir(out) and not os.listdir(out)):
    return
  if not overwrite:
    raise ExportError(f'{out}: exists and is not empty; choose another --output, or pass --overwrite to replace it')
  out, checkpoint = os.path.abspath(out), os.path.abspath(checkpoint)
  if os.path.commonpath([out, checkpoint]) == out:
    raise ExportError(f'{out}: holds the checkpoint it reads ({checkpoint}); --overwrite would delete it')


def write_dir(out: str, build) -> None:
  """Runs `build(tmp)` on a fresh `.OUT.partial` beside `out`, then renames it over `out`: nothing is
  written to `out` until the whole output is there; a failure or kill leaves no partial output."""
  parent, name = os.path.split(os.path.abspath(out))
  tmp = os.path.join(parent, f'.{name}.partial')
  shutil.rmtree(tmp, ignore_errors=True)  # left by a tool that was killed
  os.makedirs(tmp)
  try:
    build(tmp)
    if os.path.isdir(out):
      shutil.rmtree(out)
    elif os.path.exists(out):
      os.remove(out)
    os.rename(tmp, out)
  except BaseException:
    shutil.rmtree(tmp, ignore_errors=True)
    raise


def export(
  checkpoint: str, out: str, merge: bool | None = None, overwrite: bool = False, max_shard_bytes: int = 5 * 2**30
) -> None:
  """Writes `checkpoint` (a raftjax cycle) to `out` as a merged HF model or a PEFT adapter.

  `merge=None` picks by the checkpoint: an adapter for LoRA, the merged model for a full fine-tune.
  """
  directory = find_checkpoint(checkpoint)
  meta = ckpt.read_meta(directory)
  on_checkpoint = ckpt.find(meta['base']) is not None  # RAFT on top of an SFT stage: no HF model under it
  if merge is None:
    merge = meta['full_finetune'] or on_checkpoint
  elif meta['full_finetune'] and not merge:
    raise ExportError(
      f'{checkpoint} is a full fine-tune: it has no LoRA adapters to export; use --merge to export the whole model'
    )
  elif on_checkpoint and not merge:
    raise ExportError(
      f'{checkpoint} was trained on top of {meta["base"]} (an SFT stage), not on an HF model: '
      'its adapters alone load on nothing; use --merge to export the whole model'
    )
  check_output(out, checkpoint, overwrite)
  model = load(directory, meta)
  if merge:
    write_dir(out, lambda tmp: export_merged(model, meta, tmp, max_shard_bytes))
  else:
    write_dir(out, lambda tmp: export_adapter(model, meta, tmp))
  log.info(
    'Exported %s (base %s) as a %s to %s',
    checkpoint,
    meta['base'],
    'merged model' if merge else 'PEFT LoRA adapter',
    out,
  )


def main(argv) -> None:
  from absl import app, flags

  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  cli.log_info()
  f = flags.FLAGS
  if not (math.isfinite(f.max_shard_gb) and 2**-20 <= f.max_shard_gb <= 2**20):
    cli.fail(f'--max_shard_gb={f.max_shard_gb}: expected a size in GiB in [2**-20, 2**20] (e.g. 5)')
  try:
    export(f.checkpoint, f.output, f.merge, f.overwrite, int(f.max_shard_gb * 2**30))
  except ExportError as e:
    sys.exit(f'raftjax.tools.export: {e}')


if __name__ == '__main__':
  from absl import flags

  flags.DEFINE_string(
    'checkpoint', None, 'raftjax cycle directory (cycle_N, cycle_N_final, or its checkpoint/)', required=True
  )
  flags.DEFINE_string(
    'output', None, 'directory to write (must not exist or be empty, unless --overwrite)', required=True
  )
  flags.DEFINE_bool(
    'merge',
    None,
    'write an HF model with the adapters merged in; --nomerge: a PEFT adapter '
    '(default: an adapter for LoRA checkpoints, the model for full fine-tunes)',
  )
  flags.DEFINE_bool('overwrite', False, 'replace a non-empty --output')
  flags.DEFINE_float('max_shard_gb', 5.0, 'merged export: largest safetensors file, in GiB')
  cli.run(main)
