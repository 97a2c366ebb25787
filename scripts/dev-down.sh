#!/usr/bin/env bash
# Stop the private PostgreSQL and Redis started by scripts/dev-up.sh.
# Data stays in .graft/dev; `scripts/dev-up.sh` starts them again on it.
#
# Usage: scripts/dev-down.sh [--purge]
#   --purge   also delete .graft/dev (all dev data) and, if used, the
#             /tmp/graft-dev-<hash> PostgreSQL directory.

set -euo pipefail

PURGE=0
for arg in "$@"; do
  case "$arg" in
    --purge) PURGE=1 ;;
    -h | --help)
      sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "dev-down: unknown argument: $arg" >&2
      exit 2
      ;;
  esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
DEV_DIR="$ROOT/.graft/dev"
ENV_FILE="$DEV_DIR/env"
REDIS_PID="$DEV_DIR/redis.pid"

log() { echo "dev-down: $*" >&2; }

if [ ! -d "$DEV_DIR" ]; then
  log "nothing to do ($DEV_DIR does not exist)"
  exit 0
fi

# Same lock as dev-up.sh so a stop never races a start.
exec 9>"$DEV_DIR/.lock"
flock -w 600 9

# --- PostgreSQL -------------------------------------------------------------
# pg may be a symlink to /tmp/graft-dev-<hash>/pg (see dev-up.sh).
PG_DATA="$(readlink -f "$DEV_DIR/pg" 2>/dev/null || true)"
if [ -n "$PG_DATA" ] && [ -f "$PG_DATA/PG_VERSION" ]; then
  PG_MAJOR="$(cat "$PG_DATA/PG_VERSION")"
  PG_CTL="/usr/lib/postgresql/$PG_MAJOR/bin/pg_ctl"
  as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
      (cd / && runuser -u postgres -- "$@")
    else
      "$@"
    fi
  }
  if as_pg "$PG_CTL" status -D "$PG_DATA" >/dev/null 2>&1; then
    log "stopping PostgreSQL ($PG_DATA)"
    as_pg "$PG_CTL" stop -D "$PG_DATA" -m fast -w -t 60 >/dev/null
  else
    log "PostgreSQL is not running"
  fi
fi

# --- Redis ------------------------------------------------------------------
if [ -f "$REDIS_PID" ] && kill -0 "$(cat "$REDIS_PID")" 2>/dev/null; then
  pid="$(cat "$REDIS_PID")"
  port=""
  if [ -f "$ENV_FILE" ]; then
    port="$(sed -n 's|^REDIS_URL=redis://127\.0\.0\.1:\([0-9][0-9]*\)/.*|\1|p' "$ENV_FILE")"
  fi
  log "stopping Redis (pid $pid)"
  # appendonly is on, so the AOF keeps the data; NOSAVE skips the RDB dump.
  if [ -z "$port" ] || ! redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1; then
    kill "$pid" 2>/dev/null || true
  fi
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "Redis did not stop within 10s; sending SIGKILL"
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$REDIS_PID"
else
  log "Redis is not running"
fi

# --- Purge ------------------------------------------------------------------
if [ "$PURGE" -eq 1 ]; then
  if [ -L "$DEV_DIR/pg" ]; then
    tmp_root="$(dirname "$(readlink -f "$DEV_DIR/pg")")"
    case "$tmp_root" in
      /tmp/graft-dev-*) log "removing $tmp_root"; rm -rf "$tmp_root" ;;
    esac
  fi
  log "removing $DEV_DIR"
  rm -rf "$DEV_DIR"
fi
