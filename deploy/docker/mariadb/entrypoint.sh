#!/bin/bash
# First start (no system tables in /var/lib/mysql): create them, set the root
# password, the database and the user from the official MySQL image's
# variables, with a server reachable only on its socket meanwhile (so a
# health check over TCP turns healthy only once this is done). Then run the
# server in the foreground on every interface.
set -euo pipefail
datadir=/var/lib/mysql
chown -R mysql:mysql "$datadir" /run/mysqld

if [ ! -d "$datadir/mysql" ]; then
  : "${MYSQL_ROOT_PASSWORD:?MYSQL_ROOT_PASSWORD must be set on first start}"
  echo "initialising $datadir" >&2
  mariadb-install-db --user=mysql --datadir="$datadir" --auth-root-authentication-method=normal >/dev/null
  mariadbd --user=mysql --datadir="$datadir" --skip-networking --socket=/run/mysqld/init.sock &
  pid=$!
  for _ in $(seq 1 60); do
    mariadb-admin --socket=/run/mysqld/init.sock ping >/dev/null 2>&1 && break
    sleep 1
  done
  quote() { printf "%s" "$1" | sed "s/'/''/g; s/\\\\/\\\\\\\\/g"; }
  {
    echo "DELETE FROM mysql.global_priv WHERE User='' OR (User='root' AND Host NOT IN ('localhost'));"
    echo "CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '$(quote "$MYSQL_ROOT_PASSWORD")';"
    echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$(quote "$MYSQL_ROOT_PASSWORD")';"
    if [ -n "${MYSQL_DATABASE:-}" ]; then
      echo "CREATE DATABASE IF NOT EXISTS \`${MYSQL_DATABASE}\` CHARACTER SET utf8mb4;"
    fi
    if [ -n "${MYSQL_USER:-}" ] && [ -n "${MYSQL_PASSWORD:-}" ]; then
      echo "CREATE USER IF NOT EXISTS '$(quote "$MYSQL_USER")'@'%' IDENTIFIED BY '$(quote "$MYSQL_PASSWORD")';"
      if [ -n "${MYSQL_DATABASE:-}" ]; then
        echo "GRANT ALL ON \`${MYSQL_DATABASE}\`.* TO '$(quote "$MYSQL_USER")'@'%';"
      fi
    fi
    echo "FLUSH PRIVILEGES;"
  } | mariadb --socket=/run/mysqld/init.sock -uroot
  mariadb-admin --socket=/run/mysqld/init.sock -uroot -p"$MYSQL_ROOT_PASSWORD" shutdown
  wait "$pid" || true
  echo "initialised" >&2
fi

if [ "$1" = mariadbd ] || [ "$1" = mysqld ]; then
  shift
  exec mariadbd --user=mysql --datadir="$datadir" --bind-address=0.0.0.0 --skip-name-resolve "$@"
fi
exec "$@"
