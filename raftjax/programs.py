"""A cycle's three programs (the sampler's prefill and decode loop, the train step) lowered from shapes
alone: what `raftjax.fit` compiles and measures for a set of devices (the preflight before a run on
accelerators, `tools.aot` for a TPU slice without one).

Programs, with the config's shapes, on the config's mesh laid over the devices:
  prefill  the sampler's prefill of `generation.batch_size` prompts of the largest prompt bucket
  decode   the sampler's decode loop: rows = batch_size x samples_per_prompt (or `generation.slots`), cache =
           bucket + max_new_tokens slots
  train    one optimizer step: gradient_accumulation_steps micro-batches of batch_size x max_seq_len
           tokens, LoRA or full fine-tune, AdamW state, `training.remat`
The model's shapes come from the config's `sft_checkpoint` (or a `model.presets` name): an HF directory's
config.json or a GGUF header. Nothing is downloaded and no weight is read.
"""

import dataclasses
import logging

import jax
import jax.numpy as jnp
from flax import nnx

from raftjax import config as config_lib
from raftjax.data import tasks as tasks_lib
from raftjax.generate.sampler import Sampler
from raftjax.model import checkpoint, presets, weights
from raftjax.model import mesh as mesh_lib
from raftjax.model.llama import CACHE_AXES, Llama, ModelConfig
from raftjax.model.lora import add_lora
from raftjax.model.tokenizer import format_prompt
from raftjax.sections import TrainConfig
from raftjax.train import trainer

log = logging.getLogger('raftjax')
DEFAULT_PROMPT_TOKENS = 256  # when the tokenizer is not at hand to measure the config's prompts


# ------------------------------------------------------------------------------------------ shapes


def _base(source: str) -> tuple[str, dict]:
  """(the checkpoint the model's shapes come from, ModelConfig fields it fixes): a raftjax checkpoint's root
  base and the layers' layout it was saved in, or the source itself."""
  directory = None if source in presets.PRESETS else checkpoint.find(source)
  if directory is None:
    return source, {}
  return checkpoint.root_base(source), checkpoint.saved_layout(checkpoint.read_meta(directory))


def model_config(source: str, config) -> ModelConfig:
  """The model's shapes: a PRESETS name, an HF directory, a GGUF file, or a raftjax cycle (its base)."""
  base, fixed = _base(source)
  overrides = {**config_lib.model_overrides(config), **fixed}
  if base in presets.PRESETS:
    return presets.model_config(base, **overrides)
  return weights.model_config(base, **overrides)


def longest_prompt(config, source: str) -> int:
  """Tokens of the longest chat-templated prompt of the config's tasks, with the model's tokenizer;
  DEFAULT_PROMPT_TOKENS for a preset (no tokenizer at hand)."""
  base, _ = _base(source)
  if base in presets.PRESETS:
    return DEFAULT_PROMPT_TOKENS
  train_tasks, eval_tasks, _ = tasks_lib.task_split(config)
  tokenizer = weights.load_tokenizer(base)
  system = config.generation.system_prompt
  return max(
    len(format_prompt(tokenizer, t['prompt'], system, config.generation.prompt_format))
    for t in train_tasks + eval_tasks
  )


class _NoTokenizer:
  """What the Sampler asks of a tokenizer, for compiling without one: pad and eos 0; a stop string is one
  token per byte (no real tokenisation is longer). Shapes do not depend on the ids."""

  pad_token_id = eos_token_id = 0

  def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
    del add_special_tokens
    return [0] * len(text.encode())


def abstract_model(cfg: ModelConfig, tcfg: TrainConfig, mesh, optimizer: bool):
  """(model, optimizer or None) as ShapeDtypeStructs on `mesh`'s shardings: nothing is allocated."""

  def build():
    model = Llama(cfg, nnx.Rngs(0))
    if not tcfg.full_finetune:
      add_lora(model, tcfg.lora_rank, tcfg.lora_alpha, tcfg.lora_dropout, tcfg.lora_targets, seed=0)
    return model, trainer.make_optimizer(model, tcfg) if optimizer else None

  nodes = nnx.eval_shape(build)
  for node in nodes:
    if node is not None:
      state = nnx.state(node)
      nnx.update(
        node,
        jax.tree.map(_on, state, mesh_lib.state_shardings(state, mesh), is_leaf=lambda x: isinstance(x, nnx.Variable)),
      )
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
  return Shapes(
    prompts=c.generation.batch_size,
    longest_prompt=prompt_tokens,
    samples_per_prompt=c.raft.samples_per_prompt,
    accumulation=c.training.gradient_accumulation_steps,
    batch=c.training.batch_size,
    seq_len=c.training.max_seq_len,
  )


@dataclasses.dataclass
class Program:
  lowered: jax.stages.Lowered
  inputs: list[tuple[str, str, jax.ShapeDtypeStruct]]  # (name, kind, abstract array) of what it holds
  tokens: int  # per call: prompt tokens (prefill), rows (decode: one token each), trained tokens (train)
  # (name, shape, logical axes) of the arrays it lowers whose sharding the mesh rules decide: `dropped_splits`
  sharded: list[tuple[str, tuple, tuple]] = dataclasses.field(default_factory=list)


def lower_programs(cfg: ModelConfig, config, mesh, shapes: Shapes) -> dict[str, Program]:
  """The cycle's prefill, decode and train programs for `cfg` on `mesh`, lowered (not compiled)."""
  c = config_lib.for_cycle(config, 1)
  tcfg = dataclasses.replace(c.training, gradient_accumulation_steps=shapes.accumulation)
  model, optimizer = abstract_model(cfg, tcfg, mesh, optimizer=True)
  params = _named(model, nnx.Param, 'weights', trained=tcfg)
  opt_state = _named(optimizer, nnx.Variable, 'optimizer')
  sampler = Sampler(model, _NoTokenizer(), mesh, c.generation)
  prefill, decode = sampler.lower(nnx.state(model), shapes.prompts, shapes.longest_prompt, shapes.samples_per_prompt)
  p, t, cache_len = sampler.call_shape(shapes.prompts, shapes.longest_prompt)
  rows = sampler.decode_rows(shapes.prompts, shapes.samples_per_prompt)
  caches = [(f'kv_cache.{k}', 'kv_cache', sampler.cache_spec(rows, cache_len)) for k in 'kv']
  # The prefill's output cache: a row per sample, or (slots) a row per prompt, copied into its samples' slots.
  prefill_rows = p if config.generation.slots else rows
  prefilled = [(f'kv_cache.{k}', 'kv_cache', sampler.cache_spec(prefill_rows, cache_len)) for k in 'kv']
  a, b, t_train = shapes.accumulation, shapes.batch, shapes.seq_len
  sharding = mesh_lib.array_sharding((a, b, t_train), (None, 'batch', 'length'), mesh)
  micro = {
    k: jax.ShapeDtypeStruct((a, b, t_train), v.dtype, sharding=sharding)
    for k, v in trainer.pack([trainer.Example([0], [0])], t_train).items()
  }
  train = trainer.train_step.lower(model, optimizer, micro, jax.ShapeDtypeStruct((), jnp.float32))
  weight_axes = _axes(model, nnx.Param)
  cache_axes = [(name, x.shape, CACHE_AXES) for name, _, x in caches]
  batch_axes = [('micro_batch', (a, b, t_train), (None, 'batch', 'length'))]
  return {
    'prefill': Program(prefill, params + prefilled, p * t, weight_axes + cache_axes),  # the cache is its output
    'decode': Program(decode, params + caches, rows, weight_axes + cache_axes),
    'train': Program(
      train, params + opt_state, a * b * t_train, weight_axes + _axes(optimizer, nnx.Variable) + batch_axes
    ),
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


def _axes(node, kind) -> list[tuple[str, tuple, tuple]]:
  """(path, shape, logical axes) of `node`'s variables that carry `logical_axes` (the others are replicated
  by design: RNG keys, step counts)."""
  out = []
  for path, v in nnx.to_flat_state(nnx.state(node, kind)):
    axes = getattr(v, 'logical_axes', None)
    if axes is not None:
      out.append(('.'.join(map(str, path)), tuple(v.get_value().shape), tuple(axes)))
  return out
