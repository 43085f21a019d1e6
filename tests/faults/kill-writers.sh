#!/bin/bash
# kill-writers.sh [N]: kill -9 at random moments of the writers (issue 19).
#
# N times (default 40), one of the writers of writers.sh (training with
# checkpoints, a training run folder, CKA results, a shard, a figure,
# activations, a download) is started and killed with SIGKILL after a
# random delay within its usual duration. What it leaves is then checked
# (check-outputs.py): every file with a final name is complete (the bytes
# the writer makes when it is not killed, or the previous file), nothing
# half-written is left under a final name, a run folder opens with `runs`;
# and a killed run resumes (`train --resume`) to the same final checkpoint,
# bit for bit, as a run never killed.
#
# Environment: BLOCKSCOPE_CLI (default build/src/cli/blockscope-cli),
# FAULTS_KEEP=1 keeps the work folder. Exit status 0 when every kill held.
set -u
KILLS=${1:-40}
FAULTS_DIR=$(cd "$(dirname "$0")" && pwd)
CLI=$(realpath "${BLOCKSCOPE_CLI:-build/src/cli/blockscope-cli}")
. "$FAULTS_DIR/writers.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bs-kills-XXXXXX")
INPUT=$WORK/input
BASE=$WORK/base
cleanup () {
  server_stop
  [ "${FAULTS_KEEP:-0}" = 1 ] && echo "work folder: $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
export LANGUAGE=C BLOCKSCOPE_RUNS_DIR=$WORK/runs-dir

KILLED="run checkpoint cka-npy shard render-png activations download"
writers_prepare && server_start && writers_baseline "$KILLED" ||
  { echo "kill-writers: set-up failed" >&2; exit 1; }
read -r -a writers <<< "$KILLED"

failed=0; killed=0; finished=0; resumed=0
start=$(date +%s)
for ((i = 0; i < KILLS; i++)); do
  w=${writers[$((i % ${#writers[@]}))]}
  out=$WORK/out/$w
  writer_setup "$w" "$out"
  ms=$(cat "$BASE/ms-$w")
  # Up to the writer's usual duration; the run folder's training is the
  # longest, and its first second is mostly start-up.
  delay_ms=$(( RANDOM * (ms + 100) / 32768 ))
  (
    exec_cli () { exec "$REAL_CLI" "$@"; }
    REAL_CLI=$CLI
    CLI=exec_cli
    writer_run "$w" "$out" new
  ) > "$WORK/stdout" 2> "$WORK/stderr" &
  pid=$!
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  if kill -9 "$pid" 2> /dev/null; then
    wait "$pid" 2> /dev/null
    status=killed
    killed=$((killed + 1))
  else
    wait "$pid"
    status=$?
    finished=$((finished + 1))
  fi
  if ! line=$(writer_check "$w" "$out" "$status" "$WORK/stderr"); then
    failed=$((failed + 1))
    echo "FAIL kill $i: $w after $delay_ms ms ($status): $line"
    continue
  fi
  # A killed run resumes to the checkpoint of a run never killed.
  if [ "$w" = run ] && [ "$status" = killed ] && [ -f "$out/run/run.json" ]; then
    if "$CLI" train --resume "$out/run" > /dev/null 2> "$WORK/stderr" &&
       cmp -s "$out/run/checkpoints/epoch-0002.safetensors" "$BASE/new/run/run/checkpoints/epoch-0002.safetensors"; then
      resumed=$((resumed + 1))
    else
      failed=$((failed + 1))
      echo "FAIL kill $i: the run killed after $delay_ms ms does not resume to the same checkpoint"
      sed 's/^/    stderr: /' "$WORK/stderr" | head -5
    fi
  fi
done
end=$(date +%s)
echo "kill-writers: $KILLS runs of ${#writers[@]} writers in $((end - start)) s: $killed killed," \
     "$finished finished before the kill, $resumed killed runs resumed bit for bit, $failed broke an invariant"
[ $failed = 0 ]
