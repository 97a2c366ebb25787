#!/usr/bin/env bash
# Run a command with DATABASE_URL and REDIS_URL set.
#
# Usage: scripts/with-env.sh CMD [ARGS...]
#
# If both DATABASE_URL and REDIS_URL are already set in the environment, CMD
# runs as is. Otherwise the private dev stack is started (scripts/dev-up.sh,
# quietly; a no-op when it already runs) and .graft/dev/env is loaded; a value
# already present in the environment still wins over the file.

set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"

if [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; then
  saved_database_url="${DATABASE_URL:-}"
  saved_redis_url="${REDIS_URL:-}"

  # Keep stdout for CMD; dev-up's progress/apt output goes to stderr.
  "$ROOT/scripts/dev-up.sh" --quiet >&2

  set -a
  # shellcheck source=/dev/null
  . "$ROOT/.graft/dev/env"
  set +a

  if [ -n "$saved_database_url" ]; then export DATABASE_URL="$saved_database_url"; fi
  if [ -n "$saved_redis_url" ]; then export REDIS_URL="$saved_redis_url"; fi
fi

exec "$@"
