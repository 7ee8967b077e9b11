"""Several processes, one program: JAX's multi-controller runtime (`jax.distributed`).

Every process runs the same `raftjax.main` over the same config. The mesh spans the devices of all
processes; sampling and training are the same jitted calls as on one host. What differs:

* start-up (`initialize`): explicit coordinator flags (the local launcher, or any cluster), SLURM with
  more than one task, or a Cloud TPU VM (`jax.distributed.initialize()` with no arguments: JAX reads the
  slice from the TPU metadata). A plain single-process run never starts the runtime.
* host data: a sampled row lives on the process whose devices hold it. Each process verifies the samples
  it holds with its own CPU pool; `gather_rows` then gives every process all rows, so every process selects
  and trains on exactly the same data.
* files: only process 0 (`is_main`) writes JSONL, JSON and logs; Orbax checkpoints are written by all
  processes together (each writes its shards). The output directory must be one that every host sees
  (one machine, NFS, or a bucket mounted with gcsfuse) so that a rerun can resume.
* failure: a process that dies stops sending heartbeats; after `heartbeat_timeout_s` the coordination
  service terminates every other process with "the JAX distributed service detected fatal errors"
  instead of leaving them blocked in a collective.
"""

import glob
import importlib.util
import json
import logging
import os
import pkgutil

import jax
import numpy as np
from jax.experimental import multihost_utils

from raftjax import rundir


def _on_cloud_tpu_vm() -> bool:
  """libtpu installed and TPU chips attached (/dev/accel* on v2-v4, /dev/vfio on v5e and later)."""
  return importlib.util.find_spec('libtpu') is not None and bool(
    glob.glob('/dev/accel*') or glob.glob('/dev/vfio/[0-9]*')
  )


def _gpu_plugin() -> bool:
  """A JAX GPU plugin is installed (jax[cuda12] and its successors, ROCm)."""
  return any(m.name.startswith(('jax_cuda', 'jax_rocm')) for m in pkgutil.iter_modules())


def _in_multi_task_slurm_step() -> bool:
  env = os.environ
  return (
    'SLURM_JOB_ID' in env
    and 'SLURM_STEP_NODELIST' in env
    and 'SLURM_PROCID' in env
    and int(env.get('SLURM_NTASKS', '1')) > 1
  )


def initialize(
  coordinator_address: str = '', num_processes: int = 0, process_id: int = -1, heartbeat_timeout_s: int = 100
) -> bool:
  """Starts `jax.distributed` when this is one of several processes; returns whether it did.

  Must run before anything touches a JAX device. Explicit arguments (or JAX_COORDINATOR_ADDRESS) win;
  otherwise SLURM's and the TPU VM's own variables are read by JAX's cluster detection. On a machine with
  libtpu installed (the `tpu` and `test` extras) but no TPU chip and no GPU plugin, JAX is told to use the
  CPU: else libtpu fills the log with errors about the TPU it looks for (JAX_PLATFORMS, if set, wins).
  """
  if (
    not os.environ.get('JAX_PLATFORMS')
    and importlib.util.find_spec('libtpu') is not None
    and not _on_cloud_tpu_vm()
    and not _gpu_plugin()
  ):
    jax.config.update('jax_platforms', 'cpu')
  coordinator_address = coordinator_address or os.environ.get('JAX_COORDINATOR_ADDRESS', '')
  if coordinator_address:
    if num_processes < 1 or not 0 <= process_id < num_processes:
      raise ValueError(
        f'--coordinator_address={coordinator_address} needs --num_processes >= 1 and '
        f'0 <= --process_id < num_processes (got {num_processes} and {process_id})'
      )
    kwargs = dict(coordinator_address=coordinator_address, num_processes=num_processes, process_id=process_id)
  elif _in_multi_task_slurm_step() or _on_cloud_tpu_vm():
    kwargs = {}
  else:
    return False
  jax.distributed.initialize(**kwargs, heartbeat_timeout_seconds=heartbeat_timeout_s)
  logging.getLogger('raftjax').info(
    'jax.distributed: process %d of %d, %d local / %d global devices',
    jax.process_index(),
    jax.process_count(),
    jax.local_device_count(),
    jax.device_count(),
  )
  return True


def single() -> bool:
  """Whether this run is one process (no collective between processes is needed)."""
  return jax.process_count() == 1


def is_main() -> bool:
  """True on the process that writes files and logs (process 0, or the only one)."""
  return jax.process_index() == 0


def write_json(path: str, obj) -> None:
  """`rundir.write_json` on process 0 only: every output file of a run is written by it."""
  if is_main():
    rundir.write_json(path, obj)


def write_jsonl(path: str, rows: list[dict]) -> None:
  """`rundir.write_jsonl` on process 0 only."""
  if is_main():
    rundir.write_jsonl(path, rows)


def _allgather_bytes(data: bytes) -> list[bytes]:
  """Every process's `data`, in process order (a collective: all processes must call it)."""
  sizes = multihost_utils.process_allgather(np.array([len(data)], np.int64)).reshape(-1)
  buffer = np.zeros(int(sizes.max()), np.uint8)
  buffer[: len(data)] = np.frombuffer(data, np.uint8)
  gathered = multihost_utils.process_allgather(buffer).reshape(len(sizes), -1)
  return [gathered[p, : sizes[p]].tobytes() for p in range(len(sizes))]


def gather_rows(local: dict[int, dict]) -> list[dict]:
  """All processes' {index: JSON-able row}, merged and ordered by index, on every process."""
  if single():
    return [local[i] for i in sorted(local)]
  merged = {}
  for part in _allgather_bytes(json.dumps(sorted(local.items())).encode()):
    merged.update((int(i), row) for i, row in json.loads(part))
  return [merged[i] for i in sorted(merged)]


def broadcast(obj):
  """Process 0's JSON-able `obj` on every process (e.g. what a resumed run found on disk)."""
  if single():
    return obj
  return json.loads(_allgather_bytes(json.dumps(obj).encode() if is_main() else b'null')[0])
