#!/usr/bin/env bash
# Builds Yunpan and runs every test; the last line is "N passed, M failed".
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

/usr/bin/python3 - "$build/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = skipped = 0
try:
    lines = open(sys.argv[1]).read().splitlines()
except OSError:
    lines = []
for line in lines:
    result = json.loads(line)["result"]
    if result in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif result == "SKIP":
        skipped += 1
    else:
        failed += 1
if not lines:
    failed += 1
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
exit $rc
