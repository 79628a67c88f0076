#!/usr/bin/env bash
# Install the browser the end-to-end test drives: Debian's chromium and chromium-driver (and a font),
# and openssl (the Dask TLS test makes its certificates with the commands docs/grading-cluster.md shows).
# Idempotent: does nothing when /usr/bin/chromium and /usr/bin/chromedriver are already there. Never `playwright install`:
# the test drives this system Chromium through Playwright's executable_path.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && command -v openssl >/dev/null 2>&1; then
    echo ">> chromium already installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
    exit 0
fi
SUDO=()
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "install_browser.sh: /usr/bin/chromium is missing and I am not root (and there is no sudo)." >&2
        echo "  Install it yourself: apt-get update && apt-get install -y chromium chromium-driver openssl" >&2
        exit 1
    fi
fi
echo ">> installing chromium and chromium-driver from Debian's packages (about half a minute)"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core openssl >/dev/null
if [ ! -x /usr/bin/chromium ]; then
    echo "install_browser.sh: apt-get finished but /usr/bin/chromium is still missing" >&2
    exit 1
fi
echo ">> installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
