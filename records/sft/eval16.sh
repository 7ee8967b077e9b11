#!/usr/bin/env bash
# The chain's models on the beginner set with 16 samples per task (T = 0.7) instead of 4: the unbiased
# pass@4 estimate averages over all 1,820 four-sample subsets of a task's 16 samples, so a one-task
# difference (2 points) can be told from the draw's noise (records/sft/README.md, "Sixteen samples").
#   bash records/sft/eval16.sh [SEED] [MODEL...]   models: sft sft_raft (default both), or a cycle of the run
#   (cycle_2); OUT=runs/sft_whole_chain
# Writes the evaluations under $OUT/eval16 and their record (metrics, each sample's stage) in
# $RECORD/seed_SEED (RECORD=records/sft/eval16). RUN=DIR: another job's output directory (its sft/final, and
# its best cycle as sft_raft) instead of the chain's.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-runs/sft_whole_chain}
seed=${1:-0}
shift || true
models=("$@")
[[ ${#models[@]} -gt 0 ]] || models=(sft_raft sft)
run=${RUN:-$out/sft_raft/seed_$seed}
sft=$run/sft/final
if [[ -z ${RUN:-} && $seed == 0 ]]; then  # the chain's seed 0 is two runs: SFT, then RAFT from its checkpoint
  run=runs/sft_whole_raft_all/sft_raft/seed_0
  sft=runs/sft_whole/sft_raft/seed_0/sft/final
fi
declare -A checkpoint=([sft]=$sft [sft_raft]=$(ls -d "$run"/cycle_*_final))
for name in "${models[@]}"; do [[ -v checkpoint[$name] ]] || checkpoint[$name]=$run/$name; done
dir=$out/eval16/seed_$seed
mkdir -p "$dir"
for name in "${models[@]}"; do
  [[ -s $dir/$name.beginner.json ]] && continue
  python -m raftjax.tools.evaluate --config=configs/raft.py --config.seed="$seed" \
    --config.evaluation.samples_per_prompt=16 --config.evaluation.temperature=0.7 \
    --checkpoint="${checkpoint[$name]}" --tasks=raftjax/data/heldout_beginner.jsonl \
    --samples="$dir/$name.beginner.samples.jsonl" > "$dir/$name.beginner.json.tmp"
  mv "$dir/$name.beginner.json.tmp" "$dir/$name.beginner.json"
done
# The record: the metrics, and each sample's task and stage (what records/sft/sixteen.py reads).
record=${RECORD:-records/sft/eval16}/seed_$seed
mkdir -p "$record"
for name in "${models[@]}"; do
  cp "$dir/$name.beginner.json" "$record/"
  python -c 'import json, sys
for line in sys.stdin:
  r = json.loads(line)
  print(json.dumps({k: r[k] for k in ("prompt_id", "sample_index", "stage", "reward")}))' \
    < "$dir/$name.beginner.samples.jsonl" > "$record/$name.beginner.stages.jsonl"
done
