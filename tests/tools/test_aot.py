"""raftjax.tools.aot against the TPU compiler itself: libtpu compiles the tiny model's cycle for a v5e slice
described by `jax.experimental.topologies` (no TPU needed), on the mesh the tests use (data 4 x tensor 2)."""

import dataclasses
import json
import os
import subprocess
import sys

import pytest

from raftjax import fit
from raftjax import programs as programs_lib
from raftjax.generate import sampler as sample_lib
from raftjax.model import mesh as mesh_lib
from raftjax.model.llama import cache_bytes
from raftjax.rl import loop as raft
from raftjax.tools import aot

from helpers import REPO, tiny_config

pytestmark = pytest.mark.slow  # whole runs or several processes: the full suite, not the fast tier

# libtpu ships for x86_64 Linux only (the `tpu` extra installs it there); CI is such a machine.
pytest.importorskip('libtpu', reason='libtpu (the tpu extra) is not installed on this platform')
GiB = 2**30


def _config(tiny_dir, out='unused'):
  c = tiny_config(tiny_dir, out)
  c.mesh.shape = (4, 1, 2)
  return c


@pytest.fixture(scope='module')
def v5e8():
  return aot.tpu_slice('v5e-8')


@pytest.fixture(scope='module')
def tiny_report(tiny_dir, v5e8):
  config = _config(tiny_dir)
  source = config.sft_checkpoint
  return config, fit.report(config, v5e8, source, programs_lib.longest_prompt(config, source), aot.add_costs)


def test_slices_by_name(v5e8):
  """Device counts and kinds of the slices people rent, and jax's chip table against the published
  specs (v5e: 197 TFLOP/s bf16, 16 GB HBM at 819 GB/s; v6e: 918 TFLOP/s, 32 GB at 1640 GB/s)."""
  assert len(v5e8.devices) == 8 and v5e8.devices[0].device_kind == 'TPU v5 lite'
  assert v5e8.chip.peak_flops == pytest.approx(197e12, rel=0.01)
  assert v5e8.chip.hbm_bandwidth == pytest.approx(819e9, rel=0.01)
  assert 16 * 10**9 <= v5e8.chip.hbm_bytes <= 16 * GiB + 2**28
  v6e = aot.tpu_slice('v6e-8').chip
  assert v6e.peak_flops == pytest.approx(918e12, rel=0.01) and v6e.hbm_bandwidth == pytest.approx(1640e9, rel=0.01)
  v4 = aot.tpu_slice('v4-8')  # 4 chips of 2 TensorCores, one device per chip (megacore)
  assert len(v4.devices) == 4 and v4.devices[0].device_kind == 'TPU v4'
  assert len(aot.tpu_slice('v2-8').devices) == 8  # v2/v3: each TensorCore a device
  multi = aot.tpu_slice('v5e-32')  # 8 hosts of 4 chips
  assert len(multi.devices) == 32 and len({d.process_index for d in multi.devices}) == 8
  assert len(aot.tpu_slice('v5e-16', num_slices=2).devices) == 32
  with pytest.raises(ValueError, match=r'--topology=v5e-12: not a v5e slice this tool knows; known: v5e-1, v5e-4'):
    aot.tpu_slice('v5e-12')
  with pytest.raises(ValueError, match='expected cpu or GENERATION-SIZE'):
    aot.tpu_slice('tpu-8')


def test_report_is_complete_and_adds_up(tiny_report, v5e8):
  """Every program compiled, with every number; the inputs XLA counts are the ones we account for; the
  KV cache is the formula's; donated state is aliased; predictions follow from the costs."""
  config, rep = tiny_report
  assert rep['fits'] and rep['devices'] == 8 and rep['mesh'] == {'data': 4, 'fsdp': 1, 'tensor': 2}
  assert rep['model']['scan_layers'] and rep['model']['layers'] == 2
  programs = rep['programs']
  assert set(programs) == {'prefill', 'decode', 'train'}
  for name, p in programs.items():
    m = p['memory']
    assert p['compiled'] and p['error'] is None and p['compile_s'] > 0 and p['hlo_bytes'] > 0, name
    assert m['total'] == m['arguments'] + m['outputs'] - m['aliased'] + m['temporaries'] + m['generated_code']
    assert 0 < m['total'] <= m['capacity'] == v5e8.chip.hbm_bytes and m['fits']
    assert p['largest_inputs'][0]['bytes_per_device'] > 0
    c, q = p['cost'], p['predicted']
    assert c['flops'] > 0 and c['bytes'] > 0 and c['optimal_seconds'] > 0, name
    assert q['tokens_per_s'] == pytest.approx(p['tokens_per_call'] / c['optimal_seconds'])
    roofline = max(c['flops'] / v5e8.chip.peak_flops, c['bytes'] / v5e8.chip.hbm_bandwidth)
    assert q['roofline_seconds'] == pytest.approx(roofline)
    assert q['roofline_fraction'] == pytest.approx(roofline / c['optimal_seconds'])
  train = programs['train']
  assert train['predicted']['mfu'] == pytest.approx(
    train['cost']['flops'] / (train['cost']['optimal_seconds'] * v5e8.chip.peak_flops)
  )
  # Rows of a call: 2 prompts padded to a multiple of data=4, x 4 samples; the cache's rows split over
  # data (4) and its 2 KV heads over tensor (2).
  cfg = programs_lib.model_config(config.sft_checkpoint, config)
  slots = sample_lib.prompt_bucket(rep['shapes']['longest_prompt'], 32) + config.generation.max_new_tokens
  assert programs['decode']['tokens_per_call'] == 16
  decode = programs['decode']['memory']
  assert decode['kv_cache'] == cache_bytes(cfg, 16, slots) // 8
  assert decode['aliased'] >= decode['kv_cache']  # the donated cache is written in place
  # What XLA holds as arguments is what we account for, plus the small per-row inputs.
  small = 16 * cfg.vocab_size * 4  # the logits of the last prompt token, the largest of them
  assert (
    decode['weights'] + decode['adapters'] + decode['kv_cache']
    <= decode['arguments']
    <= (decode['weights'] + decode['adapters'] + decode['kv_cache'] + small)
  )
  t = train['memory']
  assert t['aliased'] >= t['weights'] + t['adapters'] + t['optimizer']  # model and optimizer donated
  assert t['weights'] + t['adapters'] + t['optimizer'] <= t['arguments']


def test_slot_engine_compiles_for_the_slice(tiny_dir, tiny_report, v5e8):
  """With `generation.slots` the decode program is the slot engine's loop: 6 slots rounded up to a multiple
  of data = 4, over the chunked path's cache length, its state donated, costing less than the chunked loop
  of 16 rows (which also draws each row's first token); the prefill keeps one cache row per prompt (2
  prompts padded to 4)."""
  config = _config(tiny_dir)
  config.generation.slots = 6
  source = config.sft_checkpoint
  rep = fit.report(config, v5e8, source, programs_lib.longest_prompt(config, source), aot.add_costs)
  cfg = programs_lib.model_config(source, config)
  cache_len = sample_lib.prompt_bucket(rep['shapes']['longest_prompt'], 32) + config.generation.max_new_tokens
  decode, prefill = rep['programs']['decode'], rep['programs']['prefill']
  assert rep['fits'] and decode['compiled'] and prefill['compiled'] and decode['tokens_per_call'] == 8
  assert decode['memory']['kv_cache'] == cache_bytes(cfg, 8, cache_len) // 8
  assert decode['memory']['aliased'] >= decode['memory']['kv_cache']  # the donated slots are written in place
  assert prefill['memory']['kv_cache'] == cache_bytes(cfg, 4, cache_len) // 8
  chunked = tiny_report[1]['programs']['decode']
  assert 0 < decode['cost']['flops'] < chunked['cost']['flops'] / 2
  assert rep['cycle']['sample_s'] > 0


def test_costs_extrapolate_to_the_unrolled_programs(tiny_dir, v5e8):
  """XLA counts a loop's body once; the 1- and 2-layer costs extrapolated to 4 layers are those of the
  4-layer programs compiled unrolled (one micro-batch: their loop is not counted either): flops to 0.1%,
  bytes and time to 5% (XLA fuses the first layer with what precedes it a little differently; measured
  here: prefill +2.6%, decode +0.9%, train -0.3%)."""
  config = _config(tiny_dir)
  config.training.gradient_accumulation_steps = 1
  mesh = mesh_lib.make_mesh((4, 1, 2), ('data', 'fsdp', 'tensor'), devices=v5e8.devices)
  shapes = programs_lib.shapes_of(config, 40)
  cfg = programs_lib.model_config(config.sft_checkpoint, config)
  predicted = aot.extrapolate(aot.cost_variants(cfg, config, mesh, shapes), 4, 1)
  unrolled = dataclasses.replace(cfg, num_layers=4, scan_layers=False)
  for name, program in programs_lib.lower_programs(unrolled, config, mesh, shapes).items():
    actual = aot._cost(program.lowered.compile(aot.COST_OPTIONS))
    for key, tolerance in (('flops', 1e-3), ('bytes', 0.05), ('optimal_seconds', 0.05)):
      assert predicted[name][key] == pytest.approx(actual[key], rel=tolerance), (name, key)


def test_without_msa_slots_and_rows_cost_the_same_per_layer(tiny_dir, v5e8):
  """`--nomsa` (aot.NO_MSA): with the memory-space assignment off, a decode step's per-layer work is the same
  ops for 16 slots as for the chunked loop's 16 rows, so the cost model prices a layer the same (bytes and
  flops to 1%); what differs is outside the layers (the chunked call also draws every row's first token)."""
  config = _config(tiny_dir)
  mesh = mesh_lib.make_mesh((4, 1, 2), ('data', 'fsdp', 'tensor'), devices=v5e8.devices)
  shapes = programs_lib.shapes_of(config, 40)
  cfg = programs_lib.model_config(config.sft_checkpoint, config)
  per_layer = {}
  for slots in (0, 16):
    config.generation.slots = slots
    decode = lambda n: programs_lib.lower_programs(
      dataclasses.replace(cfg, num_layers=n, scan_layers=False), config, mesh, shapes
    )['decode']
    one, two = (aot._cost(decode(n).lowered.compile(aot.NO_MSA)) for n in (1, 2))
    per_layer[slots] = {k: two[k] - one[k] for k in ('bytes', 'flops')}
  assert per_layer[16]['bytes'] > 0 and per_layer[16]['flops'] > 0
  for key in ('bytes', 'flops'):
    assert per_layer[16][key] == pytest.approx(per_layer[0][key], rel=0.01), key


def test_oversized_config_is_refused_with_its_numbers(tiny_dir, tmp_path):
  """A cache of ~655k rows x 464 slots cannot fit 16 GiB per chip: the CLI exits 1 with the compiler's
  refusal, the sizes and the largest inputs."""
  config_file = tmp_path / 'oversized.py'
  config_file.write_text(
    f'import sys\nsys.path.insert(0, {os.path.join(REPO, "tests")!r})\nimport helpers\n\n'
    f'def get_config():\n  c = helpers.tiny_config({tiny_dir!r}, "unused")\n'
    '  c.mesh.shape = (4, 1, 2)\n  return c\n'
  )
  out = subprocess.run(
    [
      sys.executable,
      '-m',
      'raftjax.tools.aot',
      f'--config={config_file}',
      '--topology=v5e-8',
      '--config.generation.batch_size=65536',
      '--config.raft.samples_per_prompt=10',
      '--config.generation.max_new_tokens=400',
    ],
    cwd=REPO,
    capture_output=True,
    text=True,
    timeout=600,
  )
  assert out.returncode == 1, out.stderr[-2000:]
  assert 'decode does not fit: RESOURCE_EXHAUSTED' in out.stdout
  assert 'kv_cache.k [2, 655360, 2, 464, 16] float32' in out.stdout  # among its largest inputs
  assert 'could not determine TPU' not in out.stderr and 'TPU_WORKER_HOSTNAMES' not in out.stderr  # quieted
  row = next(line for line in out.stdout.splitlines() if line.startswith('decode '))
  assert ' NO ' in row


def test_preflight_refuses_before_any_weight_loads(tiny_dir, tmp_path, v5e8, monkeypatch):
  """On accelerators, raft.run compiles the cycle first and stops with the report when it does not fit
  the devices' free memory (here a v5e slice whose allocator reports 1 MiB)."""
  monkeypatch.setattr(mesh_lib, 'available_bytes', lambda device: (2**20, 'test'))
  config = _config(tiny_dir, str(tmp_path / 'out'))
  mesh = mesh_lib.make_mesh((4, 1, 2), ('data', 'fsdp', 'tensor'), devices=v5e8.devices)
  with pytest.raises(MemoryError, match=r'(?s)does not fit the devices.*train does not fit: [\d.]+ GiB > 0\.00 GiB'):
    fit.preflight(config, mesh, config.sft_checkpoint)
  assert (
    fit.preflight(config, mesh_lib.make_mesh((1, 1, 1), ('data', 'fsdp', 'tensor')), config.sft_checkpoint) is None
  )  # CPU: the sampler's own check guards

  def refuse(config, mesh, source):
    raise MemoryError(f'{source} does not fit')

  monkeypatch.setattr(fit, 'preflight', refuse)
  monkeypatch.setattr(raft.checkpoint, 'load', lambda *args, **kwargs: pytest.fail('weights loaded first'))
  with pytest.raises(MemoryError, match=f'{config.sft_checkpoint} does not fit'):
    raft.run(config)


def test_arrays_the_mesh_cannot_split_are_warned_with_their_numbers(tiny_dir, v5e8):
  """The tiny model's 2 KV heads over tensor = 4: `fitted_spec` drops the axis, so the KV cache and the K/V
  projections (with their LoRA B and its Adam moments) are whole on every chip of the axis: each one is a
  warning with the numbers, largest first; the 4 query heads split and are not listed. (Lowered, not
  compiled: the warnings come from the arrays' shardings; `report` adds them as below, see the next test.)"""
  config = _config(tiny_dir)
  config.mesh.shape = (2, 1, 4)
  mesh = mesh_lib.make_mesh((2, 1, 4), ('data', 'fsdp', 'tensor'), devices=v5e8.devices)
  source = config.sft_checkpoint
  cfg = programs_lib.model_config(source, config)
  shapes = programs_lib.shapes_of(config, programs_lib.longest_prompt(config, source))
  programs = programs_lib.lower_programs(cfg, config, mesh, shapes)
  listed = fit.split_warnings(programs, mesh)
  warnings = {w['array']: w for w in json.loads(json.dumps(listed))}
  cache = warnings['kv_cache.k']
  assert cache['message'] == (
    'kv_cache.k: dimension 2 (2 kv_heads) is not divisible by tensor=4: replicated, 4x the memory per device'
  )
  assert (cache['dimension'], cache['size'], cache['logical_axis'], cache['factor']) == (2, 2, 'kv_heads', 4)
  assert cache['mesh_axes'] == {'tensor': 4} and cache['kept'] == {} and cache['programs'] == ['prefill', 'decode']
  assert listed[0]['array'].startswith('kv_cache.')
  assert warnings['layers.self_attn.k_proj.kernel']['programs'] == ['prefill', 'decode', 'train']
  adam_mu = 'opt_state.1.inner_state.0.mu.layers.self_attn.k_proj.lora.b'
  assert {'layers.self_attn.v_proj.lora.b', adam_mu} <= set(warnings)
  assert not [name for name in warnings if 'q_proj' in name or 'mlp' in name or name == 'micro_batch']
  # The cache's rows still split over data = 2, its heads not at all: 4x an eighth of it per chip.
  slots = sample_lib.prompt_bucket(shapes.longest_prompt, 32) + config.generation.max_new_tokens
  held = fit.memory_of(programs['decode'], None, v5e8.chip.hbm_bytes, 1)['kv_cache']
  assert held == cache_bytes(cfg, 8, slots) // 2 == 4 * (cache_bytes(cfg, 8, slots) // 8)
  lines = fit.warning_lines({'warnings': listed})
  assert lines[0].startswith('warning: not split as the mesh asks') and lines[1] == f'  {listed[0]["message"]}'
  assert lines[-1] == f'  and {len(listed) - 6} more arrays of 2 kv_heads (the JSON report, --json, lists them)'


def test_report_keeps_the_warnings(tiny_report):
  """In the compiled report (mesh data 4 x tensor 2): training micro-batches of 2 rows cannot split over
  data = 4; the report's JSON keeps the warning and the table prints it."""
  _, rep = tiny_report
  [w] = json.loads(json.dumps(rep))['warnings']
  assert w['message'] == (
    'micro_batch: dimension 1 (2 batch) is not divisible by data=4: replicated, 4x the memory per device'
  )
  assert w['programs'] == ['train'] and w['shape'][1:] == [2, 256]  # [micro-batches, rows, tokens]
  assert f'  {w["message"]}' in fit.table(rep)


def test_dropped_splits_partial_and_none(v5e8):
  """A batch of 6 rows over data 2 x fsdp 4 keeps data and loses fsdp; what divides is not reported."""
  mesh = mesh_lib.make_mesh((2, 4, 1), ('data', 'fsdp', 'tensor'), devices=v5e8.devices)
  [w] = fit.dropped_splits('micro_batch', (1, 6, 256), (None, 'batch', 'length'), mesh)
  assert w['message'] == (
    'micro_batch: dimension 1 (6 batch) is not divisible by data=2 x fsdp=4: split over data=2 '
    'only, 4x the memory per device'
  )
  assert w['kept'] == {'data': 2} and w['factor'] == 4
  assert fit.dropped_splits('micro_batch', (1, 8, 256), (None, 'batch', 'length'), mesh) == []
