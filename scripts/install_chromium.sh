#!/usr/bin/env bash
# Install headless Chromium and its WebDriver (Debian/Ubuntu packages `chromium` and
# `chromium-driver`) for the report rendering test (tests/test_report.py).
#
# Idempotent: does nothing when both /usr/bin/chromium and /usr/bin/chromedriver already work.
# Needs apt-get and root (or passwordless sudo). Exits non-zero if the binaries are still missing
# afterwards, so CI stops here rather than in the test.
#
# Usage: scripts/install_chromium.sh        (FORCE=1 to reinstall)
set -euo pipefail

CHROMIUM=${FORECAST_CHROMIUM:-/usr/bin/chromium}
CHROMEDRIVER=${FORECAST_CHROMEDRIVER:-/usr/bin/chromedriver}

have() {
  [[ -x "$CHROMIUM" && -x "$CHROMEDRIVER" ]] && "$CHROMEDRIVER" --version >/dev/null 2>&1
}

if [[ "${FORCE:-0}" != 1 ]] && have; then
  echo "chromium: already installed ($("$CHROMEDRIVER" --version | head -n1))"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_chromium.sh: apt-get not found; install Chromium and chromedriver yourself and set" \
       "FORECAST_CHROMIUM / FORECAST_CHROMEDRIVER" >&2
  exit 2
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo -n"
  else
    echo "install_chromium.sh: need root (or sudo) to run apt-get" >&2
    exit 2
  fi
fi

export DEBIAN_FRONTEND=noninteractive
# On Ubuntu `chromium` is a snap shim; there the packages are chromium-browser/chromium-chromedriver.
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver

if ! have; then
  echo "install_chromium.sh: $CHROMIUM or $CHROMEDRIVER still missing after apt-get install" >&2
  exit 1
fi
echo "chromium: installed ($("$CHROMEDRIVER" --version | head -n1))"
