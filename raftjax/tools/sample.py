"""Sample completions of a task set from a checkpoint, without training.

  python -m raftjax.tools.sample --config=configs/raft.py --output=samples.jsonl [--config.prompts=FILE]

`raft.samples_per_prompt` samples of every task of `prompts` with the `generation` settings, from
`sft_checkpoint` (a base model or a raftjax checkpoint). Each line: prompt_id, sample_index, completion,
finish_reason, num_tokens, logprob; `tools.verify` grades the file.
"""

import collections
import logging
import os
import time

from raftjax import cli, rundir
from raftjax import config as config_lib
from raftjax.data.tasks import load_tasks
from raftjax.generate.accounting import call_stats
from raftjax.generate.sampler import Sampler
from raftjax.model import checkpoint
from raftjax.model import mesh as mesh_lib


def run(config, output: str, devices=None) -> list[dict]:
  """Samples `raft.samples_per_prompt` completions of every task in `config.prompts` from
  `config.sft_checkpoint` (a base or a raftjax cycle) into JSONL `output`."""
  config_lib.check(config)
  tasks = load_tasks(config.prompts or None)
  mesh = mesh_lib.make_mesh(config.mesh.shape, config.mesh.axes, devices=devices)
  model, tokenizer, _ = checkpoint.load(config.sft_checkpoint, mesh, None, **config_lib.model_overrides(config))
  sampler = Sampler(model, tokenizer, mesh, config_lib.for_cycle(config, 0).generation)
  prompts = [sampler.prompt_ids(t['prompt']) for t in tasks]
  n = config.raft.samples_per_prompt
  start = time.perf_counter()
  samples = sampler.generate(model, prompts, n, seed=config.seed)
  seconds = time.perf_counter() - start
  lines = [
    {
      'prompt_id': tasks[i // n]['id'],
      'sample_index': i % n,
      'completion': s.completion,
      'finish_reason': s.finish_reason,
      'num_tokens': s.num_tokens,
      'logprob': s.logprob,
    }
    for i, s in enumerate(samples)
  ]
  rundir.write_jsonl(output, lines)
  tokens, stats = sum(s.num_tokens for s in samples), call_stats(collections.Counter(), sampler.stats)
  logging.info(
    '%d samples of %d tasks, %d tokens in %.1f s (%.1f tokens/s, compiles included) -> %s; sampler: %s',
    len(samples),
    len(tasks),
    tokens,
    seconds,
    tokens / seconds,
    output,
    stats,
  )
  return lines


def main(argv):
  from absl import app, flags

  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  config = flags.FLAGS.config
  cli.check(config)
  try:
    checkpoint.check(config.sft_checkpoint, config.generation.prompt_format)
    os.makedirs(os.path.dirname(os.path.abspath(flags.FLAGS.output)), exist_ok=True)
    rundir.AtomicOutput(flags.FLAGS.output).close()  # writable, and a regular file or a new path
  except (ValueError, OSError) as e:
    cli.fail(f'--output={flags.FLAGS.output}: cannot write there: {e.strerror}' if isinstance(e, OSError) else str(e))
  run(config, flags.FLAGS.output)


if __name__ == '__main__':
  from absl import flags

  cli.config_flag()
  flags.DEFINE_string('output', 'samples.jsonl', 'JSONL file: one line per sample.')
  cli.run(main)
