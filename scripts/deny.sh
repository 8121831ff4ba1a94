#!/usr/bin/env bash
# cargo deny over the workspace (deny.toml): licences, duplicate versions and
# sources always; security advisories against the RustSec database.
#
#   scripts/deny.sh                                  fetch the database from GitHub
#   DENY_ADVISORY_DB=/path/to/advisory-db scripts/deny.sh   use a local copy
#
# DENY_ADVISORY_DB is a git clone of https://github.com/RustSec/advisory-db (a
# work tree; a bare mirror is cloned to a temporary work tree first). Without it
# and without GitHub, the advisories are NOT checked: the script says so loudly
# and exits 2 (DENY_ALLOW_NO_ADVISORIES=1 turns that into a warning), never a
# silent pass. Installs the cargo-deny version deny.toml is written for.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/ensure-deps.sh
source scripts/ensure-deps.sh
wxc_ensure_cargo_tool cargo-deny 0.20.2 cargo-deny

echo "==> cargo deny check bans licenses sources"
cargo deny check bans licenses sources

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ -n "${DENY_ADVISORY_DB:-}" ]; then
  db="$DENY_ADVISORY_DB"
  if [ "$(git -C "$db" rev-parse --is-bare-repository 2>/dev/null)" = "true" ]; then
    git clone --quiet "$db" "$work/advisory-db-clone"
    db="$work/advisory-db-clone"
  fi
  if [ ! -d "$db/crates" ]; then
    echo "DENY_ADVISORY_DB=$DENY_ADVISORY_DB is not a RustSec advisory-db clone (no crates/)" >&2
    exit 1
  fi
  # cargo-deny looks for the database under db-path in a directory named after
  # the database URL (advisory-db-<hash>); ask it which, then place the copy there.
  sed 's/^\[advisories\]$/[advisories]\ndb-path = "'"${work//\//\\/}"'\/dbs"/' deny.toml >"$work/deny.toml"
  mkdir -p "$work/dbs"
  name="$(cargo deny --config "$work/deny.toml" --offline check advisories 2>&1 |
    grep -o 'advisory-db-[0-9a-f]\{16\}' | head -n 1 || true)"
  if [ -z "$name" ]; then
    echo "could not learn where cargo-deny expects the advisory database" >&2
    exit 1
  fi
  ln -s "$(cd "$db" && pwd)" "$work/dbs/$name"
  echo "==> cargo deny check advisories (local database $DENY_ADVISORY_DB, $(git -C "$db" log -1 --format=%cs))"
  # --offline: the database is not fetched; yanked crates are judged from the
  # local registry cache.
  cargo deny --config "$work/deny.toml" --offline check advisories
  exit 0
fi

echo "==> cargo deny check advisories (fetching the database from GitHub)"
status=0
cargo deny check advisories 2>"$work/advisories.log" || status=$?
cat "$work/advisories.log" >&2
if [ "$status" -ne 0 ] && grep -qiE 'failed to (fetch|clone|open)|error sending request|could not resolve|unable to (access|connect)|FETCH_HEAD' "$work/advisories.log"; then
  echo >&2
  echo "!!! ADVISORIES NOT CHECKED: the RustSec database could not be fetched from GitHub." >&2
  echo "!!! Set DENY_ADVISORY_DB to a local clone of https://github.com/RustSec/advisory-db." >&2
  if [ "${DENY_ALLOW_NO_ADVISORIES:-0}" = "1" ]; then
    exit 0
  fi
  exit 2
fi
exit "$status"
