#!/usr/bin/env bash
# Client benchmarks, each against a baseline measured in the same run:
#   - SHA-256 of a cached file: `yunpan-bench-client hash` (libyunpan) vs
#     `openssl dgst -sha256`, both timed as whole processes in pairs: each
#     run times one of each, back to back, the first of the pair
#     alternating, and keeps that pair's ratio, so that a neighbour's load
#     falls on both halves of a pair alike. The median ratio and the best
#     are reported (--hash-runs pairs, 11 by default);
#   - upload of the same file through the same Yunpan instance:
#     libyunpan vs curl (start the upload with curl, then `curl -T`).
#     The library uploads as an application's transfers do: chunks sized
#     from the measured rate, two in flight; --chunk-mib N fixes its chunk
#     size instead (to compare). The instance offers no instant-upload
#     challenge (--instant-budget 0), so both sides send the same requests;
#     --with-proof lets it offer one, which curl ignores and the library
#     answers while its bytes go (the proof costs a pass over the file on
#     both sides, on the same two cores here).
#
#   bench/client.sh BUILDDIR [--size-mib N] [--runs N] [--hash-runs N] [--chunk-mib N]
#                   [--with-proof] [--hash-only]
#   bench/client.sh --help
#
# Each time is the best of the runs, with the median beside it.
# --hash-only measures the hashing alone, without a server.
#
# Loopback only; the temporary folder and every process are removed on exit.
set -euo pipefail

export LC_ALL=C   # a decimal point in $EPOCHREALTIME, bc and awk

usage () { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
if [[ ${1:-} == --help || ${1:-} == -h ]]; then usage; exit 0; fi
BUILD=${1:?usage: bench/client.sh BUILDDIR [options], or --help}
shift
SIZE_MIB=1024
RUNS=3
HASH_RUNS=11
CHUNK=
PROOF=(--instant-budget 0)
HASH_ONLY=
while (($#)); do
  case $1 in
    --size-mib) SIZE_MIB=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --hash-runs) HASH_RUNS=$2; shift 2 ;;
    --chunk-mib) CHUNK=$(($2 * 1024 * 1024)); shift 2 ;;
    --with-proof) PROOF=(); shift ;;
    --hash-only) HASH_ONLY=1; shift ;;
    --help|-h) usage; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
BUILD=$(cd "$BUILD" && pwd)
if [[ -n $HASH_ONLY ]]; then
  meson compile -C "$BUILD" yunpan-bench-client >/dev/null
else
  meson compile -C "$BUILD" yunpan-bench-client yunpan-server-run yunpan-server >/dev/null
fi

TMP=$(mktemp -d /var/tmp/yp-bench-client-XXXXXX)
chmod 711 "$TMP"   # the server drops to an unprivileged user when run as root
SERVER_PID=
cleanup () {
  [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

best () { sort -n | head -n 1; }
highest () { sort -n | tail -n 1; }
median () { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
seconds () { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
# the wall time of one process, read from the shell's clock so that no
# other process starts inside the interval
elapsed () {
  local s e
  s=$EPOCHREALTIME; "$@" >/dev/null; e=$EPOCHREALTIME
  echo "$e - $s" | bc -l
}

FILE=$TMP/data.bin
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom > "$FILE"
SIZE=$(stat -c %s "$FILE")
SHA=$(sha256sum "$FILE" | cut -d' ' -f1)   # also warms the page cache
mibps () { echo "scale=0; $SIZE / 1048576 / $1" | bc -l; }
row () {   # label best median
  printf '%-44s %8.3f s %6s MiB/s   %8.3f s %6s MiB/s\n' "$1" "$2" "$(mibps "$2")" "$3" "$(mibps "$3")"
}
ratio () { printf '%-44s %8.2fx %24.2fx\n' "$1" "$2" "$3"; }

# ---- hashing, in pairs; a ratio above 1 means libyunpan was faster
: > "$TMP/openssl.t"; : > "$TMP/hash.t"; : > "$TMP/hash.ratio"
for i in $(seq "$HASH_RUNS"); do
  if ((i % 2)); then
    o=$(elapsed openssl dgst -sha256 "$FILE")
    y=$(elapsed "$BUILD/bench/yunpan-bench-client" hash "$FILE")
  else
    y=$(elapsed "$BUILD/bench/yunpan-bench-client" hash "$FILE")
    o=$(elapsed openssl dgst -sha256 "$FILE")
  fi
  echo "$o" >> "$TMP/openssl.t"; echo "$y" >> "$TMP/hash.t"
  echo "$o / $y" | bc -l >> "$TMP/hash.ratio"
done
openssl_t=$(best < "$TMP/openssl.t"); openssl_med=$(median < "$TMP/openssl.t")
ours_hash_t=$(best < "$TMP/hash.t"); ours_hash_med=$(median < "$TMP/hash.t")
hash_ratio_med=$(median < "$TMP/hash.ratio"); hash_ratio_best=$(highest < "$TMP/hash.ratio")

echo "Client benchmarks: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "file: $SIZE_MIB MiB from /dev/urandom, in the page cache; $HASH_RUNS hashing pairs;" \
     "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %21s   %21s\n' "" "best" "median"
row "openssl dgst -sha256" "$openssl_t" "$openssl_med"
row "yunpan-bench-client hash (libyunpan)" "$ours_hash_t" "$ours_hash_med"
printf '%-44s %8.2fx (median of pairs) %8.2fx (best pair)\n' \
       "  hashing ratio (openssl time / ours)" "$hash_ratio_med" "$hash_ratio_best"
echo "pair ratios: $(xargs printf '%.3f ' < "$TMP/hash.ratio")"
[[ -n $HASH_ONLY ]] && exit 0

# curl sends the whole file as one chunk: the chunk limit and the default
# quota must let it through
"$BUILD/server/yunpan-server-run" --data "$TMP/server" --port 0 --max-chunk 8g -- --quota 0 \
  ${PROOF[@]+"${PROOF[@]}"} \
  > "$TMP/url" 2>"$TMP/server.log" &
SERVER_PID=$!
for _ in $(seq 100); do grep -q http "$TMP/url" 2>/dev/null && break; sleep 0.1; done
URL=$(grep -o 'http://[^/]*' "$TMP/url")
[[ -n $URL ]] || { cat "$TMP/server.log" >&2; exit 1; }

api () { curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }
PASSWORD='bench sturdy lantern 42'
curl -sf -X POST "$URL/api/v1/account/register" -d "{\"username\":\"bench\",\"password\":\"$PASSWORD\"}" >/dev/null
TOKEN=$(curl -sf -X POST "$URL/api/v1/account/login" -d "{\"username\":\"bench\",\"password\":\"$PASSWORD\"}" \
        | sed 's/.*"token":"\([^"]*\)".*/\1/')

# ---- upload (the remote copy is deleted after each run so that the next one
# really sends the bytes instead of being an instant upload)
remove_remote () { api -X POST "$URL/api/v1/files/delete" -d "{\"path\":\"/$1\"}" >/dev/null; }
curl_upload () {
  local id
  id=$(api -X POST "$URL/api/v1/uploads" \
       -d "{\"path\":\"/curl.bin\",\"size\":$SIZE,\"sha256\":\"$SHA\"}" \
       | sed 's/.*"id":"\([0-9a-f]*\)".*/\1/')
  api -X PUT -T "$FILE" -H 'Content-Type: application/octet-stream' \
      "$URL/api/v1/uploads/$id?offset=0" >/dev/null
}
# interleaved, each after a sync, so that drift and the previous run's
# writeback hit both sides alike
: > "$TMP/curl.t"; : > "$TMP/ours.t"
for _ in $(seq "$RUNS"); do
  sync; seconds curl_upload >> "$TMP/curl.t"; remove_remote curl.bin
  sync; "$BUILD/bench/yunpan-bench-client" upload "$URL" bench "$PASSWORD" "$FILE" /ours.bin \
          ${CHUNK:+"$CHUNK"} >> "$TMP/ours.t"
  remove_remote ours.bin
done
curl_t=$(best < "$TMP/curl.t"); curl_med=$(median < "$TMP/curl.t")
ours_up_t=$(best < "$TMP/ours.t"); ours_up_med=$(median < "$TMP/ours.t")
# the hashing process's time includes its start, a few milliseconds
ours_send_t=$(echo "$ours_up_t - $ours_hash_t" | bc -l)
ours_send_med=$(echo "$ours_up_med - $ours_hash_med" | bc -l)

echo
echo "upload: $RUNS runs; libyunpan chunks: ${CHUNK:-adaptive};" \
     "challenge: $([[ ${#PROOF[@]} -eq 0 ]] && echo offered || echo none)"
printf '%-44s %21s   %21s\n' "" "best" "median"
row "curl: start + PUT through Yunpan" "$curl_t" "$curl_med"
row "libyunpan upload (hash + start + PUT)" "$ours_up_t" "$ours_up_med"
row "libyunpan upload without its own hashing" "$ours_send_t" "$ours_send_med"
ratio "  upload ratio, sending (curl time / ours)" "$(echo "$curl_t / $ours_send_t" | bc -l)" \
      "$(echo "$curl_med / $ours_send_med" | bc -l)"
ratio "  upload ratio, whole (curl time / ours)" "$(echo "$curl_t / $ours_up_t" | bc -l)" \
      "$(echo "$curl_med / $ours_up_med" | bc -l)"
echo "runs (s): curl $(tr '\n' ' ' < "$TMP/curl.t"); libyunpan $(tr '\n' ' ' < "$TMP/ours.t")"
