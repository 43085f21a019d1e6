#!/usr/bin/python3
"""Writes Fashion-MNIST in CIFAR-10's binary layout: a CIFAR-format data set
that every machine can have (Debian's dataset-fashion-mnist), for measuring
the seed's workflow (ImageNet ResNets fine-tuned on CIFAR-10 at 32x32) where
CIFAR-10 itself cannot be downloaded.

Each 28x28 grey image is padded by 2 black pixels to 32x32 and copied into
the three colour planes; records are 1 label byte + 3072 pixel bytes (R, G,
B planes, row-major), 10,000 per data_batch_N.bin, as CIFAR-10's are.

Usage: make-cifar-format.py OUT_DIR [FASHION_MNIST_DIR]
Writes OUT_DIR/cifar-10-batches-bin/, which `--data-dir OUT_DIR --dataset
cifar10` reads. Needs python3-numpy.
"""
import gzip
import os
import sys

import numpy as np

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def read_idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def records(images, labels):
    n = labels.shape[0]
    padded = np.zeros((n, 32, 32), dtype=np.uint8)
    padded[:, 2:30, 2:30] = images.reshape(n, 28, 28)
    rgb = np.repeat(padded[:, None, :, :], 3, axis=1).reshape(n, 3072)
    return np.concatenate([labels[:, None], rgb], axis=1)


def write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data.tobytes())
    os.replace(tmp, path)


def main():
    out = sys.argv[1]
    src = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"
    folder = os.path.join(out, "cifar-10-batches-bin")
    os.makedirs(folder, exist_ok=True)
    train = records(read_idx(os.path.join(src, "train-images-idx3-ubyte.gz"), 16),
                    read_idx(os.path.join(src, "train-labels-idx1-ubyte.gz"), 8))
    test = records(read_idx(os.path.join(src, "t10k-images-idx3-ubyte.gz"), 16),
                   read_idx(os.path.join(src, "t10k-labels-idx1-ubyte.gz"), 8))
    # CIFAR-10 has 50,000 training images in five files: the first 50,000 here.
    for i in range(5):
        write(os.path.join(folder, "data_batch_%d.bin" % (i + 1)), train[i * 10000:(i + 1) * 10000])
    write(os.path.join(folder, "test_batch.bin"), test)
    with open(os.path.join(folder, "batches.meta.txt"), "w") as f:
        f.write("\n".join(CLASSES) + "\n")
    print(folder)


if __name__ == "__main__":
    main()
