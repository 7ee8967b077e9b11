"""The researcher's own model: a local HF directory is checked before any weight loads (one line naming what
is missing), and a chat model or a base model (raw prompts, `generation.prompt_format`) samples and runs a
RAFT cycle. Tiny random Qwen2 and Llama models, written by transformers."""

import json
import os
import shutil

import pytest
import transformers

from raftjax.model import checkpoint, weights
from raftjax.rl import loop
from raftjax.tools import sample

import helpers

RAW = 'Task: {prompt}\nAnswer in C:\n```c\n'


def _model(kind: str, directory, tokenizer: str | None = 'chat') -> str:
  """A tiny random `kind` ('qwen2' | 'llama') model; with SmolLM2's tokenizer ('chat'), that tokenizer
  without its chat template ('base'), or none."""
  tok = weights.load_tokenizer(weights.SMOLLM2)
  config_cls = transformers.Qwen2Config if kind == 'qwen2' else transformers.LlamaConfig
  helpers.save_random_hf_model(
    config_cls,
    dict(
      helpers.TINY_HF,
      vocab_size=len(tok),
      hidden_size=32,
      intermediate_size=64,
      num_attention_heads=4,
      num_key_value_heads=2,
      max_position_embeddings=512,
      tie_word_embeddings=True,
      bos_token_id=tok.bos_token_id,
      eos_token_id=tok.eos_token_id,
    ),
    str(directory),
  )
  if tokenizer:
    if tokenizer == 'base':
      tok.chat_template = None
    tok.save_pretrained(str(directory))
    if tokenizer == 'base':  # save_pretrained also writes the template to its own file: a base model has none
      for name in ('chat_template.jinja', 'chat_template.json'):
        if os.path.exists(os.path.join(directory, name)):
          os.remove(os.path.join(directory, name))
  return str(directory)


def test_what_a_directory_lacks_is_named_before_any_weight_loads(tmp_path):
  with pytest.raises(weights.CheckpointError, match='no such file or directory'):
    checkpoint.check(str(tmp_path / 'nothing'))
  bare = _model('llama', tmp_path / 'bare', tokenizer=None)
  with pytest.raises(weights.CheckpointError, match=r'bare: no tokenizer \(tokenizer.json'):
    checkpoint.check(bare)
  base = _model('llama', tmp_path / 'base', tokenizer='base')
  with pytest.raises(
    weights.CheckpointError, match=r'no chat template \(a base model\?\); set generation.prompt_format'
  ):
    checkpoint.check(base)
  checkpoint.check(base, prompt_format=RAW)
  config = json.load(open(os.path.join(base, 'config.json')))
  json.dump(dict(config, vocab_size=1000), open(os.path.join(base, 'config.json'), 'w'))
  with pytest.raises(weights.CheckpointError, match=r'49152 tokens but the embedding only 1000 rows'):
    checkpoint.check(base, prompt_format=RAW)
  json.dump(dict(config, model_type='gpt2'), open(os.path.join(base, 'config.json'), 'w'))
  with pytest.raises(weights.CheckpointError, match=r"model_type 'gpt2' is not supported"):
    checkpoint.check(base, prompt_format=RAW)
  os.remove(os.path.join(base, 'model.safetensors'))
  json.dump(config, open(os.path.join(base, 'config.json'), 'w'))
  with pytest.raises(weights.CheckpointError, match='no model.safetensors'):
    checkpoint.check(base, prompt_format=RAW)


@pytest.mark.slow
@pytest.mark.parametrize('kind,tokenizer', [('qwen2', 'chat'), ('llama', 'base')])
def test_own_model_samples_and_runs_a_raft_cycle(tiny_dir, tmp_path, kind, tokenizer):
  model_dir = _model(kind, tmp_path / 'model', tokenizer)
  c = helpers.tiny_config(tiny_dir, str(tmp_path / 'run'))
  c.sft_checkpoint = model_dir
  c.raft.num_cycles = 1
  c.cycles = [{'raft.reward_threshold': 0.0}]  # a random model compiles nothing: keep what it writes anyway
  if tokenizer == 'base':
    c.generation.prompt_format = RAW
  rows = sample.run(c, str(tmp_path / 'samples.jsonl'))
  assert len(rows) == len(helpers.read_jsonl(os.path.join(tiny_dir, 'tasks.jsonl'))) * c.raft.samples_per_prompt
  log = loop.run(c)
  assert len(log['cycles']) == 1 and log['cycles'][0]['total'] == len(rows)
  meta = checkpoint.read_meta(checkpoint.find(os.path.join(tmp_path, 'run', 'cycle_1')))
  assert meta['base'] == model_dir
  shutil.rmtree(tmp_path / 'run')
