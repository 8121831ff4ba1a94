#!/usr/bin/env bash
# One-container mode (WeChat Cloud Run, 微信云托管): starts the admin service,
# the callback receiver and the business service on loopback, then the gateway
# on :80 in front of them, inside this one container. When any of them exits,
# the others are stopped and the container exits with its status, so the
# platform restarts it. SIGTERM stops everything gracefully.
#
# Every setting is an environment variable (README, "Configuration"); the
# Cloud Run ones (MYSQL_ADDRESS, MYSQL_USERNAME, MYSQL_PASSWORD,
# MYSQL_DATABASE, WX_APPID) are honoured. Extra knobs of this script:
#   WXC_BUSINESS_CMD   the business service to run instead of the example
#                      counter (it must listen on 127.0.0.1:8083 and answer
#                      GET /healthz)
set -uo pipefail
cd /app

# The services listen on loopback; only the gateway faces the network.
export WXC__ADMIN__HOST="${WXC__ADMIN__HOST:-127.0.0.1}"
export WXC__ADMIN__PORT="${WXC__ADMIN__PORT:-8082}"
export WXC__CALLBACK__HOST="${WXC__CALLBACK__HOST:-127.0.0.1}"
export WXC__CALLBACK__PORT="${WXC__CALLBACK__PORT:-8081}"
export WXC__BUSINESS__HOST="${WXC__BUSINESS__HOST:-127.0.0.1}"
export WXC__BUSINESS__PORT="${WXC__BUSINESS__PORT:-8083}"
# The business service reaches the admin's inner API through the gateway's
# internal listener; 微管家-style forward rules ({"port": 8083, ...}) go to
# this container.
export WXC__BUSINESS__INNER_API_URL="${WXC__BUSINESS__INNER_API_URL:-http://127.0.0.1:8080}"
export WXC__CALLBACK__FORWARD_HOST="${WXC__CALLBACK__FORWARD_HOST:-127.0.0.1}"
# Cloud Run mode: WeChat delivers pushes to a Cloud Run service as plain JSON
# with x-wx-source (云托管推送, what 微管家 receives); Cloud Run's ingress is
# the only way into this container, and its documentation has services judge
# WeChat origin by that header. On by default so a 微管家 user switching
# images keeps receiving pushes (and needs no token or EncodingAESKey);
# encrypted pushes are still verified when WXC__WECHAT__* are set.
export WXC__CALLBACK__CLOUDRUN_MODE="${WXC__CALLBACK__CLOUDRUN_MODE:-true}"
# The gateway: public on :80, its internal listener and metrics on loopback
# only (Cloud Run forwards nothing but the container port anyway), upstreams
# in this container whatever a baked-in deploy/gateway.yaml says.
export WXC__GATEWAY__LISTEN="${WXC__GATEWAY__LISTEN:-0.0.0.0:80}"
export WXC__GATEWAY__INTERNAL_LISTEN="${WXC__GATEWAY__INTERNAL_LISTEN:-127.0.0.1:8080}"
export WXC__GATEWAY__METRICS_LISTEN="${WXC__GATEWAY__METRICS_LISTEN:-127.0.0.1:9091}"
export WXC__GATEWAY__SERVICES__ADMIN__ADDRESS="127.0.0.1:${WXC__ADMIN__PORT}"
export WXC__GATEWAY__SERVICES__CALLBACK__ADDRESS="127.0.0.1:${WXC__CALLBACK__PORT}"
export WXC__GATEWAY__SERVICES__BUSINESS__ADDRESS="127.0.0.1:${WXC__BUSINESS__PORT}"
# Requests reach the container through Cloud Run's own proxies, which put the
# client's address in X-Forwarded-For; believe them (private and carrier-grade
# NAT ranges), or every user shares one rate limit and one login lockout.
export WXC__GATEWAY__TRUSTED_PROXIES="${WXC__GATEWAY__TRUSTED_PROXIES:-10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10}"

# One inner-API token shared by the admin, the gateway and the business
# service. Nothing outside this container needs it, so a fresh random one
# per start is fine unless one was configured.
if [ -z "${WXC__ADMIN__INNER_TOKEN:-}" ]; then
  WXC__ADMIN__INNER_TOKEN="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
fi
export WXC__ADMIN__INNER_TOKEN
export WXC__BUSINESS__INNER_TOKEN="${WXC__BUSINESS__INNER_TOKEN:-$WXC__ADMIN__INNER_TOKEN}"

if [ -z "${WXC__DATABASE__URL:-}" ] && [ -z "${MYSQL_ADDRESS:-}" ]; then
  echo "start-all: no MYSQL_ADDRESS: using SQLite inside the container (data/wxcomponent.db);" \
       "it is lost when the instance is replaced. Set the MySQL variables in 服务设置 for production." >&2
fi
if [ -z "${WXC__SECRETS__MASTER_KEY:-}" ] && [ -z "${WXC__SECRETS__MASTER_KEY_FILE:-}" ]; then
  echo "start-all: WXC__SECRETS__MASTER_KEY is not set: secrets saved in the console (the" \
       "component AppSecret) are sealed with a key that lives only in this instance and cannot be" \
       "read after a restart or by another instance. Set it in 服务设置 to 32 random bytes in" \
       "base64, e.g. $(head -c 32 /dev/urandom | base64)" >&2
fi

pids=()
names=()

start() {
  local name=$1
  shift
  "$@" &
  pids+=("$!")
  names+=("$name")
  echo "start-all: started $name (pid $!)"
}

wait_healthy() {
  local name=$1 url=$2
  for _ in $(seq 1 300); do
    if wget -q -O /dev/null "$url" 2>/dev/null; then
      return 0
    fi
    for i in "${!pids[@]}"; do
      if ! kill -0 "${pids[$i]}" 2>/dev/null; then
        echo "start-all: ${names[$i]} exited while waiting for $name" >&2
        return 1
      fi
    done
    sleep 0.2
  done
  echo "start-all: $name did not answer $url within 60 s" >&2
  return 1
}

# Stops everything (the gateway first, so no new request reaches a service
# that is stopping) and exits with the given status.
stop_all() {
  trap - TERM INT
  echo "start-all: stopping"
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[$i]}" 2>/dev/null || true
  done
  wait "${pids[@]}" 2>/dev/null
  exit "${1:-0}"
}
trap "stop_all 0" TERM INT

# The admin first: it migrates the database, creates the first administrator
# (its password is printed once in this log) and the master key file.
start admin /usr/local/bin/admin
wait_healthy admin "http://127.0.0.1:${WXC__ADMIN__PORT}/healthz" || stop_all 1
start callback /usr/local/bin/callback
# shellcheck disable=SC2086 # WXC_BUSINESS_CMD may carry arguments
start business ${WXC_BUSINESS_CMD:-/usr/local/bin/business}
wait_healthy callback "http://127.0.0.1:${WXC__CALLBACK__PORT}/healthz" || stop_all 1
wait_healthy business "http://127.0.0.1:${WXC__BUSINESS__PORT}/healthz" || stop_all 1
start gateway /usr/local/bin/gateway

# Whichever exits first takes the container down with it.
wait -n "${pids[@]}"
status=$?
# Nothing here should exit on its own: a clean exit is a failure too.
[ "$status" = 0 ] && status=1
for i in "${!pids[@]}"; do
  kill -0 "${pids[$i]}" 2>/dev/null || echo "start-all: ${names[$i]} exited (status $status)" >&2
done
stop_all "$status"
