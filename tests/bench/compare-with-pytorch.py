#!/usr/bin/python3
"""Alternate Blockscope's benchmarks with the PyTorch peer in one session and
print medians and ratios (machines here are shared and noisy: never compare
numbers taken at different times).

Usage:
  compare-with-pytorch.py train MODEL [ROUNDS]     e.g. train resnet20 5
  compare-with-pytorch.py cka MODEL_A MODEL_B [ROUNDS] [PEER_THREADS]
  compare-with-pytorch.py seed [ROUNDS] [THREADS]   the seed's ResNet-50 vs ResNet-101
  compare-with-pytorch.py imagenet MODEL [ROUNDS] [THREADS]   e.g. imagenet resnet50 3 1

seed runs ../shared/bench/torch_seed_r50_r101.py against `bench cka --a
imagenet-resnet50 --b imagenet-resnet101` (one minibatch of 256, after a
warm-up for Blockscope; the peer times its one minibatch after building its
models). With THREADS = 1 it compares CPU seconds too (the peer's
perf_counter replaced by process_time): on a shared machine the cost of a
one-thread run whatever ran beside it.

imagenet runs ../shared/bench/torch_imagenet_resnet_bench.py MODEL 64 3
THREADS against `bench train --model imagenet-MODEL --batch 64 --steps 3`
(training, then inference images per second); with THREADS = 1 in CPU time
too, as seed does.

Both sides of a CKA round time the same thing: one warm-up minibatch, then
the mean of two. The CKA peer runs with 2 threads, as its README shows;
PEER_THREADS = 1 measures against its single thread, which on a 2-core
virtual machine can be the faster of the two (Blockscope always uses all
cores).

Needs Debian's python3-torch (run with /usr/bin/python3), the peer scripts in
../shared/bench (or BLOCKSCOPE_PEER_DIR) and a built blockscope-cli
(BLOCKSCOPE_CLI, default build/src/cli/blockscope-cli)."""
import json, os, re, statistics, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(os.path.dirname(here))
peer_dir = os.environ.get("BLOCKSCOPE_PEER_DIR", os.path.join(os.path.dirname(repo), "shared", "bench"))
cli = os.environ.get("BLOCKSCOPE_CLI", os.path.join(repo, "build", "src", "cli", "blockscope-cli"))
python = "/usr/bin/python3"

def parse_model(name):
    m = re.fullmatch(r"resnet(\d+)(?:x(\d+))?", name)
    if not m:
        sys.exit(f"the peer only knows CIFAR ResNets (resnetD or resnetDxK), not {name}")
    return int(m.group(1)), int(m.group(2) or 1)

def run(argv):
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout

def train(model, rounds):
    depth, width = parse_model(model)
    rows = {"ours_train": [], "ours_infer": [], "ours_rss": [], "torch_train": [], "torch_infer": []}
    for _ in range(rounds):
        out = run([python, os.path.join(peer_dir, "torch_resnet_bench.py"), str(depth), str(width), "128", "10", "2"])
        t, i = re.search(r"train ([\d.]+) img/s, infer ([\d.]+) img/s", out).groups()
        rows["torch_train"].append(float(t)); rows["torch_infer"].append(float(i))
        j = json.loads(run([cli, "bench", "train", "--model", model, "--batch", "128", "--threads", "2", "--json"]))
        rows["ours_train"].append(j["train_images_per_s"]); rows["ours_infer"].append(j["infer_images_per_s"])
        rows["ours_rss"].append(j.get("peak_rss_mib", float("nan")))
    med = {k: statistics.median(v) for k, v in rows.items()}
    print(f"{model} batch 128, 2 threads, {rounds} alternating rounds (medians):")
    print(f"  train: blockscope {med['ours_train']:.0f} img/s, pytorch {med['torch_train']:.0f} img/s, "
          f"ratio {med['ours_train'] / med['torch_train']:.2f}")
    print(f"  infer: blockscope {med['ours_infer']:.0f} img/s, pytorch {med['torch_infer']:.0f} img/s, "
          f"ratio {med['ours_infer'] / med['torch_infer']:.2f}")
    print(f"  blockscope peak RSS {med['ours_rss']:.0f} MiB")

def cka(model_a, model_b, rounds, peer_threads=2):
    da, wa = parse_model(model_a); db, wb = parse_model(model_b)
    ours, theirs, rss = [], [], []
    def peer():
        out = run([python, os.path.join(peer_dir, "torch_cka_peer.py"), str(da), str(wa), str(db), str(wb),
                   "2", str(peer_threads)])
        theirs.append(float(re.search(r"([\d.]+) s per minibatch", out).group(1)))
    def blockscope():
        # The peer's protocol: one warm-up minibatch, then the mean of two
        # (the median of two is their mean).
        j = json.loads(run([cli, "bench", "cka", "--a", model_a, "--b", model_b, "--batch", "256",
                            "--warmup", "1", "--minibatches", "2", "--json"]))
        ours.append(j["seconds_per_minibatch"]); rss.append(j["peak_rss_bytes"] / 2**20)
    for r in range(rounds):
        # Who goes first alternates, so that neither always runs after the other.
        for step in ((peer, blockscope) if r % 2 == 0 else (blockscope, peer)):
            step()
    o, t = statistics.median(ours), statistics.median(theirs)
    # Each round's two runs are seconds apart, so their ratio sees the same load.
    per_round = sorted(x / y for x, y in zip(theirs, ours))
    print(f"CKA {model_a} vs {model_b}, minibatch 256, {rounds} alternating rounds (medians), "
          f"peer on {peer_threads} thread{'s' if peer_threads != 1 else ''}:")
    print(f"  blockscope {o:.3f} s, pytorch {t:.3f} s per minibatch: {t / o:.1f}x faster; "
          f"blockscope peak RSS {statistics.median(rss):.0f} MiB")
    print(f"  per-round ratios: median {statistics.median(per_round):.1f}x, "
          f"range {per_round[0]:.1f}x-{per_round[-1]:.1f}x")

PEER_CPU = ("import runpy, sys, time; time.perf_counter = time.process_time; "
            "sys.path.insert(0, sys.argv[1]); sys.argv = sys.argv[2:]; "
            "runpy.run_path(sys.argv[0], run_name='__main__')")

def seed(rounds, threads):
    rows = {"ours": [], "ours_cpu": [], "torch": [], "torch_cpu": []}
    script = os.path.join(peer_dir, "torch_seed_r50_r101.py")
    def peer():
        out = run([python, script, "resnet50", "resnet101", str(threads)])
        rows["torch"].append(float(re.search(r"in ([\d.]+) s", out).group(1)))
        if threads == 1:
            out = run([python, "-c", PEER_CPU, peer_dir, script, "resnet50", "resnet101", "1"])
            rows["torch_cpu"].append(float(re.search(r"in ([\d.]+) s", out).group(1)))
    def blockscope():
        j = json.loads(run([cli, "bench", "cka", "--a", "imagenet-resnet50", "--b", "imagenet-resnet101",
                            "--batch", "256", "--warmup", "1", "--minibatches", "1",
                            "--threads", str(threads), "--json"]))
        rows["ours"].append(j["seconds_per_minibatch"]); rows["ours_cpu"].append(j["cpu_seconds_per_minibatch"])
    for r in range(rounds):
        for step in ((peer, blockscope) if r % 2 == 0 else (blockscope, peer)):
            step()
    med = {k: statistics.median(v) for k, v in rows.items() if v}
    per_round = sorted(t / o for t, o in zip(rows["torch"], rows["ours"]))
    print(f"seed experiment, ResNet-50 vs ResNet-101, minibatch 256, {threads} thread(s), "
          f"{rounds} alternating rounds (medians):")
    print(f"  wall: blockscope {med['ours']:.2f} s, pytorch {med['torch']:.2f} s: {med['torch'] / med['ours']:.1f}x; "
          f"per round {statistics.median(per_round):.1f}x ({per_round[0]:.1f}x-{per_round[-1]:.1f}x)")
    if threads == 1:
        per_round = sorted(t / o for t, o in zip(rows["torch_cpu"], rows["ours_cpu"]))
        print(f"  CPU:  blockscope {med['ours_cpu']:.2f} s, pytorch {med['torch_cpu']:.2f} s: "
              f"{med['torch_cpu'] / med['ours_cpu']:.1f}x; per round {statistics.median(per_round):.1f}x "
              f"({per_round[0]:.1f}x-{per_round[-1]:.1f}x)")

def imagenet(model, rounds, threads):
    rows = {k: [] for k in ("ours_train", "ours_infer", "torch_train", "torch_infer",
                            "ours_train_cpu", "ours_infer_cpu", "torch_train_cpu", "torch_infer_cpu")}
    script = os.path.join(peer_dir, "torch_imagenet_resnet_bench.py")
    pattern = r"train ([\d.]+) img/s, infer ([\d.]+) img/s"
    def peer():
        t, i = re.search(pattern, run([python, script, model, "64", "3", str(threads)])).groups()
        rows["torch_train"].append(float(t)); rows["torch_infer"].append(float(i))
        if threads == 1:
            out = run([python, "-c", PEER_CPU, peer_dir, script, model, "64", "3", "1"])
            t, i = re.search(pattern, out).groups()
            rows["torch_train_cpu"].append(float(t)); rows["torch_infer_cpu"].append(float(i))
    def blockscope():
        j = json.loads(run([cli, "bench", "train", "--model", "imagenet-" + model, "--batch", "64",
                            "--steps", "3", "--threads", str(threads), "--json"]))
        rows["ours_train"].append(j["train_images_per_s"]); rows["ours_infer"].append(j["infer_images_per_s"])
        rows["ours_train_cpu"].append(64e3 / j["train_cpu_ms_per_step"])
        rows["ours_infer_cpu"].append(64e3 / j["infer_cpu_ms_per_step"])
    for r in range(rounds):
        for step in ((peer, blockscope) if r % 2 == 0 else (blockscope, peer)):
            step()
    med = {k: statistics.median(v) for k, v in rows.items() if v}
    print(f"imagenet-{model} batch 64, {threads} thread(s), {rounds} alternating rounds (medians, images/s):")
    for kind in ("train", "infer"):
        print(f"  {kind} wall: blockscope {med['ours_' + kind]:.0f}, pytorch {med['torch_' + kind]:.0f}: "
              f"{med['ours_' + kind] / med['torch_' + kind]:.2f}x")
        if threads == 1:
            print(f"  {kind} CPU:  blockscope {med['ours_' + kind + '_cpu']:.0f}, "
                  f"pytorch {med['torch_' + kind + '_cpu']:.0f}: "
                  f"{med['ours_' + kind + '_cpu'] / med['torch_' + kind + '_cpu']:.2f}x")

if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "train":
        train(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 5)
    elif len(sys.argv) >= 4 and sys.argv[1] == "cka":
        cka(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 5,
            int(sys.argv[5]) if len(sys.argv) > 5 else 2)
    elif len(sys.argv) >= 3 and sys.argv[1] == "imagenet":
        imagenet(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 3,
                 int(sys.argv[4]) if len(sys.argv) > 4 else 2)
    elif len(sys.argv) >= 2 and sys.argv[1] == "seed":
        seed(int(sys.argv[2]) if len(sys.argv) > 2 else 3, int(sys.argv[3]) if len(sys.argv) > 3 else 2)
    else:
        sys.exit(__doc__)
