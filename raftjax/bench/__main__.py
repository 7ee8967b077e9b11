"""Benchmarks: `python -m raftjax.bench <name> [--flag=value ...]` prints one JSON object. Names: verifier,
sampler, train (BENCHMARKS.md has the numbers and the commands)."""

import inspect
import json

from raftjax import cli
from raftjax.bench.sampler import bench_sampler
from raftjax.bench.train import bench_train
from raftjax.bench.verifier import bench_verifier

BENCHMARKS = {'verifier': bench_verifier, 'sampler': bench_sampler, 'train': bench_train}


# Every benchmark argument as a flag (defaults are the functions' own; only flags given are passed).
_FLAGS = (
  'checkpoint',
  'samples_per_prompt',
  'max_new_tokens',
  'n_rounds',
  'large_batches',
  'peak_bandwidth_gbs',
  'rows',
  'seq_len',
  'rank',
  'alpha',
  'n_steps',
  'workdir',
  'scan_layers',
  'unroll_layers',
  'remat',
  'slots',
)


def main(argv: list[str]) -> None:
  """`python -m raftjax.bench NAME [--flag=value ...]`: the flags a benchmark takes are its arguments."""
  from absl import app, flags  # pylint: disable=import-outside-toplevel

  if len(argv) != 2 or argv[1] not in BENCHMARKS:
    raise app.UsageError(f'expected one benchmark name, {" | ".join(BENCHMARKS)}; got {argv[1:]}')
  bench = BENCHMARKS[argv[1]]
  takes = inspect.signature(bench).parameters
  given = {name: flags.FLAGS[name].value for name in _FLAGS if flags.FLAGS[name].present}
  wrong = sorted(set(given) - set(takes))
  if wrong:
    raise app.UsageError(f'{argv[1]} takes --{", --".join(takes)}; not --{", --".join(wrong)}')
  if 'large_batches' in given:
    given['large_batches'] = [int(n) for n in given['large_batches']]
  print(json.dumps(bench(**given), indent=2))


if __name__ == '__main__':
  from absl import flags

  flags.DEFINE_string('checkpoint', None, "sampler, train: 'smollm2-135m-instruct', a .gguf or an HF directory")
  flags.DEFINE_integer('samples_per_prompt', None, 'sampler: rows per prompt', lower_bound=1)
  flags.DEFINE_integer('max_new_tokens', None, 'sampler: tokens per row', lower_bound=1)
  flags.DEFINE_integer('n_rounds', None, 'interleaved timing rounds', lower_bound=1)
  flags.DEFINE_list('large_batches', None, 'sampler: extra row counts to time (e.g. 64,256)')
  flags.DEFINE_float('peak_bandwidth_gbs', None, "sampler: the device's peak memory bandwidth, GB/s", lower_bound=0)
  flags.DEFINE_integer('slots', None, 'sampler: also time the slot engine with this many slots', lower_bound=0)
  flags.DEFINE_integer('rows', None, 'train: rows per step', lower_bound=1)
  flags.DEFINE_integer('seq_len', None, 'train: tokens per row', lower_bound=1)
  flags.DEFINE_integer('rank', None, 'train: LoRA rank', lower_bound=1)
  flags.DEFINE_float('alpha', None, 'train: LoRA alpha', lower_bound=1e-6)
  flags.DEFINE_integer('n_steps', None, 'train: steps per timing block', lower_bound=1)
  flags.DEFINE_string('workdir', None, 'train: a RAFT output_dir whose cycles to split by phase')
  flags.DEFINE_bool('scan_layers', None, 'sampler, train: layers as one scan (True) or a Python loop (False)')
  flags.DEFINE_bool('unroll_layers', None, 'sampler: run the scanned layers unrolled in the sampler only')
  flags.DEFINE_enum('remat', None, ('none', 'full', 'dots'), 'train: what each layer keeps for the backward pass')
  cli.run(main, hide_torch=False)  # the reference sides run transformers on torch
