"""Does a cycle fit a set of devices: its programs (raftjax.programs) compiled for them, per-device memory
from XLA's memory analysis against the devices' capacity, and the splits the mesh could not make.

`preflight` runs at the start of a run on accelerators, before any weight is loaded: a config that does not
fit stops in seconds with the numbers, not with an out-of-memory error in cycle 1. `tools.aot` compiles
the same programs for a TPU slice without one and adds the compiler's cost model (`report(add_costs=)`).

A mesh axis that does not divide a dimension is dropped from that array's sharding, not padded
(`mesh.fitted_spec`): the array is then replicated over that axis and takes that many times the memory
per device (SmolLM2's 3 KV heads over tensor = 4: the KV cache whole on every device). The report lists
each such array with the numbers (`warnings`), and `table` prints them.
"""

import dataclasses
import logging
import math
import time

import jax
import jax.numpy as jnp

from raftjax.model import mesh as mesh_lib
from raftjax.programs import Program, longest_prompt, lower_programs, model_config, shapes_of

log = logging.getLogger('raftjax')
GiB = 2**30


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


def local_slice(devices=None) -> Slice:
  """This process's devices (`cpu`: the laptop accounting); HBM from the allocator, or host RAM on CPU."""
  devices = list(devices or jax.devices())
  free, _ = mesh_lib.available_bytes(devices[0])
  return Slice(devices[0].platform, devices, None if devices[0].platform == 'cpu' else Chip(free, 0.0, 0.0))


def _entries(spec, rank: int) -> list[tuple[str, ...]]:
  return [(a,) if isinstance(a, str) else tuple(a or ()) for a in tuple(spec) + (None,) * (rank - len(spec))]


def dropped_splits(name: str, shape, logical_axes, mesh) -> list[dict]:
  """The mesh axes the rules ask for and `mesh.fitted_spec` drops from array `name` because they do not
  divide its dimension: one dict per dimension, with `factor` (how many times the memory per device the
  array takes against the split asked for) and a one-line `message`."""
  wanted = mesh_lib.logical_to_spec(logical_axes, mesh)
  got = mesh_lib.fitted_spec(shape, wanted, mesh)
  out = []
  for dim, (size, logical, want, have) in enumerate(
    zip(shape, logical_axes, _entries(wanted, len(shape)), _entries(got, len(shape)))
  ):
    if set(want) == set(have):
      continue
    ways = lambda axes: math.prod(mesh.shape[a] for a in axes)
    factor = ways(want) // ways(have)
    asked = ' x '.join(f'{a}={mesh.shape[a]}' for a in want)
    outcome = 'replicated' if not have else f'split over {" x ".join(f"{a}={mesh.shape[a]}" for a in have)} only'
    out.append(
      dict(
        array=name,
        shape=list(shape),
        dimension=dim,
        size=size,
        logical_axis=logical,
        mesh_axes={a: mesh.shape[a] for a in want},
        kept={a: mesh.shape[a] for a in have},
        factor=factor,
        message=f'{name}: dimension {dim} ({size} {logical}) is not divisible by {asked}: {outcome}, '
        f'{factor}x the memory per device',
      )
    )
  return out


def split_warnings(programs: dict[str, Program], mesh) -> list[dict]:
  """`dropped_splits` of every array the programs lower, once per array and dimension, with the programs
  that hold it; the array with the most memory per device first."""
  found: dict[tuple[str, int], dict] = {}
  sizes: dict[str, int] = {}
  for program_name, program in programs.items():
    for name, x in ((n, x) for n, _, x in program.inputs):
      sizes[name] = _device_bytes(x)
    for name, shape, axes in program.sharded:
      for w in dropped_splits(name, shape, axes, mesh):
        found.setdefault((name, w['dimension']), dict(w, programs=[]))['programs'].append(program_name)
  return sorted(found.values(), key=lambda w: -sizes.get(w['array'], 0))


def _device_bytes(x: jax.ShapeDtypeStruct) -> int:
  return math.prod(x.sharding.shard_shape(x.shape)) * jnp.dtype(x.dtype).itemsize


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
    out.update(
      arguments=m.argument_size_in_bytes,
      outputs=m.output_size_in_bytes,
      aliased=m.alias_size_in_bytes,
      temporaries=m.temp_size_in_bytes,
      generated_code=m.generated_code_size_in_bytes,
    )
    out['total'] = (
      m.argument_size_in_bytes
      + m.output_size_in_bytes
      - m.alias_size_in_bytes
      + m.temp_size_in_bytes
      + m.generated_code_size_in_bytes
    )
  out['capacity'] = capacity
  out['fits'] = compiled is not None and out['total'] * devices_sharing <= capacity
  return out


def largest_inputs(program: Program, n: int = 5) -> list[dict]:
  ranked = sorted(program.inputs, key=lambda item: -_device_bytes(item[2]))[:n]
  return [
    dict(
      name=name,
      kind=kind,
      shape=list(x.shape),
      dtype=str(jnp.dtype(x.dtype)),
      spec=str(x.sharding.spec),
      bytes_per_device=_device_bytes(x),
    )
    for name, kind, x in ranked
  ]


def report(config, target: Slice, source: str, prompt_tokens: int, add_costs=None) -> dict:
  """Compiles the cycle's programs for `target` and returns the report (module docstring); `add_costs(cfg,
  config, mesh, shapes, programs, target)` (tools.aot) adds the cost model's numbers to `programs` and
  returns a cycle's predicted seconds, when every program fits a TPU."""
  mesh = mesh_lib.make_mesh(config.mesh.shape, config.mesh.axes, devices=target.devices)
  cfg = model_config(source, config)
  shapes = shapes_of(config, prompt_tokens)
  cpu = target.chip is None
  capacity = mesh_lib.available_bytes(target.devices[0])[0] if cpu else target.chip.hbm_bytes
  lowered = lower_programs(cfg, config, mesh, shapes)
  programs = {}
  for name, program in lowered.items():
    compiled, error, seconds = _compile(program.lowered)
    log.info('%s: %s in %.1f s', name, 'compiled' if compiled else 'not compiled', seconds)
    programs[name] = dict(
      compiled=compiled is not None,
      error=error,
      compile_s=round(seconds, 2),
      hlo_bytes=len(compiled.as_text()) if compiled else None,
      memory=memory_of(program, compiled, capacity, mesh.size if cpu else 1),
      largest_inputs=largest_inputs(program),
      tokens_per_call=program.tokens,
    )
  warnings = split_warnings(lowered, mesh)
  # Costs need a peak to compare with (not on CPU), and a config that does not fit has no speed.
  fits = all(p['memory']['fits'] for p in programs.values())
  cycle = add_costs(cfg, config, mesh, shapes, programs, target) if add_costs and not cpu and fits else None
  params = sum(math.prod(x.shape) for _, kind, x in lowered['train'].inputs if kind != 'optimizer')
  model = dict(
    source=source,
    params=params,
    layers=cfg.num_layers,
    scan_layers=cfg.scan_layers,
    dtype=cfg.dtype,
    param_dtype=cfg.param_dtype,
    remat=cfg.remat,
  )
  return dict(
    topology=target.name,
    devices=len(target.devices),
    device_kind=target.devices[0].device_kind,
    chip=dataclasses.asdict(target.chip) if target.chip else None,
    mesh=dict(mesh.shape),
    model=model,
    shapes=dataclasses.asdict(shapes),
    programs=programs,
    cycle=cycle,
    warnings=warnings,
    fits=all(p['memory']['fits'] for p in programs.values()),
  )


def table(rep: dict) -> str:
  """The report as readable lines: one row per program, then what does not fit and why."""
  chip = rep['chip']
  capacity = next(iter(rep['programs'].values()))['memory']['capacity']
  lines = [
    f'{rep["model"]["source"]} ({rep["model"]["params"] / 1e9:.2f}B params, {rep["model"]["layers"]} layers'
    f'{", scanned" if rep["model"]["scan_layers"] else ""}, {rep["model"]["param_dtype"]} weights) on '
    f'{rep["topology"]}: {rep["devices"]} x {rep["device_kind"]}, mesh {rep["mesh"]}, '
    f'{capacity / GiB:.2f} GiB {"HBM per device" if chip else "host RAM"}',
    'per device, GiB: total = arguments + outputs - aliased + temporaries + code'
    + ('; costs and speeds are compiler predictions' if chip else ''),
    f'{"program":8} {"fits":>4} {"total":>7} {"weights":>7} {"adapt+opt":>9} {"kv":>6} {"temp":>6} '
    f'{"compile":>8}'
    + (
      f' {"GFLOP":>9} {"GB":>7} {"optimal":>9} {"roofline":>9} {"tokens/s":>9} {"roofline":>9} {"MFU":>5}'
      if chip
      else ''
    ),
  ]
  for name, p in rep['programs'].items():
    m = p['memory']
    gib = lambda *kinds: sum(m.get(k, 0) for k in kinds) / GiB
    row = (
      f'{name:8} {"yes" if m["fits"] else "NO":>4} {m.get("total", float("nan")) / GiB:7.2f} '
      f'{gib("weights", "trained"):7.2f} {gib("adapters", "optimizer"):9.2f} {gib("kv_cache"):6.2f} '
      f'{m.get("temporaries", float("nan")) / GiB:6.2f} {p["compile_s"]:7.1f}s'
    )
    if 'cost' in p:
      c, q = p['cost'], p['predicted']
      num = lambda x, fmt: format(x, fmt) if x is not None else 'n/a'
      row += (
        f' {c["flops"] / 1e9:9.1f} {c["bytes"] / 1e9:7.2f} {num(c["optimal_seconds"], "9.4f")} '
        f'{q["roofline_seconds"]:9.4f} {num(q["tokens_per_s"], "9.0f")} {q["roofline_tokens_per_s"]:9.0f} '
        f'{num(q.get("mfu"), "5.2f") if name == "train" else "":>5}'
      )
    lines.append(row)
  if rep['cycle']:
    c = rep['cycle']
    lines.append(
      f'a cycle, predicted upper bound: sampling {c["sample_s"]:.0f} s, training {c["train_s"]:.0f} s, '
      f'held-out evaluation {c["eval_s"]:.0f} s, in all {c["total_s"]:.0f} s of device time'
    )
  lines.extend(warning_lines(rep))
  for name, p in rep['programs'].items():
    if not p['memory']['fits']:
      why = p['error'] or f'{p["memory"]["total"] / GiB:.2f} GiB > {p["memory"]["capacity"] / GiB:.2f} GiB'
      lines.append(f'{name} does not fit: {why}')
      lines.extend(
        f'  {x["bytes_per_device"] / GiB:8.3f} GiB  {x["name"]} {x["shape"]} {x["dtype"]} {x["spec"]}'
        for x in p['largest_inputs']
      )
  return '\n'.join(lines)


def warning_lines(rep: dict, limit: int = 6) -> list[str]:
  """The report's `warnings` as lines: the `limit` largest arrays' messages, then a count of the rest."""
  warnings = rep.get('warnings') or []
  if not warnings:
    return []
  lines = [
    'warning: not split as the mesh asks (a mesh axis that does not divide a dimension is dropped, not '
    'padded: raftjax.model.mesh.fitted_spec):'
  ]
  lines.extend(f'  {w["message"]}' for w in warnings[:limit])
  rest = warnings[limit:]
  if rest:
    kinds = ', '.join(sorted({f'{w["size"]} {w["logical_axis"]}' for w in rest}))
    lines.append(f'  and {len(rest)} more arrays of {kinds} (the JSON report, --json, lists them)')
  return lines


def preflight(config, mesh, source: str) -> dict | None:
  """The fit check at the start of a run on accelerators, before any weight is loaded: compiles the
  cycle's programs for the mesh's devices (memory only, no cost variants) for the model of `source` and
  raises MemoryError with the report when one does not fit. None on CPU, where the sampler's KV-cache
  check is the guard."""
  if mesh.devices.flat[0].platform == 'cpu':
    return None
  rep = report(config, local_slice(mesh.devices.flat), source, longest_prompt(config, source))
  text = table(rep)
  if rep['warnings']:
    log.warning('%s', '\n'.join(warning_lines(rep)))
  if not rep['fits']:
    raise MemoryError(f'this config does not fit the devices (raftjax.programs):\n{text}')
  log.info('the cycle fits (raftjax.programs):\n%s', text)
  return rep
