#!/usr/bin/env bash
# Starts a throwaway PostgreSQL on loopback in a temporary directory and prints
# `export SLIPWAY_TEST_POSTGRES_URL=...` and `export SLIPWAY_PG_DIR=...` for the caller to eval.
#   eval "$(scripts/postgres.sh start)"   ...   scripts/postgres.sh stop "$SLIPWAY_PG_DIR"
#   scripts/postgres.sh pause DIR / resume DIR stop and start it again on the same port (tests of an outage).
# As root, the server runs as the `postgres` user (PostgreSQL refuses to run as root).
set -euo pipefail
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$PGBIN/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
start)
    dir=$(mktemp -d /tmp/slipway-pg.XXXXXX)
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$PGBIN/initdb" -D "$dir/data" -U slipway --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
    echo "$port" >"$dir/port"
    echo "export SLIPWAY_PG_DIR=$dir"
    echo "export SLIPWAY_TEST_POSTGRES_URL=postgres://slipway@127.0.0.1:$port/postgres"
    ;;
pause)
    dir=${2:?usage: postgres.sh pause DIR}
    as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
resume)
    dir=${2:?usage: postgres.sh resume DIR}
    as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-h 127.0.0.1 -p $(cat "$dir/port") -k $dir -c fsync=off -c max_connections=200" start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
    ;;
stop)
    dir=${2:?usage: postgres.sh stop DIR}
    as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start | pause DIR | resume DIR | stop DIR" >&2
    exit 2
    ;;
esac
