#!/usr/bin/env bash
# Starts N raftjax processes on this machine's CPUs as one multi-process JAX job (what the tests use).
#
# Needs: raftjax installed (pip install -e .), a free TCP port on 127.0.0.1.
# Run:   launch/local.sh NUM_PROCESSES [raftjax.main flags...]
#   e.g. DEVICES_PER_PROCESS=2 launch/local.sh 2 --config=configs/raft.py --config.output_dir=runs/mp
#
# Environment: DEVICES_PER_PROCESS (CPU devices each process simulates, default 1), PORT (coordinator
# port, default 12355), LOG_DIR (where process_I.log go, default <output>/../ or ./launch_logs).
# Process 0's output is also shown here. The script waits for every process and exits with the first
# non-zero status; a process that dies makes the others stop on their own (jax.distributed heartbeats),
# and Ctrl-C / SIGTERM here stops them all.
set -euo pipefail

num_processes=${1:?usage: launch/local.sh NUM_PROCESSES [raftjax.main flags...]}
shift
port=${PORT:-12355}
log_dir=${LOG_DIR:-launch_logs}
mkdir -p "$log_dir"

pids=()
stop_all() { kill -TERM "${pids[@]}" 2>/dev/null || true; }
trap 'stop_all; exit 130' INT TERM

for ((i = 0; i < num_processes; i++)); do
  JAX_PLATFORMS=cpu JAX_NUM_CPU_DEVICES=${DEVICES_PER_PROCESS:-1} \
    python -u -m raftjax.main --coordinator_address="127.0.0.1:$port" --num_processes="$num_processes" \
    --process_id="$i" "$@" >"$log_dir/process_$i.log" 2>&1 &
  pids+=($!)
done
tail -n +1 -f "$log_dir/process_0.log" --pid="${pids[0]}" &

status=0
for pid in "${pids[@]}"; do
  wait "$pid" || { rc=$?; [[ $status -eq 0 ]] && status=$rc; }
done
exit "$status"
