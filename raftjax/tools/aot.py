"""Compiles a RAFT cycle's programs ahead of time for a TPU slice (or this machine) and says whether they
fit and how fast the compiler expects them to run. Needs neither the slice nor the weights.

  python -m raftjax.tools.aot --config=configs/raft_7b.py --topology=v5e-8 [--model=qwen2.5-coder-7b]
  python -m raftjax.tools.aot --config=configs/raft_7b.py --topology=v5e-16 --num_slices=2 --json=report.json
  python -m raftjax.tools.aot --config=configs/raft.py --topology=cpu      # the laptop run, on this CPU

Programs, with the config's shapes, on the config's mesh laid over the topology's devices:
  prefill  the sampler's prefill of `generation.batch_size` prompts of the largest prompt bucket
  decode   the sampler's decode loop: rows = batch_size x samples_per_prompt (or `generation.slots`), cache =
           bucket + max_new_tokens slots
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

An array the mesh cannot split as its axes ask (SmolLM2's 3 KV heads over tensor = 4: `mesh.fitted_spec`
drops the axis, it does not pad) is held whole over that axis; each one is a warning with the numbers
(`kv_cache.k: dimension 2 (3 kv_heads) is not divisible by tensor=4: replicated, 4x the memory per
device`), printed under the table and kept in the JSON report (`warnings`).

XLA's cost analysis counts a loop's body once, and a scanned model's layers are a loop (so is the decode
loop, which is what makes its numbers per generated token). Costs are therefore taken from the same
programs compiled with 1 and 2 unrolled layers and one micro-batch, extrapolated linearly to the model's
depth; the train step adds `gradient_accumulation_steps - 1` micro-batches (its cost without the
optimizer update, which is compiled on its own). Memory and compile time are the real program's. The
cost programs are compiled without sliced prefetches (COST_OPTIONS says why), and with `--nomsa` without
memory-space assignment (NO_MSA says why).

Lowering the programs lives in `raftjax.programs`, their memory and the fit check in `raftjax.fit`: `fit.preflight` is
the same check at the start of a run on accelerators, before any weight is loaded.
Exit status: 0 when every program compiles and fits, 1 when one does not (after the report), 2 on a
usage error.
"""

import dataclasses
import functools
import json
import logging
import math
import os
import sys

import jax

from raftjax import cli, fit
from raftjax import config as config_lib
from raftjax import programs as programs_lib
from raftjax.data import tasks as tasks_lib
from raftjax.fit import Chip, Slice
from raftjax.model import presets
from raftjax.model.llama import ModelConfig
from raftjax.programs import Shapes, lower_programs, lower_update

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


def quiet_libtpu(name: str) -> None:
  """Tells libtpu, before it loads, what it would otherwise ask the TPU VM's metadata server for, on a host
  without TPU chips (jax sets TPU_SKIP_MDS_QUERY=1 there when it is imported): the accelerator type (that of
  slice `name`) and the workers' hostnames (this one). Unset, libtpu prints "could not determine TPU
  accelerator type" and "unexpected worker hostname ... could not determine TPU worker hostnames" errors
  that mean nothing for compiling; they describe the runtime, not the topology compiled for (the devices,
  chips and programs are the same with or without them). Variables already set are kept."""
  if os.environ.get('TPU_SKIP_MDS_QUERY') != '1':
    return  # a TPU VM: libtpu reads the real values
  generation, _, count = name.partition('-')
  os.environ.setdefault('TPU_ACCELERATOR_TYPE', f'{"v5litepod" if generation == "v5e" else generation}-{count}')
  os.environ.setdefault('TPU_WORKER_HOSTNAMES', 'localhost')


def tpu_slice(name: str, num_slices: int = 1) -> Slice:
  """The devices of TPU slice `name` ('v5e-8', 'v4-32', ...), without the slice (libtpu describes it)."""
  generation, _, count = name.partition('-')
  if generation not in GENERATIONS or not count.isdigit():
    raise ValueError(f'--topology={name}: expected cpu or GENERATION-SIZE, GENERATION one of {sorted(GENERATIONS)}')
  # Compiling needs no TPU, so several processes may hold libtpu at once (else the second one to load it
  # fails on /tmp/libtpu_lockfile, which any JAX process holds once libtpu is installed).
  os.environ.setdefault('ALLOW_MULTIPLE_LIBTPU_LOAD', '1')
  quiet_libtpu(name)
  from jax.experimental import topologies
  from jax.experimental.pallas import tpu as pltpu

  per_chip, shapes, chip_config, version, cores = GENERATIONS[generation]
  chips = int(count) // per_chip
  if chips not in shapes or int(count) % per_chip:
    sizes = ', '.join(f'{generation}-{c * per_chip}' for c in shapes)
    raise ValueError(f'--topology={name}: not a {generation} slice this tool knows; known: {sizes}')
  # Hosts hold 4 chips (2x2), except single-host v5e/v6e slices of up to 8 chips.
  single_host = per_chip == 1 and chips <= 8
  bounds = tuple(map(int, shapes[chips].split('x'))) + (1,) * (3 - shapes[chips].count('x') - 1)
  host = bounds if single_host else (2, 2, 1)
  topology = topologies.get_topology_desc(
    platform='tpu',
    topology_name=f'{generation}:{shapes[chips]}',
    chip_config_name=chip_config,
    chips_per_host_bounds=host,
    num_slices=num_slices,
  )
  info = pltpu.get_tpu_info_for_chip(getattr(pltpu.ChipVersion, version), cores)
  chip = Chip(
    info.hbm_capacity_bytes * cores,
    float(info.bf16_ops_per_second * cores),
    float(info.mem_bw_bytes_per_second * cores),
  )
  suffix = f' x {num_slices} slices' if num_slices > 1 else ''
  return Slice(name + suffix, list(topology.devices), chip)


# ------------------------------------------------------------------------------------------- report

# XLA:TPU's cost model gives each sliced prefetch (a `ConcatBitcast` of the slices) -1 s, which makes
# `optimal_seconds` of a whole model negative (libtpu 0.0.42). The cost programs are compiled without
# sliced prefetches; the real programs (memory, compile time) with the compiler's defaults.
COST_OPTIONS = {'xla_tpu_sliced_prefetch_max_slices': 0}
# `--nomsa`: the cost programs also without memory-space assignment (MSA), which moves buffers between HBM
# and the chip's VMEM with async copies that the cost model prices on top of the ops reading them. Its
# choices differ between programs of the same per-layer work (the slot loop of raft_7b copies every layer's
# weights into VMEM each step, the chunked loop none: 0.38 GB a layer more in `bytes`), so without it two
# programs compare on their ops' own traffic. The real programs (memory, compile time) keep MSA either way.
NO_MSA = {**COST_OPTIONS, 'xla_msa_enable': False}


def _cost(compiled) -> dict:
  c = compiled.cost_analysis()
  return dict(
    flops=float(c.get('flops', 0.0)),
    bytes=float(c.get('bytes accessed', 0.0)),
    optimal_seconds=float(c['optimal_seconds']) if 'optimal_seconds' in c else None,
  )


def cost_variants(cfg: ModelConfig, config, mesh, shapes: Shapes, options: dict = COST_OPTIONS) -> dict:
  """Per-call costs of each program with 1 and 2 unrolled layers and one micro-batch, and of the
  optimizer update alone, compiled with `options`: what `extrapolate` scales to the model (the module
  docstring says why)."""
  one_micro = dataclasses.replace(shapes, accumulation=1)
  at = {}
  for layers in (1, 2):
    variant = dataclasses.replace(cfg, num_layers=layers, scan_layers=False)
    at[layers] = {
      name: _cost(p.lowered.compile(options)) for name, p in lower_programs(variant, config, mesh, one_micro).items()
    }
  return dict(layers=at, update=_cost(lower_update(cfg, config, mesh).compile(options)))


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
  out = dict(
    roofline_seconds=roofline,
    roofline_tokens_per_s=tokens / roofline if roofline else None,
    tokens_per_s=tokens / seconds if seconds else None,
    roofline_fraction=roofline / seconds if seconds else None,
  )
  if name == 'train':
    out['mfu'] = cost['flops'] / (seconds * chip.peak_flops) if seconds else None
  return out


def cycle_seconds(config, programs: dict, shapes: Shapes) -> dict:
  """A cycle's predicted device seconds from the programs' `optimal_seconds`, as an upper bound: every
  sample decodes `max_new_tokens` tokens (so slots, whose gain is refilling rows that end early, save only
  the last call's padding here), `keep_top_percent` of them are trained on at full length (longest prompt +
  max_new_tokens), the held-out tasks are sampled alike. gcc (host) is not counted."""
  c = config_lib.for_cycle(config, 1)
  train_tasks, eval_tasks, _ = tasks_lib.task_split(config)
  seconds = {name: p['cost']['optimal_seconds'] for name, p in programs.items()}
  rows, steps = programs['decode']['tokens_per_call'], c.generation.max_new_tokens  # decode: a token per row

  def sampling_s(prompts: int, n: int) -> float:
    per_call = max(1, shapes.prompts * shapes.samples_per_prompt // n)  # held-out calls take as many rows
    calls = math.ceil(prompts / per_call)  # chunks of the prompts (slots: fills of that many)
    decode_calls = math.ceil(prompts * n / rows) if c.generation.slots else calls
    return calls * seconds['prefill'] + decode_calls * steps * seconds['decode']

  prompts = min(c.raft.prompts_per_cycle or len(train_tasks), len(train_tasks))
  samples = prompts * shapes.samples_per_prompt
  kept_tokens = math.ceil(c.raft.keep_top_percent * samples) * (shapes.longest_prompt + c.generation.max_new_tokens)
  out = dict(
    sample_s=sampling_s(prompts, shapes.samples_per_prompt),
    train_s=c.training.epochs * math.ceil(kept_tokens / programs['train']['tokens_per_call']) * seconds['train'],
    eval_s=sampling_s(len(eval_tasks), config.evaluation.samples_per_prompt),
  )
  out['total_s'] = sum(out.values())
  return out


def add_costs(
  cfg, config, mesh, shapes: Shapes, programs: dict, target: Slice, options: dict = COST_OPTIONS
) -> dict | None:
  """`fit.report`'s cost hook: each program's extrapolated cost (cost programs compiled with `options`) and
  predictions; a cycle's predicted seconds (None when XLA's estimate is not positive for every program)."""
  variants = cost_variants(cfg, config, mesh, shapes, options)
  for name, cost in extrapolate(variants, cfg.num_layers, shapes.accumulation).items():
    programs[name].update(cost=cost, predicted=predictions(cost, target.chip, programs[name]['tokens_per_call'], name))
  positive = all(p['cost']['optimal_seconds'] and p['cost']['optimal_seconds'] > 0 for p in programs.values())
  return cycle_seconds(config, programs, shapes) if positive else None


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
  cli.check(config)
  source = config.sft_checkpoint
  try:
    target = fit.local_slice(jax.devices('cpu')) if f.topology == 'cpu' else tpu_slice(f.topology, f.num_slices)
  except ValueError as e:
    raise app.UsageError(str(e)) from None
  rep = fit.report(
    config,
    target,
    source,
    f.prompt_tokens or programs_lib.longest_prompt(config, source),
    functools.partial(add_costs, options=COST_OPTIONS if f.msa else NO_MSA) if f.costs else None,
  )
  print(fit.table(rep))
  if any('cost' in p for p in rep['programs'].values()):
    rep['cost_programs'] = 'with memory-space assignment' if f.msa else 'without memory-space assignment (--nomsa)'
    print(f'cost programs compiled {rep["cost_programs"]}')
  if f.json:
    with open(f.json, 'w') as out:
      json.dump(rep, out, indent=1)
  sys.exit(0 if rep['fits'] else 1)


if __name__ == '__main__':
  from absl import flags

  # The TPU is described by libtpu, not attached: JAX itself runs on the CPU.
  jax.config.update('jax_platforms', 'cpu')
  cli.config_flag()
  flags.DEFINE_string(
    'topology', 'v5e-8', "a TPU slice (v5e-8, v4-32, v6e-8, v5p-16, v2-8, ...) or 'cpu' (this machine)"
  )
  flags.DEFINE_integer('num_slices', 1, 'slices joined over the data-center network (multislice)')
  flags.DEFINE_string(
    'model',
    '',
    f"the model's shapes instead of sft_checkpoint's: one of {sorted(presets.PRESETS)}, an "
    'HF directory or a .gguf file',
  )
  flags.DEFINE_integer(
    'prompt_tokens',
    0,
    'the longest prompt (sets the prompt bucket); 0 = measure the '
    f"config's tasks with the model's tokenizer ({programs_lib.DEFAULT_PROMPT_TOKENS} for a preset)",
  )
  flags.DEFINE_bool(
    'costs',
    True,
    'also compile the 1- and 2-layer cost programs (flops, optimal_seconds, '
    'predicted speeds); --nocosts: memory and compile time only',
  )
  flags.DEFINE_bool(
    'msa',
    True,
    'compile the cost programs with memory-space assignment (the compiler default); --nomsa: without, '
    "so that programs compare on their ops' own HBM traffic (NO_MSA says why)",
  )
  flags.DEFINE_string('json', '', 'also write the report here as JSON')
  cli.run(main)
