#!/usr/bin/env bash
# Sourced by scripts/test.sh. Installs Debian's PostgreSQL when missing, starts a
# private cluster on 127.0.0.1 (the server refuses to run as root, so it runs as
# the `postgres` user), creates a test database and exports its URL as
# RHIZO_TEST_POSTGRES_URL. Under CI=true a server that cannot start fails the
# run; elsewhere the postgres tests are skipped with a message.

_rhizo_pg_fail() {
  echo "postgres: $*" >&2
  if [ "${CI:-}" = "true" ]; then
    exit 1
  fi
  echo "postgres: the postgres-marked tests will be skipped (not CI)" >&2
  return 0
}

_rhizo_pg_start() {
  if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ]; then
      echo "postgres: installing Debian's postgresql"
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
        || { _rhizo_pg_fail "apt-get install postgresql failed"; return 0; }
    else
      _rhizo_pg_fail "postgresql is not installed and this user cannot apt-get it"; return 0
    fi
  fi
  local bindir
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  local port="${RHIZO_TEST_PG_PORT:-55432}"
  local datadir="/tmp/rhizo-pg-${port}"
  local runas=()
  if [ "$(id -u)" = "0" ]; then
    runas=(runuser -u postgres --)
  fi
  if ! "${runas[@]}" "$bindir/pg_ctl" -D "$datadir" status >/dev/null 2>&1; then
    rm -rf "$datadir"
    mkdir -p "$datadir"
    [ "$(id -u)" = "0" ] && chown postgres:postgres "$datadir"
    "${runas[@]}" "$bindir/initdb" -D "$datadir" -A trust -U postgres >/dev/null \
      || { _rhizo_pg_fail "initdb failed"; return 0; }
    "${runas[@]}" "$bindir/pg_ctl" -D "$datadir" -l "$datadir/server.log" -w \
      -o "-p $port -k $datadir -c listen_addresses=127.0.0.1" start >/dev/null \
      || { _rhizo_pg_fail "server did not start (see $datadir/server.log)"; return 0; }
  fi
  "${runas[@]}" "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname='rhizo_test'" | grep -q 1 \
    || "${runas[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres rhizo_test \
    || { _rhizo_pg_fail "createdb failed"; return 0; }
  export RHIZO_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:${port}/rhizo_test"
  echo "postgres: ready at $RHIZO_TEST_POSTGRES_URL"
}

_rhizo_pg_start
