"""Runs a RAFT job: python -m raftjax.main --config=configs/raft.py [--config.raft.num_cycles=5 ...].

The config file's values are the defaults; `--config.a.b=value` overrides win. Rerunning the same command
after an interruption resumes it (see `raftjax.raft`).
"""

import logging

from absl import app
from ml_collections import config_flags

from raftjax import raft

_CONFIG = config_flags.DEFINE_config_file('config', 'configs/raft.py', 'raftjax config file (get_config())')


def main(argv) -> None:
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  logging.basicConfig(level=logging.INFO, format='%(asctime)s %(message)s', datefmt='%H:%M:%S')
  for name in ('absl', 'jax', 'orbax', 'absl.logging'):
    logging.getLogger(name).setLevel(logging.WARNING)
  raft.run(_CONFIG.value)


if __name__ == '__main__':
  app.run(main)
