#!/usr/bin/env bash
# Runs raftjax on a Cloud TPU VM slice (one host or many): creates the slice unless it exists, copies
# this checkout to every worker, installs it, runs one raftjax process per host, fetches the outputs.
#
# Needs: the gcloud CLI, authenticated, with TPU quota in ZONE; the starting model as a local HF
#   checkpoint directory inside this checkout or at the same path on every worker (config.sft_checkpoint).
# Run:   NAME=raft-v5e ZONE=us-west4-a TYPE=v5litepod-8 launch/tpu.sh --config=configs/raft_7b.py [--config.x=y ...]
# First, here, without the slice: python -m raftjax.tools.aot --config=configs/raft_7b.py --topology=v5e-8 (with the
#   same --config.x=y flags) compiles the cycle for that slice and says whether it fits.
#
# Environment: NAME, ZONE, TYPE (accelerator type) required; VERSION (TPU VM image, default
#   v2-alpha-tpuv5-lite); OUTPUT (config.output_dir on the workers, default runs/NAME; a multi-host slice
#   needs a directory every worker sees, e.g. a bucket mounted with gcsfuse at the same path, so that Orbax
#   shards and a resumed run find each other); FETCH (where to copy the outputs here, default runs/NAME).
# Each worker runs `python -m raftjax.main` with no distributed flags: raftjax sees a TPU VM and calls
# jax.distributed.initialize(), which reads the slice's hosts from the TPU metadata. Rerunning this script
# after a preemption resumes the run.
set -euo pipefail

: "${NAME:?set NAME}" "${ZONE:?set ZONE}" "${TYPE:?set TYPE}"
version=${VERSION:-v2-alpha-tpuv5-lite}
output=${OUTPUT:-runs/$NAME}
fetch=${FETCH:-runs/$NAME}
tpu() { gcloud compute tpus tpu-vm "$@" --zone="$ZONE"; }

if ! tpu describe "$NAME" >/dev/null 2>&1; then
  tpu create "$NAME" --accelerator-type="$TYPE" --version="$version"
fi

cd "$(dirname "$0")/.."
tar czf /tmp/raftjax-"$NAME".tgz --exclude=./runs --exclude=./.git .
tpu scp /tmp/raftjax-"$NAME".tgz "$NAME":raftjax.tgz --worker=all
tpu ssh "$NAME" --worker=all --command="mkdir -p raftjax && tar xzf raftjax.tgz -C raftjax && cd raftjax \
  && pip install -q -e '.[tpu]' && gcc --version >/dev/null"

args=$(printf ' %q' "$@")
tpu ssh "$NAME" --worker=all --command="cd raftjax && python -m raftjax.main$args --config.output_dir=$output"

mkdir -p "$fetch"
tpu scp --recurse "$NAME":"raftjax/$output/*" "$fetch/" --worker=0
echo "outputs in $fetch"
