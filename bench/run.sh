#!/usr/bin/env bash
# Yunpan server benchmarks against plain nginx baselines, measured in one run on
# one machine. See docs/benchmarks.md.
#
#   bench/run.sh BUILDDIR [--size-mib N] [--chunk-mib N] [--duration S] [--runs N]
#                         [--workers N] [--upload-only]
#
# Needs: bash, coreutils, curl, jq, nginx, spawn-fcgi, wrk (Debian packages).
# Traffic is loopback only; everything lives in one temporary folder that is
# removed on exit together with every process this script started.
set -euo pipefail

usage () {
  cat <<'EOF'
usage: bench/run.sh BUILDDIR [--size-mib N] [--chunk-mib N] [--duration S] [--runs N]
                            [--workers N] [--upload-only]

  BUILDDIR      meson build folder containing server/yunpan-server-run
                (and bench/yunpan-bench-fcgi-fixed; compiled here if missing)
  --size-mib N  size of the upload/download file in MiB (default 1024)
  --chunk-mib N chunk size of the Yunpan upload, two chunks in flight (default 64)
  --duration S  seconds per wrk request-rate measurement (default 10)
  --runs N      timed repetitions of each transfer (default 3)
  --workers N   FastCGI workers, for Yunpan and for the baseline (default 4,
                yunpan-server-run's default)
  --upload-only measure the uploads only (no download, no request rate)

Quick smoke run: bench/run.sh BUILDDIR --size-mib 64 --duration 2
EOF
}

die () { echo "bench: error: $*" >&2; exit 1; }
note () { echo "bench: $*" >&2; }

# ---------------------------------------------------------------- arguments
SIZE_MIB=1024
CHUNK_MIB=64
UPLOAD_ONLY=0
DURATION=10
RUNS=3
WORKERS=4   # yunpan-server-run's default
BUILD=

while (($#)); do
  case $1 in
    --size-mib) SIZE_MIB=${2:?}; shift 2 ;;
    --size-mib=*) SIZE_MIB=${1#*=}; shift ;;
    --chunk-mib) CHUNK_MIB=${2:?}; shift 2 ;;
    --chunk-mib=*) CHUNK_MIB=${1#*=}; shift ;;
    --upload-only) UPLOAD_ONLY=1; shift ;;
    --duration) DURATION=${2:?}; shift 2 ;;
    --duration=*) DURATION=${1#*=}; shift ;;
    --runs) RUNS=${2:?}; shift 2 ;;
    --runs=*) RUNS=${1#*=}; shift ;;
    --workers) WORKERS=${2:?}; shift 2 ;;
    --workers=*) WORKERS=${1#*=}; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) usage >&2; exit 2 ;;
    *) [[ -z $BUILD ]] || { usage >&2; exit 2; }; BUILD=$1; shift ;;
  esac
done
[[ -n $BUILD ]] || { usage >&2; exit 2; }
for v in SIZE_MIB CHUNK_MIB DURATION RUNS WORKERS; do
  opt=${v,,}
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "--${opt//_/-} must be a positive integer"
done

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "$BUILD" && pwd) || die "no build folder $BUILD"
SERVER_RUN=$BUILD/server/yunpan-server-run
FIXED=$BUILD/bench/yunpan-bench-fcgi-fixed
[[ -x $SERVER_RUN ]] || die "$SERVER_RUN not found: build the server first"
for tool in curl jq nginx spawn-fcgi wrk sha256sum; do
  command -v "$tool" >/dev/null || die "$tool not found (Debian packages: curl jq nginx spawn-fcgi wrk coreutils)"
done
NGINX=$(command -v nginx)

# ---------------------------------------------------------------- cleanup
T=$(mktemp -d "${TMPDIR:-/tmp}/yunpan-bench.XXXXXX")
chmod 711 "$T"   # the server drops to an unprivileged user when run as root
YP_PID=
NGX_PID=
FCGI_PIDS=()

gone () {  # a process is gone when it no longer exists or is a zombie
  local st
  [[ -r /proc/$1/stat ]] || return 0
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
  [[ -z $st || $st == Z ]]
}

stop_pid () {  # stop_pid PID SIGNAL: signal, wait up to 10 s, then SIGKILL
  local pid=$1 sig=$2 i
  [[ -n $pid ]] || return 0
  gone "$pid" && return 0
  kill "-$sig" "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    gone "$pid" && break
    sleep 0.1
  done
  gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
}

cleanup () {
  local rc=$? p
  trap - EXIT INT TERM
  if [[ -n $YP_PID ]]; then
    stop_pid "$YP_PID" TERM
    wait "$YP_PID" 2>/dev/null || true
    # Should yunpan-server-run have left its nginx or application behind
    # (killed, crashed), stop them by the pids it recorded.
    for f in "$T"/yunpan/run/nginx.pid "$T"/yunpan/run/yunpan-server.pid; do
      [[ -r $f ]] || continue
      p=$(head -n 1 "$f"); [[ $p =~ ^[0-9]+$ ]] || continue
      gone "$p" || { note "stopping leftover pid $p ($f)"; stop_pid "$p" TERM; }
    done
  fi
  if [[ -n $NGX_PID ]]; then
    stop_pid "$NGX_PID" QUIT
    wait "$NGX_PID" 2>/dev/null || true
  fi
  for p in "${FCGI_PIDS[@]}"; do stop_pid "$p" TERM; done
  if ((rc != 0)); then
    for f in "$T"/yunpan.err "$T"/ngx/error.log; do
      [[ -s $f ]] && { echo "--- last lines of $f:" >&2; tail -n 20 "$f" >&2; }
    done
  fi
  rm -rf "$T"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- helpers
now () { echo "${EPOCHREALTIME/,/.}"; }
elapsed () { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }
mibps () { awk -v m="$SIZE_MIB" -v s="$1" 'BEGIN { printf "%.1f", m / s }'; }
best () { printf '%s\n' "$@" | sort -g | tail -n 1; }
median () {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
    END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio () { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

free_port () {  # a 127.0.0.1 TCP port nobody answers on
  local p i
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  die "no free port found"
}

wait_http () {  # wait_http URL PID: until URL answers 200 (20 s), PID must stay alive
  local i
  for ((i = 0; i < 200; i++)); do
    curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null && return 0
    gone "$2" && return 1
    sleep 0.1
  done
  return 1
}

api () {  # api METHOD PATH [JSON] -> body on stdout; fails on HTTP >= 400
  local method=$1 path=$2 data=${3:-} code
  local -a args=(-sS -o "$T/api.out" -w '%{http_code}' -X "$method")
  [[ -n ${TOKEN:-} ]] && args+=(-H "Authorization: Bearer $TOKEN")
  [[ -n $data ]] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
  code=$(curl "${args[@]}" "$YP_URL$path") || die "$method $path: curl failed"
  ((code < 400)) || die "$method $path: HTTP $code: $(cat "$T/api.out")"
  cat "$T/api.out"
}

SYNC_NOTE="sync before each timed transfer"
settle () { sync; sleep 0.5; }

# ---------------------------------------------------------------- machine
echo "== Yunpan server benchmarks"
echo "date:      $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "host:      $(uname -n); kernel $(uname -sr) $(uname -m)"
echo "os:        $(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-?}")"
echo "cpu:       $(nproc) cores; $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
echo "memory:    $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "temp fs:   $T ($(df -PT "$T" | awk 'NR == 2 { print $2 " on " $1 }'))"
echo "nginx:     $("$NGINX" -v 2>&1 | sed 's/^nginx version: //')"
echo "curl:      $(curl --version | head -n 1 | cut -d' ' -f1-2)"
echo "wrk:       $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2)"
echo "spawn-fcgi: $(spawn-fcgi -v 2>&1 | head -n 1)"
cpu_busy () {  # percentage of CPU time not idle over one second
  local a b
  a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6; exit }' /proc/stat)
  sleep 1
  b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6; exit }' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
    busy = y[1] - x[1]; idle = y[2] - x[2]; printf "%.0f", (busy + idle) ? 100 * busy / (busy + idle) : 0 }'
}
BUSY=$(cpu_busy)
echo "load:      $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min); CPU ${BUSY}% busy before starting"
((BUSY <= 10)) || note "warning: the machine is busy (${BUSY}% CPU before starting); results will be noisy"
echo "settings:  size ${SIZE_MIB} MiB, ${RUNS} runs per transfer, wrk ${DURATION} s, ${WORKERS} FastCGI workers"
echo

# ---------------------------------------------------------------- baseline responder
if [[ ! -x $FIXED ]]; then
  note "$FIXED not built; compiling bench/fcgi-fixed.c with cc"
  FIXED=$T/yunpan-bench-fcgi-fixed
  cc -O2 -Wall -Wextra -Werror -o "$FIXED" "$SRCDIR/bench/fcgi-fixed.c" -lfcgi
fi

# ---------------------------------------------------------------- Yunpan
mkdir -p "$T/yunpan"
# the reference row sends one PUT of the whole file, as the nginx baseline
# does: the chunk limit and the default quota must let it through
note "starting Yunpan ($SERVER_RUN --data $T/yunpan --port 0 --workers $WORKERS --max-chunk 8g -- --quota 0)"
"$SERVER_RUN" --data "$T/yunpan" --port 0 --workers "$WORKERS" --max-chunk 8g -- --quota 0 \
  >"$T/yunpan.out" 2>"$T/yunpan.err" &
YP_PID=$!
YP_URL=
for ((i = 0; i < 300; i++)); do
  if [[ $(cat "$T/yunpan.out") =~ running\ at\ (http://127\.0\.0\.1:[0-9]+)/ ]]; then
    YP_URL=${BASH_REMATCH[1]}; break
  fi
  gone "$YP_PID" && die "yunpan-server-run exited early"
  sleep 0.1
done
[[ -n $YP_URL ]] || die "Yunpan did not report its address within 30 s"
wait_http "$YP_URL/api/v1/health" "$YP_PID" || die "Yunpan health check failed"

# Mirror nginx's process count of the generated configuration in the baseline.
NGX_WORKERS=auto
if [[ -r $T/yunpan/run/nginx.conf ]]; then
  w=$(awk '$1 == "worker_processes" { gsub(";", "", $2); print $2; exit }' "$T/yunpan/run/nginx.conf")
  [[ -n $w ]] && NGX_WORKERS=$w
  if grep -Eq '^[[:space:]]*fastcgi_keep_conn[[:space:]]+on' "$T/yunpan/run/nginx.conf"; then
    note "Yunpan's nginx.conf has 'fastcgi_keep_conn on': with libfcgi workers, which serve one"
    note "connection at a time, idle kept-alive connections can starve new requests (see docs/benchmarks.md)"
  fi
fi

# ---------------------------------------------------------------- plain nginx
N=$T/ngx
mkdir -p "$N/www/put" "$N/www/static" "$N/body" "$N/tmp"
printf '%s' '{"folder":{"id":1,"parent_id":null,"name":"","path":"/","type":"folder","size":0,"category":"folder","mtime":1732620000,"created":1732620000,"modified":1732620000,"version":1,"downloads":0},"entries":[],"total":0,"offset":0,"limit":200}' >"$N/www/static/small.json"

note "starting the baseline responder (spawn-fcgi -F $WORKERS)"
spawn-fcgi -s "$N/fcgi.sock" -M 0600 -F "$WORKERS" -P "$N/fcgi.pid" -- "$FIXED" >"$N/spawn.log" 2>&1 \
  || die "spawn-fcgi failed: $(cat "$N/spawn.log")"
mapfile -t FCGI_PIDS <"$N/fcgi.pid"

USER_LINE=
((EUID == 0)) && USER_LINE='user root;'

for attempt in 1 2 3 4 5; do
  NGX_PORT=$(free_port)
  cat >"$N/nginx.conf" <<EOF
$USER_LINE
worker_processes $NGX_WORKERS;
pid $N/nginx.pid;
error_log $N/error.log warn;
events { worker_connections 4096; }
http {
  # The settings of Yunpan's generated nginx.conf (server/run/nginx.conf.in) that
  # cost time on every request, so that only the application differs.
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  server_tokens off;
  log_format yunpan '\$remote_addr [\$time_local] "\$request" \$status '
                    '\$request_length \$bytes_sent \$request_time';
  access_log $N/access.log yunpan;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 10000;
  client_body_temp_path $N/body 1 2;
  fastcgi_temp_path $N/tmp/fastcgi;
  proxy_temp_path $N/tmp/proxy;
  uwsgi_temp_path $N/tmp/uwsgi;
  scgi_temp_path $N/tmp/scgi;
  server {
    listen 127.0.0.1:$NGX_PORT;
    root $N/www;
    # Upload baseline: nginx stores the body in client_body_temp_path and
    # renames it into place (same filesystem), like Yunpan's upload location.
    location /put/ {
      dav_methods PUT;
      create_full_put_path on;
      client_max_body_size 0;
      client_body_buffer_size 1m;
    }
    # Download and static request-rate baseline.
    location /static/ { }
    # Request-rate baseline: the minimal FastCGI responder.
    # (A new connection per request: libfcgi workers serve one connection
    # at a time, so kept-alive upstream connections can starve new ones.)
    location = /fcgi {
      include /etc/nginx/fastcgi_params;
      fastcgi_pass unix:$N/fcgi.sock;
    }
  }
}
EOF
  "$NGINX" -p "$N" -c "$N/nginx.conf" -e "$N/error.log" -g 'daemon off;' >>"$N/error.log" 2>&1 &
  NGX_PID=$!
  if wait_http "http://127.0.0.1:$NGX_PORT/static/small.json" "$NGX_PID"; then break; fi
  stop_pid "$NGX_PID" TERM; wait "$NGX_PID" 2>/dev/null || true; NGX_PID=
  ((attempt < 5)) || die "plain nginx did not start: $(tail -n 5 "$N/error.log")"
done
NGX_URL=http://127.0.0.1:$NGX_PORT
curl -fsS -o /dev/null "$NGX_URL/fcgi" || die "baseline FastCGI responder does not answer"

echo "Yunpan:      $YP_URL (yunpan-server-run --workers $WORKERS, data in $T/yunpan)"
echo "plain nginx: $NGX_URL (worker_processes $NGX_WORKERS; fcgi-fixed x$WORKERS via spawn-fcgi)"
echo

# ---------------------------------------------------------------- data
SRC=$N/www/static/bench.bin
note "writing ${SIZE_MIB} MiB of random data and hashing it (not timed)"
head -c "$((SIZE_MIB * 1048576))" /dev/urandom >"$SRC"
SIZE=$(stat -c %s "$SRC")
SHA=$(sha256sum "$SRC" | cut -d' ' -f1)
note "splitting it into chunks of ${CHUNK_MIB} MiB for the Yunpan upload (not timed)"
mkdir -p "$T/chunks"
split -b "${CHUNK_MIB}M" -d -a 5 "$SRC" "$T/chunks/c"
CHUNKS=("$T"/chunks/c*)

note "registering and signing in a benchmark user (not timed)"
TOKEN=
api POST /api/v1/account/register '{"username":"bench","password":"bench sturdy lantern 42"}' >/dev/null
TOKEN=$(api POST /api/v1/account/login '{"username":"bench","password":"bench sturdy lantern 42"}' | jq -er .token)

# ---------------------------------------------------------------- 1. upload
yp_start () {  # yp_start NAME -> upload id on stdout
  local start
  start=$(curl -sS -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    --data-binary "{\"path\":\"/$1\",\"size\":$SIZE,\"sha256\":\"$SHA\"}" "$YP_URL/api/v1/uploads")
  [[ $start =~ \"upload\"[[:space:]]*:[[:space:]]*\{[^}]*\"id\"[[:space:]]*:[[:space:]]*\"([^\"]+)\" ]] \
    || die "upload start failed: $start"
  echo "${BASH_REMATCH[1]}"
}

yp_check_stored () {  # the last answer in $T/put.out must be the new file
  [[ $(jq -r '.file.size' "$T/put.out") == "$SIZE" ]] || die "upload stored a wrong size: $(cat "$T/put.out")"
}

# The client's way: chunks of CHUNK_MIB, two in flight (curl --parallel
# --parallel-max 2 starts the next chunk as soon as one is answered), so
# that one chunk's body arrives while the server hashes and syncs the last.
yp_upload () {  # yp_upload NAME -> seconds on stdout
  local name=$1 t0 t1 id codes off=0 i
  local -a args=(--parallel --parallel-max 2 --parallel-immediate --no-progress-meter -sS -H 'Expect:'
                 -H "Authorization: Bearer $TOKEN" -w '%{http_code}\n')
  settle
  t0=$(now)
  id=$(yp_start "$name")
  for ((i = 0; i < ${#CHUNKS[@]}; i++)); do
    if ((i == ${#CHUNKS[@]} - 1)); then args+=(-o "$T/put.out"); else args+=(-o /dev/null); fi
    args+=(-T "${CHUNKS[i]}" "$YP_URL/api/v1/uploads/$id?offset=$off")
    off=$((off + $(stat -c %s "${CHUNKS[i]}")))
  done
  codes=$(curl "${args[@]}" | sort | uniq -c | tr -s ' \n' ' ')
  t1=$(now)
  [[ $codes =~ ^\ ?(([0-9]+\ 200\ )?1\ 201\ ?)$ ]] || die "upload chunks: HTTP $codes: $(cat "$T/put.out")"
  yp_check_stored
  elapsed "$t0" "$t1"
}

yp_upload_single () {  # the whole file in one PUT -> seconds on stdout
  local name=$1 t0 t1 id code
  settle
  t0=$(now)
  id=$(yp_start "$name")
  code=$(curl -sS -o "$T/put.out" -w '%{http_code}' -H 'Expect:' -H "Authorization: Bearer $TOKEN" \
    -T "$SRC" "$YP_URL/api/v1/uploads/$id?offset=0")
  t1=$(now)
  [[ $code == 201 ]] || die "upload PUT: HTTP $code: $(cat "$T/put.out")"
  yp_check_stored
  elapsed "$t0" "$t1"
}

ngx_upload () {  # ngx_upload NAME -> seconds on stdout
  local name=$1 t0 t1 code
  settle
  t0=$(now)
  code=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Expect:' -T "$SRC" "$NGX_URL/put/$name")
  t1=$(now)
  [[ $code == 201 || $code == 204 ]] || die "nginx PUT: HTTP $code"
  [[ $(stat -c %s "$N/www/put/$name") == "$SIZE" ]] || die "nginx PUT stored a wrong size"
  rm -f "$N/www/put/$name"
  elapsed "$t0" "$t1"
}

ngx_upload_durable () {  # like ngx_upload, plus fsync of the stored file (coreutils sync FILE)
  local name=$1 t0 t1 code
  settle
  t0=$(now)
  code=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Expect:' -T "$SRC" "$NGX_URL/put/$name")
  sync "$N/www/put/$name"
  t1=$(now)
  [[ $code == 201 || $code == 204 ]] || die "nginx PUT: HTTP $code"
  rm -f "$N/www/put/$name"
  elapsed "$t0" "$t1"
}

echo "== 1. upload of ${SIZE_MIB} MiB"
echo "   Yunpan:   curl -X POST $YP_URL/api/v1/uploads -d '{\"path\":\"/up-N.bin\",\"size\":$SIZE,\"sha256\":\"…\"}'"
echo "             curl --parallel --parallel-max 2 -H 'Expect:' -H 'Authorization: Bearer …' \\"
echo "               -T c00000 '$YP_URL/api/v1/uploads/ID?offset=0' -T c00001 '…?offset=$((CHUNK_MIB << 20))' …"
echo "             (${#CHUNKS[@]} chunks of ${CHUNK_MIB} MiB, two in flight)"
echo "   one PUT (reference): the same start, then curl -T bench.bin '$YP_URL/api/v1/uploads/ID?offset=0'"
echo "   baseline: curl -H 'Expect:' -T bench.bin $NGX_URL/put/up-N.bin   (dav_methods PUT)"
echo "   durable (reference): the same, then 'sync up-N.bin' (fsync), as Yunpan makes an acknowledged upload durable"
echo "   timed: start + PUT (incl. the server's SHA-256 verification); source hash excluded; $SYNC_NOTE"
echo "   each upload but the last is deleted again (not timed), so that every run stores new content"
echo "   (no deduplication); one untimed warm-up transfer each first"
# Warm-up: first-touch page-cache memory in the VM, server caches, connections.
yp_upload warm-up.bin >/dev/null
api POST /api/v1/files/delete '{"path":"/warm-up.bin"}' >/dev/null
ngx_upload warm-up.bin >/dev/null
UP_YP=() UP_ONE=() UP_NGX=() UP_DUR=()
# One of the four uploads of run R, which removes what it stored (but the
# last run's Yunpan upload, which the download measures).
measure_upload () {  # measure_upload KIND R
  local s label
  case $1 in
    one) s=$(yp_upload_single "one-$2.bin"); UP_ONE+=("$(mibps "$s")"); label="Yunpan one PUT"
         api POST /api/v1/files/delete "{\"path\":\"/one-$2.bin\"}" >/dev/null ;;
    yp)  s=$(yp_upload "up-$2.bin"); UP_YP+=("$(mibps "$s")"); label=Yunpan
         ((R_LAST)) || api POST /api/v1/files/delete "{\"path\":\"/up-$2.bin\"}" >/dev/null ;;
    ngx) s=$(ngx_upload "up-$2.bin"); UP_NGX+=("$(mibps "$s")"); label=nginx ;;
    dur) s=$(ngx_upload_durable "up-$2.bin"); UP_DUR+=("$(mibps "$s")"); label=nginx+fsync ;;
  esac
  printf ' | %s %.3f s %s MiB/s' "$label" "$s" "$(mibps "$s")"
}
# Interleaved, so that drift hits every side alike, and in an order that
# rotates from run to run: on this kind of VM an upload that follows the
# removal of a large file writes into pages the guest has just freed, which
# is faster than fresh ones, and no side should always get that turn.
KINDS=(yp ngx one dur)
for ((r = 1; r <= RUNS; r++)); do
  R_LAST=$((r == RUNS))
  printf '   run %d' "$r"
  for ((k = 0; k < ${#KINDS[@]}; k++)); do
    measure_upload "${KINDS[(r - 1 + k) % ${#KINDS[@]}]}" "$r"
  done
  echo
done
echo

if ((!UPLOAD_ONLY)); then
# ---------------------------------------------------------------- 2. download
DL_PATH=/up-$RUNS.bin
yp_download () {  # -> seconds
  local t0 t1 out
  settle
  t0=$(now)
  out=$(curl -sS -o /dev/null -w '%{http_code} %{size_download}' -H "Authorization: Bearer $TOKEN" \
    "$YP_URL/api/v1/files/download?path=$DL_PATH")
  t1=$(now)
  [[ $out == "200 $SIZE" ]] || die "Yunpan download: $out"
  elapsed "$t0" "$t1"
}
ngx_download () {
  local t0 t1 out
  settle
  t0=$(now)
  out=$(curl -sS -o /dev/null -w '%{http_code} %{size_download}' "$NGX_URL/static/bench.bin")
  t1=$(now)
  [[ $out == "200 $SIZE" ]] || die "nginx download: $out"
  elapsed "$t0" "$t1"
}

echo "== 2. download of ${SIZE_MIB} MiB"
echo "   Yunpan:   curl -o /dev/null -H 'Authorization: Bearer …' '$YP_URL/api/v1/files/download?path=$DL_PATH'"
echo "   baseline: curl -o /dev/null $NGX_URL/static/bench.bin   (static file, sendfile)"
note "checking the downloaded content once (not timed)"
got=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$YP_URL/api/v1/files/download?path=$DL_PATH" | sha256sum | cut -d' ' -f1)
[[ $got == "$SHA" ]] || die "Yunpan download has a wrong SHA-256"
curl -fsS -o /dev/null "$NGX_URL/static/bench.bin"
DL_YP=() DL_NGX=()
for ((r = 1; r <= RUNS; r++)); do
  s=$(yp_download);  DL_YP+=("$(mibps "$s")")
  printf '   run %d: Yunpan %8.3f s %8s MiB/s' "$r" "$s" "${DL_YP[-1]}"
  s=$(ngx_download); DL_NGX+=("$(mibps "$s")")
  printf ' | nginx %8.3f s %8s MiB/s\n' "$s" "${DL_NGX[-1]}"
done
echo

# ---------------------------------------------------------------- 3. request rate
# A separate user with an empty root, so the answer has the size of the fixed
# responder's body.
TOKEN=
api POST /api/v1/account/register '{"username":"benchlist","password":"bench sturdy lantern 42"}' >/dev/null
LIST_TOKEN=$(api POST /api/v1/account/login '{"username":"benchlist","password":"bench sturdy lantern 42"}' | jq -er .token)
TOKEN=$LIST_TOKEN
LIST_BYTES=$(api GET '/api/v1/files/list?path=/' | wc -c)
TOKEN=

run_wrk () {  # run_wrk LABEL URL [TOKEN] -> requests/s on stdout; wrk output in $T/wrk-LABEL.txt
  local label=$1 url=$2 token=${3:-} rps
  local -a args=(-t2 -c64) hdr=()
  if [[ -n $token ]]; then
    printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$token" >"$T/auth.lua"
    args+=(-s "$T/auth.lua")
    hdr=(-H "Authorization: Bearer $token")
  fi
  : >"$T/wrk-$label.bad"
  wrk "${args[@]}" -d1s "$url" >/dev/null 2>&1 || true    # warm-up, not counted
  wrk "${args[@]}" -d"${DURATION}s" --latency "$url" >"$T/wrk-$label.txt" 2>&1 \
    || die "wrk failed: $(cat "$T/wrk-$label.txt")"
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$T/wrk-$label.txt")
  [[ -n $rps ]] || die "wrk $label: no result: $(cat "$T/wrk-$label.txt")"
  # Failed responses (e.g. 429 rate_limited) or timeouts: not a rate of served requests.
  awk '/Non-2xx or 3xx responses:/ { print $NF " non-2xx/3xx responses" }
       /Socket errors:/ { sub(/^ *Socket errors: */, ""); print "socket errors: " $0 }' \
    "$T/wrk-$label.txt" >>"$T/wrk-$label.bad"
  # The server must still answer at once after the load (one whose workers
  # hang on idle kept-alive connections would not).
  curl -fsS -o /dev/null -m 5 "${hdr[@]}" "$url" 2>/dev/null \
    || echo "no answer within 5 s after the load" >>"$T/wrk-$label.bad"
  [[ ! -s $T/wrk-$label.bad ]] || note "wrk $label: INVALID: $(paste -sd ';' "$T/wrk-$label.bad")"
  printf '%.0f' "$rps"
}
wrk_summary () {
  awk '/Latency/ && !/Distribution/ { printf "latency avg %s stdev %s max %s", $2, $3, $4 }
       /^ +50%/ { printf ", p50 %s", $2 } /^ +99%/ { printf ", p99 %s", $2 }' "$T/wrk-$1.txt"
  [[ ! -s $T/wrk-$1.bad ]] || printf '; INVALID: %s' "$(paste -sd ';' "$T/wrk-$1.bad")"
}

echo "== 3. request rate, wrk -t2 -c64 -d${DURATION}s"
echo "   Yunpan:   wrk -t2 -c64 -d${DURATION}s -s auth.lua '$YP_URL/api/v1/files/list?path=/'   (auth.lua sets Authorization: Bearer …; ${LIST_BYTES}-byte answer)"
echo "   baseline: wrk -t2 -c64 -d${DURATION}s $NGX_URL/fcgi   (fcgi-fixed, $(stat -c %s "$N/www/static/small.json")-byte answer)"
echo "   static:   wrk -t2 -c64 -d${DURATION}s $NGX_URL/static/small.json   (reference only)"
RPS_YP=$(run_wrk yunpan "$YP_URL/api/v1/files/list?path=/" "$LIST_TOKEN")
echo "   Yunpan list:        $RPS_YP req/s  ($(wrk_summary yunpan))"
RPS_FCGI=$(run_wrk fcgi "$NGX_URL/fcgi")
echo "   nginx + fcgi-fixed: $RPS_FCGI req/s  ($(wrk_summary fcgi))"
RPS_STATIC=$(run_wrk static "$NGX_URL/static/small.json")
echo "   nginx static:       $RPS_STATIC req/s  ($(wrk_summary static))"
echo

fi

# ---------------------------------------------------------------- summary
verdict () { awk -v r="$1" -v a="$2" 'BEGIN { print (r + 0 >= a) ? "ok" : "BELOW" }'; }
row () {  # row NAME UNIT YP_BEST YP_MED BASE_BEST BASE_MED AIM|- [VERDICT]
  local rb rm aim=- v=
  rb=$(ratio "$3" "$5"); rm=$(ratio "$4" "$6")
  if [[ $7 != - ]]; then aim=">= $7"; v=${8:-$(verdict "$rb" "$7")}; fi
  printf '%-28s %-6s %10s %10s %10s %10s %7s %7s  %-7s %s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$rb" "$rm" "$aim" "$v"
}
echo "== Summary (best of $RUNS and median; ratio = Yunpan / baseline)"
printf '%-28s %-6s %10s %10s %10s %10s %7s %7s  %s\n' benchmark unit "Yunpan" "(median)" baseline "(median)" ratio "(med)" aim
row "upload ${SIZE_MIB} MiB vs nginx PUT" MiB/s "$(best "${UP_YP[@]}")" "$(median "${UP_YP[@]}")" \
  "$(best "${UP_NGX[@]}")" "$(median "${UP_NGX[@]}")" 0.9
row "  vs nginx PUT+fsync" MiB/s "$(best "${UP_YP[@]}")" "$(median "${UP_YP[@]}")" \
  "$(best "${UP_DUR[@]}")" "$(median "${UP_DUR[@]}")" 1.0
row "  (ref.) one PUT vs nginx PUT" MiB/s "$(best "${UP_ONE[@]}")" "$(median "${UP_ONE[@]}")" \
  "$(best "${UP_NGX[@]}")" "$(median "${UP_NGX[@]}")" -
((!UPLOAD_ONLY)) || exit 0
row "download ${SIZE_MIB} MiB vs static" MiB/s "$(best "${DL_YP[@]}")" "$(median "${DL_YP[@]}")" \
  "$(best "${DL_NGX[@]}")" "$(median "${DL_NGX[@]}")" 0.95
p99 () { awk '/^ +99%/ { print $2 }' "$T/wrk-$1.txt"; }
p99_ms () {  # wrk prints 812.00us, 5.26ms or 1.10s
  p99 "$1" | awk '{ v = $1 + 0; if ($1 ~ /us$/) v /= 1000; else if ($1 ~ /ms$/) v += 0;
    else if ($1 ~ /m$/) v *= 60000; else if ($1 ~ /s$/) v *= 1000; printf "%.3f", v }'
}
LIST_VERDICT=
# Tail latency far beyond the baseline's means requests wait for stuck workers.
if awk -v y="$(p99_ms yunpan)" -v b="$(p99_ms fcgi)" 'BEGIN { exit !(y > 100 && y > 10 * b) }'; then
  LIST_VERDICT=STALLS
fi
[[ ! -s $T/wrk-yunpan.bad && ! -s $T/wrk-fcgi.bad ]] || LIST_VERDICT=INVALID
row "list vs nginx+fcgi-fixed" req/s "$RPS_YP" - "$RPS_FCGI" - 0.7 $LIST_VERDICT
echo "   (latency p99: Yunpan $(p99 yunpan), nginx + fcgi-fixed $(p99 fcgi), nginx static $(p99 static))"
case $LIST_VERDICT in
  INVALID) echo "   (INVALID: wrk requests failed or timed out, or the server hung afterwards; see above)" ;;
  STALLS) echo "   (STALLS: Yunpan's p99 is over 100 ms and 10x the baseline's: some requests wait for stuck workers)" ;;
esac
printf '%-28s %-6s %10s %10s %10s %10s %7s\n' "(reference) nginx static" req/s - - "$RPS_STATIC" - \
  "$(ratio "$RPS_YP" "$RPS_STATIC")"
