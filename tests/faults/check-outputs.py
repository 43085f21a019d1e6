#!/usr/bin/python3
"""check-outputs.py: what a writer left behind after a fault or a kill.

Used by inject-writers.sh and kill-writers.sh. Every file with a final name
must be complete: byte for byte the file the same command writes without
faults (or, for a file that existed before, the previous file unchanged);
JSON is compared parsed, without the fields that depend on time. Nothing
else may be left in the folder (a temporary file is a leftover).

  check-outputs.py files OLD NEW OUT EXIT STDERR   a folder of result files
  check-outputs.py tree NEW OUT EXIT STDERR        a folder written whole, or absent
  check-outputs.py run NEW OUT EXIT STDERR CLI     a run folder (train --run-dir)

EXIT is the writer's exit status (killed: "killed"). Prints one line; exit
status 0 when everything holds, 1 with the reasons otherwise.
"""
import json
import os
import re
import subprocess
import sys

TIME_KEYS = {"elapsed_seconds", "matrix_file", "seconds", "snapshot_seconds", "started", "finished",
             "updated", "created", "wall_seconds", "time"}


# What a writer killed by SIGKILL cannot clean up, all clearly named as
# temporary: BsAtomicFile's NAME.tmp-XXXXXX, the activations' DIR.partial-XXXXXX,
# a download's .blockscope-download-XXXXXX folder.
TEMPORARY = re.compile(r"(\.tmp-[A-Za-z0-9]{6}|\.partial-[A-Za-z0-9]{6}|(^|/)\.blockscope-download-[A-Za-z0-9]{6})(/|$)")


def temporary_left(name, exit_text):
    return exit_text == "killed" and TEMPORARY.search(name) is not None


def strip_times(value):
    if isinstance(value, dict):
        return {k: strip_times(v) for k, v in value.items() if k not in TIME_KEYS}
    if isinstance(value, list):
        return [strip_times(v) for v in value]
    return value


def same(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        da, db = fa.read(), fb.read()
    if da == db:
        return True
    if a.endswith(".json"):
        try:
            return strip_times(json.loads(da)) == strip_times(json.loads(db))
        except ValueError:
            return False
    return False


def complete_figure(path):
    """A figure read back whole: faults while fonts are read (fontconfig, pango)
    may change its text and so its bytes, never its completeness."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        if path.endswith(".pdf"):
            return data.startswith(b"%PDF-") and b"startxref" in data[-2048:] and data.rstrip().endswith(b"%%EOF")
        if path.endswith(".svg"):
            import xml.etree.ElementTree as ET
            return ET.fromstring(data).tag.endswith("svg")
        if path.endswith(".png") or path.endswith(".gif"):
            from PIL import Image, ImageSequence
            with Image.open(path) as image:
                for frame in ImageSequence.Iterator(image):
                    frame.load()
            return True
    except Exception:
        return False
    return False


def listing(folder):
    out = {}
    if not os.path.isdir(folder):
        return out
    for root, dirs, files in os.walk(folder):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            path = os.path.join(root, name)
            out[os.path.relpath(path, folder)] = path
    return out


def status_problems(exit_text, stderr_path):
    problems = []
    if exit_text == "killed":
        return problems
    code = int(exit_text)
    if code == 137:
        problems.append("killed after 5 minutes (a hang)")
    elif code not in (0, 1, 2):
        problems.append("exit status %d (a crash or an abort)" % code)
    if code != 0:
        with open(stderr_path, "rb") as f:
            if not f.read().strip():
                problems.append("failed without a message")
    return problems


def check_files(old, new, out, exit_text, stderr_path):
    problems = status_problems(exit_text, stderr_path)
    old_files, new_files, out_files = listing(old), listing(new), listing(out)
    for name, path in sorted(out_files.items()):
        if name in new_files and same(path, new_files[name]):
            continue
        if name in new_files and name.endswith((".pdf", ".svg", ".png", ".gif")) and complete_figure(path) \
                and not (name in old_files and same(path, old_files[name])):
            continue
        if name in old_files and same(path, old_files[name]):
            if exit_text == "0":
                problems.append("%s: the old file after a success" % name)
            continue
        if name in new_files or name in old_files:
            problems.append("%s: neither the old nor the new file (partial or corrupt)" % name)
        elif not temporary_left(name, exit_text):
            problems.append("%s: left behind" % name)
    if exit_text == "0":
        for name in new_files:
            if name not in out_files:
                problems.append("%s: missing after a success" % name)
    for name in old_files:
        if name not in out_files:
            problems.append("%s: the old file is gone" % name)
    return problems


def check_tree(new, out, exit_text, stderr_path):
    problems = status_problems(exit_text, stderr_path)
    parent = os.path.dirname(out.rstrip("/"))
    base = os.path.basename(out.rstrip("/"))
    for name in os.listdir(parent):
        if name != base and not temporary_left(name, exit_text):
            problems.append("%s: left behind beside %s" % (name, base))
    if os.path.exists(out):
        new_files, out_files = listing(new), listing(out)
        if set(new_files) != set(out_files):
            problems.append("%s exists but is incomplete (%d of %d files)" % (base, len(out_files), len(new_files)))
        for name in out_files:
            if name in new_files and not same(out_files[name], new_files[name]):
                problems.append("%s/%s: partial or corrupt" % (base, name))
    elif exit_text == "0":
        problems.append("%s: missing after a success" % base)
    return problems


def check_run(new, out, exit_text, stderr_path, cli):
    problems = status_problems(exit_text, stderr_path)
    if not os.path.exists(out):
        return problems
    new_files, out_files = listing(new), listing(out)
    for name, path in sorted(out_files.items()):
        if name == "train.lock":
            continue
        if name == "run.json":
            try:
                with open(path) as f:
                    json.load(f)
            except ValueError as e:
                problems.append("run.json does not parse: %s" % e)
            continue
        if name == "metrics.jsonl":
            with open(path, "rb") as f:
                data = f.read()
            lines = data.split(b"\n")
            # Complete lines must parse; a last line without its newline is
            # one the reader skips (bs-run-metrics: a line is written whole
            # or the run stops).
            for line in lines[:-1]:
                try:
                    json.loads(line)
                except ValueError:
                    problems.append("metrics.jsonl: a line does not parse: %r" % line[:60])
            continue
        if name not in new_files:
            if not temporary_left(name, exit_text):
                problems.append("%s: left behind" % name)
        elif not same(path, new_files[name]):
            problems.append("%s: partial or corrupt" % name)
    if exit_text == "0" and set(new_files) - set(out_files):
        problems.append("missing after a success: %s" % ", ".join(sorted(set(new_files) - set(out_files))))
    # The folder opens: listed by `runs`.
    listed = subprocess.run([cli, "runs", "--runs-dir", os.path.dirname(out.rstrip("/")), "--json"],
                            capture_output=True)
    if listed.returncode != 0:
        problems.append("runs fails on the folder (%d): %s" % (listed.returncode, listed.stderr.decode()[:200]))
    elif os.path.exists(os.path.join(out, "run.json")):
        try:
            runs = json.loads(listed.stdout)
            if len(runs) != 1:
                problems.append("runs lists %d runs, not 1" % len(runs))
        except ValueError:
            problems.append("runs --json does not parse")
    return problems


def main():
    mode = sys.argv[1]
    if mode == "files":
        problems = check_files(*sys.argv[2:7])
    elif mode == "tree":
        problems = check_tree(*sys.argv[2:6])
    elif mode == "run":
        problems = check_run(*sys.argv[2:7])
    else:
        sys.exit("unknown mode " + mode)
    if problems:
        print("; ".join(problems))
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
