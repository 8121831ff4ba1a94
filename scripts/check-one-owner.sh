#!/usr/bin/env bash
# Each concept that two services share has one home (README, "Where things
# live"). This fails when a second definition of one of them appears in the
# services' sources, the twins issue #12 merged: a copy that drifts is how
# the callback and the admin came to disagree before.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
# one_home WHAT PATTERN HOME: every source line matching PATTERN is in HOME.
# wxsim is WeChat's side of the wire (it answers the codes our side reads),
# so it is not a copy.
one_home() {
  local what=$1 pattern=$2 home=$3 found
  found=$(grep -rnE --include='*.rs' "$pattern" crates/*/src | grep -v "^crates/wxsim/" | grep -v "^$home:" || true)
  if [ -n "$found" ]; then
    echo "$what belongs in $home only; also found:" >&2
    echo "$found" >&2
    status=1
  fi
  if ! grep -qE "$pattern" "$home"; then
    echo "$what is no longer in $home: update this check and the README" >&2
    status=1
  fi
}

one_home "the rejected-token codes" '^[^/]*\b(40001|42001)\b' crates/common/src/wechat/with_token.rs
one_home "the HTTP method of a WeChat call" '\benum Method\b' crates/common/src/wechat/with_token.rs
one_home "the forward-rule type" 'const RULE_TYPE_HTTP' crates/common/src/forward/matching.rs
one_home "the forward-rule target" '\bstruct Target\b' crates/common/src/forward/target.rs
one_home "the authorizers table" 'authorizers::(table|dsl)' crates/common/src/db/authorizers.rs
one_home "the business-id bindings table" 'authorizer_bindings::(table|dsl)' crates/common/src/db/bindings.rs
one_home "the audit-state table" 'weapp_audits::(table|dsl)' crates/common/src/db/audits.rs
one_home "the forward-rules table" 'wxcallback_rules::(table|dsl)' crates/common/src/forward/store.rs
one_home "trusted-proxy CIDRs" '\bstruct Cidr\b' crates/common/src/client_ip.rs
one_home "the routing document" '\bstruct RoutingDocument\b' crates/common/src/routing.rs
one_home "the start-up error" '\benum StartError\b' crates/common/src/startup.rs
one_home "the CDATA writer" '\bfn cdata\b' crates/common/src/message/writer.rs
one_home "the logging settings" '\bstruct LogSettings\b' crates/common/src/config.rs
one_home "the release-campaign tables" '\bwxc_campaign(s|_accounts|_rate)( as |::)' crates/admin/src/campaigns/store.rs
one_home "the database clock" '\bfn now\(\)' crates/common/src/db/mod.rs
exit $status
