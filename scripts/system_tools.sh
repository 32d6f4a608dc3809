#!/usr/bin/env bash
# The Debian tools the test suite drives for real: pdftoppm (poppler-utils) rasterises label PDFs,
# and Chromium runs the public page in the browser tests.
# Installed with apt-get when missing and this runs as root; otherwise the tests that need a
# tool skip and say which package to install.
set -uo pipefail

missing=()
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
command -v chromium >/dev/null || missing+=(chromium)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "Not installed: ${missing[*]} (needs root and apt-get); the tests that use them will skip." >&2
  exit 0
fi
echo "Installing ${missing[*]} from Debian's packages..."
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; then
  apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
    || echo "Could not install ${missing[*]}; the tests that use them will skip." >&2
fi
exit 0
