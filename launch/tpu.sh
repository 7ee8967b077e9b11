#!/usr/bin/env bash
# Runs raftjax on a Cloud TPU VM slice (one host or many), detached: makes sure the VM exists and is READY
# (creates it, or deletes and re-creates a PREEMPTED/TERMINATED one), copies this checkout to every worker,
# installs it, starts one `python -m raftjax.main` per worker in the background (setsid nohup, log in
# ~/raftjax-run.log on each worker) and returns. ACTION=status|logs|stop|fetch|delete look after it.
#
# Needs: the gcloud CLI, authenticated, with TPU quota in ZONE. On the workers: Python >= 3.11 (checked;
#   most TPU images have 3.10: see PYTHON and SETUP), gcc; the VM's service account reads MODEL's bucket and
#   writes OUTPUT's.
# Run:   NAME=raft-v5e ZONE=us-west4-a TYPE=v5litepod-8 OUTPUT=gs://my-bucket/raft-v5e MODEL=gs://my-bucket/Qwen2.5-Coder-7B-Instruct \
#          launch/tpu.sh --config=configs/raft_7b.py [--config.x=y ...]
#        ACTION=logs NAME=raft-v5e ZONE=us-west4-a launch/tpu.sh          (FOLLOW=1 to follow, WORKER=i, TAIL=n)
#        ACTION=status | ACTION=stop | ACTION=delete  (same NAME, ZONE)
#        ACTION=fetch, with the run's OUTPUT (and flags): copies the outputs to FETCH
# After a preemption, rerun the same command: the VM is re-created and, with OUTPUT=gs://..., the run resumes
# from the bucket. First, here, without the slice: python -m raftjax.tools.aot --config=configs/raft_7b.py
# --topology=v5e-8 (with the same --config.x=y flags) compiles the cycle for that slice and says whether it fits.
#
# Environment:
#   NAME, ZONE           required; PROJECT (gcloud --project; default: gcloud's)
#   ACTION               run (default), status, logs, stop, fetch, delete
#   TYPE                 accelerator type (v5litepod-8, v6e-8, v4-32, ...): needed to create the VM
#   VERSION              TPU VM image (runtime version), default v2-alpha-tpuv5-lite
#   QUEUED=1             create through a queued resource (`gcloud compute tpus queued-resources create`,
#                        waits for capacity; a FAILED or SUSPENDED one is deleted and re-created); SPOT=1:
#                        a spot (preemptible) VM, queued or not
#   OUTPUT               gs://BUCKET/PATH: every worker mounts BUCKET with gcsfuse (installed if missing) at
#                        /mnt/gcs/BUCKET and config.output_dir = /mnt/gcs/BUCKET/PATH, so that Orbax shards of
#                        all hosts meet there and a rerun after a preemption resumes; anything else is a path on
#                        the workers' own disks (relative: to the checkout there), default runs/NAME: lost when
#                        the VM is re-created, and a multi-host slice needs the bucket. A --config.output_dir=
#                        of yours wins over OUTPUT (OUTPUT's bucket is still mounted).
#   MODEL                gs://BUCKET/DIR, an HF model directory: copied to each worker's disk
#                        (~/raftjax-models/DIR, `gcloud storage cp -r`, once) and given as --config.sft_checkpoint,
#                        unless you give your own --config.sft_checkpoint=
#   PYTHON               the workers' interpreter that makes the venv ~/raftjax-venv (default python3; >= 3.11)
#   SETUP                a command run on every worker before the Python check, e.g. to install 3.11:
#                        SETUP='sudo add-apt-repository -y ppa:deadsnakes/ppa && sudo apt-get install -y python3.11-venv' PYTHON=python3.11
#   FETCH                where ACTION=fetch copies the outputs here (default runs/NAME)
#   POLL_S               seconds between state checks while the VM is being created or queued (default 30)
# Paths here are relative to the checkout. The checkout travels without runs/, .git and model files
# (*.safetensors, *.gguf, *.bin, *.pt, *.pth, *.ckpt): stage models in a bucket (MODEL).
# Each worker runs `python -m raftjax.main` with no distributed flags: raftjax sees a TPU VM and calls
# jax.distributed.initialize(), which reads the slice's hosts from the TPU metadata.
set -euo pipefail

: "${NAME:?set NAME (the TPU VM; the header of launch/tpu.sh lists the environment)}" "${ZONE:?set ZONE}"
action=${ACTION:-run}
version=${VERSION:-v2-alpha-tpuv5-lite}
python=${PYTHON:-python3}
fetch=${FETCH:-runs/$NAME}
poll=${POLL_S:-30}
mounts=/mnt/gcs  # OUTPUT's bucket is mounted at /mnt/gcs/BUCKET on every worker
# shellcheck disable=SC2088  # on the workers, expanded there
log='~/raftjax-run.log' pidfile='~/raftjax-run.pid'

die() { echo "tpu.sh: $*" >&2; exit 1; }
errors=$(mktemp -t raftjax-tpu.XXXXXX)
tgz=''
trap 'rm -f "$errors" ${tgz:+"$tgz"}' EXIT
gc() { gcloud "$@" --zone="$ZONE" ${PROJECT:+--project="$PROJECT"}; }
tpu() { gc compute tpus tpu-vm "$@"; }
qr() { gc compute tpus queued-resources "$@"; }
on() { local worker=$1; shift; tpu ssh "$NAME" --worker="$worker" --command="$*"; }
q() { printf '%q' "$1"; }

cd "$(dirname "$0")/.."

# ------------------------------------------------------------------------------------- the command line

# The user's own output_dir / sft_checkpoint (`--config.x=v` or `--config.x v`) win: ours are not added.
user_output='' user_model='' prev=''
for a in "$@"; do
  case $a in
    --config.output_dir=*) user_output=${a#*=} ;;
    --config.sft_checkpoint=*) user_model=${a#*=} ;;
  esac
  case $prev in
    --config.output_dir) user_output=$a ;;
    --config.sft_checkpoint) user_model=$a ;;
  esac
  prev=$a
done

bucket='' bucket_path=''
if [[ ${OUTPUT:-} == gs://* ]]; then
  path=${OUTPUT#gs://}
  path=${path%/}
  bucket=${path%%/*}
  [[ $path == */* ]] && bucket_path=${path#*/}
  [[ -n $bucket ]] || die "OUTPUT=$OUTPUT: expected gs://BUCKET/PATH"
fi
if [[ -n $user_output ]]; then
  output=$user_output
  [[ -n ${OUTPUT:-} && $action == run ]] && echo "tpu.sh: --config.output_dir=$user_output given: it wins over OUTPUT=$OUTPUT" >&2
elif [[ -n $bucket ]]; then
  output=$mounts/$bucket${bucket_path:+/$bucket_path}
else
  output=${OUTPUT:-runs/$NAME}
fi
[[ $output == /* ]] && remote_output=$output || remote_output=raftjax/$output  # relative: to the checkout

model_base=''
if [[ -n ${MODEL:-} ]]; then
  MODEL=${MODEL%/}
  [[ $MODEL == gs://?*/?* ]] || die "MODEL=$MODEL: expected gs://BUCKET/DIR, an HF model directory in Cloud Storage"
  model_base=${MODEL##*/}
fi

# --------------------------------------------------------------------------------------------- the VM

# `describe`'s state (READY, CREATING, PREEMPTED, ...; ACTIVE, WAITING_FOR_RESOURCES, SUSPENDED, ... for a
# queued resource) or MISSING; any other failure of describe ends the script with gcloud's last line.
state_of() {
  local out
  if out=$($1 describe "$NAME" --format="value($2)" 2>"$errors"); then
    echo "${out##*$'\n'}"
  elif grep -qiE 'NOT_FOUND|not found' "$errors"; then
    echo MISSING
  else
    die "$1 describe $NAME: $(tail -n 1 "$errors")"
  fi
}
vm_state() { state_of tpu state; }
qr_state() { state_of qr state.state; }

need_type() { [[ -n ${TYPE:-} ]] || die "$NAME does not exist: set TYPE (accelerator type, e.g. v5litepod-8) to create it"; }

create_vm() {
  need_type
  echo "tpu.sh: creating $NAME ($TYPE, $version) in $ZONE" >&2
  tpu create "$NAME" --accelerator-type="$TYPE" --version="$version" ${SPOT:+--spot}
}

create_queued() {
  need_type
  echo "tpu.sh: queueing $NAME ($TYPE, $version) in $ZONE" >&2
  qr create "$NAME" --node-id="$NAME" --accelerator-type="$TYPE" --runtime-version="$version" ${SPOT:+--spot}
}

wait_for() {  # wait_for STATE_FUNCTION GOOD_STATE WAITING_STATES...
  local get=$1 good=$2 state
  shift 2
  while :; do
    state=$($get)
    if [[ $state == "$good" ]]; then return 0; fi
    [[ " $* " == *" $state "* ]] || die "$NAME is $state, not $good"
    echo "tpu.sh: $NAME is $state; checking again in ${poll}s (Ctrl-C and rerun later: nothing is lost)" >&2
    sleep "$poll"
  done
}

ensure_vm() {
  local state
  if [[ ${QUEUED:-0} == 1 ]]; then
    state=$(qr_state)
    case $state in
      FAILED | SUSPENDED | SUSPENDING)
        echo "tpu.sh: the queued resource $NAME is $state: deleting and re-creating it" >&2
        qr delete "$NAME" --force --quiet
        state=MISSING ;;
    esac
    [[ $state == MISSING ]] && create_queued
    wait_for qr_state ACTIVE ACCEPTED WAITING_FOR_RESOURCES PROVISIONING CREATING
  fi
  state=$(vm_state)
  case $state in
    PREEMPTED | TERMINATED)
      echo "tpu.sh: $NAME is $state: deleting and re-creating it (outputs on its disk go with it; OUTPUT=gs://... keeps them)" >&2
      if [[ ${QUEUED:-0} == 1 ]]; then
        qr delete "$NAME" --force --quiet
        create_queued
        wait_for qr_state ACTIVE ACCEPTED WAITING_FOR_RESOURCES PROVISIONING CREATING
      else
        tpu delete "$NAME" --quiet
        create_vm
      fi ;;
    MISSING)
      if [[ ${QUEUED:-0} == 1 ]]; then die "the queued resource $NAME is ACTIVE but has no VM"; fi
      create_vm ;;
    STOPPED) tpu start "$NAME" ;;
  esac
  wait_for vm_state READY CREATING STARTING RESTARTING REPAIRING
}

# ------------------------------------------------------------------------------------------ the actions

running="[ -f $pidfile ] && kill -0 \$(cat $pidfile) 2>/dev/null"

case $action in
  status)
    if [[ ${QUEUED:-0} == 1 ]]; then
      state=$(qr_state)
      echo "queued resource $NAME: $state"
    fi
    state=$(vm_state)
    echo "$NAME: $state"
    [[ $state == READY ]] || exit 0
    on all "if $running; then echo \"\$(hostname): running (pid \$(cat $pidfile))\"; else echo \"\$(hostname): not running\"; fi; tail -n 3 $log 2>/dev/null"
    exit 0 ;;
  logs)
    on "${WORKER:-0}" "tail -n ${TAIL:-100} ${FOLLOW:+-F} $log"
    exit 0 ;;
  stop)
    on all "if $running; then kill -TERM -- -\$(cat $pidfile) && echo \"\$(hostname): stopped\"; else echo \"\$(hostname): not running\"; fi"
    exit 0 ;;
  delete)
    if [[ ${QUEUED:-0} == 1 ]]; then qr delete "$NAME" --force --quiet; else tpu delete "$NAME" --quiet; fi
    exit 0 ;;
  fetch)
    mkdir -p "$fetch"
    if [[ -n $bucket && -z $user_output ]]; then
      gcloud storage rsync -r "$OUTPUT" "$fetch"
    else
      tpu scp --recurse "$NAME:$remote_output/*" "$fetch/" --worker=0
    fi
    echo "outputs in $fetch"
    exit 0 ;;
  run) ;;
  *) die "ACTION=$action: expected run, status, logs, stop, fetch or delete" ;;
esac

ensure_vm

if [[ -n ${SETUP:-} ]]; then
  on all "$SETUP"
fi
# One line when the image's Python is too old: raftjax needs >= 3.11 (pyproject.toml).
pyver=$(on 0 "$python -c 'import sys; print(\"%d.%d\" % sys.version_info[:2])'" 2>"$errors" | tail -n 1) || pyver=''
if ! [[ $pyver =~ ^([0-9]+)\.([0-9]+)$ ]]; then
  die "could not run $python on $NAME ($(tail -n 1 "$errors")): raftjax needs Python >= 3.11 there (set PYTHON, or SETUP to install it)"
elif ((BASH_REMATCH[1] < 3 || (BASH_REMATCH[1] == 3 && BASH_REMATCH[2] < 11))); then
  die "$NAME's image has Python $pyver ($python); raftjax needs >= 3.11: set PYTHON to a 3.11+ interpreter there (SETUP can install one) or VERSION to an image that has one"
fi

if [[ -z $bucket && $output != /mnt/* ]]; then
  echo "tpu.sh: output_dir $output is on the VM's own disk: a re-created VM (preemption) starts over, and a multi-host slice needs OUTPUT=gs://..." >&2
fi

# The checkout, without outputs, history and model files.
tgz=$(mktemp -t "raftjax-$NAME.XXXXXX")
COPYFILE_DISABLE=1 tar czf "$tgz" --exclude=./runs --exclude=./.git --exclude=./.venv --exclude=./launch_logs --exclude='__pycache__' \
  --exclude='*.egg-info' --exclude=./.hypothesis --exclude=./.ruff_cache --exclude=./.pytest_cache --exclude='*.safetensors' --exclude='*.gguf' --exclude='*.bin' --exclude='*.pt' \
  --exclude='*.pth' --exclude='*.ckpt' .
tpu scp "$tgz" "$NAME":raftjax.tgz --worker=all

setup="set -e
if $running; then echo \"\$(hostname): a raftjax job is running (ACTION=status, ACTION=stop)\" >&2; exit 3; fi
mkdir -p ~/raftjax && tar xzf ~/raftjax.tgz -C ~/raftjax && rm ~/raftjax.tgz
[ -x ~/raftjax-venv/bin/python ] || $(q "$python") -m venv ~/raftjax-venv
cd ~/raftjax && ~/raftjax-venv/bin/pip install -q -e '.[tpu]'
gcc --version >/dev/null"
if [[ -n $bucket ]]; then
  mnt=$mounts/$bucket
  setup+="
if ! command -v gcsfuse >/dev/null; then
  echo \"deb [signed-by=/usr/share/keyrings/cloud.google.asc] https://packages.cloud.google.com/apt gcsfuse-\$(lsb_release -cs) main\" | sudo tee /etc/apt/sources.list.d/gcsfuse.list >/dev/null
  curl -fsSL https://packages.cloud.google.com/apt/doc/apt-key.gpg | sudo tee /usr/share/keyrings/cloud.google.asc >/dev/null
  sudo apt-get -q -o DPkg::Lock::Timeout=300 update && sudo apt-get -q -y -o DPkg::Lock::Timeout=300 install gcsfuse
fi
sudo mkdir -p $(q "$mnt") && sudo chown \$(id -u):\$(id -g) $(q "$mnt")
mountpoint -q $(q "$mnt") || gcsfuse --implicit-dirs --rename-dir-limit=1000000 $(q "$bucket") $(q "$mnt")
mkdir -p $(q "$mnt${bucket_path:+/$bucket_path}")"
fi
if [[ -n $model_base ]]; then
  # shellcheck disable=SC2088  # expanded on the workers
  dest="~/raftjax-models/$(q "$model_base")"
  setup+="
if ! grep -qxF $(q "$MODEL") $dest/.raftjax-copied 2>/dev/null; then
  rm -rf $dest && mkdir -p ~/raftjax-models && gcloud storage cp -r $(q "$MODEL") ~/raftjax-models/
  echo $(q "$MODEL") > $dest/.raftjax-copied
fi"
fi
on all "$setup"

# The job: the user's flags, then ours only for the keys the user did not give (so that nothing of the
# user's is ever overridden; after theirs, since config_flags wants --config= before any --config.x).
args=''
for a in "$@"; do args+=" $(q "$a")"; done
if [[ -z $user_output ]]; then args+=" --config.output_dir=$(q "$output")"; fi
if [[ -n $model_base && -z $user_model ]]; then
  args+=" --config.sft_checkpoint=\$HOME/raftjax-models/$(q "$model_base")"  # $HOME: the worker's
elif [[ -n $model_base ]]; then
  echo "tpu.sh: --config.sft_checkpoint=$user_model given: it wins over MODEL=$MODEL (copied all the same)" >&2
fi
job="echo \$\$ > $pidfile
source ~/raftjax-venv/bin/activate
echo \"raftjax: started \$(date -u) on \$(hostname)\"
python -m raftjax.main$args
echo \"raftjax: exited with status \$? at \$(date -u)\""
# setsid: a session of its own (no SIGHUP when ssh goes; ACTION=stop kills the group); every descriptor
# redirected, so that ssh returns at once.
on all "cd ~/raftjax && { setsid nohup bash -c $(q "$job") >>$log 2>&1 </dev/null & } && sleep 1 && echo \"\$(hostname): started\""

cat <<EOF
raftjax runs detached on every worker of $NAME (config.output_dir = $output; log ~/raftjax-run.log there):
  ACTION=logs   NAME=$NAME ZONE=$ZONE launch/tpu.sh     (FOLLOW=1 to follow, WORKER=i)
  ACTION=status NAME=$NAME ZONE=$ZONE launch/tpu.sh
  ACTION=stop   NAME=$NAME ZONE=$ZONE launch/tpu.sh
  ACTION=fetch  NAME=$NAME ZONE=$ZONE${OUTPUT:+ OUTPUT=$OUTPUT} launch/tpu.sh [your flags]   (copies to $fetch)
After a preemption, rerun this command: the VM is re-created$([[ -n $bucket && -z $user_output ]] && echo ' and the run resumes from the bucket').
EOF
