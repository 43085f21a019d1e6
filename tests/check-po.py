#!/usr/bin/env python3
"""Checks that the translations are complete and well formed.

For each gettext domain (po/ for the app and blockscope-cli, po/core/ for the
core library):
  - every source file with translatable strings is listed in its POTFILES.in,
    in the right domain, and every listed file exists;
  - the strings are extracted afresh from the sources (xgettext with meson's
    'glib' preset, as `ninja blockscope-pot` does) and merged into each
    language's .po file: no string may be untranslated or fuzzy, so a new
    string without a translation fails here, not in front of a user;
  - msgfmt --check accepts each .po file: format strings (%s, %u, ...) of a
    translation match the original, plural forms are well formed;
  - no string is cut short by a GLib format macro: xgettext stops at
    G_GSIZE_FORMAT and its kin, so such a message is never translated (write
    %zu, or "%" PRIu64 from <inttypes.h>, which xgettext and gettext know).

Usage: check-po.py SOURCE_ROOT        (prints TAP)
       check-po.py --self-test        (checks the checks on made-up files)"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

# meson's i18n 'glib' preset (mesonbuild/modules/i18n.py), which the pot
# targets use: the same keywords and format flags, so that the same strings
# are found and their formats checked.
XGETTEXT_ARGS = [
    "--from-code=UTF-8", "--add-comments",
    "--keyword=_", "--keyword=N_", "--keyword=C_:1c,2", "--keyword=NC_:1c,2",
    "--keyword=g_dcgettext:2", "--keyword=g_dngettext:2,3", "--keyword=g_dpgettext2:2c,3",
    "--flag=N_:1:pass-c-format", "--flag=C_:2:pass-c-format", "--flag=NC_:2:pass-c-format",
    "--flag=g_dngettext:2:pass-c-format", "--flag=g_strdup_printf:1:c-format",
    "--flag=g_string_printf:2:c-format", "--flag=g_string_append_printf:2:c-format",
    "--flag=g_error_new:3:c-format", "--flag=g_set_error:4:c-format",
    "--flag=g_markup_printf_escaped:1:c-format", "--flag=g_log:3:c-format",
    "--flag=g_print:1:c-format", "--flag=g_printerr:1:c-format", "--flag=g_printf:1:c-format",
    "--flag=g_fprintf:2:c-format", "--flag=g_sprintf:2:c-format", "--flag=g_snprintf:3:c-format",
]

# What marks a file as having translatable strings.
MARK = re.compile(r'(?<![A-Za-z0-9_])(?:_|N_|C_|NC_|ngettext|g_dngettext|g_dpgettext2)\s*\(\s*"'
                  r'|translatable="yes"|gettext-domain=|^(?:Name|GenericName|Comment|Keywords)=',
                  re.M)

# Where each domain's strings live, relative to the source root.
DOMAINS = {
    "po": {"package": "blockscope", "roots": ["src/app", "src/cli", "ui", "data"]},
    "po/core": {"package": "blockscope-core", "roots": ["src/core"]},
}
SOURCE_SUFFIXES = (".c", ".ui", ".desktop.in", ".metainfo.xml.in", ".gschema.xml")


def read_list(path):
    with open(path, encoding="utf-8") as f:
        return [l.strip() for l in f if l.strip() and not l.lstrip().startswith("#")]


def marked_files(root, subdirs):
    found = set()
    for sub in subdirs:
        for dirpath, _, names in os.walk(os.path.join(root, sub)):
            for name in names:
                if not name.endswith(SOURCE_SUFFIXES):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8", errors="replace") as f:
                    if MARK.search(f.read()):
                        found.add(os.path.relpath(path, root))
    return found


def statistics(po_path):
    """(translated, fuzzy, untranslated) of a .po file, from msgfmt --check."""
    r = subprocess.run(["msgfmt", "--check", "--statistics", "-o", os.devnull, po_path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip()
    counts = {"translated": 0, "fuzzy": 0, "untranslated": 0}
    for n, kind in re.findall(r"(\d+) (translated|fuzzy|untranslated)", r.stderr):
        counts[kind] = int(n)
    return (counts["translated"], counts["fuzzy"], counts["untranslated"]), r.stderr.strip()


def check_domain(root, po_dir, package, roots, tmp):
    """Yields (ok, description, details) for one domain."""
    listed_path = os.path.join(root, po_dir, "POTFILES.in")
    listed = read_list(listed_path)
    missing = sorted(p for p in listed if not os.path.exists(os.path.join(root, p)))
    yield (not missing, f"{po_dir}: every file in POTFILES.in exists",
           "missing: " + ", ".join(missing))
    unlisted = sorted(marked_files(root, roots) - set(listed))
    yield (not unlisted, f"{po_dir}: every file with translatable strings is in POTFILES.in",
           "not listed: " + ", ".join(unlisted))
    foreign = sorted(p for p in listed if not any(p.startswith(r + "/") for r in roots))
    yield (not foreign, f"{po_dir}: POTFILES.in lists only files of its own domain",
           "of another domain: " + ", ".join(foreign))

    pot = os.path.join(tmp, package + ".pot")
    r = subprocess.run(["xgettext", "--package-name=" + package, "-f", listed_path, "-D", root,
                        "-k_", "-o", pot] + XGETTEXT_ARGS, capture_output=True, text=True)
    yield (r.returncode == 0 and os.path.exists(pot), f"{po_dir}: xgettext extracts the strings",
           r.stderr.strip())
    if r.returncode != 0 or not os.path.exists(pot):
        return
    cut = cut_short_msgids(pot)
    yield (not cut, f"{po_dir}: no string is cut short by a format macro",
           "these end where a macro such as G_GSIZE_FORMAT stopped xgettext; write %zu, "
           "or \"%\" PRIu64 \"...\" from <inttypes.h>:\n" + "\n".join("  " + c for c in cut))

    for lang in read_list(os.path.join(root, po_dir, "LINGUAS")):
        po = os.path.join(root, po_dir, lang + ".po")
        stats, message = statistics(po)
        yield (stats is not None, f"{po_dir}/{lang}.po: msgfmt --check accepts it", message)
        merged = os.path.join(tmp, f"{package}-{lang}.po")
        r = subprocess.run(["msgmerge", "--quiet", "--no-fuzzy-matching", "-o", merged, po, pot],
                           capture_output=True, text=True)
        if r.returncode != 0:
            yield (False, f"{po_dir}/{lang}.po: merges with the sources' strings", r.stderr.strip())
            continue
        stats, message = statistics(merged)
        ok = stats is not None and stats[1] == 0 and stats[2] == 0 and stats[0] > 0
        detail = message
        if stats is not None and not ok:
            detail = (f"{stats[2]} untranslated and {stats[1]} fuzzy of "
                      f"{sum(stats)} strings; run `ninja -C build {package}-update-po` and "
                      "translate them:\n" + untranslated_msgids(merged))
        yield (ok, f"{po_dir}/{lang}.po: translates every string of the sources", detail)


def cut_short_msgids(pot_path):
    """The msgids and msgid_plurals of a .pot that end in a lone '%'."""
    texts, key = [], None
    with open(pot_path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r'(msgid|msgid_plural|msgstr\S*) "(.*)"$', line)
            if m:
                key = m.group(1)
                if key in ("msgid", "msgid_plural"):
                    texts.append(m.group(2))
            elif line.startswith('"') and key in ("msgid", "msgid_plural"):
                texts[-1] += line.strip()[1:-1]
    return [t for t in texts if re.search(r"(?<!%)(%%)*%$", t)]


def untranslated_msgids(po_path):
    r = subprocess.run(["msgattrib", "--untranslated", "--no-obsolete", po_path],
                       capture_output=True, text=True)
    r2 = subprocess.run(["msgattrib", "--only-fuzzy", "--no-obsolete", po_path],
                        capture_output=True, text=True)
    ids = re.findall(r'^msgid "(.+)"$', r.stdout + r2.stdout, re.M)
    return "\n".join("  " + i for i in ids[:40]) + ("\n  ..." if len(ids) > 40 else "")


def run(root):
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for po_dir, d in DOMAINS.items():
            results += list(check_domain(root, po_dir, d["package"], d["roots"], tmp))
    print("TAP version 13")
    print(f"1..{len(results)}")
    failed = 0
    for i, (ok, what, detail) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} {what}")
        if not ok:
            failed += 1
            for line in detail.splitlines():
                print("# " + line)
    return 1 if failed else 0


SELF_TEST_C = '''#include <glib/gi18n.h>
static const char *names[] = { N_("Stage") };
void f (int n) { g_print (_("Hello %s\\n"), "x"); g_print (ngettext ("%d layer", "%d layers", n), n); }
'''

SELF_TEST_PO_HEADER = '''msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=1; plural=0;\\n"

'''

SELF_TEST_PO_GOOD = SELF_TEST_PO_HEADER + '''msgid "Stage"
msgstr "阶段"

#, c-format
msgid "Hello %s\\n"
msgstr "你好 %s\\n"

#, c-format
msgid "%d layer"
msgid_plural "%d layers"
msgstr[0] "%d 层"
'''


def self_test():
    """The checks pass on a complete made-up tree and fail on each defect."""
    outcomes = []

    def tree(po_text, potfiles="src/app/a.c\n", extra=None):
        root = tempfile.mkdtemp()
        for sub in ("src/app", "src/cli", "ui", "data", "src/core", "po/core"):
            os.makedirs(os.path.join(root, sub), exist_ok=True)
        with open(os.path.join(root, "src/app/a.c"), "w") as f:
            f.write(SELF_TEST_C)
        for path, text in (extra or {}).items():
            with open(os.path.join(root, path), "w") as f:
                f.write(text)
        with open(os.path.join(root, "po/POTFILES.in"), "w") as f:
            f.write("# list\n" + potfiles)
        with open(os.path.join(root, "po/LINGUAS"), "w") as f:
            f.write("zh_CN\n")
        with open(os.path.join(root, "po/zh_CN.po"), "w") as f:
            f.write(po_text)
        with open(os.path.join(root, "po/core/POTFILES.in"), "w") as f:
            f.write("")
        with open(os.path.join(root, "po/core/LINGUAS"), "w") as f:
            f.write("")
        return root

    def failures(root):
        with tempfile.TemporaryDirectory() as tmp:
            d = DOMAINS["po"]
            out = [what for ok, what, _ in check_domain(root, "po", d["package"], d["roots"], tmp)
                   if not ok]
        shutil.rmtree(root)
        return out

    cases = [
        ("complete translations pass", SELF_TEST_PO_GOOD, {}, "src/app/a.c\n", None),
        ("a missing translation fails", SELF_TEST_PO_GOOD.replace('msgstr "阶段"', 'msgstr ""'),
         {}, "src/app/a.c\n", "translates every string"),
        ("a new source string fails", SELF_TEST_PO_GOOD,
         {"src/app/b.c": 'void g (void) { g_print (_("New")); }\n'}, "src/app/a.c\nsrc/app/b.c\n",
         "translates every string"),
        ("a mismatched format fails", SELF_TEST_PO_GOOD.replace('"你好 %s\\n"', '"你好 %d\\n"'),
         {}, "src/app/a.c\n", "msgfmt --check"),
        ("an unlisted file fails", SELF_TEST_PO_GOOD,
         {"src/app/b.c": 'void g (void) { g_print (_("Stage")); }\n'}, "src/app/a.c\n",
         "is in POTFILES.in"),
        ("a missing listed file fails", SELF_TEST_PO_GOOD, {}, "src/app/a.c\nsrc/app/gone.c\n",
         "exists"),
        ("a string cut short by a format macro fails", SELF_TEST_PO_GOOD,
         {"src/app/b.c": 'void g (gsize n) { g_print (_("Has %" G_GSIZE_FORMAT " bytes"), n); }\n'},
         "src/app/a.c\nsrc/app/b.c\n", "cut short"),
        ("a fuzzy translation fails", SELF_TEST_PO_GOOD.replace('msgid "Stage"', '#, fuzzy\nmsgid "Stage"'),
         {}, "src/app/a.c\n", "translates every string"),
    ]
    for name, po, extra, potfiles, expect in cases:
        failed = failures(tree(po, potfiles, extra))
        if expect is None:
            outcomes.append((not failed, name, "failed: " + "; ".join(failed)))
        else:
            outcomes.append((any(expect in f for f in failed), name,
                             "expected a failure of '" + expect + "', got: " + "; ".join(failed)))
    print("TAP version 13")
    print(f"1..{len(outcomes)}")
    bad = 0
    for i, (ok, name, detail) in enumerate(outcomes, 1):
        print(f"{'ok' if ok else 'not ok'} {i} {name}")
        if not ok:
            bad += 1
            print("# " + detail)
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "--self-test":
        sys.exit(self_test())
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(run(sys.argv[1]))
