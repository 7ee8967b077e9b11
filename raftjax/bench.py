"""Benchmarks: `python -m raftjax.bench <name>` prints one JSON object. Names: see BENCHMARKS."""

import json
import os
import subprocess
import sys
import tempfile
import time


def bench_verifier() -> dict:
  """Verifier throughput (compile + run 2 tests) for distinct programs: pool, one worker, and ideal.

  ideal = usable cores / time of one program verified alone in this process. The sandbox overhead is
  measured against gcc and the binary run directly, without any sandbox.
  """
  from raftjax import sandbox, verify  # pylint: disable=import-outside-toplevel
  cores = len(os.sched_getaffinity(0))
  cfg = verify.VerifierConfig(run_after_compile=True)
  tests = [{'stdin': '3\n', 'stdout': '6\n'}, {'stdin': '21\n', 'stdout': '42\n'}]
  task = {'id': 'double', 'prompt': '', 'tests': tests}

  def program(i):  # distinct sources, so the per-batch dedup does not help
    return ('```c\n#include <stdio.h>\nint main(void) {\n  int x;\n  if (scanf("%d", &x) != 1) '
            f'return 1;\n  printf("%d\\n", 2 * x + {i} - {i});\n  return 0;\n}}\n```')

  verify.verify(task, program(-1), cfg)  # warm the page cache and build the launcher
  n_single = 16
  t0 = time.perf_counter()
  for i in range(n_single):
    assert verify.verify(task, program(i), cfg)['stage'] == 'correct'
  single_s = (time.perf_counter() - t0) / n_single

  def throughput(workers, n):
    with verify.Verifier(verify.VerifierConfig(run_after_compile=True, num_workers=workers)) as v:
      v.verify_batch([task] * 4, [program(-2 - i) for i in range(4)])  # warm-up
      t0 = time.perf_counter()
      results = v.verify_batch([task] * n, [program(1000 * workers + i) for i in range(n)])
      elapsed = time.perf_counter() - t0
    assert all(r['stage'] == 'correct' for r in results)
    return n / elapsed

  pool = throughput(cores, 32 * cores)
  one = throughput(1, 32)
  ideal = cores / single_s
  return {
      'cores': cores,
      'isolation': sandbox.run(['/bin/true'], tempfile.mkdtemp(), sandbox.Limits()).isolation,
      'single_program_ms': round(1000 * single_s, 1),
      'programs_per_s_pool': round(pool, 2),
      'programs_per_s_one_worker': round(one, 2),
      'programs_per_s_ideal': round(ideal, 2),
      'pool_fraction_of_ideal': round(pool / ideal, 3),
      **_sandbox_overhead(program(0)),
  }


def _sandbox_overhead(completion: str) -> dict:
  """Median ms of gcc and of one run, bare and in the sandbox."""
  from raftjax import sandbox, verify  # pylint: disable=import-outside-toplevel
  workdir = tempfile.mkdtemp()
  with open(os.path.join(workdir, 'main.c'), 'w') as f:
    f.write(verify.extract_code(completion))
  gcc = ['/usr/bin/gcc', '-std=c11', '-Wall', '-Wextra', '-O0', 'main.c', '-o', 'prog', '-lm']
  prog = os.path.join(workdir, 'prog')

  def median_ms(fn, n=15):
    times = []
    for _ in range(n):
      t0 = time.perf_counter()
      fn()
      times.append(time.perf_counter() - t0)
    return round(1000 * sorted(times)[n // 2], 2)

  env = {'PATH': '/usr/bin:/bin'}
  compile_limits = sandbox.Limits(wall_s=10, memory_mb=2048)
  return {
      'gcc_bare_ms': median_ms(lambda: subprocess.run(gcc, cwd=workdir, env=env, check=True)),
      'gcc_sandboxed_ms': median_ms(lambda: sandbox.run(gcc, workdir, compile_limits, env=env)),
      'run_bare_ms': median_ms(lambda: subprocess.run([prog], input=b'3\n', capture_output=True)),
      'run_sandboxed_ms': median_ms(lambda: sandbox.run([prog], workdir, sandbox.Limits(),
                                                        stdin=b'3\n', env=env, scratch=True)),
  }


BENCHMARKS = {
    'verifier': bench_verifier,
}


def main(argv: list[str]) -> int:
  if len(argv) != 2 or argv[1] not in BENCHMARKS:
    print(f'usage: python -m raftjax.bench {{{"|".join(BENCHMARKS)}}}', file=sys.stderr)
    return 2
  print(json.dumps(BENCHMARKS[argv[1]](), indent=2))
  return 0


if __name__ == '__main__':
  sys.exit(main(sys.argv))
