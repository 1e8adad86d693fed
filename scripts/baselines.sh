#!/usr/bin/env bash
# Reproduce the baselines: set up .venv (first run only) and run `newsprov baselines`, which
# writes every baseline's predictions on the release in data/ to baselines/<name>.jsonl,
# scores them into baselines/<name>.metrics.json and regenerates the README's table.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
newsprov baselines "$@"
