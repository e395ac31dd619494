#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster for pubdb's tests (CI's .ci/run and developers alike).
#
#   eval "$(scripts/postgres-up.sh)"       # start; exports PUBDB_TEST_POSTGRES_URL and
#                                           # PUBDB_TEST_POSTGRES_DIR in this shell
#   scripts/postgres-up.sh stop "$PUBDB_TEST_POSTGRES_DIR"   # stop it and delete its files
#
# Installs Debian's `postgresql` package when no server binaries are found (needs root), makes
# a cluster in a new temporary folder (trust authentication, loopback only, a free port, no
# fsync: it holds test data only), starts it and prints the `export` lines on stdout; all
# progress goes to stderr. As root the server runs as the `postgres` user (PostgreSQL refuses
# to run as root).
set -euo pipefail

say() { echo "postgres-up: $*" >&2; }

# Run a command as the cluster's owner: `postgres` when we are root, else ourselves.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_bindir() {
  local initdb
  initdb=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$initdb" ]; then
    dirname "$initdb"
  fi
}

stop_cluster() {
  local dir=$1
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  local bindir
  bindir=$(pg_bindir)
  if [ -f "$dir/data/postmaster.pid" ] && [ -n "$bindir" ]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  say "stopped and removed $dir"
}

if [ "${1:-}" = "stop" ]; then
  stop_cluster "${2:-${PUBDB_TEST_POSTGRES_DIR:-}}"
  exit 0
fi

bindir=$(pg_bindir)
if [ -z "$bindir" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    say "no PostgreSQL server found; install Debian's postgresql package (as root) first"
    exit 1
  fi
  say "installing PostgreSQL from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  bindir=$(pg_bindir)
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/pubdb-pg.XXXXXX")
chmod 755 "$dir"
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$dir"
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 \
  --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
  cat "$dir/initdb.log" >&2
  exit 1
}
as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
  "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir \
   -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  >/dev/null || {
  cat "$dir/server.log" >&2
  exit 1
}
say "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, files in $dir"
echo "export PUBDB_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
echo "export PUBDB_TEST_POSTGRES_DIR=$dir"
