# Sourced by start.sh and test.sh: make sure .venv exists and holds what EXTRAS needs.
# Re-installs only when pyproject.toml or the requested extras change.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${NNCOURSE_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"
EXTRAS="${1:?usage: source scripts/venv.sh EXTRAS}"
WANT_TORCH="${2:-no}"

if [ ! -x "$VENV/bin/python" ]; then
    echo ">> creating the virtual environment $VENV"
    "$PY" -m venv "$VENV"
fi
stamp="$VENV/.nncourse-installed-$EXTRAS"
sig="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)-$WANT_TORCH"
if [ "$(cat "$stamp" 2>/dev/null)" != "$sig" ]; then
    echo ">> installing nncourse[$EXTRAS] into $VENV (first time: a few minutes)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT[$EXTRAS]"
    if [ "$WANT_TORCH" = torch ]; then
        # The PyTorch oracle: exactly this version (a CPU wheel); any other pulls gigabytes.
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check torch==2.13.0
    fi
    echo "$sig" > "$stamp"
fi
# The JupyterHub end-to-end test (tests/hub/) needs the real configurable-http-proxy (npm).
CHP_VERSION=5.3.0
CHP="$VENV/proxy/node_modules/.bin/configurable-http-proxy"
if [ "$EXTRAS" = test ] && [ ! -x "$CHP" ] && command -v npm >/dev/null 2>&1; then
    echo ">> installing configurable-http-proxy $CHP_VERSION (npm) into $VENV/proxy"
    npm install --silent --no-audit --no-fund --prefix "$VENV/proxy" "configurable-http-proxy@$CHP_VERSION" \
        || echo ">> npm could not install configurable-http-proxy: the JupyterHub test will fail" >&2
fi
export PATH="$VENV/bin:$VENV/proxy/node_modules/.bin:$PATH"
