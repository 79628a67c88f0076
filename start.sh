#!/usr/bin/env bash
# Start the course: create .venv if there is none, install, open JupyterLab on course/.
#   bash start.sh               opens your browser
#   bash start.sh --headless    (or NNCOURSE_HEADLESS=1) only prints the URL
# Any other arguments go to `jupyter lab` (e.g. --port 8899).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh course
args=()
if [ "${NNCOURSE_HEADLESS:-0}" = 1 ]; then args+=(--no-browser); fi
for a in "$@"; do
    if [ "$a" = --headless ]; then args+=(--no-browser); else args+=("$a"); fi
done
if [ "$(id -u)" = 0 ]; then args+=(--allow-root); fi
exec jupyter lab --ServerApp.root_dir="$PWD/course" "${args[@]}"
