#!/usr/bin/env bash
# Installs what is missing, builds, and runs a local Yunpan instance on
# 127.0.0.1 and, when there is a display, the desktop app connected to it;
# closing the app or Ctrl-C stops both. Without a display the server runs
# alone until Ctrl-C. Data lives in .yunpan/ of this checkout; started as
# root, the server runs as the system user "yunpan" (created if missing),
# which cannot reach a checkout under /root, so the data lives in
# /var/lib/yunpan instead.
set -euo pipefail
cd "$(dirname "$0")/.."

build-aux/deps.sh
[ -f _build/build.ninja ] || meson setup _build
meson compile -C _build

data="$PWD/.yunpan/server"
if [ "$(id -u)" -eq 0 ]; then
    id yunpan >/dev/null 2>&1 \
        || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin yunpan
    data=/var/lib/yunpan
    install -d -m 0711 "$data"
fi
port=${YUNPAN_PORT:-8765}

if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    echo "No display: running the server alone (Ctrl-C stops it)." >&2
    exec _build/server/yunpan-server-run --data "$data" --port "$port" "$@"
fi

log=$(mktemp)
_build/server/yunpan-server-run --data "$data" --port "$port" "$@" > >(tee "$log") &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -f "$log"' EXIT
# the server prints its URL once nginx and the application answer
for _ in $(seq 300); do
    grep -q 'http://' "$log" && break
    kill -0 "$server" 2>/dev/null || exit 1
    sleep 0.1
done
grep -q 'http://' "$log" || { echo "The server did not start." >&2; exit 1; }

GSETTINGS_SCHEMA_DIR="$PWD/_build/app/gui" YUNPAN_SERVER="http://127.0.0.1:$port" \
    _build/app/gui/yunpan
