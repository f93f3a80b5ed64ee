#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the browser test (driven by playwright-core, which downloads
# no browser of its own). Installs it with apt when it is missing and we may; otherwise says what to do.
set -euo pipefail
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [[ -x "$CHROMIUM" ]]; then
  echo "$CHROMIUM"
  exit 0
fi
if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null; then
  echo "browser: $CHROMIUM is missing; install Debian's chromium package (sudo apt-get install chromium) or set CHROMIUM_PATH" >&2
  exit 1
fi
echo "browser: installing Debian's chromium package (once)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends chromium >&2
echo "$CHROMIUM"
