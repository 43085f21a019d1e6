# writers.sh: the writers the fault and kill scripts run, sourced by both.
#
# Each writer has a command that writes into $OUT (writer_run NAME OUT
# [FLAVOUR]), a way its outputs are checked (writer_mode NAME: files, tree
# or run) and, for files, a previous version made by the same command with
# other settings (FLAVOUR old), which a failed write must leave intact.
# Needs $CLI, $INPUT (prepared by writers_prepare) and, for the download,
# $SERVER_URL.

WRITERS="checkpoint run cka-npy cka-csv render-pdf render-svg render-png render-gif shard merge activations download"

# Small and deterministic: the synthetic data set, resnet8, a few images.
TRAIN_ARGS="-m resnet8 -d synthetic --limit 64 --test-limit 32 -b 32 --threads 2"
CKA_ARGS="--a resnet8 --dataset synthetic --limit 64 --batch 32 --passes 1 --threads 2 -q"

writer_mode () {
  case "$1" in
    run) echo run ;;
    activations|download) echo tree ;;
    *) echo files ;;
  esac
}

# The folder a tree writer writes (checked whole), relative to OUT.
writer_tree () {
  case "$1" in
    activations) echo acts ;;
    download) echo data/cifar-10-batches-bin ;;
  esac
}

writer_run () {
  local name=$1 out=$2 flavour=${3:-new}
  local seed=0 colormap=magma
  if [ "$flavour" = old ]; then seed=1; colormap=viridis; fi
  case "$name" in
    checkpoint) "$CLI" train $TRAIN_ARGS -e 1 -s $seed -o "$out/model.safetensors" ;;
    run) "$CLI" train $TRAIN_ARGS -e 2 --probe-images 32 --probe-batch 16 --run-dir "$out/run" ;;
    cka-npy) "$CLI" cka $CKA_ARGS --seed $seed -o "$out/m.npy" ;;
    cka-csv) "$CLI" cka $CKA_ARGS --seed $seed -o "$out/m.csv" ;;
    render-*) "$CLI" render "$INPUT/m.npy" --colormap $colormap -o "$out/figure.${name#render-}" ;;
    shard) "$CLI" cka $CKA_ARGS --seed $seed --shard 0/2 -o "$out/s0.bscka" ;;
    merge) "$CLI" cka-merge -q "$INPUT/$flavour-s0.bscka" "$INPUT/$flavour-s1.bscka" -o "$out/merged.npy" ;;
    activations) "$CLI" activations resnet8 -d synthetic --limit 16 --threads 2 -q -o "$out/acts" ;;
    download) mkdir -p "$out/data" &&
                BLOCKSCOPE_CIFAR10_URL="$SERVER_URL/cifar-10-binary.tar.gz" \
                BLOCKSCOPE_CIFAR10_MD5="$(cat "$INPUT/cifar.md5")" \
                "$CLI" download cifar10 --data-dir "$out/data" -q ;;
    *) echo "unknown writer $name" >&2; return 2 ;;
  esac
}

# Inputs shared by the writers: a matrix to render, the shards to merge, a
# small CIFAR-10 archive to download.
writers_prepare () {
  mkdir -p "$INPUT/srv"
  "$CLI" cka $CKA_ARGS -o "$INPUT/m.npy" || return 1
  for flavour in old new; do
    local seed=0
    [ $flavour = old ] && seed=1
    "$CLI" cka $CKA_ARGS --seed $seed --shard 0/2 -o "$INPUT/$flavour-s0.bscka" || return 1
    "$CLI" cka $CKA_ARGS --seed $seed --shard 1/2 -o "$INPUT/$flavour-s1.bscka" || return 1
  done
  /usr/bin/python3 - "$INPUT/srv/cifar-10-binary.tar.gz" <<'PY' || return 1
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w:gz") as tar:
    def add(name, data):
        info = tarfile.TarInfo("cifar-10-batches-bin/" + name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    for i, name in enumerate(["data_batch_%d.bin" % k for k in range(1, 6)] + ["test_batch.bin"]):
        add(name, bytes(((r + i) % 10 if j == 0 else (r * 7 + j + i) % 256)
                        for r in range(20) for j in range(3073)))
    add("batches.meta.txt", "\n".join("class%d" % c for c in range(10)).encode() + b"\n")
PY
  md5sum "$INPUT/srv/cifar-10-binary.tar.gz" | cut -d' ' -f1 > "$INPUT/cifar.md5"
}

# A local HTTP server for the download, on a free port; sets SERVER_PID and
# SERVER_URL. Waits for its first line (the port) rather than sleeping.
server_start () {
  /usr/bin/python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$INPUT/srv" \
    > "$INPUT/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 200); do
    if grep -q "port" "$INPUT/server.log" 2>/dev/null; then break; fi
    sleep 0.05
  done
  local port
  port=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$INPUT/server.log" | head -1)
  [ -n "$port" ] || { echo "the HTTP server did not start" >&2; return 1; }
  SERVER_URL="http://127.0.0.1:$port"
}

server_stop () {
  [ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=
}

# The outputs of every writer without faults: $BASE/new/NAME and, for
# files writers, the previous versions in $BASE/old/NAME.
writers_baseline () {
  for w in ${1:-$WRITERS}; do
    mkdir -p "$BASE/new/$w" "$BASE/old/$w"
    local t0 t1
    t0=$(date +%s%N)
    writer_run "$w" "$BASE/new/$w" new > /dev/null 2> "$BASE/new-$w.err" ||
      { echo "baseline of $w failed:" >&2; cat "$BASE/new-$w.err" >&2; return 1; }
    t1=$(date +%s%N)
    # How long the writer runs, in milliseconds: the range of kill delays.
    echo $(( (t1 - t0) / 1000000 )) > "$BASE/ms-$w"
    if [ "$(writer_mode "$w")" = files ]; then
      writer_run "$w" "$BASE/old/$w" old > /dev/null 2> "$BASE/old-$w.err" ||
        { echo "old version of $w failed:" >&2; cat "$BASE/old-$w.err" >&2; return 1; }
    fi
  done
  # The run folder's own lock file is part of a run.
  return 0
}

# Checks what writer w left in out after exit status status ("killed" for
# kill -9); prints the checker's line and returns its status.
writer_check () {
  local w=$1 out=$2 status=$3 err=$4
  case "$(writer_mode "$w")" in
    files) /usr/bin/python3 "$FAULTS_DIR/check-outputs.py" files "$BASE/old/$w" "$BASE/new/$w" "$out" "$status" "$err" ;;
    tree) /usr/bin/python3 "$FAULTS_DIR/check-outputs.py" tree "$BASE/new/$w/$(writer_tree "$w")" \
            "$out/$(writer_tree "$w")" "$status" "$err" ;;
    run) /usr/bin/python3 "$FAULTS_DIR/check-outputs.py" run "$BASE/new/$w/run" "$out/run" "$status" "$err" "$CLI" ;;
  esac
}

# A fresh output folder for writer w: the previous version of a files
# writer's outputs copied in, nothing for the others.
writer_setup () {
  local w=$1 out=$2
  rm -rf "$out"
  mkdir -p "$out"
  if [ "$(writer_mode "$w")" = files ]; then cp -a "$BASE/old/$w/." "$out/"; fi
  if [ "$w" = download ]; then mkdir -p "$out/data"; fi
}
