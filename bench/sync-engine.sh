#!/usr/bin/env bash
# Sync engine benchmarks through `yunpan-cli sync`, each against a baseline
# measured in the same run (see docs/benchmarks.md, "Sync engine: first
# sync, latency, idle memory"):
#   first    first sync of 10,000 files of 1-4 KiB (`sync --once`) vs one
#            curl process PUTting them to a plain nginx over one connection
#   latency  two running engines on one folder: a local write until the
#            server has it, a server change until the local folder has it,
#            50 each, vs a bare `yunpan-cli put`
#   idle     VmRSS of an idle engine tracking 100,000 files, vs the engine
#            on an empty pair and `yunpan-cli whoami`
#
#   bench/sync-engine.sh BUILDDIR [first] [latency] [idle]
#                        [--first-files N] [--changes N] [--idle-files N] [--trim-check]
#   bench/sync-engine.sh --help
#
# --trim-check also reads the idle engine's VmRSS after malloc_trim (0),
# called in it through gdb: how much of it is memory freed but kept.
#
# Needs: python3, curl, nginx, spawn-fcgi, dbus (dbus-run-session) and
# gnome-keyring (Debian packages). The keyring runs on a private session
# bus; the temporary folder (/var/tmp) and every process are removed on exit.
set -euo pipefail

usage () { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
if [[ ${1:-} == --help || ${1:-} == -h || $# -eq 0 ]]; then usage; exit 0; fi
BUILD=$(cd "$1" && pwd); shift
for tool in python3 curl nginx spawn-fcgi dbus-run-session gnome-keyring-daemon; do
  command -v "$tool" >/dev/null || { echo "sync-engine: $tool not found" >&2; exit 1; }
done
meson compile -C "$BUILD" yunpan-cli yunpan-server-run yunpan-server >/dev/null
exec dbus-run-session -- python3 "$(dirname "${BASH_SOURCE[0]}")/sync_bench.py" "$BUILD" "$@"
