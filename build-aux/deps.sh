#!/usr/bin/env bash
# Installs the Debian packages Yunpan needs to build, run and test, if any
# are missing. Needs root: it re-runs itself through sudo when it is not.
set -euo pipefail

packages=(
    build-essential meson ninja-build pkg-config gettext
    libglib2.0-dev libjson-glib-dev libsqlite3-dev libsodium-dev libssl-dev libfcgi-dev libzxcvbn-dev
    libvips-dev
    libgtk-4-dev libadwaita-1-dev libsoup-3.0-dev libsecret-1-dev
    nginx libnginx-mod-nchan spawn-fcgi
    python3 curl wrk jq bc openssl libsecret-tools
    xvfb xauth xdotool imagemagick dbus dbus-x11 gnome-keyring
    desktop-file-utils appstream
    clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "Installing ${missing[*]} (needs root)" >&2
    exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
