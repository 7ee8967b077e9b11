"""What the benchmarks share: one framework per process (`Side`), the machine's description, torch (the
reference the sampler and train benchmarks race: a test-only dependency) and step timing."""

import importlib
import multiprocessing
import os
import time
import traceback


class Side:
  """One side of a comparison (raftjax or torch) in a process of its own, driven through a pipe.

  Sharing one process, the side that ran second was measurably slower: raftjax's LoRA step took 8.9 s
  alone and 10.9 s after torch had run in the same process (EPYC), the two frameworks' thread pools and
  allocators sharing it. Here only one side computes at a time; the other waits on its pipe.
  `Side('raftjax.bench.train:jax_side', **kwargs)` runs that function (module:name) in a spawned process; it returns
  (info, calls); `side('steps', n=3)` runs `calls['steps'](n=3)` there and returns what it returns.
  """

  def __init__(self, setup: str, **kwargs):
    context = multiprocessing.get_context('spawn')  # a fresh interpreter: nothing of the parent's runtime
    self._conn, child = context.Pipe()
    self._process = context.Process(target=_serve, args=(child, setup, kwargs), daemon=True)
    self._process.start()
    self.info = self._receive()

  def __call__(self, name: str, **kwargs):
    try:
      self._conn.send((name, kwargs))
    except ConnectionError:  # it is gone: _receive says how
      pass
    return self._receive()

  def _receive(self):
    try:
      status, value = self._conn.recv()
    except (EOFError, ConnectionError):  # it died without a word (killed, out of memory, a native crash)
      status, value = 'died', None
    if status == 'ok':
      return value
    self._end(timeout=10)  # it has ended or is ending after a failure
    if status == 'error':
      raise RuntimeError(f'benchmark process {self._process.name} failed:\n{value}')
    raise RuntimeError(
      f'benchmark process {self._process.name} exited with code {self._process.exitcode} without answering'
    )

  def _end(self, timeout: float) -> None:
    """Waits up to `timeout` s for the process to end, then kills it; either way reaps it (no zombie)."""
    self._process.join(timeout)
    if self._process.is_alive():
      self._process.kill()
      self._process.join()

  def __enter__(self):
    return self

  def __exit__(self, *exc):
    if self._process.is_alive():
      self._conn.send(None)
    self._end(timeout=60)


def _serve(conn, setup: str, kwargs: dict) -> None:
  """A `_Side`'s process: answers (name, kwargs) requests until it receives None."""
  try:
    module, name = setup.split(':')
    info, calls = getattr(importlib.import_module(module), name)(**kwargs)
    conn.send(('ok', info))
    while (request := conn.recv()) is not None:
      name, kw = request
      conn.send(('ok', calls[name](**kw)))
  except Exception:  # pylint: disable=broad-except
    conn.send(('error', traceback.format_exc()))


def import_jax():
  """jax for a benchmark side's process. The torch side may share the GPU: jax takes memory as it needs
  it instead of preallocating most of the device."""
  os.environ.setdefault('XLA_PYTHON_CLIENT_PREALLOCATE', 'false')
  import jax  # pylint: disable=import-outside-toplevel

  return jax


def machine(jax) -> dict:
  import platform  # pylint: disable=import-outside-toplevel

  return {
    'machine': f'{platform.processor() or platform.machine()}, {len(os.sched_getaffinity(0))} usable cores',
    'devices': f'{jax.devices()[0].device_kind} x {jax.device_count()}',
    'backend': jax.default_backend(),
  }


def import_torch():
  """torch, the reference the sampler and train benchmarks race: a test-only dependency."""
  try:
    import torch  # pylint: disable=import-outside-toplevel
  except ImportError:
    raise RuntimeError(
      'raftjax.bench sampler|train compare with torch (transformers, PEFT), a test-only '
      'dependency: pip install -e ".[test]"'
    ) from None
  return torch


def torch_model(checkpoint: str):
  """transformers' torch model (float32) of a raftjax checkpoint name, .gguf file or HF directory, on
  the GPU when torch has one (torch's default f32 products there, no TF32), else on CPU."""
  torch = import_torch()
  from transformers import AutoModelForCausalLM  # pylint: disable=import-outside-toplevel

  from raftjax.model import weights  # pylint: disable=import-outside-toplevel

  torch.set_num_threads(len(os.sched_getaffinity(0)))
  path = weights.resolve(checkpoint)
  if path.endswith('.gguf'):
    model = AutoModelForCausalLM.from_pretrained(
      os.path.dirname(path), gguf_file=os.path.basename(path), dtype=torch.float32
    )
  else:
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
  return model.to('cuda' if torch.cuda.is_available() else 'cpu')


def sync(torch) -> None:
  """Waits for torch's queued GPU work, so that a timer read after it counts it."""
  if torch.cuda.is_available():
    torch.cuda.synchronize()


def timed_steps(step, n: int) -> list[tuple[float, float, float]]:
  """(seconds, CPU seconds of this process, loss) of each of `n` calls of `step`, which returns the loss
  once its work is done."""
  out = []
  for _ in range(n):
    t0, c0 = time.perf_counter(), time.process_time()
    loss = step()
    out.append((time.perf_counter() - t0, time.process_time() - c0, loss))
  return out
