"""A run's config, checked before anything is created or loaded, and the typed sections each stage takes.

A config is an `ml_collections.ConfigDict` (configs/*.py; `--config.a.b=value` overrides win). Its
defaults are the fields of the frozen dataclasses of `raftjax.sections`, one per section, and nowhere
else: `defaults()` builds the ConfigDict from them, configs/raft.py is exactly that, and every other
config starts from it and changes what it needs (tests/test_config.py keeps it so).

  defaults()                the default run's ConfigDict
  check(config)             raises one ValueError naming the key, for the config and every cycle of it
  for_cycle(config, n)      the typed sections of cycle n: `cycles[n - 1]` (or the last entry) on top
  evaluation_sampling / pass_at_k_sampling   the held-out evaluations' sampling settings

No JAX: checks run before JAX starts, and in the verifier's worker processes.
"""

import dataclasses

import ml_collections
import numpy as np

from raftjax.sections import (
  CURRICULUM,
  EvalConfig,
  MeshConfig,
  ModelSection,
  RaftConfig,
  RunConfig,
  SamplingConfig,
  SftConfig,
  TrainConfig,
  VerifierConfig,
)

SECTIONS = {
  'model': ModelSection,
  'mesh': MeshConfig,
  'generation': SamplingConfig,
  'sft': SftConfig,
  'raft': RaftConfig,
  'evaluation': EvalConfig,
  'training': TrainConfig,
  'verifier': VerifierConfig,
}
# Keys a `cycles` entry may change (a curriculum or a schedule): the others shape compiled programs or the
# run itself. Each distinct `generation.temperature` compiles the sampler once (raftjax.rl.loop).
CYCLE_KEYS = (
  'raft.reward_threshold',
  'raft.keep_top_percent',
  'raft.selection',
  'raft.samples_per_prompt',
  'raft.prefer_correct',
  'raft.adaptive_rounds',
  'raft.demonstrations',
  'raft.hint_share',
  'raft.replay',
  'training.learning_rate',
  'training.epochs',
  'generation.temperature',
) + tuple(f'verifier.{f.name}' for f in dataclasses.fields(VerifierConfig))


def defaults() -> ml_collections.ConfigDict:
  """The default run's config: every key of every section at its dataclass default, and the seed's
  curriculum in `cycles`."""
  c = ml_collections.ConfigDict(dataclasses.asdict(RunConfig()))
  for name, cls in SECTIONS.items():
    c[name] = ml_collections.ConfigDict(dataclasses.asdict(cls()))
  c.cycles = [dict(entry) for entry in CURRICULUM]
  return c


@dataclasses.dataclass(frozen=True)
class CycleConfig:
  """The typed sections one cycle runs with."""

  raft: RaftConfig
  generation: SamplingConfig
  training: TrainConfig
  verifier: VerifierConfig


def draw_seed(seed: int, *parts: int) -> int:
  """The seed of one random draw of a run: a hash of (the config's seed, the stage or cycle, what is drawn)."""
  return int(np.random.SeedSequence([p & 0xFFFFFFFF for p in (seed, *parts)]).generate_state(1)[0])


def _fail(key: str, value, expected: str):
  raise ValueError(f'config.{key} = {value!r}: expected {expected}')


def typed(cls, section, name: str):
  """`section` (a ConfigDict or dict) as an instance of the dataclass `cls`; a bad value raises naming
  `config.<name>.<key>`."""
  fields = {f.name for f in dataclasses.fields(cls)}
  if not isinstance(section, (dict, ml_collections.ConfigDict)):
    _fail(name, section, f'a section with the keys {sorted(fields)}')
  values = section.to_dict() if isinstance(section, ml_collections.ConfigDict) else dict(section)
  unknown = sorted(set(values) - fields)
  if unknown:
    _fail(f'{name}.{unknown[0]}', values[unknown[0]], f'a key of config.{name}: {sorted(fields)}')
  try:
    return cls(**values)
  except (ValueError, TypeError) as e:
    raise ValueError(f'config.{name}.{e}') from None


def run_config(config: ml_collections.ConfigDict) -> RunConfig:
  """The top-level keys, checked."""
  names = {f.name for f in dataclasses.fields(RunConfig)}
  try:
    return RunConfig(**{k: config[k] for k in names})
  except ValueError as e:
    raise ValueError(f'config.{e}') from None


def _with_overrides(config: ml_collections.ConfigDict, cycle: int) -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict(config.to_dict())
  if config.cycles and cycle:
    for key, value in config.cycles[min(cycle, len(config.cycles)) - 1].items():
      section, name = key.split('.')
      c[section][name] = value
  return c


def for_cycle(config: ml_collections.ConfigDict, cycle: int) -> CycleConfig:
  """The typed sections of `cycle` (1-based): the `cycles` entry for it, or the last one, on top (cycle 0:
  the config's own values)."""
  c = _with_overrides(config, cycle)
  return CycleConfig(
    **{name: typed(SECTIONS[name], c[name], name) for name in ('raft', 'generation', 'training', 'verifier')}
  )


def section(config: ml_collections.ConfigDict, name: str):
  """One section of the config (its own values, no cycle overrides), typed."""
  return typed(SECTIONS[name], config[name], name)


def overrides_of(config: ml_collections.ConfigDict, cycle: int) -> dict:
  """The `cycles` entry that applies to `cycle` ({} without a curriculum)."""
  return dict(config.cycles[min(cycle, len(config.cycles)) - 1]) if config.cycles else {}


def evaluation_sampling(config: ml_collections.ConfigDict, generation: SamplingConfig) -> SamplingConfig:
  """The training sampler's settings at `evaluation.temperature`, with as many rows per call: evaluation
  draws fewer samples per prompt, so it takes more prompts per call (on CPU, 32 rows decode ~1.4x more
  tokens/s than 8)."""
  rows = generation.batch_size * config.raft.samples_per_prompt
  return dataclasses.replace(
    generation,
    temperature=config.evaluation.temperature,
    batch_size=max(1, rows // config.evaluation.samples_per_prompt),
  )


def pass_at_k_sampling(config: ml_collections.ConfigDict, generation: SamplingConfig) -> SamplingConfig:
  """The sampled held-out evaluation's settings: `evaluation.pass_at_k` samples per task from the policy
  itself at `evaluation.pass_at_k_temperature`, with no top-p/top-k truncation (at temperature 1 its
  samples are draws of the policy, which the entropy and KL estimates on them assume), as many rows per
  call as training."""
  rows = generation.batch_size * config.raft.samples_per_prompt
  return dataclasses.replace(
    generation,
    temperature=config.evaluation.pass_at_k_temperature,
    top_p=1.0,
    top_k=0,
    batch_size=max(1, rows // config.evaluation.pass_at_k),
  )


def check(config: ml_collections.ConfigDict) -> None:
  """Rejects any value the run cannot use, naming the key; reads nothing, creates nothing."""
  known = {f.name for f in dataclasses.fields(RunConfig)} | set(SECTIONS) | {'cycles'}
  unknown = sorted(set(config.keys()) - known)
  if unknown:
    _fail(unknown[0], config[unknown[0]], f'a key of config: {sorted(known)}')
  for name in sorted(known - set(config.keys())):
    _fail(name, None, 'a value (the key is missing; configs start from raftjax.config.defaults())')
  run_config(config)
  for name in SECTIONS:
    section(config, name)
  if not isinstance(config.cycles, (list, tuple)):
    _fail('cycles', config.cycles, 'a list of dicts of overrides')
  for i, overrides in enumerate(config.cycles):
    if not isinstance(overrides, dict):
      _fail(f'cycles[{i}]', overrides, "a dict of overrides such as {'raft.reward_threshold': 0.5}")
    for key in overrides:
      if key not in CYCLE_KEYS:
        _fail(f'cycles[{i}]', key, f'keys among {CYCLE_KEYS}')
  for cycle in range(len(config.cycles) + 1):
    try:
      c = for_cycle(config, cycle)
    except ValueError as e:
      raise ValueError(f'{e} (in cycle {cycle}, with its overrides)' if cycle else str(e)) from None
    for key in ('demonstrations', 'replay'):  # references and SFT examples have no sampling policy's log-probs
      if getattr(c.raft, key) and c.training.objective != 'sft':
        off = getattr(RaftConfig, key)  # the field's default
        _fail(
          f'raft.{key}', getattr(c.raft, key), f'{off!r} with training.objective {c.training.objective!r} (sft only)'
        )


def model_overrides(config: ml_collections.ConfigDict) -> dict:
  """The `raftjax.model.llama.ModelConfig` fields a config sets, for every loader (`checkpoint.load`): the
  `model` section, and `training.remat` (the model runs its layers under that policy; only the train
  step's differentiation sees it)."""
  return dict(
    dtype=config.model.dtype,
    param_dtype=config.model.param_dtype,
    scan_layers=config.model.scan_layers,
    remat=config.training.remat,
  )
