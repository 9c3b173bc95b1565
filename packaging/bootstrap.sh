#!/usr/bin/env bash
# Set up everything Monitor needs on a fresh Debian 12 machine, then run it or test it.
#
#   packaging/bootstrap.sh run  [monitor args...]   install, then launch the app on the demo server
#   packaging/bootstrap.sh test [pytest args...]    install (with dev tools), lint, type-check,
#                                                   check layers, run the whole test suite
#   packaging/bootstrap.sh env                      install only (dev tools included)
#
# Idempotent: system packages are installed only when missing, the virtualenv (.venv) is reused
# and reinstalled only when pyproject.toml changed. Needs root or sudo for apt-get.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$HERE"
MODE=${1:-run}
[ $# -gt 0 ] && shift
VENV=${MONITOR_VENV:-$HERE/.venv}

log() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*" >&2; }

# ------------------------------------------------------------------ system packages
# Qt's offscreen and xcb platform plugins (PySide6 wheels bring Qt itself, not these), fonts,
# D-Bus for notifications. The test set adds a virtual X server, a notification daemon and two
# tray hosts for the end-to-end tests, and screenshot tools. Never dbus-x11: it makes every
# D-Bus client with a DISPLAY autolaunch a stray session bus.
RUN_PKGS=(
  python3 python3-venv python3-dev ca-certificates
  libgl1 libegl1 libfontconfig1 libfreetype6 libglib2.0-0 libxkbcommon0 libx11-6 libdbus-1-3
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
  libxkbcommon-x11-0 libxcb-shape0 libxcb-xkb1 libxcb-randr0 libxcb-xinerama0
  fontconfig-config fonts-dejavu-core fonts-noto-cjk dbus xvfb xauth
)
TEST_PKGS=(
  dunst trayer haskell-status-notifier-item-utils haskell-gtk-sni-tray-utils
  imagemagick xdotool desktop-file-utils binutils curl
  at-spi2-core  # the accessibility bus (at-spi-bus-launcher) tests/e2e/test_accessibility.py reads
  redis-server  # the Celery broker tests/bridge starts (monitor bridge celery), and tests/scale's Redis
  haproxy  # tests/scale: replicas of monitor serve --store behind a real load balancer
)
# node + npm run the seeds' JavaScript (seed 004's Express server, the seed-000 client) and
# better-sse in tests/interop; the tests `npm ci` their pinned packages themselves. Debian 12's
# nodejs is 18 (every pinned package runs on it) and npm is a separate package. A machine that
# already has node (e.g. nodesource's nodejs, which bundles npm and conflicts with Debian's npm
# package) is left alone.
if ! command -v node >/dev/null 2>&1; then
  TEST_PKGS+=(nodejs npm)
elif ! command -v npm >/dev/null 2>&1 \
  && ! dpkg-query -W -f='${Version}' nodejs 2>/dev/null | grep -q nodesource; then
  TEST_PKGS+=(npm)  # Debian's nodejs without its separate npm
fi

missing_pkgs() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

apt_install() {
  local missing
  missing=$(missing_pkgs "$@")
  [ -z "$missing" ] && return 0
  if ! command -v apt-get >/dev/null; then
    log "not a Debian system; please install the equivalents of: $missing"
    return 0
  fi
  local SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { log "need root or sudo to install: $missing"; exit 1; }
    SUDO=sudo
  fi
  log "installing system packages: $(echo $missing | tr '\n' ' ')"
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# ------------------------------------------------------------------ python
pick_python() {
  local c
  for c in "${MONITOR_PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$c" ] || continue
    if command -v "$c" >/dev/null && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$c"; return 0
    fi
  done
  log "Python 3.11 or newer is required"; exit 1
}

setup_venv() {
  # The stamp records what the venv was built from (pyproject.toml, Python) and with which extras.
  # A venv built for the tests ("[dev,celery]") holds everything the app needs too, so `run` after
  # `test` reuses it; only a pyproject.toml change, another Python, or missing extras rebuild it.
  local extras=$1 py stamp base have
  py=$(pick_python)
  base="$(sha256sum pyproject.toml | cut -c1-16)-$("$py" -c 'import sys; print(sys.version.split()[0])')"
  stamp="$VENV/.monitor-stamp"
  have=$(cat "$stamp" 2>/dev/null || true)
  if [ -x "$VENV/bin/python" ] && { [ "$have" = "$base $extras" ] || [ "$have" = "$base [dev,celery]" ]; }; then
    return 0
  fi
  log "creating virtualenv $VENV with $py"
  "$py" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".$extras"
  echo "$base $extras" > "$stamp"
}

case "$MODE" in
  run)
    apt_install "${RUN_PKGS[@]}"
    setup_venv ""
    log "starting Monitor against the built-in demo server"
    exec "$VENV/bin/monitor" --demo "$@"
    ;;
  env)
    apt_install "${RUN_PKGS[@]}" "${TEST_PKGS[@]}"
    setup_venv "[dev,celery]"
    ;;
  test)
    apt_install "${RUN_PKGS[@]}" "${TEST_PKGS[@]}"
    setup_venv "[dev,celery]"
    export PATH="$VENV/bin:$PATH"
    log "ruff (lint, complexity, format)"
    ruff check monitor tests bench packaging
    ruff format --check monitor tests bench packaging
    log "mypy (strict on the whole package: core, client, services, server, ui, app, wiring, misc)"
    mypy monitor
    log "import-linter (layers)"
    lint-imports
    log "pytest (unit, integration, end-to-end, packaging)"
    rc=0
    timeout --kill-after=30s "${MONITOR_TEST_TIMEOUT:-80m}" python -m pytest "$@" || rc=$?
    if [ "$rc" -eq 5 ]; then
      # pytest's "no tests collected": an empty selection (-k/-m) is not a failure of the code.
      log "pytest collected no tests for this selection"
      exit 0
    fi
    exit "$rc"
    ;;
  *)
    echo "usage: $0 run|test|env [args...]" >&2
    exit 2
    ;;
esac
