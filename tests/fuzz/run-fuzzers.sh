#!/usr/bin/env bash
# Runs every fuzz harness of tests/fuzz for SECONDS each (default 60) with its
# corpus and dictionary, one after another, and fails on the first crash,
# leak, timeout or out-of-memory, printing the reproducer.
#
#   tests/fuzz/run-fuzzers.sh [SECONDS] [HARNESS...]
#
# Builds build-fuzz (clang, -Dfuzzing=true) when it is missing. New inputs
# the fuzzer finds go to build-fuzz/fuzz-corpus/HARNESS (the seeds in the
# repository are only read); a crash leaves its input in
# build-fuzz/fuzz-artifacts/. Environment: BUILD_FUZZ (the build folder),
# FUZZ_ARGS (more libFuzzer options, e.g. -jobs=2 -workers=2).
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:-60}
shift || true
build=${BUILD_FUZZ:-build-fuzz}
all=(npy safetensors checkpoint checkpoint-metadata idx idx-gzip cifar cka-export
     run-json run-metrics pth cka-shard dataset-archive)
harnesses=("${@:-${all[@]}}")
[ $# -gt 0 ] || harnesses=("${all[@]}")

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" -Dfuzzing=true
fi
ninja -C "$build" "${harnesses[@]/#/tests/fuzz/fuzz-}"

# Files are rewritten for every input: keep them in memory when possible.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  export TMPDIR=/dev/shm
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
for h in "${harnesses[@]}"; do
  corpus="$build/fuzz-corpus/$h"
  artifacts="$build/fuzz-artifacts/$h/"
  log="$build/fuzz-logs/$h.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  # Larger inputs than the seeds' make each execution slower, not deeper:
  # the checkpoint's seed is a whole resnet8 (about 320 KB).
  case $h in
    checkpoint) max_len=400000 ;;
    cka-export|cka-shard|pth|dataset-archive) max_len=65536 ;;
    *) max_len=16384 ;;
  esac
  echo "== fuzz-$h: ${seconds}s"
  if "$build/tests/fuzz/fuzz-$h" "$corpus" "tests/fuzz/corpus/$h" \
       -dict="tests/fuzz/$h.dict" -max_total_time="$seconds" -max_len="$max_len" \
       -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$artifacts" \
       -print_final_stats=1 ${FUZZ_ARGS:-} >"$log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$log" | tail -2 || true
  else
    status=1
    tail -n 60 "$log"
    for f in "$artifacts"*; do
      [ -f "$f" ] || continue
      echo "fuzz-$h found a problem; reproduce with:"
      echo "  $build/tests/fuzz/fuzz-$h $f"
      echo "  (the input, base64: $(base64 -w0 "$f" | head -c 2000))"
    done
  fi
done
exit "$status"
