#!/usr/bin/env bash
# The SFT study (records/sft/README.md): for each seed, the default job (SFT stage, then RAFT), RAFT with
# hinted rollouts from the same SFT checkpoint, and every model of the chain evaluated on the built-in
# held-out split and the beginner set, 4 samples per task at T = 0.7, programs run.
#   bash records/sft/run.sh [SEEDS...]     (default: 0 1; resumable: rerun to continue; OUT=runs/sft_study)
# A variant of the default job: ARGS (more flags for raftjax.main) and HINTS=0 (no hinted run), e.g. SFT on
# the whole corpus: OUT=runs/sft_whole ARGS=--config.sft.num_examples=0 HINTS=0 bash records/sft/run.sh 0
# SFT=DIR: no SFT stage, RAFT starts from that SFT checkpoint (evaluated as "sft"), e.g. RAFT on every
# training task per cycle: SFT=runs/sft_whole/sft_raft/seed_0/sft/final ARGS=--config.raft.prompts_per_cycle=0
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-runs/sft_study}
sampled=(--config.evaluation.samples_per_prompt=4 --config.evaluation.temperature=0.7)

evaluate() {  # evaluate NAME CHECKPOINT SEED: both task sets, once
  local name=$1 checkpoint=$2 seed=$3 dir=$out/eval/seed_$3
  mkdir -p "$dir"
  [[ -s $dir/$name.held_out.json ]] || python -m raftjax.tools.evaluate --config=configs/raft.py --config.seed="$seed" \
    "${sampled[@]}" --checkpoint="$checkpoint" --samples="$dir/$name.held_out.samples.jsonl" > "$dir/$name.held_out.json"
  [[ -s $dir/$name.beginner.json ]] || python -m raftjax.tools.evaluate --config=configs/raft.py --config.seed="$seed" \
    "${sampled[@]}" --checkpoint="$checkpoint" --tasks=raftjax/data/heldout_beginner.jsonl \
    --samples="$dir/$name.beginner.samples.jsonl" > "$dir/$name.beginner.json"
}

final() { ls -d "$1"/cycle_*_final; }  # the run's best cycle
seeds=("$@")
[[ ${#seeds[@]} -gt 0 ]] || seeds=(0 1)
mkdir -p "$out/sft_raft" "$out/sft_raft_hints"
for seed in "${seeds[@]}"; do
  run=$out/sft_raft/seed_$seed
  sft=${SFT:-$run/sft/final}
  from=()
  [[ -z ${SFT:-} ]] || from=(--config.sft.data= --config.sft_checkpoint="$SFT")
  # shellcheck disable=SC2086  # ARGS: several flags
  /usr/bin/time -v -o "$run.time" python -m raftjax.main --config=configs/raft.py --config.seed="$seed" \
    --config.output_dir="$run" "${from[@]}" ${ARGS:-} 2> "$run.log" || { tail -5 "$run.log"; exit 1; }
  evaluate base base "$seed"
  evaluate sft "$sft" "$seed"
  evaluate sft_raft "$(final "$run")" "$seed"
  [[ ${HINTS:-1} == 1 ]] || continue
  hints=$out/sft_raft_hints/seed_$seed
  python -m raftjax.main --config=configs/sft_hints.py --config.seed="$seed" --config.output_dir="$hints" \
    --config.sft.data= --config.sft_checkpoint="$sft" 2> "$hints.log" || { tail -5 "$hints.log"; exit 1; }
  evaluate sft_raft_hints "$(final "$hints")" "$seed"
done
