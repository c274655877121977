#!/usr/bin/env bash
# One very large upload through libyunpan to a fresh local instance: it must
# complete with no client or server timeout, and the stored file must be the
# local one. See docs/benchmarks.md.
#
#   bench/big-upload.sh BUILDDIR [--size-gib N]   (default 20)
#
# Needs: bash, coreutils, curl, jq, nginx, spawn-fcgi, openssl, and free disk
# space of twice the size in $TMPDIR (the file and its stored copy).
set -euo pipefail

die () { echo "big-upload: error: $*" >&2; exit 1; }
note () { echo "big-upload: $*" >&2; }

SIZE_GIB=20
BUILD=
while (($#)); do
  case $1 in
    --size-gib) SIZE_GIB=${2:?}; shift 2 ;;
    --size-gib=*) SIZE_GIB=${1#*=}; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) BUILD=$1; shift ;;
  esac
done
[[ -n $BUILD && $SIZE_GIB =~ ^[1-9][0-9]*$ ]] || die "usage: bench/big-upload.sh BUILDDIR [--size-gib N]"
BUILD=$(cd "$BUILD" && pwd)
SERVER_RUN=$BUILD/server/yunpan-server-run
CLIENT=$BUILD/bench/yunpan-bench-client
[[ -x $SERVER_RUN && -x $CLIENT ]] || die "build $BUILD first (meson compile -C $BUILD)"
for tool in curl jq openssl sha256sum; do
  command -v "$tool" >/dev/null || die "$tool not found"
done

T=$(mktemp -d "${TMPDIR:-/tmp}/yunpan-big.XXXXXX")
chmod 0711 "$T"
YP_PID=
cleanup () {
  [[ -z $YP_PID ]] || { kill "$YP_PID" 2>/dev/null; wait "$YP_PID" 2>/dev/null || true; }
  [[ -n ${YP_KEEP:-} ]] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need=$((SIZE_GIB * 2 + 1))
free=$(df -P -BG "$T" | awk 'NR == 2 { sub(/G$/, "", $4); print $4 }')
((free >= need)) || die "$T has ${free} GiB free; ${need} GiB needed"

# the instance as deployed, but with no quota: 20 GiB is past the default
"$SERVER_RUN" --data "$T/data" --port 0 -- --quota 0 >"$T/run.out" 2>"$T/run.err" &
YP_PID=$!
URL=
for ((i = 0; i < 300; i++)); do
  [[ $(cat "$T/run.out") =~ running\ at\ (http://127\.0\.0\.1:[0-9]+)/ ]] && { URL=${BASH_REMATCH[1]}; break; }
  kill -0 "$YP_PID" 2>/dev/null || die "yunpan-server-run exited: $(cat "$T/run.err")"
  sleep 0.1
done
[[ -n $URL ]] || die "the instance did not start"
PASSWORD="bench sturdy lantern 42"
curl -fsS -H 'Content-Type: application/json' \
  -d "{\"username\":\"big\",\"password\":\"$PASSWORD\"}" "$URL/api/v1/account/register" >/dev/null

note "writing $SIZE_GIB GiB of pseudo-random data (AES-CTR keystream, not timed)"
SRC=$T/big.bin
# (openssl ends on SIGPIPE once head has its bytes)
{ openssl enc -aes-128-ctr -nosalt -pass "pass:$RANDOM$RANDOM" </dev/zero 2>/dev/null || true; } \
  | head -c "$((SIZE_GIB << 30))" >"$SRC"
SHA=$(sha256sum "$SRC" | cut -d' ' -f1)

echo "== upload of $SIZE_GIB GiB through libyunpan ($URL)"
echo "   yunpan-bench-client upload URL big … big.bin /big.bin   (hashes, starts, proof and chunks)"
t0=$(date +%s.%N)
secs=$("$CLIENT" upload "$URL" big "$PASSWORD" "$SRC" /big.bin) || die "the upload failed"
t1=$(date +%s.%N)

TOKEN=$(curl -fsS -H 'Content-Type: application/json' \
  -d "{\"username\":\"big\",\"password\":\"$PASSWORD\"}" "$URL/api/v1/account/login" | jq -er .token)
stat=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$URL/api/v1/files/stat?path=/big.bin")
[[ $(jq -r .node.size <<<"$stat") == $((SIZE_GIB << 30)) ]] || die "stored size differs: $stat"
[[ $(jq -r .node.sha256 <<<"$stat") == "$SHA" ]] || die "stored hash differs: $stat"
errors=$(awk '$7 ~ /^5/' "$T/data/log/access.log" | wc -l)
timeouts=$(grep -c "timed out" "$T/data/log/error.log" 2>/dev/null || true)
echo "   upload: $secs s ($(awk -v s="$secs" -v g="$SIZE_GIB" 'BEGIN { printf "%.0f", g * 1024 / s }') MiB/s, including the client's own hashing)"
echo "   wall:   $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s with sign-in"
echo "   stored: $(jq -r .node.size <<<"$stat") bytes, SHA-256 matches the local file"
echo "   nginx:  $errors 5xx answers, ${timeouts:-0} timeouts in its error log"
((errors == 0 && ${timeouts:-0} == 0)) || die "the server answered 5xx or timed out"
