#!/usr/bin/env bash
# Runs the whole test suite. SQLite by default; set WXC_TEST_MYSQL_URL
# (e.g. mysql://wxc:wxc@127.0.0.1:3306/wxc_test) to run the same suites on MySQL:
# every test creates and drops its own database on that server. A server on
# this machine that is not up is installed (Debian's mariadb-server) and
# started, and the URL's user and database are created
# (scripts/ensure-mysql.sh).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/ensure-deps.sh
if [ -n "${WXC_TEST_MYSQL_URL:-}" ]; then
  source scripts/ensure-mysql.sh
  wxc_ensure_mysql "$WXC_TEST_MYSQL_URL"
  echo "==> tests on MySQL (${WXC_TEST_MYSQL_URL%%:*}://...@${WXC_TEST_MYSQL_URL#*@})"
else
  echo "==> tests on SQLite"
fi
# The end-to-end suite (crates/e2e) starts the real release binaries.
echo "==> building release binaries for the end-to-end suite"
cargo build --release --quiet -p gateway -p callback -p admin -p business -p wxsim
cargo test --workspace --all-targets "$@"
