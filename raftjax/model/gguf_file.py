"""A GGUF file (llama.cpp's format) as raftjax reads it without torch: its header as a ModelConfig, its
tensors dequantized with the `gguf` package under their Hugging Face names, with llama.cpp's permutation
of the query/key rows undone (`raftjax.model.weights` places them; the tokenizer is
`raftjax.model.tokenizer.from_gguf`)."""

from collections.abc import Iterator

import numpy as np

from raftjax.model.llama import ModelConfig


def _gguf_field(reader, key: str):
  field = reader.fields.get(key)
  if field is None:
    return None
  value = field.parts[field.data[0]]
  return bytes(value).decode() if field.types[0].name == 'STRING' else value.item()


def config_from_gguf(reader, path: str, **overrides) -> ModelConfig:
  arch = _gguf_field(reader, 'general.architecture')
  if arch != 'llama':
    raise ValueError(
      f'{path}: GGUF architecture {arch!r} is not supported; supported: llama (LLaMA, Mistral, SmolLM2 GGUFs)'
    )
  get = lambda k, default=None: v if (v := _gguf_field(reader, f'llama.{k}')) is not None else default
  hidden, heads = get('embedding_length'), get('attention.head_count')
  names = {t.name for t in reader.tensors}
  embed = next(t for t in reader.tensors if t.name == 'token_embd.weight')
  return ModelConfig(
    vocab_size=int(embed.shape[1]),
    hidden_size=hidden,
    intermediate_size=get('feed_forward_length'),
    num_layers=get('block_count'),
    num_heads=heads,
    num_kv_heads=get('attention.head_count_kv', heads),
    head_dim=get('rope.dimension_count', hidden // heads),
    rope_theta=float(get('rope.freq_base', 10_000.0)),
    rms_norm_eps=float(get('attention.layer_norm_rms_epsilon', 1e-5)),
    tie_embeddings='output.weight' not in names,
    max_position_embeddings=get('context_length', 4096),
    **overrides,
  )


_GGUF_NAMES = {
  'token_embd.weight': 'model.embed_tokens.weight',
  'output_norm.weight': 'model.norm.weight',
  'output.weight': 'lm_head.weight',
}
_GGUF_LAYER_NAMES = {
  'attn_q': 'self_attn.q_proj',
  'attn_k': 'self_attn.k_proj',
  'attn_v': 'self_attn.v_proj',
  'attn_output': 'self_attn.o_proj',
  'ffn_gate': 'mlp.gate_proj',
  'ffn_up': 'mlp.up_proj',
  'ffn_down': 'mlp.down_proj',
  'attn_norm': 'input_layernorm',
  'ffn_norm': 'post_attention_layernorm',
}


def _unpermute(w: np.ndarray, heads: int) -> np.ndarray:
  """Undoes llama.cpp's convert-time permutation of Q/K rows (interleaved -> rotate-half RoPE)."""
  out, rest = w.shape[0], w.shape[1:]
  return w.reshape(heads, out // heads // 2, 2, *rest).swapaxes(1, 2).reshape(out, *rest)


def gguf_tensors(reader, cfg: ModelConfig) -> Iterator[tuple[str, np.ndarray]]:
  """(HF name, float32 array) for every tensor of a llama GGUF, dequantized one at a time."""
  from gguf.quants import dequantize

  for t in reader.tensors:
    if t.name.startswith('blk.'):
      _, layer, kind, suffix = t.name.split('.', 3)
      name = f'model.layers.{layer}.{_GGUF_LAYER_NAMES[kind]}.{suffix}'
    elif t.name in _GGUF_NAMES:
      name, kind = _GGUF_NAMES[t.name], None
    else:
      continue  # e.g. rope_freqs: recomputed from the metadata
    w = np.asarray(dequantize(t.data, t.tensor_type), np.float32)
    if kind == 'attn_q':
      w = _unpermute(w, cfg.num_heads)
    elif kind == 'attn_k':
      w = _unpermute(w, cfg.num_kv_heads)
    yield name, w


def reader(path: str):
  from gguf import GGUFReader

  try:
    return GGUFReader(path)
  except Exception as e:
    raise ValueError(f'{path}: not a readable GGUF file ({e})') from e
