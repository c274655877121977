#!/usr/bin/env bash
# Installs what is missing, builds, and runs a local Yunpan instance on
# 127.0.0.1 (data in .yunpan/ of this checkout) until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

build-aux/deps.sh
[ -f _build/build.ninja ] || meson setup _build
meson compile -C _build
exec _build/server/yunpan-server-run --data "$PWD/.yunpan/server" --port "${YUNPAN_PORT:-8765}" "$@"
