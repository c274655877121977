#!/usr/bin/env bash
# Installs what is missing, builds, and runs a local Yunpan instance on
# 127.0.0.1 until Ctrl-C. Data lives in .yunpan/ of this checkout; started
# as root, the server runs as the system user "yunpan" (created if missing),
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
exec _build/server/yunpan-server-run --data "$data" --port "${YUNPAN_PORT:-8765}" "$@"
