"""`python -m raftjax.bench train`: LoRA optimizer-step tokens/s of raftjax against transformers + PEFT
(torch), each in its own process, and the time split of a finished run's cycles."""

import dataclasses
import os
import statistics

from raftjax import rundir
from raftjax.bench.sides import Side, import_jax, import_torch, machine, sync, timed_steps, torch_model
from raftjax.sections import ModelSection, TrainConfig

# Top-level phases of a RAFT cycle; generate_s and verify_wait_s are parts of generate_and_verify_s.
CYCLE_PHASES = ('generate_and_verify_s', 'train_s', 'eval_s', 'save_s')


def bench_train(
  checkpoint: str = 'smollm2-135m-instruct',
  rows: int = 4,
  seq_len: int = 256,
  rank: int = 16,
  alpha: float = 32.0,
  n_steps: int = 3,
  n_rounds: int = 2,
  workdir: str | None = None,
  scan_layers: bool | None = None,
  remat: str | None = None,
) -> dict:
  """LoRA optimizer-step throughput of raftjax's `train_step` and of transformers + PEFT (torch, fp32).

  Each in its own process (`_Side`). Same token ids, rows x seq_len, rank/alpha/targets, AdamW with
  gradient clipping, loss on completion tokens only (each row is one example: a quarter prompt, the rest
  completion). Blocks of `n_steps` steps alternate between the two (`n_rounds` times) so shared-machine
  load hits both alike. Medians after warm-up steps; raftjax's first step's extra time is its compile
  time, its second's shows that the step is not compiled again once its outputs are fed back (~0).
  Tokens/s counts every token of the batch; `raftjax_step_cpu_s` is the CPU time of raftjax's process per
  step (all its threads), which load from other processes changes less than the wall time. raftjax's
  layers are scanned and rematerialised as in the default run unless `scan_layers` / `remat` ('none' | 'full' |
  'dots') say otherwise. With `workdir` (a RAFT output directory) it also reports the time split of each finished cycle.
  """

  load_before = os.getloadavg()
  scan_layers = ModelSection.scan_layers if scan_layers is None else scan_layers
  remat = TrainConfig.remat if remat is None else remat
  tcfg = dataclasses.asdict(
    TrainConfig(  # the default run's optimizer and LoRA targets, one micro-batch per step
      batch_size=rows, gradient_accumulation_steps=1, max_seq_len=seq_len, lora_rank=rank, lora_alpha=alpha, remat=remat
    )
  )
  with Side('raftjax.bench.train:jax_side', checkpoint=checkpoint, tcfg=tcfg, scan_layers=scan_layers) as jax_side:
    (jax_first, _, jax_loss), (jax_second, _, _) = jax_side('steps', n=2)
    with Side(
      'raftjax.bench.train:torch_side', checkpoint=checkpoint, packed=jax_side.info['packed'], tcfg=tcfg
    ) as torch_side:
      [(torch_first, _, torch_loss)] = torch_side('steps', n=1)
      jax_steps, torch_times = [], []
      for _ in range(n_rounds):
        jax_steps += jax_side('steps', n=n_steps)
        torch_times += [s for s, _, _ in torch_side('steps', n=n_steps)]
  jax_s, torch_s = float(statistics.median(s for s, _, _ in jax_steps)), float(statistics.median(torch_times))
  tokens = rows * seq_len
  info = {k: v for k, v in jax_side.info.items() if k != 'packed'}
  targets = int(jax_side.info['packed']['targets'].sum())
  result = {
    **info,
    'load_avg_1m_before_after': [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
    'checkpoint': checkpoint,
    'scan_layers': scan_layers,
    'remat': remat,
    'rows': rows,
    'seq_len': seq_len,
    'trained_targets_per_row': targets // rows,
    'lora_rank': rank,
    'lora_alpha': alpha,
    'timed_steps': n_steps * n_rounds,
    'raftjax_tokens_per_s': round(tokens / jax_s, 1),
    'raftjax_step_s': round(jax_s, 3),
    'raftjax_step_cpu_s': round(float(statistics.median(c for _, c, _ in jax_steps)), 3),
    'raftjax_compile_s': round(jax_first - jax_s, 1),
    'raftjax_recompile_s': round(jax_second - jax_s, 1),
    'torch_peft_tokens_per_s': round(tokens / torch_s, 1),
    'torch_peft_step_s': round(torch_s, 3),
    'torch_peft_first_step_extra_s': round(torch_first - torch_s, 2),
    'speedup': round(torch_s / jax_s, 2),
    # Equal before any update (LoRA B starts at zero on both sides): a check that both train the same thing.
    'first_loss_raftjax_torch': [round(jax_loss, 4), round(torch_loss, 4)],
  }
  if workdir is None:
    result['cycle_phases'] = 'skipped: pass --workdir=DIR (a RAFT output_dir) to read DIR/cycle_N/stats.json'
  else:
    result['cycle_phases'] = _cycle_phases(workdir)
  return result


def jax_side(checkpoint: str, tcfg: dict, scan_layers: bool = True):
  """raftjax's model with LoRA, one batch of random token ids (returned as `packed`), and its train step."""
  jax = import_jax()
  import numpy as np  # pylint: disable=import-outside-toplevel

  from raftjax.model import mesh as mesh_lib  # pylint: disable=import-outside-toplevel
  from raftjax.model import weights  # pylint: disable=import-outside-toplevel
  from raftjax.model.lora import add_lora  # pylint: disable=import-outside-toplevel
  from raftjax.train import trainer as train  # pylint: disable=import-outside-toplevel

  tcfg = TrainConfig(**tcfg)
  mesh = mesh_lib.make_mesh((-1, 1, 1), ('data', 'fsdp', 'tensor'))
  model = weights.load_model(checkpoint, mesh=mesh, scan_layers=scan_layers, remat=tcfg.remat)
  add_lora(model, tcfg.lora_rank, tcfg.lora_alpha, 0.0, tcfg.lora_targets, seed=0)
  rng = np.random.default_rng(0)
  seq_len, prompt_len = tcfg.max_seq_len, tcfg.max_seq_len // 4
  examples = [
    train.Example(
      prompt=rng.integers(0, model.cfg.vocab_size, prompt_len).tolist(),
      completion=rng.integers(0, model.cfg.vocab_size, seq_len - prompt_len).tolist(),
    )
    for _ in range(tcfg.batch_size)
  ]
  packed = train.pack(examples, seq_len)
  batch, _ = next(train.batches(packed, tcfg, mesh, rng))
  optimizer = train.make_optimizer(model, tcfg)
  model.train()

  def step() -> float:
    return float(train.train_step(model, optimizer, batch, np.float32(tcfg.learning_rate)))

  return {**machine(jax), 'packed': packed}, {'steps': lambda n: timed_steps(step, n)}


def torch_side(checkpoint: str, packed: dict, tcfg: dict):
  """transformers + PEFT LoRA with the same settings on the same rows; `steps` as `_timed_steps`."""
  torch = import_torch()
  import peft  # pylint: disable=import-outside-toplevel

  torch.manual_seed(0)
  config = peft.LoraConfig(
    r=tcfg['lora_rank'], lora_alpha=tcfg['lora_alpha'], target_modules=list(tcfg['lora_targets']), lora_dropout=0.0
  )
  base = torch_model(checkpoint)
  device = base.device
  model = peft.get_peft_model(base, config)
  model.train()
  params = [p for p in model.parameters() if p.requires_grad]
  optimizer = torch.optim.AdamW(params, lr=tcfg['learning_rate'], weight_decay=tcfg['weight_decay'])
  ids = torch.from_numpy(packed['tokens']).long().to(device)
  # transformers shifts labels itself: label t is the target of position t - 1, as `targets[t]` is in raftjax.
  labels = ids.masked_fill(torch.from_numpy(packed['targets']).to(device) == 0, -100)

  def step() -> float:
    loss = model(input_ids=ids, labels=labels).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, tcfg['max_grad_norm'])
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    sync(torch)
    return loss.item()

  return {}, {'steps': lambda n: timed_steps(step, n)}


def _cycle_phases(workdir: str) -> list[dict]:
  """Seconds of each phase of every finished cycle (`cycle_N/stats.json`), and each top phase's share."""
  out = []
  for stats in rundir.finished_cycles(workdir):
    seconds = stats['seconds']
    total = sum(seconds[k] for k in CYCLE_PHASES)
    out.append(
      {
        'cycle': stats['cycle'],
        'total_s': round(total, 2),
        **{k: round(v, 2) for k, v in seconds.items()},
        'share': {k: round(seconds[k] / total, 3) for k in CYCLE_PHASES},
      }
    )
  if not out:
    raise FileNotFoundError(f'{workdir}: no finished cycle_N/stats.json')
  return out
