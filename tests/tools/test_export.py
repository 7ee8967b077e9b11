"""Export against the readers we did not write: transformers loads the merged model, PEFT the adapter."""

import json
import os
import subprocess
import sys

import jax
import numpy as np
import pytest
import tokenizers
import torch
import transformers
from flax import nnx

from raftjax.model import checkpoint as ckpt
from raftjax.model import weights
from raftjax.model.lora import add_lora
from raftjax.tools import export, interpolate

from helpers import TINY_HF, save_random_hf_model, torch_watch_env

PROJECTIONS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']
TINY = dict(TINY_HF, bos_token_id=1, eos_token_id=2)
# (config class, kwargs, LoRA targets): GQA in both; untied with an adapter on lm_head too; qkv bias, tied.
BASES = {
  'llama': (transformers.LlamaConfig, dict(TINY, tie_word_embeddings=False), PROJECTIONS + ['lm_head']),
  'qwen2': (transformers.Qwen2Config, dict(TINY, tie_word_embeddings=True), PROJECTIONS),
}
IDS = np.random.default_rng(0).integers(3, TINY['vocab_size'], (3, 12)).astype(np.int32)


def _tokenizer() -> transformers.PreTrainedTokenizerFast:
  vocab = {'<unk>': 0, '<s>': 1, '</s>': 2, **{f'w{i}': i for i in range(3, TINY['vocab_size'])}}
  tok = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token='<unk>'))
  tok.pre_tokenizer = tokenizers.pre_tokenizers.WhitespaceSplit()
  return transformers.PreTrainedTokenizerFast(
    tokenizer_object=tok, bos_token='<s>', eos_token='</s>', unk_token='<unk>'
  )


def _save_base(name: str, path: str) -> str:
  config_cls, kwargs, _ = BASES[name]
  save_random_hf_model(config_cls, kwargs, path)
  _tokenizer().save_pretrained(path)
  return path


def _randomize(model, kind, seed: int, scale: float = 0.1) -> None:
  """Moves every `kind` parameter randomly: LoRA's b starts at 0, which would make the tests vacuous."""
  state = nnx.state(model, kind)
  keys = iter(jax.random.split(jax.random.key(seed), len(jax.tree.leaves(state))))
  nnx.update(model, jax.tree.map(lambda x: x + scale * jax.random.normal(next(keys), x.shape, x.dtype), state))


def _save_cycle(model, base: str, cycle_dir: str, full: bool, targets) -> None:
  meta = dict(
    cycle=1,
    base=base,
    full_finetune=full,
    lora=dict(rank=4, alpha=8.0, targets=list(targets)),
    seeds=dict(sample=[0, 1], train=0),
  )  # as raft.run_cycle writes it
  ckpt.save(os.path.join(cycle_dir, 'checkpoint'), 1, model, meta, full)


@pytest.fixture(scope='module', params=sorted(BASES))
def lora_cycle(request, tmp_path_factory, mesh1):
  """(base name, base dir, cycle dir, raftjax logits on IDS) of a LoRA cycle with random adapters."""
  name = request.param
  tmp = tmp_path_factory.mktemp(name)
  base = _save_base(name, str(tmp / 'base'))
  model = weights.load_model(base, mesh1, scan_layers=name == 'qwen2')  # both layouts export per layer
  targets = BASES[name][2]
  added = add_lora(model, 4, 8.0, 0.0, targets, seed=0)
  assert added == len(PROJECTIONS) * TINY['num_hidden_layers'] + ('lm_head' in targets)
  _randomize(model, nnx.LoRAParam, 1)
  _save_cycle(model, base, str(tmp / 'cycle_1'), False, targets)
  return name, base, str(tmp / 'cycle_1'), np.asarray(model(IDS))


@pytest.fixture(scope='module')
def full_cycle(tmp_path_factory, mesh1):
  """(base dir, cycle dir, raftjax logits on IDS) of a full fine-tune: every weight moved."""
  tmp = tmp_path_factory.mktemp('full')
  base = _save_base('qwen2', str(tmp / 'base'))
  model = weights.load_model(base, mesh1, scan_layers=True)
  _randomize(model, nnx.Param, 2)
  _save_cycle(model, base, str(tmp / 'cycle_1'), True, PROJECTIONS)
  return base, str(tmp / 'cycle_1'), np.asarray(model(IDS))


def _logits(model) -> np.ndarray:
  with torch.no_grad():
    return model(torch.tensor(IDS)).logits.float().numpy()


def _base_torch(base: str):
  return transformers.AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32).eval()


# -------------------------------------------------------------------------------------------- mapping


@pytest.mark.parametrize('name', sorted(BASES))
def test_to_hf_inverts_to_raftjax(name, tmp_path):
  base = _save_base(name, str(tmp_path))
  cfg = weights.config_from_hf(base)
  for hf, w in weights.hf_tensors(base):
    mapped = weights.to_raftjax(hf, w, cfg)
    if mapped is None:
      continue
    [(back, w2)] = weights.to_hf([mapped])
    assert back == hf
    np.testing.assert_array_equal(w2, w)


# ---------------------------------------------------------------------------------------------- merged


def test_merged_export_loads_in_transformers(lora_cycle, tmp_path):
  _, base, cycle, ours = lora_cycle
  out = str(tmp_path / 'merged')
  export.export(cycle, out, merge=True)
  assert {'model.safetensors', 'config.json', 'generation_config.json', 'tokenizer.json'} <= set(os.listdir(out))
  with open(os.path.join(out, 'config.json')) as f:
    assert json.load(f)['model_type'] == transformers.AutoConfig.from_pretrained(base).model_type
  merged = transformers.AutoModelForCausalLM.from_pretrained(out).eval()
  assert merged.dtype == torch.float32
  np.testing.assert_allclose(_logits(merged), ours, atol=1e-3, rtol=0)
  exported, original = (transformers.AutoTokenizer.from_pretrained(d) for d in (out, base))
  assert exported.get_vocab() == original.get_vocab() and exported.eos_token_id == original.eos_token_id


def test_merged_export_in_shards(lora_cycle, tmp_path):
  _, _, cycle, ours = lora_cycle
  out = str(tmp_path / 'sharded')
  export.export(cycle, out, merge=True, max_shard_bytes=40_000)
  with open(os.path.join(out, 'model.safetensors.index.json')) as f:
    assert len(set(json.load(f)['weight_map'].values())) > 2
  assert 'model.safetensors' not in os.listdir(out)
  merged = transformers.AutoModelForCausalLM.from_pretrained(out).eval()
  np.testing.assert_allclose(_logits(merged), ours, atol=1e-3, rtol=0)


# --------------------------------------------------------------------------------------------- adapter


def test_adapter_export_loads_in_peft(lora_cycle, tmp_path):
  import peft

  name, base, cycle, ours = lora_cycle
  out = str(tmp_path / 'adapter')
  export.export(cycle, out)
  with open(os.path.join(out, 'adapter_config.json')) as f:
    config = json.load(f)
  assert config['peft_type'] == 'LORA' and config['r'] == 4 and config['lora_alpha'] == 8.0
  assert config['base_model_name_or_path'] == base
  assert sorted(config['target_modules']) == sorted(BASES[name][2])
  plain = _logits(_base_torch(base))
  adapted = peft.PeftModel.from_pretrained(_base_torch(base), out).eval()
  np.testing.assert_allclose(_logits(adapted), ours, atol=1e-3, rtol=0)
  assert np.abs(_logits(adapted) - plain).max() > 0.05  # the adapters are really applied


# ----------------------------------------------------------------------------------------- full, CLI


def _cli(*args: str, env=None, tool: str = 'export') -> subprocess.CompletedProcess:
  return subprocess.run(
    [sys.executable, '-m', f'raftjax.tools.{tool}', *args],
    capture_output=True,
    text=True,
    env=env or dict(os.environ, JAX_PLATFORMS='cpu'),
    timeout=300,
  )


def test_full_finetune_exports_merged_by_cli_and_refuses_an_adapter(full_cycle, tmp_path):
  _, cycle, ours = full_cycle
  out = str(tmp_path / 'full')
  env, torch_log = torch_watch_env(tmp_path)
  run = _cli(f'--checkpoint={cycle}', f'--output={out}', env=env)  # a full fine-tune exports merged by default
  assert run.returncode == 0, run.stderr
  assert not torch_log.exists(), torch_log.read_text()  # transformers reads the export; ours needs no torch
  merged = transformers.AutoModelForCausalLM.from_pretrained(out).eval()
  np.testing.assert_allclose(_logits(merged), ours, atol=1e-3, rtol=0)
  run = _cli(f'--checkpoint={os.path.join(cycle, "checkpoint")}', f'--output={tmp_path / "adapter"}', '--nomerge')
  assert run.returncode == 1
  assert f'{cycle}/checkpoint is a full fine-tune: it has no LoRA adapters' in run.stderr
  assert 'Traceback' not in run.stderr
  assert not os.path.exists(tmp_path / 'adapter')


# ------------------------------------------------------------------------------------------ bad input


def test_not_a_checkpoint(lora_cycle, tmp_path):
  _, base, _, _ = lora_cycle
  with pytest.raises(export.ExportError, match=f'{tmp_path}/nope: no such directory'):
    export.export(str(tmp_path / 'nope'), str(tmp_path / 'out'))
  with pytest.raises(export.ExportError, match=f'{base}: not a finished raftjax checkpoint; expected a cycle'):
    export.export(base, str(tmp_path / 'out'))
  os.makedirs(tmp_path / 'cycle_3' / 'checkpoint' / '3.orbax-checkpoint-tmp-1')  # a write that never ended
  with pytest.raises(export.ExportError, match='cycle_3: not a finished raftjax checkpoint'):
    export.export(str(tmp_path / 'cycle_3'), str(tmp_path / 'out'))
  assert not os.path.exists(tmp_path / 'out')


def test_missing_base_is_named(lora_cycle, tmp_path, mesh1):
  _, base, _, _ = lora_cycle
  gone = str(tmp_path / 'moved_away')
  _save_cycle(weights.load_model(base, mesh1), gone, str(tmp_path / 'cycle_1'), True, [])
  with pytest.raises(
    export.ExportError,
    match=f"cycle_1/checkpoint was trained on base '{gone}', which cannot be loaded: .*no such file or directory",
  ):
    export.export(str(tmp_path / 'cycle_1'), str(tmp_path / 'out'))
  assert not os.path.exists(tmp_path / 'out') and not os.path.exists(tmp_path / '.out.partial')


def test_non_empty_output_needs_overwrite(lora_cycle, tmp_path):
  _, _, cycle, _ = lora_cycle
  out = tmp_path / 'out'
  out.mkdir()
  export.export(cycle, str(out))  # empty: fine
  (out / 'stale.txt').write_text('old')
  with pytest.raises(export.ExportError, match=f'{out}: exists and is not empty; .* --overwrite'):
    export.export(cycle, str(out), merge=True)
  assert 'config.json' not in os.listdir(out)
  export.export(cycle, str(out), merge=True, overwrite=True)
  assert 'stale.txt' not in os.listdir(out) and 'config.json' in os.listdir(out)
  with pytest.raises(export.ExportError, match='holds the checkpoint it reads'):
    export.export(cycle, os.path.dirname(cycle), overwrite=True)
  assert not os.path.exists(tmp_path / '.out.partial')


# ---------------------------------------------------------------------------------------- interpolate


def test_interpolated_lora_cycle_is_peft_with_scaled_adapters(lora_cycle, tmp_path, mesh1):
  """alpha of the way from the base: PEFT computes it with every adapter's scaling times alpha (1.5:
  extrapolated past the cycle); 0 is the base itself."""
  import peft

  _, base, cycle, _ = lora_cycle
  export.export(cycle, str(tmp_path / 'adapter'))
  for alpha in (0.0, 1.5):
    out = str(tmp_path / f'at_{alpha}')
    interpolate.interpolate(cycle, alpha, out)
    model, _, meta = ckpt.load(out, mesh1, None)
    assert meta['interpolated'] == dict(source=cycle, alpha=alpha) and meta['base'] == base
    adapted = peft.PeftModel.from_pretrained(_base_torch(base), str(tmp_path / 'adapter')).eval()
    for module in adapted.modules():
      if isinstance(module, peft.tuners.lora.LoraLayer):
        module.scaling['default'] *= alpha
    np.testing.assert_allclose(np.asarray(model(IDS)), _logits(adapted), atol=1e-3, rtol=0)
  at_zero = np.asarray(ckpt.load(str(tmp_path / 'at_0.0'), mesh1, None)[0](IDS))
  np.testing.assert_allclose(at_zero, _logits(_base_torch(base)), atol=1e-3, rtol=0)


def test_interpolated_full_finetune_by_cli(full_cycle, tmp_path, mesh1):
  """A full fine-tune's weights mixed with the base's (transformers runs the mix of the base's own
  safetensors and the exported cycle); no torch imported; bad input is one line, and a non-empty output
  is kept."""
  from safetensors.numpy import load_file

  base, cycle, _ = full_cycle
  out = str(tmp_path / 'quarter')
  env, torch_log = torch_watch_env(tmp_path)
  run = _cli('--checkpoint=' + cycle, '--alpha=0.25', '--output=' + out, env=env, tool='interpolate')
  assert run.returncode == 0, run.stderr
  assert not torch_log.exists(), torch_log.read_text()
  export.export(cycle, str(tmp_path / 'trained'), merge=True)
  trained = load_file(str(tmp_path / 'trained' / 'model.safetensors'))
  plain = load_file(os.path.join(base, 'model.safetensors'))
  mixed = {k: plain[k] + 0.25 * (trained[k] - plain[k]) for k in plain}
  reference = _base_torch(base)
  reference.load_state_dict({k: torch.from_numpy(v) for k, v in mixed.items()}, strict=False)
  ours = np.asarray(ckpt.load(out, mesh1, None)[0](IDS))
  np.testing.assert_allclose(ours, _logits(reference.eval()), atol=1e-3, rtol=0)
  assert np.abs(ours - np.asarray(ckpt.load(cycle, mesh1, None)[0](IDS))).max() > 0.05

  before = sorted(os.listdir(out))
  run = _cli('--checkpoint=' + cycle, '--alpha=0.5', '--output=' + out, tool='interpolate')
  assert run.returncode == 1 and f'{out}: exists and is not empty' in run.stderr, run.stderr
  assert sorted(os.listdir(out)) == before
  run = _cli('--checkpoint=' + cycle, '--alpha=nan', '--output=' + str(tmp_path / 'nan'), tool='interpolate')
  assert run.returncode == 2 and run.stderr.strip().splitlines() == [
    'error: --alpha=nan: expected a finite number (0 = the base, 1 = the checkpoint, 0.5 = halfway)'
  ]
  assert not os.path.exists(tmp_path / 'nan')


# ------------------------------------------------------------------------------------ real SmolLM2


@pytest.mark.slow
def test_smollm2_gguf_base_exports_both_ways(tmp_path, mesh1):
  """The GGUF caveats of the module docstring: merged = dequantized float32, adapter on transformers' GGUF."""
  import peft

  model, tok = weights.load_pretrained(weights.SMOLLM2, mesh1)
  add_lora(model, 4, 8.0, 0.0, PROJECTIONS, seed=0)
  _randomize(model, nnx.LoRAParam, 3, scale=0.01)
  cycle = str(tmp_path / 'cycle_1')
  _save_cycle(model, weights.SMOLLM2, cycle, False, PROJECTIONS)
  ids = tok('int main(void) { printf("%d\\n", 6 * 7); return 0; }', return_tensors='np')['input_ids']
  ours = np.asarray(model(ids.astype(np.int32)))

  export.export(cycle, str(tmp_path / 'merged'), merge=True)
  with open(tmp_path / 'merged' / 'config.json') as f:
    assert json.load(f)['model_type'] == 'llama'
  merged = transformers.AutoModelForCausalLM.from_pretrained(tmp_path / 'merged').eval()
  with torch.no_grad():
    np.testing.assert_allclose(merged(torch.tensor(ids)).logits.numpy(), ours, atol=1e-3, rtol=0)

  export.export(cycle, str(tmp_path / 'adapter'))
  path = weights.resolve(weights.SMOLLM2)
  base = transformers.AutoModelForCausalLM.from_pretrained(
    os.path.dirname(path), gguf_file=os.path.basename(path), dtype=torch.float32
  )
  adapted = peft.PeftModel.from_pretrained(base, tmp_path / 'adapter').eval()
  with torch.no_grad():
    theirs = adapted(torch.tensor(ids)).logits.numpy()
  assert np.abs(theirs - ours).max() <= 1e-3
  np.testing.assert_array_equal(theirs.argmax(-1), ours.argmax(-1))


def test_a_cycle_on_top_of_an_sft_checkpoint_exports_merged_only(lora_cycle, tmp_path, mesh1):
  """RAFT after SFT: the cycle's base is the SFT checkpoint (its adapters merged into the HF base), so the
  merged export holds both stages' adapters and transformers computes what raftjax does; an adapter alone
  would load on nothing and is refused."""
  name, base, sft, _ = lora_cycle  # the fixture's cycle stands for an SFT stage's result
  model, _, _ = ckpt.load(sft, mesh1, dict(rank=4, alpha=8.0, targets=PROJECTIONS), as_base=True)
  _randomize(model, nnx.LoRAParam, 3)
  cycle = str(tmp_path / 'cycle_1')
  _save_cycle(model, sft, cycle, False, PROJECTIONS)
  ours = np.asarray(ckpt.load(cycle, mesh1, None)[0](IDS))
  np.testing.assert_allclose(ours, np.asarray(model(IDS)), atol=1e-5, rtol=0)
  with pytest.raises(export.ExportError, match=r'trained on top of .* \(an SFT stage\).*use --merge'):
    export.export(cycle, str(tmp_path / 'adapter'), merge=False)
  export.export(cycle, str(tmp_path / 'merged'))  # merged by default
  merged = transformers.AutoModelForCausalLM.from_pretrained(str(tmp_path / 'merged')).eval()
  np.testing.assert_allclose(_logits(merged), ours, atol=1e-3, rtol=0)
  assert json.load(open(tmp_path / 'merged' / 'config.json'))['model_type'] == name
