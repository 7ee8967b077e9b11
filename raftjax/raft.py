"""The RAFT loop: generate -> verify -> filter -> fine-tune -> repeat, one cycle at a time.

    for cycle in 1..num_cycles:
      samples = generate(model, cycle_prompts, samples_per_prompt)   # sampler, on the mesh
      rewards = verify(samples)                                      # gcc, host process pool
      kept    = select(samples, reward_threshold, keep_top_percent)  # never reward 0
      train(model, kept)                                             # LoRA step, same mesh
      evaluate(model, held_out) -> stats.json, checkpoint, early stop

Outputs (`output_dir`): `cycle_N/{samples.jsonl, kept.jsonl, checkpoint/, stats.json}`, `training_log.json`,
`cycle_K_final/` (a copy of the cycle with the best held-out mean reward), `base_eval.json`.

Selection rules (`select`):
  * a sample is a candidate when reward >= reward_threshold and reward > 0 (failures never train);
  * duplicates (same prompt, same completion text after stripping) count once;
  * `per_prompt`: keep the best ceil(keep_top_percent * samples_per_prompt) candidates of each prompt
    (keep_top_percent = 1 / samples_per_prompt is the RAFT paper's best-of-K);
    `global`: keep the best ceil(keep_top_percent * candidates) over all prompts;
  * ties in reward are broken by a seeded random order, never by position in the prompts file.

Stopping: after `num_cycles`, or (with `early_stopping`) when the held-out mean reward gains less than `min_improvement` over the
previous cycle for `patience` cycles in a row ('plateau'), or falls by more than `min_improvement`
('degradation'). A cycle that keeps nothing does not train (its checkpoint repeats the previous weights),
reuses the previous evaluation and counts as a cycle without gain.

Resume: rerunning the same command continues after the last cycle whose checkpoint is complete. Within
the unfinished cycle, prompts whose samples are already in samples.jsonl (with rewards) are not sampled or
verified again. Every random draw is seeded from (seed, cycle, chunk), so the result equals an
uninterrupted run.
"""

import contextlib
import dataclasses
import json
import logging
import math
import os
import shutil
import time

import ml_collections
import numpy as np
import tqdm

from raftjax import checkpoint as ckpt
from raftjax import distributed
from raftjax import eval as eval_lib
from raftjax import mesh as mesh_lib
from raftjax import metrics as metrics_lib
from raftjax import sample as sample_lib
from raftjax import tasks as tasks_lib
from raftjax import train as train_lib
from raftjax import verify
from raftjax import weights

log = logging.getLogger('raftjax')

SELECTIONS = ('per_prompt', 'global')
CYCLE_KEYS = ('raft.reward_threshold', 'raft.keep_top_percent', 'raft.selection', 'raft.samples_per_prompt',
              'training.learning_rate', 'training.epochs') + tuple(
                  f'verifier.{f.name}' for f in dataclasses.fields(verify.VerifierConfig))


# ----------------------------------------------------------------------------------------- config


def check_config(config: ml_collections.ConfigDict) -> None:
  """Rejects values the loop cannot run with, naming the key."""

  def fail(key, value, expected):
    raise ValueError(f'config.{key} = {value!r}: expected {expected}')

  if not config.sft_checkpoint:
    fail('sft_checkpoint', config.sft_checkpoint, "a local HF checkpoint directory, a .gguf file, a raftjax "
         "cycle directory or 'smollm2-135m-instruct'")
  for i, overrides in enumerate(config.cycles, 1):
    if not isinstance(overrides, dict):
      fail(f'cycles[{i - 1}]', overrides, "a dict of overrides such as {'raft.reward_threshold': 0.5}")
    for key in overrides:
      if key not in CYCLE_KEYS:
        fail(f'cycles[{i - 1}]', key, f'keys among {CYCLE_KEYS}')
  checked = [('', config)] + [(f' (cycle {i})', cycle_config(config, i)) for i in range(1, len(config.cycles) + 1)]
  for where, c in checked:
    if not 0.0 <= c.raft.reward_threshold <= 1.0:
      fail(f'raft.reward_threshold{where}', c.raft.reward_threshold, 'a reward in [0, 1]')
    if not 0.0 < c.raft.keep_top_percent <= 1.0:
      fail(f'raft.keep_top_percent{where}', c.raft.keep_top_percent, 'a fraction in (0, 1]')
    if c.raft.selection not in SELECTIONS:
      fail(f'raft.selection{where}', c.raft.selection, f'one of {SELECTIONS}')
    if c.raft.samples_per_prompt < 1:
      fail(f'raft.samples_per_prompt{where}', c.raft.samples_per_prompt, 'at least 1')
  if config.raft.num_cycles < 1:
    fail('raft.num_cycles', config.raft.num_cycles, 'at least 1')
  if not 0.0 <= config.eval_fraction < 1.0:
    fail('eval_fraction', config.eval_fraction, 'a fraction in [0, 1)')
  if not 0.0 <= config.training.warmup_fraction <= 1.0:
    fail('training.warmup_fraction', config.training.warmup_fraction, 'a fraction in [0, 1]')
  for key in ('training.batch_size', 'training.gradient_accumulation_steps', 'training.epochs',
              'generation.batch_size', 'generation.max_new_tokens'):
    section, name = key.split('.')
    if config[section][name] < 1:
      fail(key, config[section][name], 'at least 1')


def cycle_config(config: ml_collections.ConfigDict, cycle: int) -> ml_collections.ConfigDict:
  """The config of `cycle` (1-based): the `cycles` entry for it (or the last one) applied on top."""
  c = ml_collections.ConfigDict(config.to_dict())
  if config.cycles:
    for key, value in config.cycles[min(cycle, len(config.cycles)) - 1].items():
      section, name = key.split('.')
      c[section][name] = value
  return c


def task_split(config) -> tuple[list[dict], list[dict], str]:
  """(training tasks, held-out tasks, how they were split): `prompts` and `eval_prompts` when that is
  set, else the `eval_fraction` split of `prompts` (stratified, by `seed`). The loop trains and evaluates
  on these; `raftjax.eval` evaluates the same held-out tasks by default."""
  tasks = tasks_lib.load_tasks(config.prompts or None)
  source = config.prompts or 'the built-in task set'
  if config.eval_prompts:
    return tasks, tasks_lib.load_tasks(config.eval_prompts), f'{source} / eval_prompts {config.eval_prompts}'
  train_tasks, eval_tasks = tasks_lib.split_tasks(tasks, config.eval_fraction, config.seed)
  if not train_tasks:
    raise ValueError(f'{source}: no training tasks left after the held-out split')
  return train_tasks, eval_tasks, f'{source} split by eval_fraction {config.eval_fraction}, seed {config.seed}'


def verifier_config(config) -> verify.VerifierConfig:
  return verify.VerifierConfig(**config.verifier.to_dict())


def make_mesh(config):
  return mesh_lib.make_mesh(config.mesh.shape, config.mesh.axes)


# ------------------------------------------------------------------------------------------ model


def load_start_model(config, mesh, checkpoint_dir: str | None = None):
  """(model, tokenizer) of `checkpoint_dir` (a raftjax cycle) or `config.sft_checkpoint`, with adapters.

  `sft_checkpoint` may itself be a raftjax cycle directory: its base and adapters are loaded.
  """
  source = checkpoint_dir or config.sft_checkpoint
  directory = ckpt.find(source)
  meta = ckpt.read_meta(directory) if directory else None
  base = meta['base'] if meta else source
  dtypes = dict(dtype=config.model.dtype, param_dtype=config.model.param_dtype)
  model, tokenizer = weights.load_pretrained(base, mesh, **dtypes)
  t = config.training
  full = meta['full_finetune'] if meta else t.full_finetune
  if not full:
    lora = meta['lora'] if meta else dict(rank=t.lora_rank, alpha=t.lora_alpha, targets=list(t.lora_targets))
    train_lib.add_lora(model, lora['rank'], lora['alpha'], t.lora_dropout, lora['targets'], config.seed)
  if meta:
    ckpt.restore(directory, model, full)
  model.eval()
  return model, tokenizer


def eval_sampler(config, model, tokenizer, mesh) -> sample_lib.Sampler:
  """The training sampler's settings at `evaluation.temperature`, and as many rows per call: evaluation
  draws fewer samples per prompt, so it takes more prompts per call (on CPU, 32 rows decode ~1.4x more
  tokens/s than 8)."""
  generation = ml_collections.ConfigDict(config.generation.to_dict())
  generation.temperature = config.evaluation.temperature
  generation.batch_size = max(1, generation.batch_size * config.raft.samples_per_prompt
                              // config.evaluation.samples_per_prompt)
  return sample_lib.Sampler(model, tokenizer, mesh, sample_lib.SamplingConfig.from_config(generation))


# ------------------------------------------------------------------------------------- selection


def select(samples: list[dict], threshold: float, keep_top_percent: float, selection: str,
           samples_per_prompt: int, seed: int) -> list[dict]:
  """The samples to train on (see the module docstring), in (prompt, sample_index) order."""
  seen, candidates = set(), []
  for s in samples:
    key = (s['prompt_id'], s['completion'].strip())
    if s['reward'] > 0 and s['reward'] >= threshold and key not in seen:
      seen.add(key)
      candidates.append(s)
  tiebreak = np.random.default_rng(seed).permutation(len(candidates))
  ranked = [s for _, _, s in sorted(zip((-s['reward'] for s in candidates), tiebreak, candidates),
                                    key=lambda x: x[:2])]
  if selection == 'global':
    kept = ranked[:math.ceil(keep_top_percent * len(ranked))]
  else:
    per_prompt = math.ceil(keep_top_percent * samples_per_prompt)
    counts: dict[str, int] = {}
    kept = []
    for s in ranked:
      if counts.get(s['prompt_id'], 0) < per_prompt:
        counts[s['prompt_id']] = counts.get(s['prompt_id'], 0) + 1
        kept.append(s)
  order = {id(s): i for i, s in enumerate(samples)}
  return sorted(kept, key=lambda s: order[id(s)])


# ------------------------------------------------------------------------------------------ files


def read_jsonl(path: str) -> list[dict]:
  """Complete lines of a JSONL file this loop wrote (a last line cut by a kill is ignored)."""
  if not os.path.exists(path):
    return []
  rows = []
  with open(path) as f:
    for line in f:
      if not line.endswith('\n'):
        break
      rows.append(json.loads(line))
  return rows


def _read_json(path: str):
  if not os.path.exists(path):
    return None
  with open(path) as f:
    return json.load(f)


def write_json(path: str, obj) -> None:
  """Atomically (write + rename); only on process 0, as every output file of the loop."""
  if not distributed.is_main():
    return
  tmp = path + '.tmp'
  with open(tmp, 'w') as f:
    json.dump(obj, f, indent=2)
  os.replace(tmp, path)


def write_jsonl(path: str, rows: list[dict]) -> None:
  if not distributed.is_main():
    return
  tmp = path + '.tmp'
  with open(tmp, 'w') as f:
    for row in rows:
      f.write(json.dumps(row) + '\n')
  os.replace(tmp, path)


def _progress(**kwargs) -> tqdm.tqdm:
  """A progress bar on process 0's terminal; silent in logs (not a TTY) and on other processes."""
  return tqdm.tqdm(disable=None if distributed.is_main() else True, leave=False, dynamic_ncols=True, **kwargs)


def _seed(*parts: int) -> int:
  return int(np.random.SeedSequence([p & 0xFFFFFFFF for p in parts]).generate_state(1)[0])


# ------------------------------------------------------------------------------------------ phases


def cycle_prompts(tasks: list[dict], config, cycle: int) -> list[dict]:
  """This cycle's training tasks: all, or a rotating window of `raft.prompts_per_cycle`."""
  n = config.raft.prompts_per_cycle
  if not n or n >= len(tasks):
    return tasks
  order = np.random.default_rng(config.seed).permutation(len(tasks))
  start = (cycle - 1) * n
  return [tasks[order[(start + i) % len(tasks)]] for i in range(n)]


def generate_and_verify(model, sampler, verifier, tasks: list[dict], config, cycle: int, path: str) -> dict:
  """Samples and verifies every task, streaming rows to `path`; reuses rows already there.

  Chunks of `generation.batch_size` prompts; verification of chunk k runs in the process pool while
  chunk k + 1 is sampled. Each process verifies the samples it holds; the rows of a chunk are then gathered
  on every process, and process 0 appends them to `path`. Returns rows and timings.
  """
  n = config.raft.samples_per_prompt
  main = distributed.is_main()
  done = distributed.broadcast(read_jsonl(path) if main else None)
  by_prompt: dict[str, list[dict]] = {}
  for row in done:
    by_prompt.setdefault(row['prompt_id'], []).append(row)
  complete = {p for p, rows in by_prompt.items() if len(rows) == n}
  rows = [r for r in done if r['prompt_id'] in complete]
  write_jsonl(path, rows)  # drop a half-written chunk
  size = config.generation.batch_size
  times = dict(sample_s=0.0, verify_wait_s=0.0, tokens=0)
  pending = None
  total = len(tasks) * n
  sampled = _progress(desc=f'cycle {cycle} sample', unit='sample', total=total, initial=len(rows))
  verified = _progress(desc=f'cycle {cycle} verify', unit='program', total=total, initial=len(rows), position=1)
  with sampled, verified, open(path, 'a') if main else contextlib.nullcontext() as out:

    def flush(pending):
      chunk, samples, held, handle = pending
      t0 = time.perf_counter()
      results = handle.get()
      times['verify_wait_s'] += time.perf_counter() - t0
      new = distributed.gather_rows({
          i: dict(prompt_id=chunk[i // n]['id'], sample_index=i % n, **dataclasses.asdict(samples[i]), **r)
          for i, r in zip(held, results)})
      times['tokens'] += sum(r['num_tokens'] for r in new)
      rows.extend(new)
      verified.update(len(new))
      sampled.set_postfix_str(f"{times['tokens'] / max(times['sample_s'], 1e-9):.0f} tokens/s", refresh=False)
      if out:
        out.writelines(json.dumps(r) + '\n' for r in new)
        out.flush()

    for k in range(0, len(tasks), size):
      chunk = tasks[k:k + size]
      if all(t['id'] in complete for t in chunk):
        continue
      prompts = [sample_lib.format_prompt(sampler.tokenizer, t['prompt'], config.generation.system_prompt)
                 for t in chunk]
      t0 = time.perf_counter()
      samples = sampler.generate(model, prompts, n, _seed(config.seed, cycle, k))
      times['sample_s'] += time.perf_counter() - t0
      sampled.update(len(samples))
      held = [i for i, s in enumerate(samples) if s is not None]
      handle = verifier.submit([chunk[i // n] for i in held], [samples[i].completion for i in held])
      if pending:
        flush(pending)
      pending = (chunk, samples, held, handle)
    if pending:
      flush(pending)
  order = {t['id']: i for i, t in enumerate(tasks)}
  rows.sort(key=lambda r: (order[r['prompt_id']], r['sample_index']))
  return dict(rows=rows, **times)


def sample_stats(rows: list[dict]) -> dict:
  total = max(1, len(rows))
  levels = {'0.0': 0, '0.3': 0, '0.5': 0, '0.7': 0, '1.0': 0}
  for r in rows:  # the ladder level a reward reached (partial test credit lies between 0.7 and 1.0)
    levels[max((lv for lv in levels if r['reward'] >= float(lv)), key=float)] += 1
  stages: dict[str, int] = {}
  for r in rows:
    stages[r['stage']] = stages.get(r['stage'], 0) + 1
  return dict(total=len(rows), compile_rate=sum(r['reward'] > 0 for r in rows) / total,
              pass_rate=sum(r['stage'] == 'correct' for r in rows) / total,
              mean_reward=sum(r['reward'] for r in rows) / total, levels=levels, stages=stages)


def examples_of(kept: list[dict], tasks_by_id: dict, tokenizer, config) -> list[train_lib.Example]:
  return [train_lib.Example(
      sample_lib.format_prompt(tokenizer, tasks_by_id[s['prompt_id']]['prompt'], config.generation.system_prompt),
      s['tokens']) for s in kept]


# -------------------------------------------------------------------------------------------- loop


def run(config: ml_collections.ConfigDict) -> dict:
  """Runs (or resumes) a RAFT job; returns the training log."""
  check_config(config)
  out_dir = config.output_dir
  os.makedirs(out_dir, exist_ok=True)
  mesh = make_mesh(config)
  train_tasks, eval_tasks, _ = task_split(config)
  tasks_by_id = {t['id']: t for t in train_tasks}

  finished = [c for c in range(1, config.raft.num_cycles + 1)
              if os.path.exists(os.path.join(ckpt.cycle_dir(out_dir, c), 'stats.json'))
              and ckpt.finished_step(os.path.join(ckpt.cycle_dir(out_dir, c), 'checkpoint')) is not None]
  last = max(finished, default=0)
  model, tokenizer = load_start_model(config, mesh, ckpt.cycle_dir(out_dir, last) if last else None)
  if last:
    log.info('resuming after cycle %d', last)

  sampler = sample_lib.Sampler(model, tokenizer, mesh, sample_lib.SamplingConfig.from_config(config.generation))
  evaluator = eval_sampler(config, model, tokenizer, mesh)
  log_path = os.path.join(out_dir, 'training_log.json')
  saved = distributed.broadcast(_read_json(log_path) if distributed.is_main() else None)
  training_log = saved or dict(config=config.to_dict(), base=None, cycles=[], best_cycle=None, stop_reason=None)
  if saved:  # resuming: keep the base evaluation and the finished cycles
    training_log['cycles'] = training_log['cycles'][:last]
    training_log['stop_reason'] = stop_reason(training_log, config) if training_log['cycles'] else None

  metrics = metrics_lib.MetricsWriter(out_dir, enabled=distributed.is_main())
  with verify.Verifier(verifier_config(config)) as verifier, metrics:

    def held_out(cycle: int) -> dict:
      return eval_lib.evaluate(model, evaluator, verifier, eval_tasks, config.evaluation.samples_per_prompt,
                               _seed(config.seed, cycle, -1), config.generation.system_prompt)[0]

    if training_log['base'] is None:
      t0 = time.perf_counter()
      training_log['base'] = dict(held_out(0), seconds=time.perf_counter() - t0) if eval_tasks else {}
      write_json(log_path, training_log)
      metrics.cycle(0, dict(eval=training_log['base']))
      log.info('Base: %s', _describe(training_log['base']))

    for cycle in range(last + 1, config.raft.num_cycles + 1):
      if training_log['stop_reason']:
        break
      stats = run_cycle(config, cycle, model, sampler, verifier, train_tasks, tasks_by_id, tokenizer, mesh,
                        held_out, training_log, metrics)
      metrics.cycle(cycle, stats)
      training_log['cycles'].append(stats)
      training_log['stop_reason'] = stop_reason(training_log, config)
      write_json(log_path, training_log)

  scores = {s['cycle']: s['eval'].get('mean_reward', 0.0) for s in training_log['cycles']}
  training_log['best_cycle'] = max(scores, key=lambda c: (scores[c], -c)) if scores else None
  training_log['stop_reason'] = training_log['stop_reason'] or 'num_cycles'
  if training_log['best_cycle'] and distributed.is_main():
    best = training_log['best_cycle']
    final = os.path.join(out_dir, f'cycle_{best}_final')
    for old in os.listdir(out_dir):
      if old.endswith('_final'):
        shutil.rmtree(os.path.join(out_dir, old))
    shutil.copytree(ckpt.cycle_dir(out_dir, best), final)
  write_json(log_path, training_log)
  log.info('Best cycle: %s (held-out mean reward %.3f); stopped: %s', training_log['best_cycle'],
           scores.get(training_log['best_cycle'], float('nan')), training_log['stop_reason'])
  return training_log


def run_cycle(config, cycle, model, sampler, verifier, train_tasks, tasks_by_id, tokenizer, mesh, held_out,
              training_log, metrics: metrics_lib.MetricsWriter) -> dict:
  c = cycle_config(config, cycle)
  directory = ckpt.cycle_dir(config.output_dir, cycle)
  os.makedirs(directory, exist_ok=True)
  verifier.cfg = verifier_config(c)
  timings = {}

  # 1-2. generate and verify (streamed to samples.jsonl, verification overlapped with sampling)
  t0 = time.perf_counter()
  gen = generate_and_verify(model, sampler, verifier, cycle_prompts(train_tasks, c, cycle), c, cycle,
                            os.path.join(directory, 'samples.jsonl'))
  timings['generate_s'], timings['verify_wait_s'] = gen['sample_s'], gen['verify_wait_s']
  timings['generate_and_verify_s'] = time.perf_counter() - t0

  # 3. filter
  r = c.raft
  kept = select(gen['rows'], r.reward_threshold, r.keep_top_percent, r.selection, r.samples_per_prompt,
                _seed(config.seed, cycle, -2))
  write_jsonl(os.path.join(directory, 'kept.jsonl'), kept)

  # 4. fine-tune (never on nothing)
  t0 = time.perf_counter()
  losses, optimizer, train_tokens = [], None, 0
  if kept:
    examples = examples_of(kept, tasks_by_id, tokenizer, c)
    train_tokens = c.training.epochs * sum(len(e.completion) for e in examples)
    with _progress(desc=f'cycle {cycle} train', unit='step') as bar:
      previous = [time.perf_counter()]  # the first step's rate includes compiling the step

      def on_step(step, steps, loss, learning_rate, tokens):
        now = time.perf_counter()
        tokens_per_s, previous[0] = tokens / max(now - previous[0], 1e-9), now
        metrics.train_step(cycle, step, loss=loss, learning_rate=learning_rate, tokens_per_s=tokens_per_s)
        bar.total = steps
        bar.set_postfix_str(f'loss {loss:.3f}, {tokens_per_s:.0f} tokens/s', refresh=False)
        bar.update()

      losses, optimizer = train_lib.train(model, examples, c.training, mesh, cycle, _seed(config.seed, cycle, -3),
                                          on_step)
  timings['train_s'] = time.perf_counter() - t0

  # 5. evaluate on the held-out tasks
  t0 = time.perf_counter()
  previous = training_log['cycles'][-1]['eval'] if training_log['cycles'] else training_log['base']
  evaluation = held_out(cycle) if kept and training_log['base'] else dict(previous)
  timings['eval_s'] = time.perf_counter() - t0

  stats = dict(
      cycle=cycle, overrides=config.cycles[min(cycle, len(config.cycles)) - 1] if config.cycles else {},
      train=sample_stats(gen['rows']), kept=len(kept), total=len(gen['rows']), eval=evaluation,
      losses=losses, loss_first=losses[0] if losses else None, loss_last=losses[-1] if losses else None,
      sample_tokens_per_s=gen['tokens'] / max(gen['sample_s'], 1e-9) if gen['tokens'] else None,
      train_tokens_per_s=train_tokens / timings['train_s'] if losses else None, seconds=timings,
      trained=bool(kept))
  t0 = time.perf_counter()
  meta = dict(cycle=cycle, base=_base_of(config), full_finetune=c.training.full_finetune,
              lora=dict(rank=c.training.lora_rank, alpha=c.training.lora_alpha,
                        targets=list(c.training.lora_targets)),
              seeds=dict(sample=[config.seed, cycle], train=_seed(config.seed, cycle, -3)))
  ckpt.save(os.path.join(directory, 'checkpoint'), cycle, model, optimizer, meta, c.training.full_finetune)
  stats['seconds']['save_s'] = time.perf_counter() - t0
  write_json(os.path.join(directory, 'stats.json'), stats)  # written last: marks the cycle finished
  tr = stats['train']
  log.info('Cycle %d: %.1f%% compile rate (kept %d/%d samples)%s; held-out: %s', cycle,
           100 * tr['compile_rate'], len(kept), len(gen['rows']),
           f', loss {losses[0]:.3f} -> {losses[-1]:.3f}' if losses else ', nothing kept: no training',
           _describe(evaluation))
  return stats


def _base_of(config) -> str:
  """The base model a checkpoint of this run sits on (through a raftjax `sft_checkpoint`, if any)."""
  directory = ckpt.find(config.sft_checkpoint)
  return ckpt.read_meta(directory)['base'] if directory else config.sft_checkpoint


def _describe(metrics: dict) -> str:
  if not metrics:
    return 'no held-out tasks'
  return (f"{100 * metrics['compile_rate']:.1f}% compile, {100 * metrics['pass_rate']:.1f}% pass, "
          f"mean reward {metrics['mean_reward']:.3f}")


def stop_reason(training_log: dict, config) -> str | None:
  """'plateau' or 'degradation' per the module docstring, else None."""
  if not (config.raft.early_stopping and training_log['base']):
    return None
  scores = [training_log['base']['mean_reward']] + [s['eval']['mean_reward'] for s in training_log['cycles']]
  gains = np.diff(scores)
  if gains[-1] < -config.raft.min_improvement:
    return 'degradation'
  if len(gains) >= config.raft.patience and all(g < config.raft.min_improvement
                                                for g in gains[-config.raft.patience:]):
    return 'plateau'
  return None
