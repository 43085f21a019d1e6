#!/bin/bash
# The seed's workflow, end to end, from the command line: ImageNet ResNet-50
# and ResNet-101 weights imported, fine-tuned on a CIFAR-format data set at
# 32x32, and the CKA heatmap of the two (README's fine-tuning figures).
#
# Usage: tests/bench/fine-tune-seed.sh BUILD_DIR WORK_DIR [R50.pth R101.pth]
#
# With torchvision's official files (resnet50-0676ba61.pth,
# resnet101-63fe2227.pth, or 'blockscope-cli download weights'), they are
# imported. Without them (no network here), files of the same format are made
# by PyTorch with torchvision's initialisation (tests/make-torch-fixtures.py
# rebuilds its layout), so the commands, the import and the timings are the
# real ones and only the starting accuracy differs.
#
# The data set: $DATA_DIR/cifar-10-batches-bin if it is there, else
# Fashion-MNIST in CIFAR-10's layout (tests/bench/make-cifar-format.py).
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

if [[ ! -f $data/cifar-10-batches-bin/test_batch.bin ]]; then
    /usr/bin/python3 "$here/make-cifar-format.py" "$data" >/dev/null
fi

if [[ $# -ge 4 ]]; then
    r50_pth=$3 r101_pth=$4
else
    r50_pth=$work/weights/resnet50-torchvision-init.pth
    r101_pth=$work/weights/resnet101-torchvision-init.pth
    /usr/bin/python3 - "$here/.." "$r50_pth" "$r101_pth" <<'PY'
import sys, torch
sys.path.insert(0, sys.argv[1])
fixtures = __import__("make-torch-fixtures")
torch.manual_seed(0)
for blocks, path in (([3, 4, 6, 3], sys.argv[2]), ([3, 4, 23, 3], sys.argv[3])):
    torch.save(fixtures.imagenet(blocks, classes=1000).state_dict(), path)
PY
fi

lscpu | grep "Model name"
for pair in "50:$r50_pth" "101:$r101_pth"; do
    depth=${pair%%:*} pth=${pair#*:}
    /usr/bin/time -f "import ResNet-$depth: %e s, %M KiB peak" \
        "$cli" import "$pth" --model "imagenet-resnet$depth" --out "$work/weights/imagenet-resnet$depth.safetensors"
    /usr/bin/time -f "fine-tune ResNet-$depth: %e s" \
        "$cli" train --init "$work/weights/imagenet-resnet$depth.safetensors" --dataset cifar10 \
            --data-dir "$data" --limit "$limit" --test-limit "$test_limit" --epochs "$epochs" \
            --lr 0.05 --out "$work/resnet$depth-finetuned.safetensors" --json > "$work/resnet$depth-finetuned.jsonl"
    tail -n 1 "$work/resnet$depth-finetuned.jsonl"
done

/usr/bin/time -f "CKA ResNet-50 x ResNet-101: %e s" \
    "$cli" cka --a "$work/resnet50-finetuned.safetensors" --b "$work/resnet101-finetuned.safetensors" \
        --dataset cifar10 --data-dir "$data" --limit "$cka_limit" --passes 1 --out "$work/r50-r101.npy" --quiet
"$cli" render "$work/r50-r101.npy" --out "$work/r50-r101.png"
echo "$work/r50-r101.png"
