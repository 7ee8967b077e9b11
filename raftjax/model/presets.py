"""Model shapes by name: the published config.json values (the fields raftjax reads) of well-known code
models, so that `tools.aot` compiles their programs without their files."""

from raftjax.model import weights
from raftjax.model.llama import ModelConfig

_SIZES = (
  'vocab_size',
  'hidden_size',
  'intermediate_size',
  'num_hidden_layers',
  'num_attention_heads',
  'num_key_value_heads',
  'tie_word_embeddings',
)
_QWEN25 = dict(model_type='qwen2', max_position_embeddings=32768, rope_theta=1e6, rms_norm_eps=1e-6)
PRESETS = {
  **{
    name: dict(_QWEN25, **dict(zip(_SIZES, sizes)))
    for name, sizes in {
      'qwen2.5-coder-0.5b': (151936, 896, 4864, 24, 14, 2, True),
      'qwen2.5-coder-1.5b': (151936, 1536, 8960, 28, 12, 2, True),
      'qwen2.5-coder-7b': (152064, 3584, 18944, 28, 28, 4, False),
      'qwen2.5-coder-32b': (152064, 5120, 27648, 64, 40, 8, False),
    }.items()
  },
  'llama-3.1-8b': dict(
    zip(_SIZES, (128256, 4096, 14336, 32, 32, 8, False)),
    model_type='llama',
    max_position_embeddings=131072,
    rope_theta=500000.0,
    rms_norm_eps=1e-5,
    rope_scaling=dict(
      rope_type='llama3', factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0, original_max_position_embeddings=8192
    ),
  ),
  'smollm2-135m': dict(
    zip(_SIZES, (49152, 576, 1536, 30, 9, 3, True)),
    model_type='llama',
    max_position_embeddings=8192,
    rope_theta=100000.0,
    rms_norm_eps=1e-5,
  ),
}


def model_config(name: str, **overrides) -> ModelConfig:
  """The `ModelConfig` of preset `name` (a PRESETS key), with ModelConfig field `overrides`."""
  return weights.config_from_hf_dict(PRESETS[name], f'preset {name}', **overrides)
