#!/bin/bash
# inject-writers.sh [RUNS]: fault injection on every writer (issue 19).
#
# Runs the writers of writers.sh (checkpoints, run folders, CKA results as
# .npy/CSV/JSON, figures as PDF/SVG/PNG/GIF, shards and their merge,
# activations, a download from a local HTTP server) RUNS times in turn
# (default 300) under Debian's libfiu: `fiu-run -x` fails one POSIX call at
# random (write, pwrite, fsync, fdatasync, rename, open, close, ftruncate,
# read, fwrite, fopen) with a random probability. After every run the
# outputs are checked (check-outputs.py): a failed write leaves the previous
# file intact, no partial file has a final name, nothing is left behind, a
# failure exits 1 or 2 with a message, never a crash or an abort.
#
# Environment: BLOCKSCOPE_CLI (default build/src/cli/blockscope-cli),
# FAULTS_KEEP=1 keeps the work folder. Exit status 0 when every run held.
set -u
RUNS=${1:-300}
# FAULT_SEED makes the faults of a short sample the same every time (the
# meson test's, so that CI does not depend on luck); unset, every run draws
# new ones.
if [ -n "${FAULT_SEED:-}" ]; then RANDOM=$FAULT_SEED; fi
FAULTS_DIR=$(cd "$(dirname "$0")" && pwd)
CLI=$(realpath "${BLOCKSCOPE_CLI:-build/src/cli/blockscope-cli}")
. "$FAULTS_DIR/writers.sh"

command -v fiu-run > /dev/null || { echo "inject-writers: fiu-run not found (apt-get install fiu-utils)" >&2; exit 77; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bs-faults-XXXXXX")
INPUT=$WORK/input
BASE=$WORK/base
cleanup () {
  server_stop
  [ "${FAULTS_KEEP:-0}" = 1 ] && echo "work folder: $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
export LANGUAGE=C BLOCKSCOPE_RUNS_DIR=$WORK/runs-dir

writers_prepare && server_start && writers_baseline || { echo "inject-writers: set-up failed" >&2; exit 1; }

POINTS="posix/io/rw/write posix/io/rw/pwrite posix/io/sync/fsync posix/io/sync/fdatasync posix/io/dir/rename
        posix/io/oc/open posix/io/oc/close posix/io/rw/ftruncate posix/io/rw/read posix/stdio/rw/fwrite
        posix/stdio/oc/fopen"
read -r -a points <<< "$(echo $POINTS)"
read -r -a writers <<< "$WRITERS"
probabilities=(0.02 0.05 0.2 0.5)

ok=0; failed=0; succeeded=0; refused=0

# First, one fault the random runs found: a failed open of GIO's compiled
# GSettings schemas made GIO's proxy resolver abort the download.
writer_setup download "$WORK/out/download"
XDG_DATA_DIRS=/nonexistent writer_run download "$WORK/out/download" new > /dev/null 2> "$WORK/stderr"
status=$?
if ! line=$(writer_check download "$WORK/out/download" "$status" "$WORK/stderr") || [ $status != 0 ]; then
  failed=$((failed + 1))
  echo "FAIL download without GSettings schemas, exit $status: $line"
  sed 's/^/    stderr: /' "$WORK/stderr" | head -5
fi
start=$(date +%s)
for ((i = 0; i < RUNS; i++)); do
  w=${writers[$((i % ${#writers[@]}))]}
  point=${points[$((RANDOM % ${#points[@]}))]}
  p=${probabilities[$((RANDOM % ${#probabilities[@]}))]}
  out=$WORK/out/$w
  writer_setup "$w" "$out"
  # The writer's command through fiu-run: CLI names a function here.
  (
    # A writer that does not end in 5 minutes hangs: killed (137), a failure.
    fiu_cli () { timeout -s KILL 300 fiu-run -x -c "enable_random name=$point,probability=$p" "$REAL_CLI" "$@"; }
    REAL_CLI=$CLI
    CLI=fiu_cli
    # libfiu deadlocks on its own when a thread loads a library while
    # another calls a function it wraps: the first holds the dynamic
    # loader's lock and, in malloc, waits for libfiu's lock; the second holds
    # libfiu's lock and, resolving the real strdup with dlsym, waits for the
    # loader's (the download's hang of issue 19: GIO loading its proxy
    # module on the download thread while GLib's worker thread polled).
    # Without faults nothing takes libfiu's lock: the download runs here
    # without GIO's loadable modules, on GIO's built-in proxy resolver.
    if [ "$w" = download ]; then export GIO_MODULE_DIR=$WORK/no-gio-modules; mkdir -p "$GIO_MODULE_DIR"; fi
    writer_run "$w" "$out" new
  ) > "$WORK/stdout" 2> "$WORK/stderr"
  status=$?
  if [ $status = 0 ]; then succeeded=$((succeeded + 1)); else refused=$((refused + 1)); fi
  if line=$(writer_check "$w" "$out" "$status" "$WORK/stderr"); then
    ok=$((ok + 1))
  else
    failed=$((failed + 1))
    echo "FAIL run $i: $w, $point at $p, exit $status: $line"
    sed 's/^/    stderr: /' "$WORK/stderr" | head -5
  fi
done
end=$(date +%s)
echo "inject-writers: $RUNS runs over ${#writers[@]} writers in $((end - start)) s:" \
     "$succeeded succeeded, $refused failed with a message, $failed broke an invariant"
[ $failed = 0 ]
