"""An ablation runner: a grid of config overrides x seeds, one output directory per run, resumable, several
runs at once.

  python -m raftjax.tools.sweep --config=configs/raft.py --sweep=configs/sweep_objectives.py --output=runs/sweep \
      [--parallel=2] [--config.raft.num_cycles=2 ...]
  python -m raftjax.tools.report --compare=runs/sweep           # the variants side by side (raftjax.tools.compare)

The sweep file defines `get_sweep()` returning a dict:
  seeds      [0, 1]
  grid       {'training.objective': ['sft', 'raft_pp'], 'raft.prompt_filter': ['none', 'both']}: every
             combination is a variant, named by its values ('objective=raft_pp,prompt_filter=both') ...
  variants   ... or {name: {key: value}} (e.g. one factor at a time)
  overrides  {key: value}: the scale, applied to every run first (any value, `cycles` included)

Keys are the config's, dotted. Every run's config is built and checked (`raftjax.config.check`) before
any starts. Run (v, s) lives in <output>/<v>/seed_<s>/ with its whole config (sweep_config.json) and its
log (sweep.log), and runs as a process of its own, `python -m raftjax.tools.sweep --run=DIR`, which calls
`raftjax.rl.loop.run` on that config. <output>/sweep.json lists the runs (raftjax.tools.compare reads it).

Shared base evaluation: the base model's held-out evaluation depends on the config but for `training.*`,
`raft.*` other than samples_per_prompt (the evaluation's batch), `cycles`, `extra_train_prompts` and
`output_dir` (`base_key`). A run about to start whose base_key equals that of a run that has evaluated the
base gets that evaluation (its training_log.json is written with it, `base_shared_from` naming the run,
and its metrics get cycle 0), and the loop skips its own: the same numbers, since the evaluation is seeded
by the config's seed. The same holds for the transfer set's base evaluation (`evaluation.transfer_prompts`).

Resume: rerunning the same command skips finished runs (training_log.json has a best cycle) and resumes
the others with the loop's own resume. A run's config may not change under it (refused). Killing the
sweep kills its runs (parent-death signal); a lock per run directory keeps two sweeps off the same run.

Order: seed-major (every variant with seed 0, then seed 1, ...), so a sweep stopped early still compares
every variant. `--parallel=N` runs N at once, each pinned to its share of the CPU cores and, with
`--devices=0,1,2,3 --devices_env=CUDA_VISIBLE_DEVICES` (or TPU_VISIBLE_CHIPS, ...), of the accelerators.
"""

import ctypes
import dataclasses
import fcntl
import importlib.util
import itertools
import json
import logging
import os
import signal
import subprocess
import sys
import time

import ml_collections

from raftjax import cli, rundir
from raftjax import config as config_lib
from raftjax.metrics import MetricsWriter
from raftjax.tools.compare import SWEEP_FILE

CONFIG_FILE = 'sweep_config.json'
LOG_FILE = 'sweep.log'
_LOCKED = 75  # exit status of a run whose directory another sweep holds (EX_TEMPFAIL)
log = logging.getLogger('raftjax.tools.sweep')


@dataclasses.dataclass(frozen=True)
class Run:
  variant: str
  seed: int
  overrides: dict  # the variant's own keys (the sweep's common overrides come first)

  @property
  def dir(self) -> str:
    return os.path.join(self.variant, f'seed_{self.seed}')


def load_spec(path: str) -> dict:
  spec = importlib.util.spec_from_file_location('_raftjax_sweep', os.path.abspath(path))
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_sweep()


def _short(key: str, keys) -> str:
  """A key's last part, unless another key of the grid ends the same way."""
  tail = key.split('.')[-1]
  return tail if sum(k.split('.')[-1] == tail for k in keys) == 1 else key


def expand(spec: dict) -> list[Run]:
  """The sweep's runs, seed-major, from its grid or its named variants (module docstring)."""
  if ('grid' in spec) == ('variants' in spec):
    raise ValueError("a sweep has either 'grid' or 'variants'")
  variants = spec.get('variants')
  if variants is None:
    grid = spec['grid']
    variants = {
      ','.join(f'{_short(k, grid)}={v}' for k, v in zip(grid, values)): dict(zip(grid, values))
      for values in itertools.product(*grid.values())
    }
  return [Run(name, seed, overrides) for seed in spec['seeds'] for name, overrides in variants.items()]


def run_config(base: ml_collections.ConfigDict, spec: dict, run: Run, output: str) -> ml_collections.ConfigDict:
  """The whole, checked config of one run."""
  config = ml_collections.ConfigDict(base.to_dict())
  config.update_from_flattened_dict(
    {**spec.get('overrides', {}), **run.overrides, 'seed': run.seed, 'output_dir': os.path.join(output, run.dir)}
  )
  config_lib.check(config)
  return config


def finished(directory: str) -> bool:
  return (rundir.read_json(os.path.join(directory, rundir.TRAINING_LOG)) or {}).get('best_cycle') is not None


def prepare(base: ml_collections.ConfigDict, spec: dict, output: str) -> list[Run]:
  """Checks every run's config, then writes it (refusing a change under an existing run) and sweep.json."""
  runs = expand(spec)
  # As JSON reads them back: tuples are lists there.
  configs = [(run, json.loads(json.dumps(run_config(base, spec, run, output).to_dict()))) for run in runs]
  for run, config in configs:
    old = rundir.read_json(os.path.join(output, run.dir, CONFIG_FILE))
    if old not in (None, config):
      raise ValueError(f'{os.path.join(output, run.dir)} was started with another config; use another --output')
  for run, config in configs:
    os.makedirs(os.path.join(output, run.dir), exist_ok=True)
    rundir.write_json(os.path.join(output, run.dir, CONFIG_FILE), config)
  rundir.write_json(
    os.path.join(output, SWEEP_FILE),
    dict(spec=spec, runs=[dict(variant=r.variant, seed=r.seed, dir=r.dir, overrides=r.overrides) for r in runs]),
  )
  return runs


def base_key(config: dict) -> str:
  """What a run's base-model evaluation depends on (module docstring)."""
  training_only = ('output_dir', 'cycles', 'training', 'raft', 'extra_train_prompts')
  rest = {k: v for k, v in config.items() if k not in training_only}
  return json.dumps(dict(rest, samples_per_prompt=config['raft']['samples_per_prompt']), sort_keys=True)


def share_base(output: str, run: Run, runs: list[Run]) -> str | None:
  """Gives `run`, not started yet, the base evaluation of another run with its base_key; returns that
  run's directory, or None."""
  directory = os.path.join(output, run.dir)
  if os.path.exists(os.path.join(directory, rundir.TRAINING_LOG)):
    return None
  config = rundir.read_json(os.path.join(directory, CONFIG_FILE))
  for other in runs:
    log = rundir.read_json(os.path.join(output, other.dir, rundir.TRAINING_LOG)) or {}
    other_config = rundir.read_json(os.path.join(output, other.dir, CONFIG_FILE))
    if log.get('base') and base_key(other_config) == base_key(config):
      shared = dict(
        config=config, base=log['base'], base_shared_from=other.dir, cycles=[], best_cycle=None, stop_reason=None
      )
      if (log.get('transfer') or {}).get('base'):  # the transfer set's base evaluation too, where it is done
        shared['transfer'] = dict(base=log['transfer']['base'], final=None, final_cycle=None)
      rundir.write_json(os.path.join(directory, rundir.TRAINING_LOG), shared)
      with MetricsWriter(directory) as metrics:
        metrics.cycle(0, dict(eval=log['base']))
      return other.dir
  return None


# -------------------------------------------------------------------------------------- processes


def _slot_setup(cores: list[int]):
  """What a run's process does before it starts: die with the sweep, keep to its cores."""

  def setup():
    ctypes.CDLL('libc.so.6', use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if cores:
      os.sched_setaffinity(0, cores)

  return setup


def _start(output: str, run: Run, slot: int, parallel: int, devices: list[str], devices_env: str) -> subprocess.Popen:
  cores = sorted(os.sched_getaffinity(0))
  share = cores[slot * len(cores) // parallel : (slot + 1) * len(cores) // parallel] if parallel > 1 else []
  env = dict(os.environ)
  if devices:
    k = len(devices) // parallel
    env[devices_env] = ','.join(devices[slot * k : (slot + 1) * k])
  directory = os.path.join(output, run.dir)
  with open(os.path.join(directory, LOG_FILE), 'a') as out:
    return subprocess.Popen(
      [sys.executable, '-m', 'raftjax.tools.sweep', f'--run={directory}'],
      stdout=out,
      stderr=subprocess.STDOUT,
      env=env,
      preexec_fn=_slot_setup(share),
    )


def run_all(output: str, runs: list[Run], parallel: int, devices: list[str], devices_env: str) -> dict[str, int]:
  """Runs every unfinished run, `parallel` at once; returns the exit status of each one started."""
  pending = [r for r in runs if not finished(os.path.join(output, r.dir))]
  log.info('%d runs, %d finished, %d to run, %d at once', len(runs), len(runs) - len(pending), len(pending), parallel)
  slots: list[tuple[Run, subprocess.Popen] | None] = [None] * parallel
  status = {}
  while pending or any(slots):
    for i, slot in enumerate(slots):
      if slot and slot[1].poll() is not None:
        status[slot[0].dir] = slot[1].returncode
        log.info(
          '%s: %s',
          slot[0].dir,
          'finished'
          if slot[1].returncode == 0
          else f'failed (exit {slot[1].returncode}), see {os.path.join(output, slot[0].dir, LOG_FILE)}',
        )
        slots[i] = None
      if slots[i] is None and pending:
        run = pending.pop(0)
        donor = share_base(output, run, runs)
        log.info('%s: started%s', run.dir, f' (base model evaluation of {donor})' if donor else '')
        slots[i] = (run, _start(output, run, i, parallel, devices, devices_env))
    time.sleep(0.5)
  return status


def run_one(directory: str) -> int:
  """The process of one run: the loop on the run's config, under the run directory's lock."""
  from raftjax import pipeline  # pylint: disable=import-outside-toplevel  # JAX in the run's process only

  with open(os.path.join(directory, '.sweep.lock'), 'w') as lock:
    try:
      fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      log.error('%s is being run by another sweep', directory)
      return _LOCKED
    pipeline.run(ml_collections.ConfigDict(rundir.read_json(os.path.join(directory, CONFIG_FILE))))
  return 0


def main(argv) -> None:
  from absl import app, flags

  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  f = flags.FLAGS
  cli.log_info()
  if f.run:
    sys.exit(run_one(f.run))
  if not f.sweep or not f.output:
    raise app.UsageError('--sweep=FILE and --output=DIR are required (or --run=DIR)')
  if f.parallel < 1 or (f.devices and len(f.devices) < f.parallel):
    raise app.UsageError('--parallel must be >= 1 and at most the number of --devices')
  cli.check(f.config)
  try:
    runs = prepare(f.config, load_spec(f.sweep), f.output)
  except (ValueError, OSError) as e:  # a bad spec, an override naming no key, an unwritable output
    cli.fail(str(e))
  status = run_all(f.output, runs, f.parallel, f.devices, f.devices_env)
  failed = sorted(d for d, rc in status.items() if rc)
  if failed:
    sys.exit(f'raftjax.tools.sweep: {len(failed)} runs failed: {", ".join(failed)}')
  log.info('all %d runs finished; compare them: python -m raftjax.tools.report --compare=%s', len(runs), f.output)


if __name__ == '__main__':
  from absl import flags

  cli.config_flag('the base config (get_config())')
  flags.DEFINE_string('sweep', '', 'a Python file with get_sweep() (module docstring)')
  flags.DEFINE_string('output', '', 'directory of the sweep: one directory per run below it')
  flags.DEFINE_integer('parallel', 1, 'runs at once')
  flags.DEFINE_list('devices', [], 'accelerator ids to split among the parallel runs (with --devices_env)')
  flags.DEFINE_string('devices_env', 'CUDA_VISIBLE_DEVICES', 'the variable that gives a run its devices')
  flags.DEFINE_string('run', '', 'internal: run the one run in this directory')
  cli.run(main)
