#!/usr/bin/env bash
# `make run`: run Graft against the example schema and metadata.
#
# - If HASURA_GRAPHQL_DATABASE_URL is set, just runs `go run ./cmd/graft serve`
#   with the environment as is (your database, your configuration).
# - Otherwise: starts the private dev stack (scripts/dev-up.sh), creates the
#   database graft_example, loads configs/examples/schema.sql into it (only
#   when public.organizations does not exist yet), builds bin/graft, starts it,
#   waits for /healthz, applies configs/examples/metadata.json with
#   replace_metadata and prints how to query it. Ctrl-C stops Graft (the dev
#   stack keeps running; `make dev-down` stops it).

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

# Same server, database graft_example instead of postgres.
EXAMPLE_DB_URL="${DATABASE_URL/\/postgres\?//graft_example?}"
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

exists="$("${PSQL[@]}" -At "$DATABASE_URL" \
  -c "SELECT 1 FROM pg_database WHERE datname = 'graft_example'")"
if [ "$exists" != "1" ]; then
  log "creating database graft_example"
  "${PSQL[@]}" "$DATABASE_URL" -c 'CREATE DATABASE graft_example'
fi

has_schema="$("${PSQL[@]}" -At "$EXAMPLE_DB_URL" \
  -c "SELECT to_regclass('public.organizations') IS NOT NULL")"
if [ "$has_schema" != "t" ]; then
  log "loading configs/examples/schema.sql"
  "${PSQL[@]}" "$EXAMPLE_DB_URL" -f configs/examples/schema.sql >/dev/null
fi

# --- Graft -------------------------------------------------------------------
log "building bin/graft"
go build -o bin/graft ./cmd/graft

ADMIN_SECRET="${HASURA_GRAPHQL_ADMIN_SECRET:-graft-dev-secret}"

HASURA_GRAPHQL_DATABASE_URL="$EXAMPLE_DB_URL" \
  HASURA_GRAPHQL_ADMIN_SECRET="$ADMIN_SECRET" \
  HASURA_GRAPHQL_REDIS_URL="$REDIS_URL" \
  HASURA_GRAPHQL_SERVER_PORT="$PORT" \
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

log "applying configs/examples/metadata.json (replace_metadata)"
if ! {
  printf '{"type":"replace_metadata","args":'
  cat configs/examples/metadata.json
  printf '}'
} | curl -fsS -X POST "http://localhost:$PORT/v1/metadata" \
  -H 'Content-Type: application/json' \
  -H "X-Hasura-Admin-Secret: $ADMIN_SECRET" \
  --data-binary @- >/dev/null; then
  kill "$GRAFT_PID" 2>/dev/null || true
  die "replace_metadata failed"
fi

cat <<EOF

Graft is running (pid $GRAFT_PID) on the example database.
  GraphQL endpoint : http://localhost:$PORT/v1/graphql
  Metadata API     : http://localhost:$PORT/v1/metadata
  Admin secret     : $ADMIN_SECRET
  Database         : $EXAMPLE_DB_URL

Try:
  curl -sS http://localhost:$PORT/v1/graphql \\
    -H 'Content-Type: application/json' \\
    -H 'X-Hasura-Admin-Secret: $ADMIN_SECRET' \\
    -d '{"query":"{ organizations(order_by: {id: asc}) { id name users(order_by: {id: asc}) { id name email } } }"}'

Press Ctrl-C to stop Graft (the dev database keeps running; make dev-down stops it).
EOF

status=0
wait "$GRAFT_PID" || status=$?
exit "$status"
