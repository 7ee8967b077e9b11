"""Runs the job: python -m raftjax.main --config=configs/raft.py [--config.raft.num_cycles=5 ...].

The seed's pipeline: the SFT stage (`sft.data`: supervised fine-tuning on verified programs, raftjax.sft),
then RAFT from its best epoch (raftjax.rl). With `--config.sft.data=` RAFT starts from `sft_checkpoint`
itself. The config file's values are the defaults; `--config.a.b=value` overrides win. Rerunning the same
command after an interruption resumes it where it stopped (see raftjax.sft.stage and raftjax.rl.loop).

Several processes (one program over all their devices, see `raftjax.model.distributed` and launch/): on a Cloud
TPU VM or under SLURM nothing is added; elsewhere every process gets --coordinator_address=HOST:PORT
--num_processes=N --process_id=I (launch/local.sh does this for N processes on one machine).
"""

import logging

from absl import app, flags

from raftjax import cli, pipeline
from raftjax.model import distributed, weights

_CONFIG = cli.config_flag()
_COORDINATOR = flags.DEFINE_string('coordinator_address', '', 'HOST:PORT of process 0 in a multi-process run')
_NUM_PROCESSES = flags.DEFINE_integer('num_processes', 0, 'processes in a multi-process run')
_PROCESS_ID = flags.DEFINE_integer('process_id', -1, "this process's index in a multi-process run")
_HEARTBEAT = flags.DEFINE_integer(
  'heartbeat_timeout_s', 100, 'a process silent this long is dead: all others stop with an error'
)


def main(argv) -> None:
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  cli.check(_CONFIG.value)  # every value, before anything starts: one line naming the key
  cli.log_info()
  distributed.initialize(_COORDINATOR.value, _NUM_PROCESSES.value, _PROCESS_ID.value, _HEARTBEAT.value)
  if not distributed.is_main():  # one log for the job: process 0's; the others report only problems
    logging.getLogger('raftjax').setLevel(logging.WARNING)
  try:
    pipeline.run(_CONFIG.value)
  except weights.CheckpointError as e:
    cli.fail(str(e))


if __name__ == '__main__':
  cli.run(main)
