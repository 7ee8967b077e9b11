"""Compiles a RAFT cycle's programs ahead of time for a TPU slice (or this machine) and says whether they
fit and how fast the compiler expects them to run. Needs neither the slice nor the weights.

  python -m raftjax.aot --config=configs/raft_7b.py --topology=v5e-8 [--model=qwen2.5-coder-7b]
  python -m raftjax.aot --config=configs/raft_7b.py --topology=v5e-16 --num_slices=2 --json=report.json
  python -m raftjax.aot --config=configs/raft.py --topology=cpu      # the laptop run, on this CPU

Programs, with the config's shapes, on the config's mesh laid over the topology's devices:
  prefill  the sampler's prefill of `generation.batch_size` prompts of the largest prompt bucket
  decode   the sampler's decode loop: rows = batch_size x samples_per_prompt, cache = bucket +
           max_new_tokens slots
  train    one optimizer step: gradient_accumulation_steps micro-batches of batch_size x max_seq_len
           tokens, LoRA or full fine-tune, AdamW state, `training.remat`
The model's shapes come from `--model` or the config's `sft_checkpoint`: a name in PRESETS (the published
config.json values of well-known code models), an HF directory's config.json or a GGUF header. Nothing is
downloaded and no weight is read. Compiling for TPU needs libtpu (`pip install "jax[tpu]"`, the `tpu`
extra), not a TPU: `jax.experimental.topologies` describes the slice, XLA:TPU compiles for it.

Per program: compiled, or the compiler's error; compile seconds; the compiled program's size (`hlo_bytes`:
its optimized HLO as text; the memory analysis adds the generated code's bytes); per-device memory from
XLA's memory analysis (inputs, split into weights, adapters, optimizer state and KV cache; outputs;
temporaries; the total against the chip's HBM); flops and bytes per call and XLA's own time estimate
`optimal_seconds`; from those, predicted decode or training tokens/s and the train step's MFU, beside the
roofline (the larger of flops / peak and bytes / HBM bandwidth); and a cycle's device time from those (an
upper bound: every sample runs to max_new_tokens). Compiler predictions, not measurements.

XLA's cost analysis counts a loop's body once, and a scanned model's layers are a loop (so is the decode
loop, which is what makes its numbers per generated token). Costs are therefore taken from the same
programs compiled with 1 and 2 unrolled layers and one micro-batch, extrapolated linearly to the model's
depth; the train step adds `gradient_accumulation_steps - 1` micro-batches (its cost without the
optimizer update, which is compiled on its own). Memory and compile time are the real program's. The
cost programs are compiled without sliced prefetches (COST_OPTIONS says why).

`preflight` is the same check at the start of a run on accelerators, before any weight is loaded.
Exit status: 0 when every program compiles and fits, 1 when one does not (after the report), 2 on a
usage error.
"""

import dataclasses
import json
import logging
import math
import os
import sys
import time

import jax
import jax.numpy as jnp
from flax import nnx

from raftjax import checkpoint
from raftjax import config as config_lib
from raftjax import mesh as mesh_lib
from raftjax import sample as sample_lib
from raftjax import train as train_lib
from raftjax import weights
from raftjax.model import Llama, ModelConfig, add_lora

log = logging.getLogger('raftjax')

# Published config.json values (the fields raftjax reads) of well-known code models.
_SIZES = ('vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads',
          'num_key_value_heads', 'tie_word_embeddings')
_QWEN25 = dict(model_type='qwen2', max_position_embeddings=32768, rope_theta=1e6, rms_norm_eps=1e-6)
PRESETS = {
    **{name: dict(_QWEN25, **dict(zip(_SIZES, sizes))) for name, sizes in {
        'qwen2.5-coder-0.5b': (151936, 896, 4864, 24, 14, 2, True),
        'qwen2.5-coder-1.5b': (151936, 1536, 8960, 28, 12, 2, True),
        'qwen2.5-coder-7b': (152064, 3584, 18944, 28, 28, 4, False),
        'qwen2.5-coder-32b': (152064, 5120, 27648, 64, 40, 8, False),
    }.items()},
    'llama-3.1-8b': dict(zip(_SIZES, (128256, 4096, 14336, 32, 32, 8, False)), model_type='llama',
                         max_position_embeddings=131072, rope_theta=500000.0, rms_norm_eps=1e-5,
                         rope_scaling=dict(rope_type='llama3', factor=8.0, low_freq_factor=1.0,
                                           high_freq_factor=4.0, original_max_position_embeddings=8192)),
    'smollm2-135m': dict(zip(_SIZES, (49152, 576, 1536, 30, 9, 3, True)), model_type='llama',
                         max_position_embeddings=8192, rope_theta=100000.0, rms_norm_eps=1e-5),
}
DEFAULT_PROMPT_TOKENS = 256  # when the tokenizer is not at hand to measure the config's prompts
GiB = 2**30

# ------------------------------------------------------------------------------------------- slices

# Slice name -> libtpu topology. v5e/v6e names count chips; v2/v3/v4/v5p names count TensorCores (2 per
# chip). v2/v3 show each TensorCore as a device; v4/v5p one device per chip (megacore).
_SHAPES_2D = {1: '1x1', 4: '2x2', 8: '2x4', 16: '4x4', 32: '4x8', 64: '8x8', 128: '8x16', 256: '16x16'}
_SHAPES_3D = {4: '2x2x1', 8: '2x2x2', 16: '2x2x4', 32: '2x4x4', 64: '4x4x4', 128: '4x4x8', 256: '4x8x8'}
# generation: (TensorCores per chip in the name, shapes, chip config, jax's ChipVersion, cores per device)
GENERATIONS = {
    'v2': (2, _SHAPES_2D, 'default', 'TPU_V2', 1),
    'v3': (2, _SHAPES_2D, 'default', 'TPU_V3', 1),
    'v4': (2, _SHAPES_3D, 'megacore', 'TPU_V4', 2),
    'v5p': (2, _SHAPES_3D, 'default', 'TPU_V5P', 2),
    'v5e': (1, _SHAPES_2D, 'default', 'TPU_V5E', 1),
    'v6e': (1, _SHAPES_2D, 'default', 'TPU_V6E', 1),
}


@dataclasses.dataclass(frozen=True)
class Chip:
  """Per device: HBM, peak bf16 FLOP/s and HBM bandwidth (jax's TPU tables, `pltpu.get_tpu_info_for_chip`)."""
  hbm_bytes: int
  peak_flops: float
  hbm_bandwidth: float


@dataclasses.dataclass(frozen=True)
class Slice:
  name: str
  devices: list
  chip: Chip | None  # None for this machine's CPU: no peak to compare with


def tpu_slice(name: str, num_slices: int = 1) -> Slice:
  """The devices of TPU slice `name` ('v5e-8', 'v4-32', ...), without the slice (libtpu describes it)."""
  # Compiling needs no TPU, so several processes may hold libtpu at once (else the second one to load it
  # fails on /tmp/libtpu_lockfile, which any JAX process holds once libtpu is installed).
  os.environ.setdefault('ALLOW_MULTIPLE_LIBTPU_LOAD', '1')
  from jax.experimental import topologies
  from jax.experimental.pallas import tpu as pltpu

  generation, _, count = name.partition('-')
  if generation not in GENERATIONS or not count.isdigit():
    raise ValueError(f'--topology={name}: expected cpu or GENERATION-SIZE, GENERATION one of {sorted(GENERATIONS)}')
  per_chip, shapes, chip_config, version, cores = GENERATIONS[generation]
  chips = int(count) // per_chip
  if chips not in shapes or int(count) % per_chip:
    sizes = ', '.join(f'{generation}-{c * per_chip}' for c in shapes)
    raise ValueError(f'--topology={name}: not a {generation} slice this tool knows; known: {sizes}')
  # Hosts hold 4 chips (2x2), except single-host v5e/v6e slices of up to 8 chips.
  single_host = per_chip == 1 and chips <= 8
  bounds = tuple(map(int, shapes[chips].split('x'))) + (1,) * (3 - shapes[chips].count('x') - 1)
  host = bounds if single_host else (2, 2, 1)
  topology = topologies.get_topology_desc(platform='tpu', topology_name=f'{generation}:{shapes[chips]}',
                                          chip_config_name=chip_config, chips_per_host_bounds=host,
                                          num_slices=num_slices)
  info = pltpu.get_tpu_info_for_chip(getattr(pltpu.ChipVersion, version), cores)
  chip = Chip(info.hbm_capacity_bytes * cores, float(info.bf16_ops_per_second * cores),
              float(info.mem_bw_bytes_per_second * cores))
  suffix = f' x {num_slices} slices' if num_slices > 1 else ''
  return Slice(name + suffix, list(topology.devices), chip)


def local_slice(devices=None) -> Slice:
  """This process's devices (`cpu`: the laptop accounting); HBM from the allocator, or host RAM on CPU."""
  devices = list(devices or jax.devices())
  free, _ = sample_lib.available_bytes(devices[0])
  return Slice(devices[0].platform, devices, None if devices[0].platform == 'cpu' else Chip(free, 0.0, 0.0))


# ------------------------------------------------------------------------------------------ shapes


def _base(source: str) -> tuple[str, dict]:
  """(the checkpoint the model's shapes come from, ModelConfig fields it fixes): a raftjax cycle's base and
  the layers' layout it was saved in, or the source itself."""
  directory = None if source in PRESETS else checkpoint.find(source)
  if directory is None:
    return source, {}
  meta = checkpoint.read_meta(directory)
  return meta['base'], checkpoint.saved_layout(meta)


def model_config(source: str, config) -> ModelConfig:
  """The model's shapes: a PRESETS name, an HF directory, a GGUF file, or a raftjax cycle (its base)."""
  base, fixed = _base(source)
  overrides = {**config_lib.model_overrides(config), **fixed}
  if base in PRESETS:
    return weights.config_from_hf_dict(PRESETS[base], f'preset {base}', **overrides)
  return weights.model_config(base, **overrides)


def longest_prompt(config, source: str) -> int:
  """Tokens of the longest chat-templated prompt of the config's tasks, with the model's tokenizer;
  DEFAULT_PROMPT_TOKENS for a preset (no tokenizer at hand)."""
  base, _ = _base(source)
  if base in PRESETS:
    return DEFAULT_PROMPT_TOKENS
  train_tasks, eval_tasks, _ = config_lib.task_split(config)
  tokenizer = weights.load_tokenizer(base)
  system = config.generation.system_prompt
  return max(len(sample_lib.format_prompt(tokenizer, t['prompt'], system)) for t in train_tasks + eval_tasks)


class _NoTokenizer:
  """What the Sampler asks of a tokenizer, for compiling without one: pad and eos 0; a stop string is one
  token per byte (no real tokenisation is longer). Shapes do not depend on the ids."""
  pad_token_id = eos_token_id = 0

  def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
    del add_special_tokens
    return [0] * len(text.encode())


def abstract_model(cfg: ModelConfig, tcfg: config_lib.TrainConfig, mesh, optimizer: bool):
  """(model, optimizer or None) as ShapeDtypeStructs on `mesh`'s shardings: nothing is allocated."""

  def build():
    model = Llama(cfg, nnx.Rngs(0))
    if not tcfg.full_finetune:
      add_lora(model, tcfg.lora_rank, tcfg.lora_alpha, tcfg.lora_dropout, tcfg.lora_targets, seed=0)
    return model, train_lib.make_optimizer(model, tcfg) if optimizer else None

  nodes = nnx.eval_shape(build)
  for node in nodes:
    if node is not None:
      state = nnx.state(node)
      nnx.update(node, jax.tree.map(_on, state, mesh_lib.state_shardings(state, mesh),
                                    is_leaf=lambda x: isinstance(x, nnx.Variable)))
  return nodes


def _on(variable: nnx.Variable, sharding) -> nnx.Variable:
  value = variable.get_value()
  return variable.replace(jax.ShapeDtypeStruct(value.shape, value.dtype, sharding=sharding))


# ---------------------------------------------------------------------------------------- programs


@dataclasses.dataclass(frozen=True)
class Shapes:
  """A cycle's program shapes: from the config, and the longest prompt (which sets the prompt bucket)."""
  prompts: int  # per sampler call
  longest_prompt: int
  samples_per_prompt: int
  accumulation: int
  batch: int  # rows per micro-batch
  seq_len: int


def shapes_of(config, prompt_tokens: int) -> Shapes:
  c = config_lib.for_cycle(config, 1)
  return Shapes(prompts=c.generation.batch_size, longest_prompt=prompt_tokens,
                samples_per_prompt=c.raft.samples_per_prompt, accumulation=c.training.gradient_accumulation_steps,
                batch=c.training.batch_size, seq_len=c.training.max_seq_len)


@dataclasses.dataclass
class Program:
  lowered: jax.stages.Lowered
  inputs: list[tuple[str, str, jax.ShapeDtypeStruct]]  # (name, kind, abstract array) of what it holds
  tokens: int  # per call: prompt tokens (prefill), rows (decode: one token each), trained tokens (train)


def lower_programs(cfg: ModelConfig, config, mesh, shapes: Shapes) -> dict[str, Program]:
  """The cycle's prefill, decode and train programs for `cfg` on `mesh`, lowered (not compiled)."""
  c = config_lib.for_cycle(config, 1)
  tcfg = dataclasses.replace(c.training, gradient_accumulation_steps=shapes.accumulation)
  model, optimizer = abstract_model(cfg, tcfg, mesh, optimizer=True)
  params = _named(model, nnx.Param, 'weights', trained=tcfg)
  sampler = sample_lib.Sampler(model, _NoTokenizer(), mesh, c.generation)
  prefill, decode = sampler.lower(nnx.state(model), shapes.prompts, shapes.longest_prompt,
                                  shapes.samples_per_prompt)
  p, t, cache_len = sampler.call_shape(shapes.prompts, shapes.longest_prompt)
  rows = p * shapes.samples_per_prompt
  caches = [(f'kv_cache.{k}', 'kv_cache', sampler.cache_spec(rows, cache_len)) for k in 'kv']
  a, b, t_train = shapes.accumulation, shapes.batch, shapes.seq_len
  sharding = mesh_lib.array_sharding((a, b, t_train), (None, 'batch', 'length'), mesh)
  micro = {k: jax.ShapeDtypeStruct((a, b, t_train), v.dtype, sharding=sharding)
           for k, v in train_lib.pack([train_lib.Example([0], [0])], t_train).items()}
  train = train_lib.train_step.lower(model, optimizer, micro, jax.ShapeDtypeStruct((), jnp.float32))
  return {
      'prefill': Program(prefill, params + caches, p * t),  # the cache is its output
      'decode': Program(decode, params + caches, rows),
      'train': Program(train, params + _named(optimizer, nnx.Variable, 'optimizer'), a * b * t_train),
  }


def lower_update(cfg: ModelConfig, config, mesh) -> jax.stages.Lowered:
  """The optimizer update alone (its cost is subtracted from the accumulated micro-batches')."""
  tcfg = config_lib.for_cycle(config, 1).training
  model, optimizer = abstract_model(cfg, tcfg, mesh, optimizer=True)

  @nnx.jit
  def update(optimizer, model, grads):
    optimizer.update(model, grads)

  return update.lower(optimizer, model, nnx.state(model, optimizer.wrt))


def _named(node, kind, label: str, trained=None) -> list[tuple[str, str, jax.ShapeDtypeStruct]]:
  """(path, kind, abstract array) of `node`'s variables; with `trained` (a TrainConfig), the weights it
  trains are labelled 'adapters' (LoRA) or 'trained' (full fine-tune)."""
  out = []
  for path, v in nnx.to_flat_state(nnx.state(node, kind)):
    what = label
    if trained is not None and isinstance(v, nnx.LoRAParam):
      what = 'adapters'
    elif trained is not None and trained.full_finetune:
      what = 'trained'
    out.append(('.'.join(map(str, path)), what, v.get_value()))
  return out


def _device_bytes(x: jax.ShapeDtypeStruct) -> int:
  return math.prod(x.sharding.shard_shape(x.shape)) * jnp.dtype(x.dtype).itemsize


# ------------------------------------------------------------------------------------------- report

# XLA:TPU's cost model gives each sliced prefetch (a `ConcatBitcast` of the slices) -1 s, which makes
# `optimal_seconds` of a whole model negative (libtpu 0.0.42). The cost programs are compiled without
# sliced prefetches; the real programs (memory, compile time) with the compiler's defaults.
COST_OPTIONS = {'xla_tpu_sliced_prefetch_max_slices': 0}


def _compile(lowered, options=None):
  """(compiled or None, the compiler's error or None, seconds)."""
  start = time.perf_counter()
  try:
    compiled = lowered.compile(options)
  except Exception as e:  # XLA raises JaxRuntimeError (e.g. RESOURCE_EXHAUSTED) with the compiler's words
    return None, str(e).strip(), time.perf_counter() - start
  return compiled, None, time.perf_counter() - start


def memory_of(program: Program, compiled, capacity: int, devices_sharing: int) -> dict:
  """Per-device bytes: the inputs by kind (from their shardings) and XLA's memory analysis; `total` =
  arguments + outputs - aliased + temporaries + generated code, against `capacity` (HBM per device, or
  host RAM shared by `devices_sharing` CPU devices)."""
  out = {}
  for _, kind, x in program.inputs:
    out[kind] = out.get(kind, 0) + _device_bytes(x)
  if compiled is not None:
    m = compiled.memory_analysis()
    out.update(arguments=m.argument_size_in_bytes, outputs=m.output_size_in_bytes, aliased=m.alias_size_in_bytes,
               temporaries=m.temp_size_in_bytes, generated_code=m.generated_code_size_in_bytes)
    out['total'] = (m.argument_size_in_bytes + m.output_size_in_bytes - m.alias_size_in_bytes
                    + m.temp_size_in_bytes + m.generated_code_size_in_bytes)
  out['capacity'] = capacity
  out['fits'] = compiled is not None and out['total'] * devices_sharing <= capacity
  return out


def largest_inputs(program: Program, n: int = 5) -> list[dict]:
  ranked = sorted(program.inputs, key=lambda item: -_device_bytes(item[2]))[:n]
  return [dict(name=name, kind=kind, shape=list(x.shape), dtype=str(jnp.dtype(x.dtype)),
               spec=str(x.sharding.spec), bytes_per_device=_device_bytes(x)) for name, kind, x in ranked]


def _cost(compiled) -> dict:
  c = compiled.cost_analysis()
  return dict(flops=float(c.get('flops', 0.0)), bytes=float(c.get('bytes accessed', 0.0)),
              optimal_seconds=float(c['optimal_seconds']) if 'optimal_seconds' in c else None)


def cost_variants(cfg: ModelConfig, config, mesh, shapes: Shapes) -> dict:
  """Per-call costs of each program with 1 and 2 unrolled layers and one micro-batch, and of the
  optimizer update alone: what `extrapolate` scales to the model (the module docstring says why)."""
  one_micro = dataclasses.replace(shapes, accumulation=1)
  at = {}
  for layers in (1, 2):
    variant = dataclasses.replace(cfg, num_layers=layers, scan_layers=False)
    at[layers] = {name: _cost(p.lowered.compile(COST_OPTIONS))
                  for name, p in lower_programs(variant, config, mesh, one_micro).items()}
  return dict(layers=at, update=_cost(lower_update(cfg, config, mesh).compile(COST_OPTIONS)))


def extrapolate(variants: dict, layers: int, accumulation: int) -> dict[str, dict]:
  """Costs at `layers` layers (linear in depth) and `accumulation` micro-batches: the train step's other
  micro-batches each cost the step less its optimizer update."""
  one, two = variants['layers'][1], variants['layers'][2]
  line = lambda a, b: None if a is None or b is None else a + (layers - 1) * (b - a)
  out = {name: {k: line(one[name][k], two[name][k]) for k in one[name]} for name in one}
  for k, v in out['train'].items():
    update = variants['update'][k]
    if v is not None and update is not None:
      out['train'][k] = v + (accumulation - 1) * (v - update)
  return out


def predictions(cost: dict, chip: Chip, tokens: int, name: str) -> dict:
  """Tokens/s from XLA's optimal_seconds and from the roofline, the roofline fraction and (train) MFU."""
  roofline = max(cost['flops'] / chip.peak_flops, cost['bytes'] / chip.hbm_bandwidth)
  seconds = cost['optimal_seconds'] if cost['optimal_seconds'] and cost['optimal_seconds'] > 0 else None
  out = dict(roofline_seconds=roofline, roofline_tokens_per_s=tokens / roofline if roofline else None,
             tokens_per_s=tokens / seconds if seconds else None,
             roofline_fraction=roofline / seconds if seconds else None)
  if name == 'train':
    out['mfu'] = cost['flops'] / (seconds * chip.peak_flops) if seconds else None
  return out


def cycle_seconds(config, programs: dict, shapes: Shapes) -> dict:
  """A cycle's predicted device seconds from the programs' `optimal_seconds`, as an upper bound: every
  sample decodes `max_new_tokens` tokens, `keep_top_percent` of them are trained on at full length
  (longest prompt + max_new_tokens), the held-out tasks are sampled alike. gcc (host) is not counted."""
  c = config_lib.for_cycle(config, 1)
  train_tasks, eval_tasks, _ = config_lib.task_split(config)
  seconds = {name: p['cost']['optimal_seconds'] for name, p in programs.items()}
  call = seconds['prefill'] + c.generation.max_new_tokens * seconds['decode']  # decode: one token per row
  prompts = min(c.raft.prompts_per_cycle or len(train_tasks), len(train_tasks))
  rows_per_call = shapes.prompts * shapes.samples_per_prompt  # held-out calls take as many rows
  samples = prompts * shapes.samples_per_prompt
  kept_tokens = math.ceil(c.raft.keep_top_percent * samples) * (shapes.longest_prompt + c.generation.max_new_tokens)
  out = dict(sample_s=math.ceil(prompts / shapes.prompts) * call,
             train_s=c.training.epochs * math.ceil(kept_tokens / programs['train']['tokens_per_call'])
             * seconds['train'],
             eval_s=math.ceil(len(eval_tasks) * config.evaluation.samples_per_prompt / rows_per_call) * call)
  out['total_s'] = sum(out.values())
  return out


def report(config, target: Slice, source: str, prompt_tokens: int, with_costs: bool = True) -> dict:
  """Compiles the cycle's programs for `target` and returns the report (see the module docstring)."""
  mesh = mesh_lib.make_mesh(config.mesh.shape, config.mesh.axes, devices=target.devices)
  cfg = model_config(source, config)
  shapes = shapes_of(config, prompt_tokens)
  cpu = target.chip is None
  capacity = sample_lib.available_bytes(target.devices[0])[0] if cpu else target.chip.hbm_bytes
  lowered = lower_programs(cfg, config, mesh, shapes)
  programs = {}
  for name, program in lowered.items():
    compiled, error, seconds = _compile(program.lowered)
    log.info('%s: %s in %.1f s', name, 'compiled' if compiled else 'not compiled', seconds)
    programs[name] = dict(compiled=compiled is not None, error=error, compile_s=round(seconds, 2),
                          hlo_bytes=len(compiled.as_text()) if compiled else None,
                          memory=memory_of(program, compiled, capacity, mesh.size if cpu else 1),
                          largest_inputs=largest_inputs(program), tokens_per_call=program.tokens)
  # Costs need a peak to compare with (not on CPU), and a config that does not fit has no speed.
  if with_costs and not cpu and all(p['memory']['fits'] for p in programs.values()):
    for name, cost in extrapolate(cost_variants(cfg, config, mesh, shapes), cfg.num_layers,
                                  shapes.accumulation).items():
      programs[name].update(cost=cost, predicted=predictions(cost, target.chip, programs[name]['tokens_per_call'],
                                                             name))
    positive = all(p['cost']['optimal_seconds'] and p['cost']['optimal_seconds'] > 0 for p in programs.values())
    cycle = cycle_seconds(config, programs, shapes) if positive else None
  else:
    cycle = None
  params = sum(math.prod(x.shape) for _, kind, x in lowered['train'].inputs if kind != 'optimizer')
  model = dict(source=source, params=params, layers=cfg.num_layers, scan_layers=cfg.scan_layers, dtype=cfg.dtype,
               param_dtype=cfg.param_dtype, remat=cfg.remat)
  return dict(topology=target.name, devices=len(target.devices), device_kind=target.devices[0].device_kind,
              chip=dataclasses.asdict(target.chip) if target.chip else None, mesh=dict(mesh.shape), model=model,
              shapes=dataclasses.asdict(shapes), programs=programs, cycle=cycle,
              fits=all(p['memory']['fits'] for p in programs.values()))


def table(rep: dict) -> str:
  """The report as readable lines: one row per program, then what does not fit and why."""
  chip = rep['chip']
  capacity = next(iter(rep['programs'].values()))['memory']['capacity']
  lines = [f"{rep['model']['source']} ({rep['model']['params'] / 1e9:.2f}B params, {rep['model']['layers']} layers"
           f"{', scanned' if rep['model']['scan_layers'] else ''}, {rep['model']['param_dtype']} weights) on "
           f"{rep['topology']}: {rep['devices']} x {rep['device_kind']}, mesh {rep['mesh']}, "
           f"{capacity / GiB:.2f} GiB {'HBM per device' if chip else 'host RAM'}",
           'per device, GiB: total = arguments + outputs - aliased + temporaries + code'
           + ('; costs and speeds are compiler predictions' if chip else ''),
           f"{'program':8} {'fits':>4} {'total':>7} {'weights':>7} {'adapt+opt':>9} {'kv':>6} {'temp':>6} "
           f"{'compile':>8}" + (f" {'GFLOP':>9} {'GB':>7} {'optimal':>9} {'roofline':>9} {'tokens/s':>9} "
                                 f"{'roofline':>9} {'MFU':>5}" if chip else '')]
  for name, p in rep['programs'].items():
    m = p['memory']
    gib = lambda *kinds: sum(m.get(k, 0) for k in kinds) / GiB
    row = (f"{name:8} {'yes' if m['fits'] else 'NO':>4} {m.get('total', float('nan')) / GiB:7.2f} "
           f"{gib('weights', 'trained'):7.2f} {gib('adapters', 'optimizer'):9.2f} {gib('kv_cache'):6.2f} "
           f"{m.get('temporaries', float('nan')) / GiB:6.2f} {p['compile_s']:7.1f}s")
    if 'cost' in p:
      c, q = p['cost'], p['predicted']
      num = lambda x, fmt: format(x, fmt) if x is not None else 'n/a'
      row += (f" {c['flops'] / 1e9:9.1f} {c['bytes'] / 1e9:7.2f} {num(c['optimal_seconds'], '9.4f')} "
              f"{q['roofline_seconds']:9.4f} {num(q['tokens_per_s'], '9.0f')} {q['roofline_tokens_per_s']:9.0f} "
              f"{num(q.get('mfu'), '5.2f') if name == 'train' else '':>5}")
    lines.append(row)
  if rep['cycle']:
    c = rep['cycle']
    lines.append(f"a cycle, predicted upper bound: sampling {c['sample_s']:.0f} s, training {c['train_s']:.0f} s, "
                 f"held-out evaluation {c['eval_s']:.0f} s, in all {c['total_s']:.0f} s of device time")
  for name, p in rep['programs'].items():
    if not p['memory']['fits']:
      why = p['error'] or f"{p['memory']['total'] / GiB:.2f} GiB > {p['memory']['capacity'] / GiB:.2f} GiB"
      lines.append(f'{name} does not fit: {why}')
      lines.extend(f"  {x['bytes_per_device'] / GiB:8.3f} GiB  {x['name']} {x['shape']} {x['dtype']} {x['spec']}"
                   for x in p['largest_inputs'])
  return '\n'.join(lines)


def preflight(config, mesh, source: str) -> dict | None:
  """The fit check at the start of a run on accelerators, before any weight is loaded: compiles the
  cycle's programs for the mesh's devices (memory only, no cost variants) for the model of `source` and
  raises MemoryError with the report when one does not fit. None on CPU, where the sampler's KV-cache
  check is the guard."""
  if mesh.devices.flat[0].platform == 'cpu':
    return None
  rep = report(config, local_slice(mesh.devices.flat), source, longest_prompt(config, source), with_costs=False)
  text = table(rep)
  if not rep['fits']:
    raise MemoryError(f'this config does not fit the devices (raftjax.aot):\n{text}')
  log.info('the cycle fits (raftjax.aot):\n%s', text)
  return rep


# ------------------------------------------------------------------------------------------------ CLI


def main(argv) -> None:
  from absl import app, flags

  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  logging.basicConfig(level=logging.INFO, format='%(asctime)s %(message)s', datefmt='%H:%M:%S')
  f = flags.FLAGS
  config = f.config
  if f.model:
    config.sft_checkpoint = f.model  # the model whose shapes are compiled (a config may leave it unset)
  config_lib.check(config)
  source = config.sft_checkpoint
  try:
    target = local_slice(jax.devices('cpu')) if f.topology == 'cpu' else tpu_slice(f.topology, f.num_slices)
  except ValueError as e:
    raise app.UsageError(str(e)) from None
  rep = report(config, target, source, f.prompt_tokens or longest_prompt(config, source), with_costs=f.costs)
  print(table(rep))
  if f.json:
    with open(f.json, 'w') as out:
      json.dump(rep, out, indent=1)
  sys.exit(0 if rep['fits'] else 1)


if __name__ == '__main__':
  from absl import app, flags
  from ml_collections import config_flags

  # The TPU is described by libtpu, not attached: JAX itself runs on the CPU.
  jax.config.update('jax_platforms', 'cpu')
  config_flags.DEFINE_config_file('config', 'configs/raft.py', 'raftjax config file (get_config())')
  flags.DEFINE_string('topology', 'v5e-8', "a TPU slice (v5e-8, v4-32, v6e-8, v5p-16, v2-8, ...) or 'cpu' "
                      '(this machine)')
  flags.DEFINE_integer('num_slices', 1, 'slices joined over the data-center network (multislice)')
  flags.DEFINE_string('model', '', f"the model's shapes instead of sft_checkpoint's: one of {sorted(PRESETS)}, an "
                      'HF directory or a .gguf file')
  flags.DEFINE_integer('prompt_tokens', 0, 'the longest prompt (sets the prompt bucket); 0 = measure the '
                       f"config's tasks with the model's tokenizer ({DEFAULT_PROMPT_TOKENS} for a preset)")
  flags.DEFINE_bool('costs', True, 'also compile the 1- and 2-layer cost programs (flops, optimal_seconds, '
                    'predicted speeds); --nocosts: memory and compile time only')
  flags.DEFINE_string('json', '', 'also write the report here as JSON')
  app.run(main, flags_parser=config_lib.parse_flags)
