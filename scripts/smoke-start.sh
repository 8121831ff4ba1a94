#!/usr/bin/env bash
# Runs ./start.sh as a user would (fresh data directory, ports of its own),
# checks that the stack answers through the gateway — the counter, the console
# login, a ticket pushed by wxsim — then stops it with Ctrl-C (SIGINT) and
# checks that everything exited.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
# Seven free ports from below the ephemeral range (see scripts/free-ports.py).
read -r p_gateway p_sim p_callback p_admin p_business p_internal p_metrics < <(python3 scripts/free-ports.py 7)
base=$p_gateway
export WXC__DATABASE__URL="sqlite://$work/smoke.db"
export WXC_GATEWAY_PORT=$p_gateway WXSIM_PORT=$p_sim
export WXC__CALLBACK__PORT=$p_callback WXC__ADMIN__PORT=$p_admin WXC__BUSINESS__PORT=$p_business
export WXC__GATEWAY__INTERNAL_LISTEN="127.0.0.1:$p_internal" WXC__GATEWAY__METRICS_LISTEN="127.0.0.1:$p_metrics"
export WXC__SECRETS__KEY_PATH="$work/master.key"
export WXC__ADMIN__PASSWORD="smoke-password"
# The browser test's release campaign: audits (decided at once by wxsim) are
# polled every 2 s instead of every minute.
export WXC__CAMPAIGNS__POLL_INTERVAL_MS=2000
setsid ./start.sh >"$work/start.log" 2>&1 &
starter=$!
cleanup() { kill -INT -"$starter" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

for _ in $(seq 1 1800); do
  grep -q "is running" "$work/start.log" && break
  kill -0 "$starter" 2>/dev/null || { cat "$work/start.log"; echo "start.sh exited early" >&2; exit 1; }
  sleep 1
done
grep -q "is running" "$work/start.log" || { cat "$work/start.log"; exit 1; }

gateway="http://127.0.0.1:$base"
sim="http://127.0.0.1:$p_sim"
# The counter, through the gateway's default route.
test "$(curl -fsS "$gateway/api/count")" = '{"code":0,"data":0}'
test "$(curl -fsS -X POST -H 'content-type: application/json' -d '{"action":"inc"}' "$gateway/api/count")" = '{"code":0,"data":1}'
# The console and its login.
console=$(curl -fsS "$gateway/")
grep -qi '<html' <<<"$console"
password_md5=$(printf '%s' "$WXC__ADMIN__PASSWORD" | md5sum | cut -d' ' -f1)
login=$(curl -fsS -X PUT -H 'content-type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$password_md5\"}" "$gateway/wxcomponent/auth")
grep -q '"jwt"' <<<"$login" || { echo "login failed: $login" >&2; exit 1; }
# wxsim pushes a ticket through the gateway to the callback receiver.
ticket=$(./target/release/wxsim --sim "$sim" push-ticket)
grep -q '"delivered": true' <<<"$ticket" || { echo "ticket not delivered: $ticket" >&2; exit 1; }
# The console in a real browser (chromium), when asked for (CI asks).
if [ "${WXC_BROWSER_TESTS:-0}" = 1 ]; then
  python3 tests/browser/console.py "$gateway" admin "$WXC__ADMIN__PASSWORD" "$sim" \
    "${WXC__WECHAT__COMPONENT_APPID:-wxcomponentsim0001}"
fi

kill -INT -"$starter"
for _ in $(seq 1 75); do kill -0 "$starter" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$starter" 2>/dev/null; then echo "start.sh did not stop on Ctrl-C" >&2; exit 1; fi
for port in $p_gateway $p_sim $p_callback $p_admin $p_business; do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
    echo "something still serves on :$port after Ctrl-C" >&2
    exit 1
  fi
done
echo "start.sh smoke test passed"
