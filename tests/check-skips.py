#!/usr/bin/env python3
"""Lists every skipped test in meson's test logs and fails on a skip that is
not on the allow-list (tests/allowed-skips.txt).

A skip is either a whole test (meson's result SKIP: exit status 77, or a TAP
plan "1..0 # SKIP") or a TAP subtest "ok N /path # SKIP reason". A skip
without a reason is an error even when it is allowed.

    tests/check-skips.py [--allow FILE] [BUILD_DIR | TESTLOG_JSON] ...
    tests/check-skips.py --self-test


Without arguments it reads build*/meson-logs/testlog.json in the source
tree. Exit status: 0 when every skip is allowed, 1 when one is not (or a log
is missing or unreadable), 2 when the allow-list itself is wrong.
Python 3 standard library only.
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_ALLOW = os.path.join(SOURCE_ROOT, "tests", "allowed-skips.txt")
WHOLE_TEST = "-"

# "ok 5 /heatmap/partial-upload # SKIP cells drawn with cairo" (TAP 13/14;
# the directive is case-insensitive and may be spelled SKIPPED).
TAP_SKIP = re.compile(r"^\s*ok\b\s*(?:\d+)?\s*(?:-\s*)?(?P<path>[^#]*?)\s*#\s*skip\S*(?:\s+(?P<reason>.*?))?\s*$",
                      re.IGNORECASE)
TAP_PLAN_SKIP = re.compile(r"^\s*1\.\.0\s*#\s*skip\S*(?:\s+(?P<reason>.*?))?\s*$", re.IGNORECASE)


class AllowListError(Exception):
    pass


def read_allow_list(path):
    """Entries as (test, subtest, build or None, reason, line number).

    A line is TEST SUBTEST [BUILD] [# reason], fields separated by blanks;
    SUBTEST is the GLib test path, or "-" for the whole test; BUILD limits the
    entry to the build folder of that name. Every entry needs a reason: a
    comment at the end of its line or comment lines right above it."""
    entries = []
    pending_comment = []
    errors = []
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.strip()
            if not line:
                pending_comment = []
                continue
            if line.startswith("#"):
                pending_comment.append(line.lstrip("#").strip())
                continue
            fields, _, comment = line.partition("#")
            fields = fields.split()
            reason = comment.strip() or " ".join(c for c in pending_comment if c)
            if len(fields) not in (2, 3):
                errors.append(f"{path}:{number}: expected TEST SUBTEST [BUILD], got {line!r}")
            elif fields[1] != WHOLE_TEST and not fields[1].startswith("/"):
                errors.append(f"{path}:{number}: the subtest path must start with '/' (or be '-'): {fields[1]!r}")
            elif not reason:
                errors.append(f"{path}:{number}: no comment says why {fields[0]} {fields[1]} may skip")
            else:
                entries.append((fields[0], fields[1], fields[2] if len(fields) == 3 else None, reason, number))
    if errors:
        raise AllowListError("\n".join(errors))
    return entries


def short_name(name):
    """meson names tests "project:suite / name"; the allow-list uses the name."""
    return name.rsplit(" / ", 1)[-1]


def find_logs(args):
    if not args:
        return sorted(glob.glob(os.path.join(SOURCE_ROOT, "build*", "meson-logs", "testlog.json")))
    logs = []
    for arg in args:
        logs.append(os.path.join(arg, "meson-logs", "testlog.json") if os.path.isdir(arg) else arg)
    return logs


def build_of(log):
    """The build folder's name: build-asan/meson-logs/testlog.json -> build-asan."""
    return os.path.basename(os.path.dirname(os.path.dirname(os.path.abspath(log))))


def skips_in(log):
    """Yields (test name, subtest path or "-", reason) for every skip in one log."""
    with open(log, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                name, result = record["name"], record["result"]
            except (ValueError, KeyError) as e:
                raise ValueError(f"{log}:{number}: not a meson test record ({e})")
            stdout = record.get("stdout") or ""
            subtests = [(m.group("path") or "?", m.group("reason"))
                        for m in map(TAP_SKIP.match, stdout.splitlines()) if m]
            for path, reason in subtests:
                yield name, path, reason
            # A TAP test whose subtests all skipped is a SKIP too: its
            # subtests, listed above, say why. Otherwise the whole test
            # skipped: "1..0 # SKIP reason", or exit status 77 without one.
            if result == "SKIP" and not subtests:
                reasons = [m.group("reason") for m in map(TAP_PLAN_SKIP.match, stdout.splitlines()) if m]
                yield name, WHOLE_TEST, reasons[0] if reasons else None


def self_test():
    """Runs this checker on made-up logs and checks its verdicts, and checks
    that the project's allow-list reads. Prints TAP."""
    ok_record = {"name": "p:core / a", "result": "OK", "returncode": 0,
                 "stdout": "1..2\nok 1 /a/one\nok 2 /a/two # SKIP no AVX2 here\n"}
    unlisted = {"name": "p:core / b", "result": "OK", "returncode": 0,
                "stdout": "1..1\nok 1 /b/x # SKIP something missing\n"}
    no_reason = {"name": "p:core / a", "result": "OK", "returncode": 0, "stdout": "1..1\nok 1 /a/two # SKIP\n"}
    plan_skip = {"name": "p:core / c", "result": "SKIP", "returncode": 0, "stdout": "1..0 # SKIP no display\n"}
    exit_77 = {"name": "p:core / c", "result": "SKIP", "returncode": 77, "stdout": ""}
    all_skipped = {"name": "p:core / d", "result": "SKIP", "returncode": 0,
                   "stdout": "1..1\nok 1 /d/only # skip not here\n"}
    allow = "# AVX2\na /a/two\nc -  # plan skip\nd /d/only build-other  # elsewhere only\n"
    cases = [
        ("an allowed subtest skip passes", [ok_record], allow, 0, "allowed (line 2: AVX2)"),
        ("an unlisted subtest skip fails", [ok_record, unlisted], allow, 1, "SKIP b /b/x: something missing -- NOT ALLOWED"),
        ("a skip without a reason fails", [no_reason], allow, 1, "NO REASON GIVEN"),
        ("an allowed whole-test skip passes", [plan_skip], allow, 0, "SKIP c -: no display -- allowed"),
        ("exit status 77 says no reason", [exit_77], allow, 1, "SKIP c -: (no reason) -- NO REASON GIVEN"),
        ("an entry for another build does not allow", [all_skipped], allow, 1, "SKIP d /d/only: not here -- NOT ALLOWED"),
        ("an entry without a reason is refused", [ok_record], "a /a/two\n", 2, "no comment says why a /a/two"),
    ]
    print(f"1..{len(cases) + 1}")
    failed = 0
    for number, (title, records, allow_text, want_status, want_text) in enumerate(cases, 1):
        with tempfile.TemporaryDirectory() as tmp:
            os.makedirs(os.path.join(tmp, "build-x", "meson-logs"))
            with open(os.path.join(tmp, "build-x", "meson-logs", "testlog.json"), "w") as f:
                f.writelines(json.dumps(r) + "\n" for r in records)
            with open(os.path.join(tmp, "allow.txt"), "w") as f:
                f.write(allow_text)
            run = subprocess.run([sys.executable, os.path.abspath(__file__), "--allow",
                                  os.path.join(tmp, "allow.txt"), os.path.join(tmp, "build-x")],
                                 capture_output=True, text=True)
        output = run.stdout + run.stderr
        good = run.returncode == want_status and want_text in output
        failed += not good
        print(f"{'ok' if good else 'not ok'} {number} {title}")
        if not good:
            print(f"# exit status {run.returncode}, expected {want_status} and {want_text!r} in:")
            print("".join(f"#   {line}\n" for line in output.splitlines()), end="")
    try:
        read_allow_list(DEFAULT_ALLOW)
        print(f"ok {len(cases) + 1} {os.path.relpath(DEFAULT_ALLOW, SOURCE_ROOT)} reads")
    except (OSError, AllowListError) as e:
        failed += 1
        print(f"not ok {len(cases) + 1} {os.path.relpath(DEFAULT_ALLOW, SOURCE_ROOT)} reads\n# {e}")
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--allow", default=DEFAULT_ALLOW, help="the allow-list (default: %(default)s)")
    parser.add_argument("--self-test", action="store_true", help="check the checker (prints TAP)")
    parser.add_argument("logs", nargs="*", help="build folders or testlog.json files")
    options = parser.parse_args()
    if options.self_test:
        return self_test()

    try:
        allowed = read_allow_list(options.allow)
    except (OSError, AllowListError) as e:
        print(f"check-skips: bad allow-list: {e}", file=sys.stderr)
        return 2

    logs = find_logs(options.logs)
    if not logs:
        print("check-skips: no build*/meson-logs/testlog.json: run the tests first", file=sys.stderr)
        return 1

    shown_allow = os.path.relpath(options.allow, SOURCE_ROOT)
    if shown_allow.startswith(".."):
        shown_allow = options.allow
    status = 0
    used = set()
    builds = set()
    n_skips = n_bad = 0
    for log in logs:
        build = build_of(log)
        builds.add(build)
        try:
            skips = list(skips_in(log))
        except (OSError, ValueError) as e:
            print(f"check-skips: cannot read {log}: {e}", file=sys.stderr)
            status = 1
            continue
        print(f"check-skips: {build}: {len(skips)} skip{'' if len(skips) == 1 else 's'} in {log}")
        for name, subtest, reason in skips:
            n_skips += 1
            match = next((e for e in allowed
                          if e[0] in (name, short_name(name)) and e[1] == subtest and e[2] in (None, build)),
                         None)
            if match is not None:
                used.add(match[4])
            if not reason:
                verdict = "NO REASON GIVEN (a skip must say why)"
            elif match is None:
                verdict = f"NOT ALLOWED (not on {shown_allow})"
            else:
                verdict = f"allowed (line {match[4]}: {match[3]})"
            print(f"  SKIP {short_name(name)} {subtest}: {reason or '(no reason)'} -- {verdict}")
            if match is None or not reason:
                n_bad += 1
                status = 1

    for entry in allowed:
        if entry[4] not in used and entry[2] in (None, *builds):
            where = f" in {entry[2]}" if entry[2] else ""
            print(f"  note: allowed skip not seen{where}: {entry[0]} {entry[1]} (line {entry[4]})")

    plural = "" if n_skips == 1 else "s"
    if status == 0:
        print(f"check-skips: OK, {n_skips} skip{plural}, all allowed")
    elif n_bad:
        print(f"check-skips: FAILED, {n_bad} of {n_skips} skip{plural} not allowed or without a reason")
    else:
        print("check-skips: FAILED, a test log could not be read")
    return status


if __name__ == "__main__":
    sys.exit(main())
