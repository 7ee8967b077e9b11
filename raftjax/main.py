"""Runs a RAFT job: python -m raftjax.main --config=configs/raft.py [--config.raft.num_cycles=5 ...].

The config file's values are the defaults; `--config.a.b=value` overrides win. Rerunning the same command
after an interruption resumes it (see `raftjax.rl.loop`).

Several processes (one program over all their devices, see `raftjax.model.distributed` and launch/): on a Cloud
TPU VM or under SLURM nothing is added; elsewhere every process gets --coordinator_address=HOST:PORT
--num_processes=N --process_id=I (launch/local.sh does this for N processes on one machine).
"""

import logging

from absl import app, flags
from ml_collections import config_flags

from raftjax import config as config_lib
from raftjax.model import distributed
from raftjax.rl import loop as raft

_CONFIG = config_flags.DEFINE_config_file('config', 'configs/raft.py', 'raftjax config file (get_config())')
_COORDINATOR = flags.DEFINE_string('coordinator_address', '', 'HOST:PORT of process 0 in a multi-process run')
_NUM_PROCESSES = flags.DEFINE_integer('num_processes', 0, 'processes in a multi-process run')
_PROCESS_ID = flags.DEFINE_integer('process_id', -1, "this process's index in a multi-process run")
_HEARTBEAT = flags.DEFINE_integer('heartbeat_timeout_s', 100,
                                  'a process silent this long is dead: all others stop with an error')


def main(argv) -> None:
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  logging.basicConfig(level=logging.INFO, format='%(asctime)s %(message)s', datefmt='%H:%M:%S')
  for name in ('absl', 'jax', 'orbax', 'absl.logging'):
    logging.getLogger(name).setLevel(logging.WARNING)
  distributed.initialize(_COORDINATOR.value, _NUM_PROCESSES.value, _PROCESS_ID.value, _HEARTBEAT.value)
  if not distributed.is_main():  # one log for the job: process 0's; the others report only problems
    logging.getLogger('raftjax').setLevel(logging.WARNING)
  raft.run(_CONFIG.value)


if __name__ == '__main__':
  app.run(main, flags_parser=config_lib.parse_flags)
