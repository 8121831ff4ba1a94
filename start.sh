#!/usr/bin/env bash
# Starts the whole wxcomponent-rs stack on this machine with the embedded SQLite
# database (./data/wxcomponent.db): the gateway, the callback receiver, the
# admin (token manager + console) and the business service, plus wxsim (the
# WeChat simulator) with every WeChat base URL pointed at it. Ctrl-C stops
# everything it started.
#
#   ./start.sh            local mode: everything offline against wxsim
#   ./start.sh --no-sim   against the real WeChat with your own WXC__WECHAT__* settings
#
# The gateway listens on :80 when run as root, else on :8000 (WXC_GATEWAY_PORT
# overrides). Settings: any WXC__SECTION__KEY variable (see README), e.g.
#   WXC__BUSINESS__PORT=9000 ./start.sh
set -euo pipefail
cd "$(dirname "$0")"

use_sim=1
for arg in "$@"; do
  case "$arg" in
    --no-sim) use_sim=0 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown option: $arg (try --help)" >&2; exit 2 ;;
  esac
done

source scripts/ensure-deps.sh
mkdir -p data

random_secret() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
# A secret kept in ./data so restarts reuse it.
persisted() {
  local file="data/$1"
  if [ ! -s "$file" ]; then
    (umask 077 && random_secret >"$file")
  fi
  cat "$file"
}

if [ "$(id -u)" -eq 0 ]; then default_gateway_port=80; else default_gateway_port=8000; fi
GATEWAY_PORT="${WXC_GATEWAY_PORT:-$default_gateway_port}"
WXSIM_PORT="${WXSIM_PORT:-9101}"

export WXC__DATABASE__URL="${WXC__DATABASE__URL:-sqlite://./data/wxcomponent.db}"
export WXC__CALLBACK__HOST="${WXC__CALLBACK__HOST:-127.0.0.1}"
export WXC__CALLBACK__PORT="${WXC__CALLBACK__PORT:-8081}"
export WXC__ADMIN__HOST="${WXC__ADMIN__HOST:-127.0.0.1}"
export WXC__ADMIN__PORT="${WXC__ADMIN__PORT:-8082}"
export WXC__BUSINESS__HOST="${WXC__BUSINESS__HOST:-127.0.0.1}"
export WXC__BUSINESS__PORT="${WXC__BUSINESS__PORT:-8083}"
export WXC__ADMIN__USERNAME="${WXC__ADMIN__USERNAME:-admin}"
export WXC__ADMIN__PASSWORD="${WXC__ADMIN__PASSWORD:-$(persisted admin-password)}"
export WXC__ADMIN__INNER_TOKEN="${WXC__ADMIN__INNER_TOKEN:-$(persisted inner-token)}"
export WXC__BUSINESS__INNER_TOKEN="${WXC__BUSINESS__INNER_TOKEN:-$WXC__ADMIN__INNER_TOKEN}"
export WXC__BUSINESS__API_TOKEN="${WXC__BUSINESS__API_TOKEN:-$(persisted business-api-token)}"
export WXC__GATEWAY__LISTEN="${WXC__GATEWAY__LISTEN:-0.0.0.0:$GATEWAY_PORT}"
export WXC__GATEWAY__INTERNAL_LISTEN="${WXC__GATEWAY__INTERNAL_LISTEN:-127.0.0.1:8080}"
export WXC__GATEWAY__METRICS_LISTEN="${WXC__GATEWAY__METRICS_LISTEN:-127.0.0.1:9091}"
export WXC__GATEWAY__SERVICES__CALLBACK__ADDRESS="$WXC__CALLBACK__HOST:$WXC__CALLBACK__PORT"
export WXC__GATEWAY__SERVICES__ADMIN__ADDRESS="$WXC__ADMIN__HOST:$WXC__ADMIN__PORT"
export WXC__GATEWAY__SERVICES__BUSINESS__ADDRESS="$WXC__BUSINESS__HOST:$WXC__BUSINESS__PORT"
export WXC__GATEWAY__ADMIN_ROUTES__INNER_TOKEN="${WXC__GATEWAY__ADMIN_ROUTES__INNER_TOKEN:-$WXC__ADMIN__INNER_TOKEN}"
export WXC__BUSINESS__INNER_API_URL="${WXC__BUSINESS__INNER_API_URL:-http://$WXC__GATEWAY__INTERNAL_LISTEN}"
gateway="http://127.0.0.1:$GATEWAY_PORT"

if [ "$use_sim" = 1 ]; then
  # The platform identity wxsim plays WeChat for; the platform services use the same.
  export WXSIM__HOST=127.0.0.1 WXSIM__PORT="$WXSIM_PORT"
  # WeChat pushes reach the platform through the gateway, as in production.
  export WXSIM__CALLBACK_URL="$gateway"
  export WXC__WECHAT__COMPONENT_APPID="${WXC__WECHAT__COMPONENT_APPID:-wxcomponentsim0001}"
  export WXC__WECHAT__COMPONENT_SECRET="${WXC__WECHAT__COMPONENT_SECRET:-wxsim-component-secret}"
  export WXC__WECHAT__TOKEN="${WXC__WECHAT__TOKEN:-wxsimtoken}"
  export WXC__WECHAT__ENCODING_AES_KEY="${WXC__WECHAT__ENCODING_AES_KEY:-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG}"
  export WXC__WECHAT__API_BASE_URL="http://127.0.0.1:$WXSIM_PORT"
  export WXSIM__COMPONENT_APPID="$WXC__WECHAT__COMPONENT_APPID"
  export WXSIM__COMPONENT_SECRET="$WXC__WECHAT__COMPONENT_SECRET"
  export WXSIM__TOKEN="$WXC__WECHAT__TOKEN"
  export WXSIM__ENCODING_AES_KEY="$WXC__WECHAT__ENCODING_AES_KEY"
  # The console's browser loads the accounts' head images from wxsim, not WeChat's hosts.
  export WXSIM__MEDIA_URL="${WXSIM__MEDIA_URL:-http://127.0.0.1:$WXSIM_PORT}"
fi

echo "==> building release binaries (the first build takes a few minutes)"
cargo build --release --quiet -p gateway -p callback -p admin -p business -p wxsim

pids=()
stop_all() {
  trap - INT TERM EXIT
  if [ "${#pids[@]}" -gt 0 ]; then
    echo
    echo "==> stopping"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap stop_all INT TERM EXIT

wait_healthy() {
  local name=$1 url=$2
  for _ in $(seq 1 150); do
    if curl -fsS "$url" >/dev/null 2>&1; then return 0; fi
    for pid in "${pids[@]}"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        echo "a service exited while waiting for $name; see the log above" >&2
        return 1
      fi
    done
    sleep 0.2
  done
  echo "$name did not become healthy at $url" >&2
  return 1
}

./target/release/admin &
pids+=($!)
wait_healthy admin "http://$WXC__ADMIN__HOST:$WXC__ADMIN__PORT/healthz"
./target/release/callback &
pids+=($!)
./target/release/business &
pids+=($!)
wait_healthy callback "http://$WXC__CALLBACK__HOST:$WXC__CALLBACK__PORT/healthz"
wait_healthy business "http://$WXC__BUSINESS__HOST:$WXC__BUSINESS__PORT/healthz"
./target/release/gateway &
pids+=($!)
wait_healthy gateway "$gateway/healthz"
sim="http://127.0.0.1:$WXSIM_PORT"
if [ "$use_sim" = 1 ]; then
  # Started last, so its first ticket push finds the platform up.
  ./target/release/wxsim serve &
  pids+=($!)
  wait_healthy wxsim "$sim/__sim/healthz"
fi

cat <<MSG

wxcomponent-rs is running (database: ${WXC__DATABASE__URL})
  console            $gateway/   (user: ${WXC__ADMIN__USERNAME}, password: ${WXC__ADMIN__PASSWORD})
  授权事件URL        $gateway/wxcallback/component
  消息与事件URL      $gateway/wxcallback/biz/\$APPID\$
  business           $gateway/api/count   (management token: ${WXC__BUSINESS__API_TOKEN})
  WeChat API         ${WXC__WECHAT__API_BASE_URL:-https://api.weixin.qq.com}$([ "$use_sim" = 1 ] && echo " (wxsim; try: ./target/release/wxsim --sim $sim calls)")
  metrics            http://${WXC__GATEWAY__METRICS_LISTEN}/metrics
$([ "$GATEWAY_PORT" = 8000 ] && echo "  (not root: the gateway listens on :8000 instead of :80)")

Press Ctrl-C to stop.
MSG
wait "${pids[@]}"
