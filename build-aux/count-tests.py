#!/usr/bin/python3
"""Counts test cases, not test programs, and prints "N passed, M failed".

    build-aux/count-tests.py BUILD/meson-logs/testlog.json [TAP-FILE ...]

testlog.json (JSON Lines, one object per `meson test` entry) holds each
program's output. A case is:
  - in Python unittest output (verbosity 2, on stderr): each test method or
    subTest result, "name (module.Class.name) ... ok|FAIL|ERROR|skipped ...";
  - in TAP output (GTest with protocol 'tap', and the extra TAP-FILEs such
    as build-aux/fuzz.sh's): each "ok N" / "not ok N" line, "# SKIP"
    counting as skipped and "# TODO" (an expected failure) as passed.
A program meson counts as failed with no failed case in its output (a crash,
a timeout, a failure outside any case) adds one failure; one that passed
without recognizable cases counts as one passed case. Per-program counts go
first, the summary line last; CI reads only the last line.
"""
import json
import re
import sys

# "name (module.Class.name)" with an optional subTest description (indented
# by two spaces), then " ... " on the same line or after the docstring's
# first line
UNITTEST_CASE = re.compile(r"^( *)\S+ \([\w.]+\)[^\n]*?(?:\n[^\n]*?)? \.\.\. ", re.M)
# the outcome follows " ... " at once, or at the start of a line when the
# test printed something in between
UNITTEST_RESULT = re.compile(
    r"(?:^|(?<=\.\.\. ))(ok|FAIL|ERROR|skipped|expected failure|unexpected success)\b", re.M)
# what unittest sums up at the end: "FAILED (failures=3, errors=2, skipped=1)"
UNITTEST_SUMMARY = re.compile(r"^Ran \d+ tests? in [^\n]*\n\n(?:OK|FAILED)(?: \(([^)\n]*)\))?$",
                              re.M)
TAP_LINE = re.compile(r"^(not ok|ok)\b(?: +\d+)?([^\n]*)$", re.M)
PASSED_RESULTS = ("OK", "EXPECTEDFAIL")


def unittest_summary(text):
    """(failed, skipped) as unittest's own summary lines add them up."""
    failed = skipped = 0
    for m in UNITTEST_SUMMARY.finditer(text):
        fields = dict(f.strip().split("=", 1) for f in (m.group(1) or "").split(",") if "=" in f)
        failed += sum(int(fields.get(k, 0)) for k in ("failures", "errors", "unexpected successes"))
        skipped += int(fields.get("skipped", 0))
    return failed, skipped


def count_unittest(text):
    """(passed, failed, skipped, cases) from unittest's verbose output."""
    passed = failed = skipped = 0
    cases = list(UNITTEST_CASE.finditer(text))
    for i, case in enumerate(cases):
        following = cases[i + 1] if i + 1 < len(cases) else None
        stop = following.start() if following else len(text)
        m = UNITTEST_RESULT.search(text, case.end(), stop)
        outcome = m.group(1) if m else None
        if outcome is None and following is not None and following.group(1):
            # a test whose subTests failed has no outcome of its own: the
            # indented lines after it are its cases
            continue
        if outcome in ("ok", "expected failure"):
            passed += 1
        elif outcome == "skipped":
            skipped += 1
        else:
            # FAIL, ERROR, an unexpected success, or no outcome at all: the
            # program died inside this case
            failed += 1
    # a class or module set-up error can print a bare ERROR after another
    # case's outcome; the summary has it
    summary_failed, summary_skipped = unittest_summary(text)
    extra = max(0, summary_failed - failed)
    return passed, failed + extra, max(skipped, summary_skipped), len(cases) + extra


def count_tap(text):
    """(passed, failed, skipped, cases) from TAP "ok"/"not ok" lines."""
    passed = failed = skipped = cases = 0
    for status, rest in TAP_LINE.findall(text):
        cases += 1
        directive = rest.partition("#")[2].strip().upper()
        if directive.startswith("SKIP"):
            skipped += 1
        elif status == "ok" or directive.startswith("TODO"):
            passed += 1
        else:
            failed += 1
    return passed, failed, skipped, cases


def count_entry(entry):
    """(passed, failed, skipped) for one testlog.json entry."""
    output = (entry.get("stdout") or "") + "\n" + (entry.get("stderr") or "")
    passed, failed, skipped, cases = count_unittest(output)
    if cases == 0:
        passed, failed, skipped, cases = count_tap(entry.get("stdout") or "")
    result = entry.get("result")
    if result not in PASSED_RESULTS and result != "SKIP" and failed == 0:
        failed = 1
    elif cases == 0 and result == "SKIP":
        skipped = 1
    elif cases == 0 and result in PASSED_RESULTS:
        passed = 1
    return passed, failed, skipped


def read_testlog(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return [json.loads(line) for line in f if line.strip()]
    except OSError:
        return []


def main(argv):
    totals = [0, 0, 0]
    entries = read_testlog(argv[1]) if len(argv) > 1 else []
    for entry in entries:
        counts = count_entry(entry)
        print(f"  {entry.get('name', '?')}: {counts[0]} passed, {counts[1]} failed"
              + (f", {counts[2]} skipped" if counts[2] else ""))
        totals = [t + c for t, c in zip(totals, counts)]
    for path in argv[2:]:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                counts = count_tap(f.read())[:3]
        except OSError:
            counts = (0, 0, 0)
        if sum(counts) == 0:
            counts = (0, 1, 0)
        print(f"  {path}: {counts[0]} passed, {counts[1]} failed"
              + (f", {counts[2]} skipped" if counts[2] else ""))
        totals = [t + c for t, c in zip(totals, counts)]
    if not entries:
        # meson did not get as far as running anything
        totals[1] += 1
    passed, failed, skipped = totals
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))


if __name__ == "__main__":
    main(sys.argv)
