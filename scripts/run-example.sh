#!/usr/bin/env bash
# `make run`: run Graft against the example schema and metadata.
#
# - If HASURA_GRAPHQL_DATABASE_URL is set, just runs `go run ./cmd/graft serve`
#   with the environment as is (your database, your configuration).
# - Otherwise: starts the private dev stack (scripts/dev-up.sh), creates the
#   database graft_example and loads configs/examples/schema.sql into it when
#   it does not exist yet, builds bin/graft, starts it, waits for /healthz and
#   applies configs/examples/metadata.json with replace_metadata - only when
#   the database is new: later runs keep what you changed through the API.
#   Then it prints how to query as admin and as the role `user` (JWT).
#   Ctrl-C stops Graft (the dev stack keeps running; `make dev-down` stops it).
#
# Environment:
#   RESET=1                     drop the example database first: a fresh copy of
#                               the schema, its seed data and the metadata
#   GRAFT_EXAMPLE_DB            database name (default graft_example)
#   HASURA_GRAPHQL_SERVER_PORT  HTTP port (default 8080)
#   HASURA_GRAPHQL_ADMIN_SECRET admin secret (default graft-dev-secret)
#   HASURA_GRAPHQL_JWT_SECRET   JWT config (default: HS256 with a dev key)
#   HASURA_GRAPHQL_ENABLE_CONSOLE  /console (default true here; `make run` builds
#                               its GraphiQL bundle first: make console)
#   HASURA_GRAPHQL_WAL_SLOT_NAME, HASURA_GRAPHQL_WAL_PUBLICATION_NAME
#                               default to the database name (slot names are
#                               cluster-wide, shared with the tests)

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

PORT="${HASURA_GRAPHQL_SERVER_PORT:-8080}"

if [ -n "${HASURA_GRAPHQL_DATABASE_URL:-}" ]; then
  echo "Graft GraphQL endpoint: http://localhost:$PORT/v1/graphql"
  exec go run ./cmd/graft serve
fi

log() { echo "run-example: $*" >&2; }
die() {
  echo "run-example: ERROR: $*" >&2
  exit 1
}

DB="${GRAFT_EXAMPLE_DB:-graft_example}"
RESET="${RESET:-}"
ADMIN_SECRET="${HASURA_GRAPHQL_ADMIN_SECRET:-graft-dev-secret}"
# A fixed development key, so tokens from `graft jwt` keep working across runs.
DEV_JWT_SECRET='{"type":"HS256","key":"graft-example-dev-key-do-not-use-in-production"}'
JWT_SECRET="${HASURA_GRAPHQL_JWT_SECRET:-$DEV_JWT_SECRET}"

# The name goes into SQL and a URL unquoted: keep it a plain identifier.
[[ "$DB" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "GRAFT_EXAMPLE_DB=$DB: use lower-case letters, digits and _"
[[ "$PORT" =~ ^[0-9]+$ ]] || die "HASURA_GRAPHQL_SERVER_PORT=$PORT is not a port number"
case "$RESET" in
  "" | 0) RESET=0 ;;
  1) ;;
  *) die "RESET=$RESET: use RESET=1 (or leave it unset)" ;;
esac
# Otherwise /healthz below could be answered by whatever holds the port.
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  die "port $PORT is in use (another make run?): stop it or set HASURA_GRAPHQL_SERVER_PORT"
fi

if ! command -v curl >/dev/null 2>&1; then
  log "installing curl"
  if [ "$(id -u)" -eq 0 ]; then
    env DEBIAN_FRONTEND=noninteractive apt-get install -y -q curl </dev/null ||
      { env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null &&
        env DEBIAN_FRONTEND=noninteractive apt-get install -y -q curl </dev/null; }
  else
    sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q curl </dev/null
  fi
fi

# --- Database ----------------------------------------------------------------
scripts/dev-up.sh --quiet
set -a
# shellcheck source=/dev/null
. .graft/dev/env
set +a

# Same server, database $DB instead of postgres.
EXAMPLE_DB_URL="${DATABASE_URL/\/postgres\?//$DB?}"
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
# Until its metadata is applied, a new example database carries this comment,
# so a first run interrupted before that point still applies it next time.
PENDING="graft example: metadata not applied yet"

db_exists() {
  [ "$("${PSQL[@]}" -At "$DATABASE_URL" -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" = "1" ]
}

if [ "$RESET" = 1 ] && db_exists; then
  # A logical replication slot pins its database: drop the slots first,
  # unless a running Graft reads one. The walsender of a Graft that just
  # stopped lingers for a moment, hence the few retries.
  for ((i = 0; i < 20; i++)); do
    active="$("${PSQL[@]}" -At "$DATABASE_URL" -c "SELECT string_agg(slot_name || ' (pid ' || active_pid || ')', ', ')
      FROM pg_replication_slots WHERE database = '$DB' AND active")"
    [ -n "$active" ] || break
    sleep 0.5
  done
  [ -z "$active" ] || die "RESET=1: a Graft is serving $DB (replication slot $active): stop it first"
  log "RESET=1: dropping database $DB"
  "${PSQL[@]}" -At "$DATABASE_URL" -c "SELECT pg_drop_replication_slot(slot_name)
    FROM pg_replication_slots WHERE database = '$DB'" >/dev/null
  "${PSQL[@]}" "$DATABASE_URL" -c "DROP DATABASE $DB WITH (FORCE)"
fi

if ! db_exists; then
  log "creating database $DB"
  "${PSQL[@]}" "$DATABASE_URL" -c "CREATE DATABASE $DB"
fi

has_schema="$("${PSQL[@]}" -At "$EXAMPLE_DB_URL" \
  -c "SELECT to_regclass('public.organizations') IS NOT NULL")"
if [ "$has_schema" != "t" ]; then
  log "loading configs/examples/schema.sql"
  "${PSQL[@]}" "$DATABASE_URL" -c "COMMENT ON DATABASE $DB IS '$PENDING'"
  "${PSQL[@]}" "$EXAMPLE_DB_URL" -f configs/examples/schema.sql >/dev/null
fi
comment="$("${PSQL[@]}" -At "$DATABASE_URL" \
  -c "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$DB'")"
APPLY_METADATA=0
if [ "$comment" = "$PENDING" ]; then
  APPLY_METADATA=1
fi

# --- Graft -------------------------------------------------------------------
CONSOLE="${HASURA_GRAPHQL_ENABLE_CONSOLE:-true}"
CONSOLE_URL="http://localhost:$PORT/console (enter the admin secret at the top)"
[ "$CONSOLE" = true ] || CONSOLE_URL="off (HASURA_GRAPHQL_ENABLE_CONSOLE=$CONSOLE)"
log "building bin/graft"
go build -o bin/graft ./cmd/graft

HASURA_GRAPHQL_DATABASE_URL="$EXAMPLE_DB_URL" \
  HASURA_GRAPHQL_ADMIN_SECRET="$ADMIN_SECRET" \
  HASURA_GRAPHQL_JWT_SECRET="$JWT_SECRET" \
  HASURA_GRAPHQL_REDIS_URL="$REDIS_URL" \
  HASURA_GRAPHQL_SERVER_PORT="$PORT" \
  HASURA_GRAPHQL_ENABLE_CONSOLE="$CONSOLE" \
  HASURA_GRAPHQL_WAL_SLOT_NAME="${HASURA_GRAPHQL_WAL_SLOT_NAME:-$DB}" \
  HASURA_GRAPHQL_WAL_PUBLICATION_NAME="${HASURA_GRAPHQL_WAL_PUBLICATION_NAME:-$DB}" \
  bin/graft serve &
GRAFT_PID=$!

# shellcheck disable=SC2317  # invoked via trap
stop_graft() {
  trap - INT TERM
  kill "$GRAFT_PID" 2>/dev/null || true
  wait "$GRAFT_PID" 2>/dev/null || true
  exit 130
}
trap stop_graft INT TERM

log "waiting for http://localhost:$PORT/healthz"
deadline=$((SECONDS + 30))
until curl -fsS "http://localhost:$PORT/healthz" >/dev/null 2>&1; do
  if ! kill -0 "$GRAFT_PID" 2>/dev/null; then
    wait "$GRAFT_PID" || true
    die "graft exited before becoming healthy"
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    kill "$GRAFT_PID" 2>/dev/null || true
    die "graft did not answer /healthz within 30s"
  fi
  sleep 0.5
done

if [ "$APPLY_METADATA" = 1 ]; then
  log "new database: applying configs/examples/metadata.json (replace_metadata)"
  if ! {
    printf '{"type":"replace_metadata","args":'
    cat configs/examples/metadata.json
    printf '}'
  } | curl -fsS -X POST "http://localhost:$PORT/v1/metadata" \
    -H 'Content-Type: application/json' \
    -H "X-Hasura-Admin-Secret: $ADMIN_SECRET" \
    --data-binary @- >/dev/null; then
    kill "$GRAFT_PID" 2>/dev/null || true
    die "replace_metadata failed (the next make run tries again)"
  fi
  "${PSQL[@]}" "$DATABASE_URL" -c "COMMENT ON DATABASE $DB IS NULL"
  METADATA="configs/examples/metadata.json (new database)"
else
  METADATA="kept from earlier runs (make run RESET=1 restores the example)"
fi

# The secret single-quoted for a shell, whatever it holds.
quote=\'
quoted_jwt_secret="'${JWT_SECRET//$quote/$quote\\$quote$quote}'"

cat <<EOF

Graft is running (pid $GRAFT_PID) on the example database $DB.
  GraphQL endpoint : http://localhost:$PORT/v1/graphql
  Metadata API     : http://localhost:$PORT/v1/metadata
  Console          : $CONSOLE_URL
  Admin secret     : $ADMIN_SECRET
  Database         : $EXAMPLE_DB_URL
  Metadata         : $METADATA

As admin:
  curl -sS http://localhost:$PORT/v1/graphql \\
    -H 'X-Hasura-Admin-Secret: $ADMIN_SECRET' \\
    -d '{"query":"{ organizations(order_by: {id: asc}) { id name users(order_by: {id: asc}) { id name email } } }"}'

As the role user (user 1 of organization 1), in another shell of this directory:
  export HASURA_GRAPHQL_JWT_SECRET=$quoted_jwt_secret
  TOKEN=\$(bin/graft jwt --role user --user-id 1 --claim x-hasura-org-id=1)
  curl -sS http://localhost:$PORT/v1/graphql -H "Authorization: Bearer \$TOKEN" \\
    -d '{"query":"{ users(order_by: {id: asc}) { id name } }"}'
  bin/graft subscribe --url http://localhost:$PORT/v1/graphql --token "\$TOKEN" \\
    'subscription { posts(order_by: {id: desc}, limit: 2) { id author_id body } }'

Press Ctrl-C to stop Graft (the dev database keeps running; make dev-down stops it).
EOF

status=0
wait "$GRAFT_PID" || status=$?
exit "$status"
