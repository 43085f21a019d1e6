#!/usr/bin/env python3
"""`meson install` into a scratch folder, then checks what a user gets: the
programs, the desktop and metainfo files with their translations, the compiled
translations of both gettext domains, the settings schema, the manual pages
(`man blockscope-cli-cka` finds and formats its page) and the completions.
A build without the app (-Dgui=false) installs blockscope-cli and its files
and none of the app's.

Usage: check-install.py BUILD_DIR          (prints TAP)"""
import json
import os
import re
import subprocess
import sys
import tempfile

MAN_PAGES = ["blockscope-cli", "blockscope-cli-train", "blockscope-cli-eval", "blockscope-cli-cka",
             "blockscope-cli-bench", "blockscope-cli-datasets", "blockscope-cli-info"]


def find_prefix(dest):
    """The installed prefix inside dest (e.g. dest/usr/local)."""
    for dirpath, dirnames, _ in os.walk(dest):
        if "bin" in dirnames and os.path.exists(os.path.join(dirpath, "bin", "blockscope-cli")):
            return dirpath
    return None


APP_FILES = ["bin/blockscope",
             "share/applications/org.blockscope.Blockscope.desktop",
             "share/metainfo/org.blockscope.Blockscope.metainfo.xml",
             "share/glib-2.0/schemas/org.blockscope.Blockscope.gschema.xml",
             "share/icons/hicolor/scalable/apps/org.blockscope.Blockscope.svg"]
CLI_FILES = ["bin/blockscope-cli",
             "share/bash-completion/completions/blockscope-cli",
             "share/zsh/vendor-completions/_blockscope-cli"]


def builds_gui(build_dir):
    """The build's -Dgui option."""
    r = subprocess.run(["meson", "introspect", "--buildoptions", build_dir], capture_output=True,
                       text=True, check=True)
    return next(o["value"] for o in json.loads(r.stdout) if o["name"] == "gui")


def main(build_dir):
    results = []
    gui = builds_gui(build_dir)

    def check(ok, what, detail=""):
        results.append((bool(ok), what, detail))

    with tempfile.TemporaryDirectory() as dest:
        r = subprocess.run(["meson", "install", "-C", build_dir, "--destdir", dest, "--no-rebuild",
                            "--quiet"], capture_output=True, text=True)
        check(r.returncode == 0, "meson install succeeds", r.stdout + r.stderr)
        prefix = find_prefix(dest)
        check(prefix is not None, "the programs are installed in a bin folder")
        if prefix is None:
            return report(results)
        share = os.path.join(prefix, "share")

        for path in CLI_FILES:
            check(os.path.isfile(os.path.join(prefix, path)), f"{path} is installed")
        for path in APP_FILES:
            if gui:
                check(os.path.isfile(os.path.join(prefix, path)), f"{path} is installed")
            else:
                check(not os.path.exists(os.path.join(prefix, path)),
                      f"{path} is not installed without the app")

        # Every language of po/LINGUAS, in both domains.
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        with open(os.path.join(root, "po", "LINGUAS")) as f:
            langs = [l.strip() for l in f if l.strip() and not l.startswith("#")]
        for lang in langs:
            for domain in ("blockscope", "blockscope-core"):
                mo = os.path.join(share, "locale", lang, "LC_MESSAGES", domain + ".mo")
                r = subprocess.run(["msgunfmt", mo], capture_output=True, text=True)
                n = len(re.findall(r'^msgid "', r.stdout, re.M)) - 1
                check(r.returncode == 0 and n > 10,
                      f"{lang}/{domain}.mo is installed and holds translations",
                      f"{n} messages; " + r.stderr)
            if not gui:
                continue
            with open(os.path.join(share, "applications", "org.blockscope.Blockscope.desktop"),
                      encoding="utf-8") as f:
                desktop = f.read()
            check(f"Comment[{lang}]=" in desktop, f"the desktop file is translated into {lang}")
            with open(os.path.join(share, "metainfo", "org.blockscope.Blockscope.metainfo.xml"),
                      encoding="utf-8") as f:
                metainfo = f.read()
            check(f'xml:lang="{lang}"' in metainfo, f"the metainfo is translated into {lang}")

        # man finds each page in the installed manual folder and formats it.
        mandir = os.path.join(share, "man")
        env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
        env.pop("MAN_KEEP_FORMATTING", None)
        for page in MAN_PAGES:
            where = subprocess.run(["man", "-M", mandir, "-w", page], capture_output=True, text=True,
                                   env=env)
            check(where.returncode == 0 and where.stdout.strip().endswith(page + ".1"),
                  f"man -M finds {page}", where.stdout + where.stderr)
        shown = subprocess.run(["man", "-M", mandir, "-P", "cat", "blockscope-cli-cka"],
                               capture_output=True, text=True, env=env)
        check(shown.returncode == 0 and "SYNOPSIS" in shown.stdout and "--batch" in shown.stdout,
              "man blockscope-cli-cka shows its synopsis and options", shown.stderr)

        # The installed program runs.
        run = subprocess.run([os.path.join(prefix, "bin", "blockscope-cli"), "--version"],
                             capture_output=True, text=True)
        check(run.returncode == 0 and "Blockscope" in run.stdout,
              "the installed blockscope-cli runs", run.stdout + run.stderr)
    return report(results)


def report(results):
    print("TAP version 13")
    print(f"1..{len(results)}")
    for i, (ok, what, detail) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} {what}")
        if not ok:
            for line in detail.strip().splitlines()[:20]:
                print("# " + line)
    return 0 if all(ok for ok, _, _ in results) else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
