#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, ASan and UBSan in
# _build-fuzz and runs each for a bounded time on a copy of its seed corpus
# (the repository is never written). Prints one TAP line per target, e.g.
#   ok 1 - fuzz-dispatch: 41236 runs in 30 s, cov 3121, ft 9040, corpus 310
#   not ok 2 - fuzz-names: crash, input in _build-fuzz/fuzz-artifacts/crash-...
# and exits non-zero when a target found something or did not build.
#   build-aux/fuzz.sh                          every target, 30 s each
#   YP_FUZZ_TIME=600 build-aux/fuzz.sh dispatch   one target, 10 minutes
# YP_FUZZ_CORPUS=DIR keeps the grown corpus in DIR/<target> (for long runs).
set -uo pipefail
cd "$(dirname "$0")/.."

build=_build-fuzz
seconds=${YP_FUZZ_TIME:-30}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(dispatch json names)

build-aux/deps.sh >&2 || exit 1
if [ ! -f "$build/build.ninja" ]; then
    CC=clang meson setup "$build" -Dfuzzing=true -Db_sanitize=address,undefined \
        -Db_lundef=false >&2 || exit 1
fi
# only the targets: the rest of the tree is built and tested by test.sh
compile=()
for t in "${targets[@]}"; do
    compile+=("tests/fuzz/fuzz-$t")
done
if ! meson compile -C "$build" "${compile[@]}" >&2; then
    n=0
    for t in "${targets[@]}"; do
        n=$((n + 1))
        echo "not ok $n - fuzz-$t: does not build"
    done
    exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/yunpan-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Runs target $1 (number $2); prints its TAP line, returns non-zero on a finding.
run_target() {
    local t=$1 n=$2 corpus log rc runs cov ft corp crash
    corpus=${YP_FUZZ_CORPUS:+$YP_FUZZ_CORPUS/$t}
    corpus=${corpus:-$work/corpus-$t}
    log="$work/$t.log"
    mkdir -p "$corpus" "$work/tmp-$t"
    cp -n tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null
    dict=()
    [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
    # the dispatch target keeps its data folder under TMPDIR: removed with $work
    TMPDIR="$work/tmp-$t" "$build/tests/fuzz/fuzz-$t" "${dict[@]}" \
        -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/$t-" "$corpus" >"$log" 2>&1
    rc=$?
    runs=$(grep -oE '^Done [0-9]+ runs' "$log" | grep -oE '[0-9]+')
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+')
    ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+')
    corp=$(find "$corpus" -type f | wc -l)
    if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
        echo "ok $n - fuzz-$t: $runs runs in $seconds s, cov ${cov:-?}, ft ${ft:-?}, corpus $corp"
        return 0
    fi
    crash=$(grep -oE 'Test unit written to [^ ]+' "$log" | tail -n 1 | cut -d' ' -f5)
    cp "$log" "$artifacts/$t.log"
    grep -E 'ERROR: |SUMMARY: |yp-fuzz: |runtime error' "$log" | head -n 5 >&2
    echo "not ok $n - fuzz-$t: exit $rc, input ${crash:-not saved}, log $artifacts/$t.log"
    return 1
}

status=0
n=0
for t in "${targets[@]}"; do
    n=$((n + 1))
    run_target "$t" "$n" || status=1
done
exit $status
