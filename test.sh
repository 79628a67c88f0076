#!/usr/bin/env bash
# Run the full test suite: create .venv if there is none, install the test tools and the
# PyTorch oracle, then pytest. Extra arguments go to pytest (e.g. bash test.sh -k nnlib).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh test torch
set +e
python -m pytest "$@"
code=$?
set -e
if [ "$code" = 5 ]; then
    echo "test.sh: pytest collected no tests: that is a failure, not a pass" >&2
    exit 1
fi
exit "$code"
