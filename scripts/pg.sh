# Sourced by scripts/test.sh: starts a throwaway PostgreSQL server for the
# SQL tests (tests/sql.rs) and exports PGHOST, PGPORT, PGUSER, PGDATABASE.
# Installs the server from Debian's packages when it is missing. The server
# is stopped when the calling script exits.

pg_bin() {
  for d in "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")" /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  return 1
}

if ! PG_BIN=$(pg_bin); then
  echo "installing PostgreSQL (apt) for the SQL tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  (apt-get update -qq && apt-get install -y -qq postgresql >/dev/null) || true
  PG_BIN=$(pg_bin) || { echo "error: PostgreSQL server binaries not found" >&2; return 1; }
fi

PG_DIR=$(mktemp -d /tmp/leadscore-pg.XXXXXX)
PG_PORT=${LEADSCORE_PG_PORT:-55432}
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown -R postgres "$PG_DIR"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}
as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
  -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=''" start >/dev/null
export PGHOST=$PG_DIR PGPORT=$PG_PORT PGUSER=postgres PGDATABASE=postgres
stop_pg() { as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$PG_DIR"; }
