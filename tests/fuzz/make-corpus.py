#!/usr/bin/python3
"""Writes the seed corpora of the fuzz harnesses: tests/fuzz/corpus/HARNESS/.

Usage: /usr/bin/python3 tests/fuzz/make-corpus.py BUILD_DIR

Valid files come from the project's own writers where it has them
(blockscope-cli of BUILD_DIR: a checkpoint, a run folder, a CKA result and
its shard, all on resnet8 and the synthetic data set) and from the reference
tools otherwise (numpy for .npy, torch.save for .pth, Python's tarfile and
gzip); the near-valid ones are those files cut, edited or made hostile here.
Files named valid-* must be accepted by their reader (fuzz-replay checks
it). Each harness's first input bytes (mode, shape) are documented in its
fuzz-*.c; this script writes them the same way. Needs numpy and torch
(Debian's python3-numpy, python3-torch); the corpus stays small (< 2 MB)."""

import gzip
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def put(harness, name, data):
    folder = os.path.join(CORPUS, harness)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def npy_bytes(array, **kwargs):
    out = io.BytesIO()
    np.save(out, array, **kwargs)
    return out.getvalue()


def safetensors_bytes(tensors, metadata=None, header_extra=None):
    """tensors: [(name, dtype string, shape, raw bytes)] laid out in order."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    data = b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        data += raw
    if header_extra:
        header.update(header_extra)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def read_safetensors(data):
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + n]), data[8 + n:]


def rewrite_safetensors(data, edit):
    """The same file with its header edited by edit(header)."""
    header, body = read_safetensors(data)
    edit(header)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + body


def npy_corpus():
    h = "npy"
    put(h, "valid-f32-2d.npy", npy_bytes(np.arange(12, dtype="<f4").reshape(3, 4)))
    put(h, "valid-f64-3d.npy", npy_bytes(np.linspace(0, 1, 24).reshape(2, 3, 4)))
    put(h, "valid-f64-0d.npy", npy_bytes(np.array(2.5)))
    put(h, "valid-f32-empty.npy", npy_bytes(np.zeros((0, 5), dtype="<f4")))
    put(h, "big-endian.npy", npy_bytes(np.arange(6, dtype=">f8").reshape(2, 3)))
    put(h, "int64.npy", npy_bytes(np.arange(6, dtype="<i8")))
    put(h, "fortran.npy", npy_bytes(np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3))))
    good = npy_bytes(np.arange(12, dtype="<f4").reshape(3, 4))
    put(h, "truncated-data.npy", good[:-5])
    put(h, "truncated-header.npy", good[:40])
    v2 = bytearray(npy_bytes(np.arange(4, dtype="<f4")))
    # Version 2.0: a 4-byte header length.
    hlen = struct.unpack("<H", v2[8:10])[0]
    put(h, "version2.npy", b"\x93NUMPY\x02\x00" + struct.pack("<I", hlen) + bytes(v2[10:]))
    huge = good.replace(b"(3, 4)", b"(300000000000, 4)")
    put(h, "huge-shape.npy", huge)
    put(h, "negative-shape.npy", good.replace(b"(3, 4)", b"(-3, 4)"))
    put(h, "nested-header.npy", good.replace(b"'descr'", b"'x': " + b"[" * 64 + b"]" * 64 + b", 'descr'"))


def safetensors_corpus():
    h = "safetensors"
    f32 = np.arange(6, dtype="<f4").tobytes()
    f64 = np.arange(4, dtype="<f8").tobytes()
    i64 = np.array([7], dtype="<i8").tobytes()
    tensors = [("a.weight", "F32", (2, 3), f32), ("b", "F64", (4,), f64), ("n", "I64", (), i64)]
    put(h, "valid-three.safetensors", safetensors_bytes(tensors, {"architecture": "x", "note": "{\"k\": [1, 2]}"}))
    put(h, "valid-empty.safetensors", safetensors_bytes([]))
    good = safetensors_bytes(tensors)
    put(h, "truncated.safetensors", good[:-3])
    put(h, "overlap.safetensors", safetensors_bytes(tensors, header_extra={
        "c": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}))
    put(h, "bad-dtype.safetensors", safetensors_bytes([("a", "BF16", (3,), b"\0" * 6)]))
    put(h, "shape-mismatch.safetensors", safetensors_bytes([("a", "F32", (5,), f32)]))
    put(h, "huge-header.safetensors", struct.pack("<Q", 1 << 40) + b"{}")
    put(h, "nested.safetensors", safetensors_bytes([], {"k": "v"}).replace(b'{"__metadata__"', b'{"x": ' + b"[" * 200 + b"]" * 200 + b', "__metadata__"'))


def cli(build, *args, cwd=None):
    exe = os.path.join(build, "src", "cli", "blockscope-cli")
    env = dict(os.environ, LC_ALL="C.UTF-8", BLOCKSCOPE_THREADS="1")
    subprocess.run([exe, *args], check=True, cwd=cwd, env=env, stdout=subprocess.DEVNULL)


def checkpoint_corpus(tmp, build):
    h = "checkpoint"
    path = os.path.join(tmp, "resnet8.safetensors")
    cli(build, "train", "-m", "resnet8", "-d", "synthetic", "-e", "1", "-b", "8", "--limit", "16",
        "--test-limit", "16", "--threads", "1", "-o", path)
    good = open(path, "rb").read()
    put(h, "valid-resnet8.safetensors", good)
    header, body = read_safetensors(good)
    meta = header["__metadata__"]

    def with_meta(**changes):
        def edit(hd):
            for k, v in changes.items():
                if v is None:
                    hd["__metadata__"].pop(k, None)
                else:
                    hd["__metadata__"][k] = v
        return rewrite_safetensors(good, edit)

    # Only the header (the tensors' bytes cut): small seeds that reach the metadata.
    def header_only(data):
        n = struct.unpack("<Q", data[:8])[0]
        return data[:8 + n]

    put(h, "header-only.safetensors", header_only(good))
    put(h, "bad-shape-meta.safetensors", header_only(with_meta(input_shape="[3, 32]")))
    put(h, "no-architecture.safetensors", header_only(with_meta(architecture=None)))
    put(h, "other-arch.safetensors", header_only(with_meta(architecture="resnet20")))
    put(h, "bad-normalization.safetensors", header_only(with_meta(input_mean="[0.5, 0.5, 0.5]", input_std="[0, 1, 1]")))
    put(h, "class-names.safetensors", header_only(with_meta(class_names=json.dumps(["a"] * 10))))
    del meta

    # The metadata harness: KEY NUL VALUE NUL pairs over a resnet8 checkpoint.
    m = "checkpoint-metadata"

    def pairs(*kv):
        return b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in kv)

    put(m, "valid-unchanged", b"")
    put(m, "valid-epoch", pairs(("epoch", "5"), ("accuracy", "0.25")))
    put(m, "valid-normalization", pairs(("input_mean", "[0.5]"), ("input_std", "[0.25]")))
    put(m, "valid-recipe", pairs(("recipe", json.dumps({"epochs": 2, "lr": 0.05, "schedule": "cosine"}))))
    put(m, "input-shape", pairs(("input_shape", "[1, 65536, 8]")))
    put(m, "classes", pairs(("classes", "1000000")))
    put(m, "class-names", pairs(("class_names", "[\"a\", 3]")))
    put(m, "architecture", pairs(("architecture", "resnet20x2")))
    put(m, "nested-recipe", pairs(("recipe", "[" * 100 + "]" * 100)))
    put(m, "remove-classes", pairs(("classes", "")))
    # Findings of the fuzzer: white space, valid JSON without a value.
    put(m, "finding-blank-input-shape", pairs(("input_shape", " ")))
    put(m, "finding-blank-class-names", pairs(("class_names", " ")))


def idx_bytes(magic, dims, payload):
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + payload


def idx_corpus():
    images = idx_bytes(0x803, (3, 4, 4), bytes(range(48)))
    labels = idx_bytes(0x801, (3,), bytes([0, 9, 4]))
    for h in ("idx", "idx-gzip"):
        put(h, "valid-images", b"\0" + images)
        put(h, "valid-labels", b"\1" + labels)
        put(h, "valid-split", b"\2" + struct.pack("<H", len(images)) + images + labels)
        put(h, "split-mismatch", b"\2" + struct.pack("<H", len(images)) + images + idx_bytes(0x801, (2,), b"\0\1"))
        put(h, "label-range", b"\3" + struct.pack("<H", len(images)) + images + idx_bytes(0x801, (3,), b"\0\1\x0a"))
        put(h, "truncated-images", b"\0" + images[:-7])
        put(h, "huge-count", b"\0" + idx_bytes(0x803, (0xffffffff, 28, 28), b""))
        put(h, "wrong-magic", b"\1" + idx_bytes(0x803, (3,), b"\0\1\2"))
    # As gzip files (one member, two, trailing garbage): the raw harness reads them as they are.
    put("idx", "valid-images-gz", b"\0" + gzip.compress(images, mtime=0))
    put("idx", "labels-two-members", b"\1" + gzip.compress(labels[:5], mtime=0) + gzip.compress(labels[5:], mtime=0))
    put("idx", "gz-trailing", b"\0" + gzip.compress(images, mtime=0) + b"garbage")
    put("idx", "gz-truncated", b"\0" + gzip.compress(images, mtime=0)[:-6])
    put("idx-gzip", "images-two-members", b"\4" + images)
    put("idx-gzip", "images-trailing", b"\x08" + images)


def cifar_records(n, cifar100):
    out = b""
    for i in range(n):
        out += bytes([i % 20, (i * 7) % 100]) if cifar100 else bytes([i % 10])
        out += bytes((i * 31 + j) % 256 for j in range(3072))
    return out


def cifar_corpus():
    h = "cifar"
    put(h, "valid-cifar10", b"\0" + cifar_records(2, False))
    put(h, "valid-cifar100", b"\1" + cifar_records(1, True))
    put(h, "valid-cifar10-two-files", b"\2" + cifar_records(2, False))
    put(h, "partial-record", b"\0" + cifar_records(1, False)[:-1])
    put(h, "label-range", b"\0" + b"\x0a" + bytes(3072))
    names = "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n"
    put(h, "class-names", b"\0" + names.encode())
    put(h, "class-names-blank-lines", b"\0" + names.replace("\n", "\n\n  \n").encode())


def cka_corpus(tmp, build):
    h = "cka-export"
    common = ["--a", "resnet8", "--dataset", "synthetic", "--limit", "16", "--batch", "8",
              "--passes", "1", "--layers", "residual", "-q", "--threads", "1"]
    out = os.path.join(tmp, "m.npy")
    cli(build, "cka", *common, "-o", out)
    shape = np.load(out).shape
    prefix = bytes(shape)
    text = open(os.path.join(tmp, "m.json"), "rb").read()
    put(h, "valid-residual", prefix + text)
    out = os.path.join(tmp, "p.npy")
    cli(build, "cka", *common, "--pc1", "--biased", "--b", "resnet8", "--seed-b", "3", "-o", out)
    text_pc1 = open(os.path.join(tmp, "p.json"), "rb").read()
    put(h, "valid-pc1-biased", bytes(np.load(out).shape) + text_pc1)
    put(h, "shape-mismatch", bytes([shape[0] + 1, shape[1]]) + text)
    put(h, "truncated", prefix + text[: len(text) // 2])
    put(h, "nested", prefix + b"[" * 5000 + b"]" * 5000)
    doc = json.loads(text)
    doc["model_a"]["n_layers"] = 100000
    put(h, "layer-count", prefix + json.dumps(doc).encode())

    s = "cka-shard"
    shard = os.path.join(tmp, "s0.bscka")
    cli(build, "cka", *common, "--shard", "0/2", "-o", shard)
    good = open(shard, "rb").read()
    put(s, "valid-shard-0-of-2", good)
    cli(build, "cka", *common, "--shard", "1/2", "-o", shard)
    put(s, "valid-shard-1-of-2", open(shard, "rb").read())

    def edit_meta(key, value):
        def edit(hd):
            hd["__metadata__"][key] = value
        return rewrite_safetensors(good, edit)

    put(s, "shard-out-of-range", edit_meta("shard", "2"))
    put(s, "bad-run-json", edit_meta("run", "{\"format\": \"blockscope-cka\"}"))
    put(s, "nested-run-json", edit_meta("run", "[" * 300 + "]" * 300))
    put(s, "truncated", good[:-16])


def run_corpus(tmp, build):
    folder = os.path.join(tmp, "run")
    cli(build, "train", "-m", "resnet8", "-d", "synthetic", "--run-dir", folder, "-e", "2", "-b", "8",
        "--limit", "16", "--test-limit", "16", "--probe-images", "16", "--probe-batch", "8",
        "--threads", "1")
    run_json = open(os.path.join(folder, "run.json"), "rb").read()
    metrics = open(os.path.join(folder, "metrics.jsonl"), "rb").read()
    h = "run-json"
    put(h, "valid-finished.json", run_json)
    doc = json.loads(run_json)
    for state in ("running", "stopped", "failed"):
        d = dict(doc, state=state)
        if state == "failed":
            d["error"] = "the loss diverged"
        put(h, "valid-%s.json" % state, json.dumps(d, indent=2))
    put(h, "newer-version.json", json.dumps(dict(doc, format_version=99)))
    put(h, "no-recipe.json", json.dumps({k: v for k, v in doc.items() if k != "recipe"}))
    put(h, "bad-plan.json", json.dumps(dict(doc, snapshots=dict(doc["snapshots"], probe_batch=0))))
    put(h, "truncated.json", run_json[: len(run_json) // 2])
    put(h, "nested.json", b"{\"format\": " + b"[" * 5000 + b"]" * 5000 + b"}")
    h = "run-metrics"
    put(h, "valid-two-epochs.jsonl", metrics)
    put(h, "truncated-line.jsonl", metrics[:-20])
    put(h, "bad-lines.jsonl", b"{\"kind\":\"step\",\"global_step\":-1}\nnot json\n{\"kind\":\"epoch\",\"epoch\":1e400}\n[]\n")
    put(h, "nested.jsonl", b"[" * 3000 + b"\n")


def pth_corpus(tmp):
    import torch
    from collections import OrderedDict

    h = "pth"

    def saved(obj, **kwargs):
        out = io.BytesIO()
        torch.save(obj, out, **kwargs)
        return out.getvalue()

    sd = OrderedDict([("conv1.weight", torch.arange(8, dtype=torch.float32).reshape(2, 1, 2, 2)),
                      ("bn1.running_mean", torch.zeros(2)),
                      ("bn1.num_batches_tracked", torch.tensor(5)),
                      ("fc.bias", torch.ones(3))])
    put(h, "valid-state-dict.pth", saved(sd))
    put(h, "valid-empty.pth", saved(OrderedDict()))
    put(h, "non-contiguous.pth", saved(OrderedDict([("t", torch.arange(6.0).reshape(2, 3).t())])))
    put(h, "shared-storage.pth", saved(OrderedDict([("a", torch.arange(6.0)), ("b", torch.arange(6.0)[2:])])))
    put(h, "float64.pth", saved(OrderedDict([("d", torch.ones(2, dtype=torch.float64))])))
    put(h, "not-a-dict.pth", saved([torch.ones(2)]))
    put(h, "legacy.pth", saved(sd, _use_new_zipfile_serialization=False))
    good = saved(sd)
    put(h, "truncated.pth", good[: len(good) - 40])
    # Findings of the fuzzer, kept as seeds: an empty data.pkl (NULL bytes).
    import zipfile
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", b"")
    put(h, "finding-empty-pickle.pth", out.getvalue())


def tar_bytes(entries, compress=False):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz" if compress else "w", format=tarfile.GNU_FORMAT) as tar:
        for name, data, kind in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 0
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = data
                tar.addfile(info)
            elif kind == "hardlink":
                info.type = tarfile.LNKTYPE
                info.linkname = data
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def archive_corpus():
    h = "dataset-archive"
    folder = "cifar-10-batches-bin"
    names = b"airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n"
    record = cifar_records(1, False)
    entries = [(folder, None, "dir"), (folder + "/batches.meta.txt", names, "file")]
    entries += [(folder + "/data_batch_%d.bin" % i, record, "file") for i in range(1, 6)]
    entries += [(folder + "/test_batch.bin", record, "file")]
    put(h, "valid-cifar10-tar", b"\0" + tar_bytes(entries))
    put(h, "valid-cifar10-gzip-by-harness", b"\1" + tar_bytes(entries))
    put(h, "valid-cifar10-tar-gz", b"\0" + tar_bytes(entries, compress=True))
    put(h, "outside-folder", b"\0" + tar_bytes([("../escape", b"x", "file")]))
    put(h, "absolute", b"\0" + tar_bytes([("/tmp/escape", b"x", "file")]))
    put(h, "links", b"\0" + tar_bytes([("a", b"x", "file"), ("l", "/etc/passwd", "symlink"), ("h", "a", "hardlink")]))
    put(h, "file-then-dir", b"\0" + tar_bytes([("x", b"1", "file"), ("x/y", b"2", "file")]))
    good = tar_bytes(entries, compress=True)
    put(h, "truncated-gz", b"\0" + good[: len(good) // 2])


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    build = os.path.abspath(sys.argv[1])
    shutil.rmtree(CORPUS, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BLOCKSCOPE_DATA_DIR"] = os.path.join(tmp, "no-data")
        os.environ["XDG_DATA_HOME"] = os.path.join(tmp, "xdg")
        npy_corpus()
        safetensors_corpus()
        checkpoint_corpus(tmp, build)
        idx_corpus()
        cifar_corpus()
        cka_corpus(tmp, build)
        run_corpus(tmp, build)
        pth_corpus(tmp)
        archive_corpus()
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(CORPUS) for f in fs)
    print("corpus: %d bytes" % total)


if __name__ == "__main__":
    main()
