#!/usr/bin/env bash
# The sync engine's unchanged rescan of a large tree against a bare walk of
# the same tree, in the same run (see docs/benchmarks.md, "Sync engine"):
#   - nftw (FTW_PHYS, so one lstat an entry) over the tree, vs
#   - yp_sync_scan_sync with the base from a first scan: the walk plus
#     what the engine adds (ignore rules, the base lookup that spares the
#     read, the tree of items).
# Timed in pairs, the first of each pair alternating, so that a
# neighbour's load falls on both halves alike; the median of the pairs'
# ratios is the number to read (aim <= 1.5). Also prints the first scan
# (every file hashed) and the resident memory the 100,000-item base tree
# costs.
#
#   bench/sync-scan.sh BUILDDIR [--files N] [--runs N] [--threads N] [--tree DIR]
#   bench/sync-scan.sh --help
#
# --files N    small files (1-4 KiB) in the tree, 100,000 by default
# --runs N     timed pairs, 11 by default
# --threads N  files hashed at once by the first scan; 0 (default) is one a core
# --tree DIR   make the tree in DIR and keep it for the next run (made once
#              per file count); without it the tree is temporary
set -euo pipefail

usage () { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
if [[ ${1:-} == --help || ${1:-} == -h ]]; then usage; exit 0; fi
BUILD=${1:?usage: bench/sync-scan.sh BUILDDIR [options], or --help}
shift
FILES=100000
RUNS=11
THREADS=0
TREE=
while (($#)); do
  case $1 in
    --files) FILES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --tree) TREE=$2; shift 2 ;;
    --help|-h) usage; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
BUILD=$(cd "$BUILD" && pwd)
if ! meson compile -C "$BUILD" yunpan-bench-sync-scan >/dev/null; then
  [[ -x $BUILD/bench/yunpan-bench-sync-scan ]] || { echo "cannot build yunpan-bench-sync-scan" >&2; exit 1; }
  echo "warning: rebuilding failed, timing the program built before" >&2
fi

if [[ -z $TREE ]]; then
  TMP=$(mktemp -d /var/tmp/yp-bench-scan-XXXXXX)
  trap 'rm -rf "$TMP"' EXIT
  TREE=$TMP/tree
fi

echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)," \
     "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tree: $TREE, $FILES files"
"$BUILD/bench/yunpan-bench-sync-scan" "$TREE" "$FILES" "$RUNS" "$THREADS"
