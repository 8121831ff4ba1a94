#!/usr/bin/env bash
# Benchmarks the gateway (not a test): requests/s and latency of the same
# small GET sent with wrk
#   1. directly to an upstream (crates/gateway/examples/bench_upstream.rs),
#   2. through a bare pingora proxy with a fixed peer
#      (crates/gateway/examples/bare_proxy.rs): pingora's own floor,
#   3. through the gateway (release build, deploy defaults: request ids,
#      X-Forwarded-*, hop-by-hop stripping, rate limiting, body limit,
#      health checks, metrics, round-robin over the upstream's replicas),
#   4. through Debian's nginx configured the same way (keep-alive upstream,
#      the same headers, limit_req, client_max_body_size, /inner/ refused),
# and prints a Markdown table with each row's throughput against nginx's.
# Installs nginx and wrk with apt-get if missing.
#
#   bench/gateway.sh
#   DURATION=30 CONNECTIONS=128 THREADS=2 WRK_THREADS=2 bench/gateway.sh
#   OUT=results.md bench/gateway.sh        # also append the table rows to a file
#
# Knobs: DURATION (s per run, 10), CONNECTIONS (64), THREADS (worker threads
# of the gateway, the bare proxy and the upstream, nginx worker processes; 1),
# WRK_THREADS (1), BENCH_PATH (/api/count), BASE_PORT (18080: gateway, +1
# nginx, +2 bare proxy, +3 upstream, +11 gateway metrics), LOGS=1 (access
# logs on, to files, in both the gateway and nginx), OUT (a file the table's
# rows are appended to, each row starting with `gateway`, the date and the
# run's settings; a header comes first when the file is empty).
# On a small machine the load generator, the proxy and the upstream share the
# CPUs: compare the rows of one run with each other, not with other machines.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-1}"
WRK_THREADS="${WRK_THREADS:-1}"
BENCH_PATH="${BENCH_PATH:-/api/count}"
BASE_PORT="${BASE_PORT:-18080}"
LOGS="${LOGS:-0}"
OUT="${OUT:-}"
PORT_GATEWAY=$BASE_PORT
PORT_NGINX=$((BASE_PORT + 1))
PORT_BARE=$((BASE_PORT + 2))
PORT_UPSTREAM=$((BASE_PORT + 3))
PORT_METRICS=$((BASE_PORT + 11))

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "need root to run: $*" >&2; return 1
  fi
}

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  # Debian starts the packaged nginx on :80; this script runs its own.
  as_root systemctl disable --now nginx >/dev/null 2>&1 || true
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

echo "==> building the gateway, the bare proxy and the bench upstream (release)"
cargo build --release --quiet -p gateway --bin gateway --example bench_upstream --example bare_proxy

tmp="$(mktemp -d)"
pids=()
cleanup() {
  trap - INT TERM EXIT
  if [ -f "$tmp/nginx.pid" ]; then kill -QUIT "$(cat "$tmp/nginx.pid")" 2>/dev/null || true; fi
  if [ "${#pids[@]}" -gt 0 ]; then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup INT TERM EXIT

wait_up() {
  local name=$1 url=$2
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "$name did not answer at $url" >&2
  exit 1
}

./target/release/examples/bench_upstream "127.0.0.1:$PORT_UPSTREAM" "$THREADS" >"$tmp/upstream.log" 2>&1 &
pids+=($!)
wait_up upstream "http://127.0.0.1:$PORT_UPSTREAM/healthz"

./target/release/examples/bare_proxy "127.0.0.1:$PORT_BARE" "127.0.0.1:$PORT_UPSTREAM" "$THREADS" >"$tmp/bare.log" 2>&1 &
pids+=($!)
wait_up "bare proxy" "http://127.0.0.1:$PORT_BARE$BENCH_PATH"

if [ "$LOGS" = 1 ]; then gw_level=info; ngx_access="access_log $tmp/nginx-access.log;"; else gw_level=warn; ngx_access="access_log off;"; fi
env -i PATH="$PATH" HOME="${HOME:-/tmp}" \
  WXC_GATEWAY_CONFIG="$PWD/deploy/gateway.yaml" \
  WXC__GATEWAY__LISTEN="127.0.0.1:$PORT_GATEWAY" \
  WXC__GATEWAY__INTERNAL_LISTEN="" \
  WXC__GATEWAY__METRICS_LISTEN="127.0.0.1:$PORT_METRICS" \
  WXC__GATEWAY__THREADS="$THREADS" \
  WXC__GATEWAY__SERVICES__BUSINESS__ADDRESS="127.0.0.1:$PORT_UPSTREAM" \
  WXC__GATEWAY__ADMIN_ROUTES__SERVICE="" \
  WXC__GATEWAY__RATE_LIMIT__REQUESTS_PER_SEC=1000000 \
  WXC__GATEWAY__RATE_LIMIT__BURST=1000000 \
  WXC__GATEWAY__LOG__LEVEL="$gw_level" \
  ./target/release/gateway >"$tmp/gateway.log" 2>&1 &
pids+=($!)
wait_up gateway "http://127.0.0.1:$PORT_GATEWAY$BENCH_PATH"

mkdir -p "$tmp/nginx"
user_line=""
if [ "$(id -u)" -eq 0 ]; then user_line="user root;"; fi
# keepalive_requests: pingora never closes a keep-alive connection after a
# number of requests, so nginx does not either (its default is 1000, which
# would make wrk and the pool reconnect and count against nginx).
cat >"$tmp/nginx.conf" <<NGINX
# The gateway's job, done by nginx: same upstream, same headers and limits.
$user_line
worker_processes $THREADS;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log warn;
events { worker_connections 8192; }
http {
  $ngx_access
  keepalive_requests 1000000000;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  client_max_body_size 1m;
  limit_req_zone \$binary_remote_addr zone=perip:10m rate=1000000r/s;
  upstream business {
    server 127.0.0.1:$PORT_UPSTREAM max_fails=1 fail_timeout=2s;
    keepalive 128;
    keepalive_requests 1000000000;
    keepalive_timeout 60s;
  }
  server {
    listen 127.0.0.1:$PORT_NGINX;
    location /inner/ { return 404; }
    location / {
      limit_req zone=perip burst=1000000 nodelay;
      proxy_pass http://business;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Request-Id \$request_id;
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_set_header X-Real-IP \$remote_addr;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_set_header X-Forwarded-Host \$host;
      add_header X-Request-Id \$request_id always;
      proxy_connect_timeout 1s;
      proxy_read_timeout 30s;
      proxy_send_timeout 30s;
      proxy_next_upstream error timeout;
    }
  }
}
NGINX
"$NGINX" -p "$tmp/nginx" -c "$tmp/nginx.conf" -g 'daemon on;'
wait_up nginx "http://127.0.0.1:$PORT_NGINX$BENCH_PATH"
NGINX_VERSION="$("$NGINX" -v 2>&1 | sed 's/.*nginx\///')"

names=()
rps_of=()
rest_of=()
bench() {
  local name=$1 url=$2 out
  wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d2s "$url" >/dev/null 2>&1 || true  # warm-up
  out="$(wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$url")"
  echo "$out" >"$tmp/wrk-$((${#names[@]} + 1)).txt"
  local rps p50 p99 errors
  rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
  p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  errors="$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {gsub(",", ""); n += $4 + $6 + $8 + $10} END {print n + 0}' <<<"$out")"
  names+=("$name")
  rps_of+=("$rps")
  rest_of+=("$p50 | $p99 | $errors")
  echo "    $name: $rps req/s, p50 $p50, p99 $p99, errors $errors"
}

echo "==> wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s GET $BENCH_PATH (server threads: $THREADS, $(nproc) CPUs)"
bench "direct to the upstream" "http://127.0.0.1:$PORT_UPSTREAM$BENCH_PATH"
bench "bare pingora (fixed peer)" "http://127.0.0.1:$PORT_BARE$BENCH_PATH"
bench "through the gateway (pingora)" "http://127.0.0.1:$PORT_GATEWAY$BENCH_PATH"
bench "through nginx $NGINX_VERSION" "http://127.0.0.1:$PORT_NGINX$BENCH_PATH"

nginx_rps="${rps_of[3]}"
rows=()
for i in "${!names[@]}"; do
  ratio="$(awk -v a="${rps_of[$i]}" -v b="$nginx_rps" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else print "-" }')"
  rows+=("| ${names[$i]} | ${rps_of[$i]} | ${rest_of[$i]} | $ratio |")
done

echo
echo "| path | requests/s | p50 | p99 | errors | vs nginx |"
echo "|---|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"

if [ -n "$OUT" ]; then
  stamp="$(date -u +%Y-%m-%dT%H:%MZ)"
  settings="wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s GET $BENCH_PATH, THREADS=$THREADS, LOGS=$LOGS, $(nproc) CPUs"
  if [ ! -s "$OUT" ]; then
    echo "| bench | when | settings | path | requests/s | p50 | p99 | errors | vs nginx |" >>"$OUT"
    echo "|---|---|---|---|---:|---:|---:|---:|---:|" >>"$OUT"
  fi
  for row in "${rows[@]}"; do
    echo "| gateway | $stamp | $settings ${row}" >>"$OUT"
  done
  echo "==> rows appended to $OUT"
fi
