#!/usr/bin/env bash
# Runs schemathesis against the live stack, started by ./start.sh on a fresh
# SQLite database with wxsim: the admin's console API through the gateway's
# public listener (with a console JWT), the admin's inner API through the
# gateway's internal listener (with the inner token), and the business API
# through the gateway (with the operator token). Each operation gets at most
# SCHEMATHESIS_EXAMPLES generated requests (default 100). Checks:
# not_a_server_error, response_schema_conformance, status_code_conformance,
# and refusal_changes_nothing (tests/schemathesis/hooks.py: a refused
# mutating request must leave the stored data as it was).
#
# Operations left out, and why:
# - POST /wxcomponent/admin/username and /userpwd: a generated name or
#   password would end the run's own login;
# - PUT/POST/DELETE /wxcomponent/admin/proxy-route: a generated route can
#   take over the gateway's prefixes (/api/, /wxcomponent/) the run goes
#   through;
# - POST /api/wx/message/{appid}: its body is a WeChat message in XML or
#   JSON, which the document cannot describe beyond "an object" (the
#   callback tests cover it).
#
# Prints "schemathesis: N operations × up to M examples, F failures" and
# exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${SCHEMATHESIS_EXAMPLES:-100}
version=3.39.16
# schemathesis 3.39 breaks on newer hypothesis ("'many' object has no
# attribute 'more'"): the hypothesis of its time is pinned with it.
hypothesis=6.124.7
if [ "$(st --version 2>/dev/null)" != "st, version $version" ] ||
  [ "$(python3 -c 'import hypothesis; print(hypothesis.__version__)' 2>/dev/null)" != "$hypothesis" ]; then
  python3 -m pip install -q "schemathesis==$version" "hypothesis==$hypothesis"
fi

# shellcheck source=scripts/local-stack.sh
source scripts/local-stack.sh
work=$(mktemp -d)
export WXC__ADMIN__PASSWORD="schemathesis-password"
export WXC__ADMIN__INNER_TOKEN="schemathesis-inner-token"
export WXC__BUSINESS__API_TOKEN="schemathesis-operator-token"
# Many generated logins fail: the lockout must not end the run's own login.
export WXC__ADMIN__LOGIN_MAX_FAILURES=1000000
cleanup() { wxc_stack_stop || true; rm -rf "$work"; }
trap cleanup EXIT
wxc_stack_start "$work"
# The refusal check (tests/schemathesis/hooks.py) reads the stack's database.
export WXC_SCHEMATHESIS_DB="$WXC_STACK_DB"

gateway="http://127.0.0.1:$p_gateway"
internal="http://127.0.0.1:$p_internal"
# A ticket first, so that token routes reach WeChat (wxsim) instead of 1007.
./target/release/wxsim --sim "http://127.0.0.1:$p_sim" push-ticket >/dev/null
password_md5=$(printf '%s' "$WXC__ADMIN__PASSWORD" | md5sum | cut -d' ' -f1)
jwt=$(curl -fsS -X PUT -H 'content-type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$password_md5\"}" "$gateway/wxcomponent/auth" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["jwt"])')

export SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$PWD/tests/schemathesis${PYTHONPATH:+:$PYTHONPATH}"
checks=not_a_server_error,response_schema_conformance,status_code_conformance,refusal_changes_nothing
status=0
run() {
  local name=$1 schema=$2 base=$3 header=$4
  shift 4
  echo "==> schemathesis: $name"
  st run "$schema" --base-url "$base" -H "$header" \
    --experimental=openapi-3.1 --checks "$checks" --hypothesis-max-examples "$examples" \
    --hypothesis-derandomize --hypothesis-suppress-health-check all \
    --request-timeout 20000 --junit-xml "$work/$name.xml" "$@" || status=1
}
run console "$gateway/wxcomponent/openapi.json" "$gateway" "Authorization: Bearer $jwt" \
  --exclude-path-regex '^/inner/' \
  --exclude-operation-id post_wxcomponent_admin_username \
  --exclude-operation-id post_wxcomponent_admin_userpwd \
  --exclude-path /wxcomponent/admin/proxy-route
# The inner token in the header its scheme names, so none is generated.
run inner "$gateway/wxcomponent/openapi.json" "$internal" "x-inner-token: $WXC__ADMIN__INNER_TOKEN" \
  --include-path-regex '^/inner/'
run business "$gateway/api/openapi.json" "$gateway" "Authorization: Bearer $WXC__BUSINESS__API_TOKEN" \
  --exclude-path '/api/wx/message/{appid}'

if ! python3 - "$examples" "$work"/console.xml "$work"/inner.xml "$work"/business.xml <<'EOF'
import sys
import xml.etree.ElementTree as ET

examples, files = sys.argv[1], sys.argv[2:]
operations = failures = 0
for path in files:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        print(f"schemathesis: no report {path}")
        failures += 1
        continue
    for case in root.iter("testcase"):
        operations += 1
        if case.find("failure") is not None or case.find("error") is not None:
            failures += 1
print(f"schemathesis: {operations} operations × up to {examples} examples, {failures} failures")
sys.exit(1 if failures else 0)
EOF
then
  status=1
fi
exit "$status"
