#!/usr/bin/env bash
# Makes sure the MySQL/MariaDB server named by a mysql:// URL answers, for the
# test suites (WXC_TEST_MYSQL_URL). A server on this machine (127.0.0.1 or
# localhost) that is not up is installed from Debian's packages
# (mariadb-server, mariadb-client) and started; the URL's user is created
# with the right to create databases (each test creates and drops its own)
# and the URL's database is created. A remote server is only checked.
# Sourced by test.sh and .ci/run after scripts/ensure-deps.sh.
#
#   wxc_ensure_mysql mysql://wxc:wxc@127.0.0.1:3306/wxc_test

# Sets MY_USER, MY_PASS, MY_HOST, MY_PORT, MY_DB from a mysql:// URL.
wxc_parse_mysql_url() {
  local url=$1 rest auth hostport
  if [[ $url != mysql://* ]]; then
    echo "not a mysql:// URL: ${url%%@*}@..." >&2
    return 1
  fi
  rest=${url#mysql://}
  if [[ $rest == *@* ]]; then auth=${rest%%@*}; rest=${rest#*@}; else auth=root; fi
  MY_USER=${auth%%:*}
  if [[ $auth == *:* ]]; then MY_PASS=${auth#*:}; else MY_PASS=; fi
  hostport=${rest%%/*}
  MY_DB=${rest#"$hostport"}; MY_DB=${MY_DB#/}; MY_DB=${MY_DB%%\?*}
  MY_HOST=${hostport%%:*}
  if [[ $hostport == *:* ]]; then MY_PORT=${hostport#*:}; else MY_PORT=3306; fi
}

# Runs the mysql client as the URL's user over TCP (the way the tests connect).
wxc_mysql_as_user() {
  MYSQL_PWD="$MY_PASS" mysql --protocol=TCP -h"$MY_HOST" -P"$MY_PORT" -u"$MY_USER" "$@"
}

# Runs the mysql client as the server's root over the local socket.
wxc_mysql_as_root() {
  wxc_as_root mysql --protocol=SOCKET -uroot "$@"
}

wxc_install_mariadb() {
  local missing=()
  for pkg in mariadb-server mariadb-client; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "MySQL/MariaDB is not installed and there is no apt-get: install ${missing[*]} by hand" >&2
    return 1
  fi
  echo "==> installing ${missing[*]}"
  wxc_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  wxc_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

wxc_start_mariadb() {
  echo "==> starting MariaDB"
  # Debian's init script where there is no systemd (containers, CI); the
  # daemon itself as a last resort.
  if ! wxc_as_root service mariadb start >/dev/null 2>&1; then
    wxc_as_root install -d -o mysql -g mysql /run/mysqld
    wxc_as_root start-stop-daemon --start --oknodo --background --chuid mysql --exec /usr/sbin/mariadbd
  fi
  for _ in $(seq 1 60); do
    wxc_as_root mysqladmin --protocol=SOCKET -uroot ping >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "MariaDB did not start within 60 s" >&2
  return 1
}

wxc_ensure_mysql() {
  local MY_USER MY_PASS MY_HOST MY_PORT MY_DB
  wxc_parse_mysql_url "$1" || return 1
  local where="$MY_USER@$MY_HOST:$MY_PORT"
  if ! command -v mysql >/dev/null 2>&1 || ! wxc_mysql_as_user -e 'SELECT 1' >/dev/null 2>&1; then
    case "$MY_HOST" in
      127.0.0.1|localhost) ;;
      *) echo "cannot log in to the MySQL server $where; start it or fix WXC_TEST_MYSQL_URL" >&2
         return 1 ;;
    esac
    wxc_install_mariadb || return 1
    if ! wxc_as_root mysqladmin --protocol=SOCKET -uroot ping >/dev/null 2>&1; then
      if [ "$MY_PORT" != 3306 ]; then
        echo "no MySQL server on $MY_HOST:$MY_PORT; only one on the default port 3306 is started here" >&2
        return 1
      fi
      wxc_start_mariadb || return 1
    fi
    if [ "$MY_USER" != root ]; then
      echo "==> creating the MySQL user $MY_USER (may create databases: each test makes its own)"
      local pass_sql=${MY_PASS//\'/\'\'}
      wxc_mysql_as_root -e "
        CREATE USER IF NOT EXISTS '$MY_USER'@'localhost' IDENTIFIED BY '$pass_sql';
        CREATE USER IF NOT EXISTS '$MY_USER'@'127.0.0.1' IDENTIFIED BY '$pass_sql';
        GRANT ALL PRIVILEGES ON *.* TO '$MY_USER'@'localhost';
        GRANT ALL PRIVILEGES ON *.* TO '$MY_USER'@'127.0.0.1';" || return 1
    fi
    if ! wxc_mysql_as_user -e 'SELECT 1' >/dev/null 2>&1; then
      echo "MariaDB runs but $where cannot log in over TCP (Debian's root logs in by socket only: use a user of your own, e.g. mysql://wxc:wxc@127.0.0.1:3306/wxc_test)" >&2
      return 1
    fi
  fi
  if [ -n "$MY_DB" ]; then
    wxc_mysql_as_user -e "CREATE DATABASE IF NOT EXISTS \`$MY_DB\` CHARACTER SET utf8mb4" || return 1
  fi
  echo "==> MySQL server $where is up"
}
