#!/usr/bin/env bash
# Run the test suite (but the tests marked slow: CONTRIBUTING.md): set up .venv, the Label
# Studio server's own environment and the Chromium of the browser tests (first run only),
# lint, then pytest. pytest's exit 5 (no test collected) is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh --with-label-studio --with-browser
ruff check src tests scripts
status=0
python -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "error: pytest collected no tests" >&2
  exit 1
fi
exit "$status"
