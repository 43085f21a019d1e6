#!/bin/bash
# The seed's workflow, end to end, from the command line: ImageNet ResNet-50
# and ResNet-101 weights imported, fine-tuned on a CIFAR-format data set at
# 32x32, and the CKA heatmap of the two (README's fine-tuning figures).
#
# Usage: tests/bench/fine-tune-seed.sh BUILD_DIR WORK_DIR [R50.pth R101.pth]
#
# With torchvision's official files (resnet50-0676ba61.pth,
# resnet101-63fe2227.pth) they are imported. Without them (no network here),
# files of the same format are made by PyTorch with torchvision's
# initialisation (tests/make-torch-fixtures.py rebuilds its layout), so the
# commands, the downloads, the import and the timings are the real ones and
# only the starting accuracy differs. $LR sets the learning rate (0.05).
#
# The data set: $DATA_DIR/cifar-10-batches-bin if it is there, else
# Fashion-MNIST in CIFAR-10's layout (tests/bench/make-cifar-format.py).
#
# Without official files the data and the weights are then served by a local
# HTTP server (python3 -m http.server on the loopback address) and fetched
# with 'blockscope-cli download cifar10' and 'download weights', the addresses
# and the checksum pointed at it with BLOCKSCOPE_CIFAR10_URL,
# BLOCKSCOPE_CIFAR10_MD5 and BLOCKSCOPE_WEIGHTS_URL: the whole workflow as a
# user runs it, only from another server.
# Budget: $LIMIT training images (default 10000), $EPOCHS epochs (default 3),
# tested on $TEST_LIMIT images (default 2000); CKA on $CKA_LIMIT test images.
set -euo pipefail

build=$(realpath "$1")
work=$(realpath -m "$2")
here=$(dirname "$(realpath "$0")")
cli="$build/src/cli/blockscope-cli"
limit=${LIMIT:-10000}
epochs=${EPOCHS:-3}
test_limit=${TEST_LIMIT:-2000}
cka_limit=${CKA_LIMIT:-2048}
data=${DATA_DIR:-$work/data}
mkdir -p "$work/weights"

if [[ $# -ge 4 ]]; then
    r50_pth=$3 r101_pth=$4
    if [[ ! -f $data/cifar-10-batches-bin/test_batch.bin ]]; then
        /usr/bin/python3 "$here/make-cifar-format.py" "$data" >/dev/null
    fi
else
    serve=$work/serve
    mkdir -p "$serve/src"
    /usr/bin/python3 "$here/make-cifar-format.py" "$serve/src" >/dev/null
    tar -czf "$serve/cifar-10-binary.tar.gz" -C "$serve/src" cifar-10-batches-bin
    /usr/bin/python3 - "$here/.." "$serve" <<'PY'
import hashlib, os, sys, torch
sys.path.insert(0, sys.argv[1])
fixtures = __import__("make-torch-fixtures")
torch.manual_seed(0)
for blocks, name in (([3, 4, 6, 3], "resnet50"), ([3, 4, 23, 3], "resnet101")):
    tmp = os.path.join(sys.argv[2], name + ".pth")
    torch.save(fixtures.imagenet(blocks, classes=1000).state_dict(), tmp)
    digest = hashlib.sha256(open(tmp, "rb").read()).hexdigest()
    # torch.hub's naming: the hash prefix after the last '-'.
    os.rename(tmp, os.path.join(sys.argv[2], "%s-%s.pth" % (name, digest[:8])))
PY
    port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    /usr/bin/python3 -m http.server "$port" --bind 127.0.0.1 --directory "$serve" >/dev/null 2>&1 &
    server=$!
    trap 'kill $server 2>/dev/null' EXIT
    for _ in $(seq 50); do
        curl -sf "http://127.0.0.1:$port/" >/dev/null && break
        sleep 0.1
    done
    export BLOCKSCOPE_CIFAR10_URL=http://127.0.0.1:$port/cifar-10-binary.tar.gz
    BLOCKSCOPE_CIFAR10_MD5=$(md5sum "$serve/cifar-10-binary.tar.gz" | cut -d' ' -f1)
    export BLOCKSCOPE_CIFAR10_MD5
    rm -rf "$data/cifar-10-batches-bin"
    /usr/bin/time -f "download cifar10: %e s" "$cli" download cifar10 --data-dir "$data" --quiet
    for depth in 50 101; do
        export BLOCKSCOPE_WEIGHTS_URL=$(ls "$serve"/resnet$depth-*.pth | sed "s|$serve|http://127.0.0.1:$port|")
        /usr/bin/time -f "download weights ResNet-$depth: %e s" \
            "$cli" download weights "imagenet-resnet$depth" --weights-dir "$work/weights" --quiet
    done
fi

lscpu | grep "Model name"
for depth in 50 101; do
    weights=$work/weights/imagenet-resnet$depth.safetensors
    if [[ $# -ge 4 ]]; then
        pth=$r50_pth
        [[ $depth == 101 ]] && pth=$r101_pth
        /usr/bin/time -f "import ResNet-$depth: %e s, %M KiB peak" \
            "$cli" import "$pth" --model "imagenet-resnet$depth" --out "$weights"
    fi
    /usr/bin/time -f "fine-tune ResNet-$depth: %e s" \
        "$cli" train --init "$weights" --dataset cifar10 \
            --data-dir "$data" --limit "$limit" --test-limit "$test_limit" --epochs "$epochs" \
            --lr "${LR:-0.05}" --out "$work/resnet$depth-finetuned.safetensors" --json > "$work/resnet$depth-finetuned.jsonl"
    tail -n 1 "$work/resnet$depth-finetuned.jsonl"
done

/usr/bin/time -f "CKA ResNet-50 x ResNet-101: %e s" \
    "$cli" cka --a "$work/resnet50-finetuned.safetensors" --b "$work/resnet101-finetuned.safetensors" \
        --dataset cifar10 --data-dir "$data" --limit "$cka_limit" --passes 1 --out "$work/r50-r101.npy" --quiet
"$cli" render "$work/r50-r101.npy" --out "$work/r50-r101.png"
echo "$work/r50-r101.png"
