"""A run's configuration: every value checked before anything is created or loaded, and the one
conversion of the ConfigDict (configs/raft.py + `--config.a.b=value` overrides) into the typed configs
each stage takes.

  check(config)              raises one ValueError naming the key, for the config and every cycle of it
  for_cycle(config, n)       the typed configs of cycle n: `cycles[n - 1]` (or the last entry) applied on top
  evaluation_sampling(config, generation)   the held-out evaluation's sampling settings
  pass_at_k_sampling(config, generation)    the sampled held-out evaluation's (pass@k, entropy, KL)
  task_split(config)         training tasks, held-out tasks, and how they were split

Typed configs are frozen dataclasses, one per section, that check their own values: `generation` ->
`SamplingConfig` (raftjax.sample), `raft` -> `RaftConfig` (raftjax.selection, raftjax.raft), `training` ->
`TrainConfig` (raftjax.train), `verifier` -> `verify.VerifierConfig` (the verifier's own, shared with its
CLI). A ConfigDict key must be a field of its dataclass; the conversion is the same for all four
(`typed`). The other sections are checked here. No JAX: checks run before JAX starts.
"""

import dataclasses
import importlib.util
import os

import ml_collections

from raftjax import families
from raftjax import tasks as tasks_lib
from raftjax import verify

SELECTIONS = ('per_prompt', 'global')
# Which prompts of a cycle are dropped before selection (raftjax.selection.prompt_outcomes defines them).
PROMPT_FILTERS = ('none', 'all_fail', 'all_pass', 'both')
# The training losses (raftjax.objectives writes each one down).
OBJECTIVES = ('sft', 'raft_pp', 'reinforce_rej', 'grpo')
# The projections of raftjax.model that can carry LoRA adapters.
LORA_TARGETS = ('q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj')
# What each layer keeps for the backward pass (raftjax.model.REMAT_POLICIES maps each to a policy).
REMAT = ('none', 'full', 'dots')


def _check(obj, checks) -> None:
  """Raises for the first (field, ok, expected) that is not ok: 'field = value: expected ...'."""
  for name, ok, expected in checks:
    if not ok:
      raise ValueError(f'{name} = {getattr(obj, name)!r}: expected {expected}')


@dataclasses.dataclass(frozen=True)
class SamplingConfig:
  max_new_tokens: int = 256
  temperature: float = 0.7  # 0 = greedy
  top_p: float = 1.0  # nucleus: smallest set of tokens with cumulative probability >= top_p
  top_k: int = 0  # 0 = off
  stop_strings: tuple[str, ...] = ()
  batch_size: int = 8  # prompts per device call; each expands to samples_per_prompt rows
  min_prompt_bucket: int = 32  # prompt lengths are padded to a power of two at least this
  # Top-p looks for the nucleus among this many most likely tokens and falls back to a full sort of the
  # vocabulary (the same result, ~50x slower on CPU) only on the steps where they hold < top_p.
  top_p_candidates: int = 256
  system_prompt: str = ''  # for `Sampler.format_prompt`; '' = the chat template's own

  def __post_init__(self):
    checks = (('max_new_tokens', self.max_new_tokens >= 1, 'at least 1'),
              ('temperature', self.temperature >= 0, 'at least 0 (0 = greedy)'),
              ('top_p', 0 < self.top_p <= 1, 'a probability in (0, 1]'),
              ('top_k', self.top_k >= 0, '0 (off) or more'),
              ('batch_size', self.batch_size >= 1, 'at least 1 prompt per call'),
              ('min_prompt_bucket', self.min_prompt_bucket >= 1, 'at least 1'),
              ('top_p_candidates', self.top_p_candidates >= 1, 'at least 1'),
              ('stop_strings', all(isinstance(s, str) and s for s in self.stop_strings), 'non-empty strings'))
    _check(self, checks)
    object.__setattr__(self, 'stop_strings', tuple(self.stop_strings))


@dataclasses.dataclass(frozen=True)
class RaftConfig:
  """The `raft` section of a config (configs/raft.py documents each key)."""
  num_cycles: int = 3
  samples_per_prompt: int = 4
  reward_threshold: float = 0.5
  keep_top_percent: float = 1.0
  selection: str = 'per_prompt'
  prompts_per_cycle: int = 0
  early_stopping: bool = True
  min_improvement: float = 0.02
  patience: int = 2
  prompt_filter: str = 'none'
  refill: bool = False
  prefer_correct: bool = False
  adaptive_rounds: int = 0
  demonstrations: bool = False

  def __post_init__(self):
    checks = (('num_cycles', self.num_cycles >= 1, 'at least 1'),
              ('samples_per_prompt', self.samples_per_prompt >= 1, 'at least 1'),
              ('reward_threshold', 0.0 <= self.reward_threshold <= 1.0, 'a reward in [0, 1]'),
              ('keep_top_percent', 0.0 < self.keep_top_percent <= 1.0, 'a fraction in (0, 1]'),
              ('selection', self.selection in SELECTIONS, f'one of {SELECTIONS}'),
              ('prompts_per_cycle', self.prompts_per_cycle >= 0, '0 (all) or more'),
              ('min_improvement', self.min_improvement >= 0, 'at least 0'),
              ('patience', self.patience >= 1, 'at least 1'),
              ('adaptive_rounds', self.adaptive_rounds >= 0, '0 (off) or more'),
              ('prompt_filter', self.prompt_filter in PROMPT_FILTERS, f'one of {PROMPT_FILTERS}'))
    _check(self, checks)


@dataclasses.dataclass(frozen=True)
class TrainConfig:
  """The `training` section (configs/raft.py documents each key)."""
  epochs: int = 1
  batch_size: int = 4
  gradient_accumulation_steps: int = 1
  learning_rate: float = 2e-4
  warmup_fraction: float = 0.1
  lr_decay_per_cycle: float = 1.0
  min_learning_rate: float = 1e-5
  weight_decay: float = 0.0
  max_grad_norm: float = 1.0
  max_seq_len: int = 512
  full_finetune: bool = False
  lora_rank: int = 16
  lora_alpha: float = 32.0
  lora_dropout: float = 0.0
  lora_targets: tuple[str, ...] = LORA_TARGETS
  remat: str = 'none'
  objective: str = 'sft'
  clip_epsilon: float = 0.2
  kl_coef: float = 0.0
  reset_to_base: bool = False
  accumulate_kept: bool = False

  def __post_init__(self):
    object.__setattr__(self, 'lora_targets', tuple(self.lora_targets))
    _check(self, (
        ('epochs', self.epochs >= 1, 'at least 1'),
        ('batch_size', self.batch_size >= 1, 'at least 1'),
        ('gradient_accumulation_steps', self.gradient_accumulation_steps >= 1, 'at least 1'),
        ('learning_rate', self.learning_rate > 0, 'more than 0'),
        ('warmup_fraction', 0.0 <= self.warmup_fraction <= 1.0, 'a fraction in [0, 1]'),
        ('lr_decay_per_cycle', 0.0 < self.lr_decay_per_cycle <= 1.0, 'a factor in (0, 1]'),
        ('min_learning_rate', 0.0 <= self.min_learning_rate, 'at least 0'),
        ('weight_decay', self.weight_decay >= 0, 'at least 0'),
        ('max_grad_norm', self.max_grad_norm > 0, 'more than 0'),
        ('max_seq_len', self.max_seq_len >= 2, 'at least 2 tokens'),
        ('lora_rank', self.lora_rank >= 1, 'at least 1'),
        ('lora_alpha', self.lora_alpha > 0, 'more than 0'),
        ('lora_dropout', 0.0 <= self.lora_dropout < 1.0, 'a probability in [0, 1)'),
        ('lora_targets', bool(self.lora_targets) and set(self.lora_targets) <= set(LORA_TARGETS),
         f'a non-empty subset of {LORA_TARGETS}'),
        ('remat', self.remat in REMAT, f'one of {REMAT}'),
        ('objective', self.objective in OBJECTIVES, f'one of {OBJECTIVES}'),
        ('clip_epsilon', 0.0 < self.clip_epsilon < 1.0, 'a fraction in (0, 1)'),
        ('kl_coef', self.kl_coef >= 0, 'at least 0'),
        # The KL term's base is the model with its adapters off: a full fine-tune has no base left to ask.
        ('kl_coef', not self.kl_coef or (self.objective != 'sft' and not self.full_finetune),
         "0 with objective 'sft' or full_finetune (the KL term needs a policy-gradient objective and LoRA)")))


SECTIONS = {'generation': SamplingConfig, 'raft': RaftConfig, 'training': TrainConfig,
            'verifier': verify.VerifierConfig}
# Keys a `cycles` entry may change (a curriculum or a schedule): the others shape compiled programs or the
# run itself. Each distinct `generation.temperature` compiles the sampler once (raft.Job.sampler_for).
CYCLE_KEYS = (('raft.reward_threshold', 'raft.keep_top_percent', 'raft.selection', 'raft.samples_per_prompt',
               'raft.prefer_correct', 'raft.adaptive_rounds', 'raft.demonstrations',
               'training.learning_rate', 'training.epochs', 'generation.temperature')
              + tuple(f'verifier.{f.name}' for f in dataclasses.fields(verify.VerifierConfig)))
DTYPES = ('float32', 'bfloat16', 'float16')


@dataclasses.dataclass(frozen=True)
class CycleConfig:
  """The typed configs one cycle runs with."""
  raft: RaftConfig
  generation: SamplingConfig
  training: TrainConfig
  verifier: verify.VerifierConfig


def _fail(key: str, value, expected: str):
  raise ValueError(f'config.{key} = {value!r}: expected {expected}')


def typed(cls, section: ml_collections.ConfigDict, name: str):
  """`section` as an instance of the dataclass `cls`; a bad value raises naming `config.<name>.<key>`."""
  fields = {f.name for f in dataclasses.fields(cls)}
  values = section.to_dict()
  unknown = sorted(set(values) - fields)
  if unknown:
    _fail(f'{name}.{unknown[0]}', values[unknown[0]], f'a key of config.{name}: {sorted(fields)}')
  values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
  try:
    return cls(**values)
  except (ValueError, TypeError) as e:
    raise ValueError(f'config.{name}.{e}') from None


def _with_overrides(config: ml_collections.ConfigDict, cycle: int) -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict(config.to_dict())
  if config.cycles and cycle:
    for key, value in config.cycles[min(cycle, len(config.cycles)) - 1].items():
      section, name = key.split('.')
      c[section][name] = value
  return c


def for_cycle(config: ml_collections.ConfigDict, cycle: int) -> CycleConfig:
  """The typed configs of `cycle` (1-based): the `cycles` entry for it, or the last one, on top (cycle 0:
  the config's own values)."""
  c = _with_overrides(config, cycle)
  return CycleConfig(**{name: typed(cls, c[name], name) for name, cls in SECTIONS.items()})


def overrides_of(config: ml_collections.ConfigDict, cycle: int) -> dict:
  """The `cycles` entry that applies to `cycle` ({} without a curriculum)."""
  return dict(config.cycles[min(cycle, len(config.cycles)) - 1]) if config.cycles else {}


def evaluation_sampling(config: ml_collections.ConfigDict, generation: SamplingConfig) -> SamplingConfig:
  """The training sampler's settings at `evaluation.temperature`, with as many rows per call: evaluation
  draws fewer samples per prompt, so it takes more prompts per call (on CPU, 32 rows decode ~1.4x more
  tokens/s than 8)."""
  rows = generation.batch_size * config.raft.samples_per_prompt
  return dataclasses.replace(generation, temperature=config.evaluation.temperature,
                             batch_size=max(1, rows // config.evaluation.samples_per_prompt))


def pass_at_k_sampling(config: ml_collections.ConfigDict, generation: SamplingConfig) -> SamplingConfig:
  """The sampled held-out evaluation's settings: `evaluation.pass_at_k` samples per task from the policy
  itself at `evaluation.pass_at_k_temperature`, with no top-p/top-k truncation (at temperature 1 its
  samples are draws of the policy, which the entropy and KL estimates on them assume), as many rows per
  call as training."""
  rows = generation.batch_size * config.raft.samples_per_prompt
  return dataclasses.replace(generation, temperature=config.evaluation.pass_at_k_temperature, top_p=1.0, top_k=0,
                             batch_size=max(1, rows // config.evaluation.pass_at_k))


def check(config: ml_collections.ConfigDict) -> None:
  """Rejects any value the run cannot use, naming the key; reads nothing, creates nothing."""
  for key in ('sft_checkpoint', 'output_dir'):
    if not isinstance(config[key], str) or not config[key]:
      _fail(key, config[key], "a non-empty path (sft_checkpoint may also be 'smollm2-135m-instruct')")
  for key in ('prompts', 'eval_prompts'):
    if not isinstance(config[key], str):
      _fail(key, config[key], "a task file's path, or '' (the built-in task set / the held-out split)")
  if not isinstance(config.extra_train_prompts, str):
    _fail('extra_train_prompts', config.extra_train_prompts, "'', 'easy' (raftjax.families) or a task file's path")
  if not 0.0 <= config.eval_fraction < 1.0:
    _fail('eval_fraction', config.eval_fraction, 'a fraction in [0, 1)')
  for key in ('dtype', 'param_dtype'):
    if config.model[key] not in DTYPES:
      _fail(f'model.{key}', config.model[key], f'one of {DTYPES}')
  if not isinstance(config.model.scan_layers, bool):
    _fail('model.scan_layers', config.model.scan_layers, 'True or False')
  _check_mesh(config.mesh)
  if config.evaluation.samples_per_prompt < 1:
    _fail('evaluation.samples_per_prompt', config.evaluation.samples_per_prompt, 'at least 1')
  if config.evaluation.temperature < 0:
    _fail('evaluation.temperature', config.evaluation.temperature, 'at least 0 (0 = greedy)')
  if config.evaluation.pass_at_k < 0:
    _fail('evaluation.pass_at_k', config.evaluation.pass_at_k, '0 (off) or more samples per held-out task')
  if not isinstance(config.evaluation.transfer_prompts, str):
    _fail('evaluation.transfer_prompts', config.evaluation.transfer_prompts,
          "'', 'beginner' (the package's heldout_beginner.jsonl) or a task file's path")
  if config.evaluation.pass_at_k_temperature <= 0:
    _fail('evaluation.pass_at_k_temperature', config.evaluation.pass_at_k_temperature, 'more than 0 (sampled)')
  if not isinstance(config.generation.system_prompt, str):
    _fail('generation.system_prompt', config.generation.system_prompt, "a string ('' = the template's own)")
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
    if c.raft.demonstrations and c.training.objective != 'sft':  # a reference has no sampling policy's log-probs
      _fail('raft.demonstrations', True, f"False with training.objective {c.training.objective!r} (sft only)")


def model_overrides(config: ml_collections.ConfigDict) -> dict:
  """The `raftjax.model.ModelConfig` fields a config sets, for every loader (`checkpoint.load`): the
  `model` section, and `training.remat` (the model runs its layers under that policy; only the train
  step's differentiation sees it)."""
  return dict(dtype=config.model.dtype, param_dtype=config.model.param_dtype,
              scan_layers=config.model.scan_layers, remat=config.training.remat)


def _check_mesh(mesh: ml_collections.ConfigDict) -> None:
  axes, shape = tuple(mesh.axes), tuple(mesh.shape)
  if len(set(axes)) != len(axes) or not all(isinstance(a, str) and a for a in axes):
    _fail('mesh.axes', axes, 'distinct axis names')
  if len(shape) != len(axes) or not all(isinstance(s, int) and (s >= 1 or s == -1) for s in shape) \
      or shape.count(-1) > 1:
    _fail('mesh.shape', shape, f'{len(axes)} sizes (one per axis), each >= 1, at most one -1 (= the rest)')


def task_split(config: ml_collections.ConfigDict) -> tuple[list[dict], list[dict], str]:
  """(training tasks, held-out tasks, how they were split): `prompts` and `eval_prompts` when that is
  set, else the `eval_fraction` split of `prompts` (stratified, by `seed`); then `extra_train_prompts`
  join the training side only. The loop trains and evaluates on these; `raftjax.evaluate` evaluates the
  same held-out tasks by default."""
  tasks = tasks_lib.load_tasks(config.prompts or None)
  source = config.prompts or 'the built-in task set'
  if config.eval_prompts:
    train_tasks, eval_tasks = tasks, tasks_lib.load_tasks(config.eval_prompts)
    described = f'{source} / eval_prompts {config.eval_prompts}'
  else:
    train_tasks, eval_tasks = tasks_lib.split_tasks(tasks, config.eval_fraction, config.seed)
    described = f'{source} split by eval_fraction {config.eval_fraction}, seed {config.seed}'
  if config.extra_train_prompts:
    extra = extra_train_tasks(config.extra_train_prompts)
    clash = sorted({t['id'] for t in extra} & {t['id'] for t in train_tasks + eval_tasks})
    if clash:
      raise ValueError(f'extra_train_prompts {config.extra_train_prompts}: task id {clash[0]!r} is already '
                       f'a task of {source}{" or eval_prompts" if config.eval_prompts else ""}; expected new ids')
    train_tasks = train_tasks + extra
    described += f' + {len(extra)} training tasks from extra_train_prompts {config.extra_train_prompts}'
  if not train_tasks:
    raise ValueError(f'{source}: no training tasks left after the held-out split')
  return train_tasks, eval_tasks, described


def transfer_tasks(config: ml_collections.ConfigDict) -> list[dict]:
  """`evaluation.transfer_prompts`: [] (off), the package's second held-out set ('beginner'), or a task file."""
  name = config.evaluation.transfer_prompts
  if not name:
    return []
  return tasks_lib.load_tasks(tasks_lib.packaged(tasks_lib.BEGINNER) if name == 'beginner' else name)


def extra_train_tasks(name: str) -> list[dict]:
  """`extra_train_prompts`: 'easy' (the generated families of raftjax.families) or a task file."""
  if name == 'easy':
    return families.tasks()
  return tasks_lib.load_tasks(name)


# ------------------------------------------------------------------------------------------------ CLI


def parse_flags(argv: list[str]) -> list[str]:
  """absl's flag parser with one-line errors for what config_flags reports as chained tracebacks: an
  override of a key the config file does not have. Pass as `app.run(main, flags_parser=parse_flags)`."""
  from absl import flags

  try:
    return flags.FLAGS(argv)
  except flags.Error as e:
    raise SystemExit(f'FATAL Flags parsing error: {e}') from None
  except (AttributeError, KeyError):
    raise SystemExit(f'FATAL Flags parsing error: {_unknown_override(argv)}') from None


def _unknown_override(argv: list[str]) -> str:
  """Names the first `--config.a.b=...` whose key the config file lacks, and the keys it has there."""
  path = next((a.split('=', 1)[1] for a in argv if a.startswith('--config=')), 'configs/raft.py')
  spec = importlib.util.spec_from_file_location('_raftjax_config', os.path.abspath(path))
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  config = module.get_config()
  for arg in argv:
    if not arg.startswith('--config.'):
      continue
    node, keys = config, arg[len('--config.'):].split('=', 1)[0].split('.')
    for depth, key in enumerate(keys):
      if not isinstance(node, ml_collections.ConfigDict) or key not in node:
        where = '.'.join(['config', *keys[:depth]])
        valid = sorted(node.keys()) if isinstance(node, ml_collections.ConfigDict) else []
        return f'{arg.split("=", 1)[0]}: {where} has no key {key!r}; its keys: {", ".join(valid)}'
      node = node[key]
  return f'an override of {path} names a key it does not have'
