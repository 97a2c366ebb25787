#!/usr/bin/env bash
# Install Debian's chromium for the console test (tests/integration
# console_test.go drives it headless with chromedp), as scripts/dev-up.sh
# installs PostgreSQL: apt-get as root, or through sudo.
#
# Usage: scripts/ensure-chromium.sh
#
# When it cannot install (not root and no sudo, or apt-get fails) it prints a
# loud warning and exits 0, so `make test` still runs everything else and the
# console test skips, saying why - except under CI=true, where a missing
# browser is an error: CI must not pass without testing the console.

set -euo pipefail

BIN=/usr/bin/chromium

log() { echo "ensure-chromium: $*" >&2; }

if [ -x "$BIN" ]; then
  exit 0
fi

cannot() {
  if [ "${CI:-}" = "true" ]; then
    log "ERROR: $* (CI=true: the console test needs $BIN)"
    exit 1
  fi
  log "################################################################"
  log "WARNING: $*"
  log "WARNING: the console browser test will be SKIPPED."
  log "WARNING: install it with: apt-get install chromium"
  log "################################################################"
  exit 0
}

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  cannot "$BIN is missing and this is neither root nor passwordless sudo"
fi

# Install first without an update (a recent package list is enough), then
# retry after apt-get update, as scripts/run-example.sh does for curl.
install() {
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends chromium </dev/null
}
log "apt-get install chromium"
if ! install; then
  log "apt-get update"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null || true
  install || cannot "apt-get install chromium failed"
fi
[ -x "$BIN" ] || cannot "chromium installed but $BIN is missing"
