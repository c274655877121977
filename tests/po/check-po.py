#!/usr/bin/python3
"""Checks the translations, as TAP (one line a check):

    check-po.py SOURCE_ROOT [MSGFMT]

- every source or .ui file under app/ and protocol/ that marks strings for
  translation (_(" N_(" C_(" ngettext translatable="yes") is in
  po/POTFILES.in, and so is every settings schema under data/;
- every file POTFILES.in names exists (xgettext stops at a missing one);
- every language in po/LINGUAS has a .po file, and every .po file passes
  `msgfmt --check` (format strings, headers, plural forms).
"""
import os
import re
import subprocess
import sys

MARKED = re.compile(r'_\("|N_\("|C_\("|ngettext|translatable="yes"')
SOURCE_SUFFIXES = (".c", ".h", ".ui", ".py", ".js")
SCANNED = ("app", "protocol")


class Tap:
    def __init__(self):
        self.count = 0
        self.failed = 0

    def check(self, ok, description, details=()):
        self.count += 1
        print(f"{'ok' if ok else 'not ok'} {self.count} {description}")
        for line in details:
            print(f"# {line}")
        if not ok:
            self.failed += 1

    def finish(self):
        print(f"1..{self.count}")
        return 1 if self.failed else 0


def read_list(path):
    """The entries of POTFILES.in or LINGUAS: one a line, # comments."""
    entries = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                entries.extend(line.split())
    return entries


def marked_files(root):
    found = []
    for top in SCANNED:
        for folder, dirs, files in os.walk(os.path.join(root, top)):
            dirs.sort()
            for name in sorted(files):
                if not name.endswith(SOURCE_SUFFIXES):
                    continue
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8", errors="replace") as f:
                    if MARKED.search(f.read()):
                        found.append(os.path.relpath(path, root))
    data = os.path.join(root, "data")
    if os.path.isdir(data):
        found += sorted(os.path.join("data", name) for name in os.listdir(data)
                        if name.endswith(".gschema.xml"))
    return found


def main(argv):
    root = argv[1]
    msgfmt = argv[2] if len(argv) > 2 else "msgfmt"
    po_dir = os.path.join(root, "po")
    tap = Tap()

    listed = read_list(os.path.join(po_dir, "POTFILES.in"))
    for path in marked_files(root):
        tap.check(path in listed, f"POTFILES.in lists {path}",
                  () if path in listed else ("it has strings to translate: add it to "
                                             "po/POTFILES.in",))
    for path in listed:
        exists = os.path.isfile(os.path.join(root, path))
        tap.check(exists, f"POTFILES.in entry {path} exists")

    languages = read_list(os.path.join(po_dir, "LINGUAS"))
    po_files = sorted(name for name in os.listdir(po_dir) if name.endswith(".po"))
    for language in languages:
        tap.check(f"{language}.po" in po_files, f"LINGUAS language {language} has a .po file")
    for name in po_files:
        result = subprocess.run([msgfmt, "--check", "--output-file", os.devnull,
                                 os.path.join(po_dir, name)],
                                capture_output=True, text=True)
        tap.check(result.returncode == 0, f"msgfmt --check {name}",
                  result.stderr.splitlines())
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
