#!/usr/bin/env bash
# Start a private PostgreSQL (with PostGIS available) and a private Redis for
# development and tests. Never touches a system PostgreSQL/Redis: both run on
# free TCP ports on 127.0.0.1, with their data under .graft/dev in the repo.
#
# Usage: scripts/dev-up.sh [--quiet]
#
# Result: .graft/dev/env with plain KEY=value lines (and # comments)
#   DATABASE_URL=postgres://postgres@127.0.0.1:<port>/postgres?sslmode=disable
#   REDIS_URL=redis://127.0.0.1:<port>/0
#   GRAFT_EXAMPLE_DATABASE_URL=postgres://postgres@127.0.0.1:<port>/graft_example?sslmode=disable
# usable with:  set -a; . .graft/dev/env; set +a
#
# Idempotent: when the instances are already running they are reused with the
# same ports; when they are stopped they are restarted on the same data (and
# the same ports, unless something else took them meanwhile).
#
# Layout (.graft/dev):
#   env            the URLs above
#   pg/            PostgreSQL data directory (owned by the postgres OS user)
#   pgsock/        PostgreSQL unix socket directory
#   pg.log         PostgreSQL server log
#   redis/         Redis data directory (appendonly)
#   redis.pid, redis.log
#
# Where the PostgreSQL files live: initdb/postgres refuse to run as root, so
# when this script runs as root the server runs as the `postgres` OS user,
# which must be able to reach its directories. We never chmod directories we
# do not own (e.g. a 0700 /root); instead, if the postgres user cannot reach
# .graft/dev, pg/, pgsock/ and pg.log are created under
# /tmp/graft-dev-<hash of repo path>/ and symlinked from .graft/dev for
# convenience. (Data under /tmp may disappear on reboot; it is only dev data.)
# When run as a normal user, PostgreSQL simply runs as that user.

set -euo pipefail

QUIET=0
for arg in "$@"; do
  case "$arg" in
    -q | --quiet) QUIET=1 ;;
    -h | --help)
      sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "dev-up: unknown argument: $arg" >&2
      exit 2
      ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
DEV_DIR="$ROOT/.graft/dev"
ENV_FILE="$DEV_DIR/env"
REDIS_DIR="$DEV_DIR/redis"
REDIS_PID="$DEV_DIR/redis.pid"
REDIS_LOG="$DEV_DIR/redis.log"

log() {
  if [ "$QUIET" -eq 0 ]; then
    echo "dev-up: $*" >&2
  fi
}

die() {
  echo "dev-up: ERROR: $*" >&2
  exit 1
}

# ---------------------------------------------------------------------------
# Privileges: root runs PostgreSQL as the postgres user; others run it as self.
# ---------------------------------------------------------------------------
if [ "$(id -u)" -eq 0 ]; then
  IS_ROOT=1
  SUDO=()
else
  IS_ROOT=0
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    SUDO=()
  fi
fi

# Run a command as the user that owns the PostgreSQL cluster.
# Runs from / so the postgres user never needs access to the current directory.
as_pg() {
  if [ "$IS_ROOT" -eq 1 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Run a command that leaves a server behind with every file descriptor above 2
# closed, so the server does not keep the caller's pipes (CI log collectors,
# make's jobserver, our own lock on fd 9) open after we exit.
closing_fds() {
  (
    fd_path=""
    for fd_path in /proc/self/fd/*; do
      fd="${fd_path##*/}"
      if [ "$fd" -gt 2 ]; then
        eval "exec $fd>&-" 2>/dev/null || true
      fi
    done
    "$@"
  )
}

# ---------------------------------------------------------------------------
# Packages
# ---------------------------------------------------------------------------
APT_UPDATED=0
apt_install() {
  if [ "$IS_ROOT" -eq 0 ] && [ "${#SUDO[@]}" -eq 0 ]; then
    die "missing packages ($*) and not root and no sudo: install them manually"
  fi
  if [ "$APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "$@" </dev/null
}

# Highest PostgreSQL major version installed under /usr/lib/postgresql.
pg_major() {
  local d major="" v
  for d in /usr/lib/postgresql/*/bin/initdb; do
    [ -x "$d" ] || continue
    v="${d#/usr/lib/postgresql/}"
    v="${v%%/*}"
    if [ -z "$major" ] || [ "$v" -gt "$major" ]; then
      major="$v"
    fi
  done
  echo "$major"
}

ensure_packages() {
  local missing=() major
  major="$(pg_major)"
  if [ -z "$major" ]; then
    missing+=(postgresql)
  fi
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    missing+=(redis-server)
  fi
  if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
  fi

  major="$(pg_major)"
  [ -n "$major" ] || die "PostgreSQL is not installed under /usr/lib/postgresql"
  if [ ! -f "/usr/share/postgresql/$major/extension/postgis.control" ]; then
    apt_install "postgresql-$major-postgis-3"
  fi
  command -v ss >/dev/null 2>&1 || apt_install iproute2
}

# ---------------------------------------------------------------------------
# Ports
# ---------------------------------------------------------------------------
port_in_use() {
  [ -n "$(ss -Hltn "( sport = :$1 )" 2>/dev/null)" ]
}

# Pick a free port. Start from a port derived from the repo path (so a given
# checkout tends to get the same ports) and probe upwards. The range stays
# below the kernel's ephemeral range (32768+) so outgoing connections do not
# take it.
pick_port() {
  local offset="$1" start p i
  start=$((20000 + (16#${REPO_HASH:0:4} % 5000) * 2 + offset))
  for ((i = 0; i < 2000; i++)); do
    p=$((start + i * 3))
    if [ "$p" -ge 32000 ]; then
      p=$((20000 + p % 12000))
    fi
    if ! port_in_use "$p"; then
      echo "$p"
      return 0
    fi
  done
  die "no free TCP port found"
}

# The port a previous run used: PostgreSQL's is in its graft.conf, Redis's in
# the env file.
stored_port() {
  case "$1" in
    pg)
      [ -f "$PG_DATA/graft.conf" ] || return 0
      sed -n 's/^port = \([0-9][0-9]*\)$/\1/p' "$PG_DATA/graft.conf"
      ;;
    redis)
      [ -f "$ENV_FILE" ] || return 0
      sed -n 's|^REDIS_URL=redis://127\.0\.0\.1:\([0-9][0-9]*\)/.*|\1|p' "$ENV_FILE"
      ;;
  esac
}

# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------
setup_pg_paths() {
  PG_MAJOR="$(pg_major)"
  PG_BIN="/usr/lib/postgresql/$PG_MAJOR/bin"
  PG_ROOT="$DEV_DIR"
  if [ "$IS_ROOT" -eq 1 ] && ! runuser -u postgres -- test -x "$DEV_DIR" 2>/dev/null; then
    # The postgres user cannot reach the repository (e.g. it lives under a
    # 0700 home directory): keep the PostgreSQL files under /tmp instead.
    PG_ROOT="/tmp/graft-dev-${REPO_HASH:0:12}"
    mkdir -p "$PG_ROOT"
    chmod 0755 "$PG_ROOT"
    log "postgres user cannot access $DEV_DIR; using $PG_ROOT for PostgreSQL files"
  fi
  PG_DATA="$PG_ROOT/pg"
  PG_SOCK="$PG_ROOT/pgsock"
  PG_LOG="$PG_ROOT/pg.log"

  mkdir -p "$PG_DATA" "$PG_SOCK"
  touch "$PG_LOG"
  chmod 0700 "$PG_DATA"
  if [ "$IS_ROOT" -eq 1 ]; then
    chown postgres:postgres "$PG_DATA" "$PG_SOCK" "$PG_LOG"
  fi
  if [ "$PG_ROOT" != "$DEV_DIR" ]; then
    local name
    for name in pg pgsock pg.log; do
      ln -sfn "$PG_ROOT/$name" "$DEV_DIR/$name"
    done
  fi
}

pg_running() {
  as_pg "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1
}

pg_ready() {
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$1" -U postgres -d postgres
}

pg_init() {
  log "initdb $PG_DATA (PostgreSQL $PG_MAJOR)"
  as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  cat >"$PG_DATA/pg_hba.conf" <<'EOF'
# Graft dev cluster: trust on the local socket and 127.0.0.1 only.
local   all             all                     trust
local   replication     all                     trust
host    all             all     127.0.0.1/32    trust
host    replication     all     127.0.0.1/32    trust
EOF
  echo "include_if_exists = 'graft.conf'" >>"$PG_DATA/postgresql.conf"
  if [ "$IS_ROOT" -eq 1 ]; then
    chown postgres:postgres "$PG_DATA/pg_hba.conf" "$PG_DATA/postgresql.conf"
  fi
}

pg_write_conf() {
  local port="$1"
  cat >"$PG_DATA/graft.conf" <<EOF
# Written by scripts/dev-up.sh; rewritten on every start.
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_SOCK'
wal_level = logical
max_replication_slots = 20
max_wal_senders = 20
max_connections = 300
# make run keeps its slot while Graft is stopped; cap what it can hold back so
# a forgotten dev slot never fills the disk (the slot is invalidated instead).
max_slot_wal_keep_size = 1GB
shared_buffers = 128MB
timezone = 'UTC'
log_timezone = 'UTC'
EOF
  if [ "$IS_ROOT" -eq 1 ]; then
    chown postgres:postgres "$PG_DATA/graft.conf"
  fi
}

# Make sure PostGIS can be created (fails loudly otherwise). Checked once per
# cluster; the marker lives in the data directory.
pg_check_postgis() {
  local port="$1" marker="$PG_DATA/graft-postgis-ok"
  [ -f "$marker" ] && return 0
  log "checking that PostGIS is installable"
  local psql=(env PGOPTIONS=--client-min-messages=warning "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)
  "${psql[@]}" -d postgres -c 'DROP DATABASE IF EXISTS graft_check' >/dev/null
  "${psql[@]}" -d postgres -c 'CREATE DATABASE graft_check' >/dev/null
  if ! "${psql[@]}" -d graft_check -c 'CREATE EXTENSION IF NOT EXISTS postgis' >/dev/null; then
    "${psql[@]}" -d postgres -c 'DROP DATABASE IF EXISTS graft_check' >/dev/null || true
    die "CREATE EXTENSION postgis failed: is postgresql-$PG_MAJOR-postgis-3 installed?"
  fi
  "${psql[@]}" -d postgres -c 'DROP DATABASE graft_check' >/dev/null
  touch "$marker"
}

start_pg() {
  setup_pg_paths
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    pg_init
  fi

  local port
  port="$(stored_port pg)"
  if [ -n "$port" ] && pg_running && pg_ready "$port"; then
    log "PostgreSQL already running on 127.0.0.1:$port (reused)"
    PG_PORT="$port"
    pg_check_postgis "$PG_PORT"
    return 0
  fi

  if pg_running; then
    # Running but not answering on the stored port: restart it cleanly.
    log "PostgreSQL running but not answering on port ${port:-?}; restarting"
    as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w >/dev/null
  fi

  if [ -z "$port" ] || port_in_use "$port"; then
    port="$(pick_port 0)"
  fi
  pg_write_conf "$port"
  log "starting PostgreSQL on 127.0.0.1:$port (log: $PG_LOG)"
  if ! closing_fds as_pg "$PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t 60 >/dev/null </dev/null; then
    tail -n 30 "$PG_LOG" >&2 || true
    die "PostgreSQL failed to start"
  fi
  local i
  for ((i = 0; i < 60; i++)); do
    pg_ready "$port" && break
    sleep 0.5
  done
  pg_ready "$port" || die "PostgreSQL does not answer on 127.0.0.1:$port (see $PG_LOG)"
  PG_PORT="$port"
  pg_check_postgis "$PG_PORT"
}

# ---------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------
redis_pid_alive() {
  [ -f "$REDIS_PID" ] && kill -0 "$(cat "$REDIS_PID")" 2>/dev/null
}

redis_ready() {
  [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = "PONG" ]
}

start_redis() {
  mkdir -p "$REDIS_DIR"
  local port
  port="$(stored_port redis)"
  if [ -n "$port" ] && redis_pid_alive && redis_ready "$port"; then
    log "Redis already running on 127.0.0.1:$port (reused)"
    REDIS_PORT="$port"
    return 0
  fi
  if redis_pid_alive; then
    log "Redis running but not answering on port ${port:-?}; restarting"
    kill "$(cat "$REDIS_PID")" 2>/dev/null || true
    local i
    for ((i = 0; i < 50; i++)); do
      redis_pid_alive || break
      sleep 0.1
    done
  fi
  rm -f "$REDIS_PID"

  if [ -z "$port" ] || port_in_use "$port"; then
    port="$(pick_port 1)"
  fi
  log "starting Redis on 127.0.0.1:$port (log: $REDIS_LOG)"
  # As README advises for an event queue: the AOF is the durability, so no
  # RDB snapshots on top, and AOF rewrites (each forks and writes a file: a
  # stall of tens of ms here) only once the file has grown by 512 MB, not
  # every 64 MB (about every 20k delivered events).
  closing_fds redis-server --port "$port" --bind 127.0.0.1 \
    --appendonly yes --dir "$REDIS_DIR" \
    --save "" --auto-aof-rewrite-min-size 512mb \
    --daemonize yes --pidfile "$REDIS_PID" --logfile "$REDIS_LOG" \
    >/dev/null </dev/null
  local i
  for ((i = 0; i < 100; i++)); do
    redis_ready "$port" && break
    sleep 0.1
  done
  if ! redis_ready "$port"; then
    tail -n 30 "$REDIS_LOG" >&2 || true
    die "Redis does not answer on 127.0.0.1:$port"
  fi
  REDIS_PORT="$port"
}

# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------
mkdir -p "$DEV_DIR"
chmod 0755 "$ROOT/.graft" "$DEV_DIR"
REPO_HASH="$(printf '%s' "$ROOT" | sha256sum | cut -c1-16)"

# Serialize concurrent runs (e.g. two `make` targets started together).
exec 9>"$DEV_DIR/.lock"
flock -w 600 9 || die "timed out waiting for another dev-up.sh"

ensure_packages

PG_PORT=""
REDIS_PORT=""
start_pg
start_redis

DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
# The example database is created by `make run` (scripts/run-example.sh), not
# here; its URL is written anyway so that one file says where everything is.
# It is not named HASURA_GRAPHQL_DATABASE_URL: run-example.sh takes that
# variable as "serve my own database", and tests must not see it.
EXAMPLE_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/graft_example?sslmode=disable"
tmp="$(mktemp "$DEV_DIR/env.XXXXXX")"
cat >"$tmp" <<EOF
# Written by scripts/dev-up.sh. Load with: set -a; . .graft/dev/env; set +a
# DATABASE_URL: the dev PostgreSQL as superuser; tests create their own databases through it.
DATABASE_URL=$DATABASE_URL
# REDIS_URL: the dev Redis.
REDIS_URL=$REDIS_URL
# GRAFT_EXAMPLE_DATABASE_URL: the database \`make run\` serves (configs/examples; created by make run).
GRAFT_EXAMPLE_DATABASE_URL=$EXAMPLE_DATABASE_URL
EOF
chmod 0644 "$tmp"
mv -f "$tmp" "$ENV_FILE"

if [ "$QUIET" -eq 0 ]; then
  echo "# written to $ENV_FILE"
  cat "$ENV_FILE"
fi
