#!/usr/bin/env bash
# Builds Yunpan and runs every test, then the fuzz targets for a short while;
# the last line is "N passed, M failed" counting test cases (see
# build-aux/count-tests.py), with ", K skipped" when some were skipped.
#   YP_SANITIZE=1 build-aux/test.sh    the same with AddressSanitizer + UBSan
#   build-aux/test.sh --suite server   any `meson test` arguments pass through
set -uo pipefail
cd "$(dirname "$0")/.."

build-aux/deps.sh || exit 1

build=_build
setup_args=()
if [ "${YP_SANITIZE:-0}" = 1 ]; then
    build=_build-asan
    setup_args=(-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug)
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    export YP_SANITIZE
fi
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "${setup_args[@]}" || exit 1
fi
meson compile -C "$build" || exit 1

# GTK tests need a display and every test a private session bus
export GTK_A11Y=none GSK_RENDERER=cairo GSETTINGS_BACKEND=memory NO_AT_BRIDGE=1
rm -f "$build/meson-logs/testlog.json"
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
    meson test -C "$build" --print-errorlogs --num-processes 2 "$@"
rc=$?

# the fuzz targets, briefly (build-aux/fuzz.sh), with the plain command only:
# not under YP_SANITIZE (they have their own sanitizer build) nor when meson
# test arguments pick a part; YP_FUZZ=0 skips them, YP_FUZZ=1 forces them
fuzz_log=()
if [ "${YP_FUZZ:-}" = 1 ] || { [ "${YP_FUZZ:-}" != 0 ] && [ "${YP_SANITIZE:-0}" != 1 ] \
                                 && [ $# -eq 0 ]; }; then
    fuzz_log=("$build/meson-logs/fuzz.tap")
    build-aux/fuzz.sh | tee "${fuzz_log[0]}"
    [ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
fi

# the last line counts test cases (unittest results, TAP lines), not programs
/usr/bin/python3 build-aux/count-tests.py "$build/meson-logs/testlog.json" "${fuzz_log[@]}"
exit $rc
