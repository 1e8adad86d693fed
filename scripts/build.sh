#!/usr/bin/env bash
# Build the dataset: set up .venv (first run only) and run `newsprov build`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
newsprov build "$@"
