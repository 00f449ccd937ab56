#!/usr/bin/env bash
# PostgreSQL for spikesweep: one server, three databases (mlflow, optuna, registry), everything from the environment.
#   POSTGRES_USER (required)            the owner of the databases
#   POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE (one required; a docker secret is a file)
#   PGDATA (required)                   the data folder; initialised on first start
#   PGPORT (default 5432)               the port
#   PG_LISTEN (default 127.0.0.1)       listen_addresses ("*" inside a container)
#   SPIKESWEEP_DATABASES (default "mlflow optuna registry")
#   PG_BIN (optional)                   folder of initdb/postgres when they are not on PATH (Debian: /usr/lib/postgresql/N/bin)
# The password never reaches a command line: initdb reads it from a file of mode 600 that is removed afterwards.
set -euo pipefail

: "${POSTGRES_USER:?set POSTGRES_USER}"
: "${PGDATA:?set PGDATA}"
PGPORT="${PGPORT:-5432}"
PG_LISTEN="${PG_LISTEN:-127.0.0.1}"
SPIKESWEEP_DATABASES="${SPIKESWEEP_DATABASES:-mlflow optuna registry}"
if [ -z "${PG_BIN:-}" ] && ! command -v initdb >/dev/null 2>&1; then
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
fi
if [ -n "${PG_BIN:-}" ]; then PATH="$PG_BIN:$PATH"; fi
RUN_AS="${PG_RUN_AS:-postgres}"

if [ "$(id -u)" = 0 ]; then  # PostgreSQL refuses to run as root: hand over to the postgres user
  mkdir -p "$PGDATA"
  chown "$RUN_AS" "$PGDATA"
  chmod 700 "$PGDATA"
  if command -v gosu >/dev/null 2>&1; then exec gosu "$RUN_AS" "$0" "$@"; fi
  exec runuser -u "$RUN_AS" -- "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile="$(mktemp)"
  chmod 600 "$pwfile"
  if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
    cat "$POSTGRES_PASSWORD_FILE" > "$pwfile"
  else
    : "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE}"
    printf '%s' "$POSTGRES_PASSWORD" > "$pwfile"
  fi
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" --auth-host=scram-sha-256 --auth-local=trust \
    --encoding=UTF8 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  for database in $SPIKESWEEP_DATABASES; do  # single-user mode: no server, no socket, no password needed
    echo "CREATE DATABASE \"$database\" OWNER \"$POSTGRES_USER\";" \
      | postgres --single -D "$PGDATA" -c listen_addresses='' postgres >/dev/null
  done
fi

exec postgres -D "$PGDATA" -p "$PGPORT" -c listen_addresses="$PG_LISTEN" -c unix_socket_directories="$PGDATA"
