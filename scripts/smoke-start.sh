#!/usr/bin/env bash
# Runs ./start.sh as a user would (fresh data directory, ports of its own),
# checks that the stack answers through the gateway — the counter, the console
# login, a ticket pushed by wxsim — then stops it with Ctrl-C (SIGINT) and
# checks that everything exited.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/local-stack.sh
source scripts/local-stack.sh
work=$(mktemp -d)
export WXC__ADMIN__PASSWORD="smoke-password"
# The browser test's release campaign: audits (decided at once by wxsim) are
# polled every 2 s instead of every minute.
export WXC__CAMPAIGNS__POLL_INTERVAL_MS=2000
cleanup() { wxc_stack_stop || true; rm -rf "$work"; }
trap cleanup EXIT
wxc_stack_start "$work"

gateway="http://127.0.0.1:$p_gateway"
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

if ! wxc_stack_stop; then echo "start.sh did not stop on Ctrl-C" >&2; exit 1; fi
for port in $p_gateway $p_sim $p_callback $p_admin $p_business; do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
    echo "something still serves on :$port after Ctrl-C" >&2
    exit 1
  fi
done
echo "start.sh smoke test passed"
