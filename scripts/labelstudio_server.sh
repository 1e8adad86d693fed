#!/usr/bin/env bash
# Start a local Label Studio server for annotators, listening on 127.0.0.1 only, and print how
# to open it. The server runs from its own virtual environment (.venv-labelstudio, made by
# scripts/setup.sh --with-label-studio on first use; or set NEWSPROV_LABEL_STUDIO to another
# label-studio executable). Its database lives in .labelstudio/ (git-ignored). Stop it with
# Ctrl-C. Usage: bash scripts/labelstudio_server.sh [--port 8080] [--data-dir DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh --with-label-studio
exec python -m newsprov.cli.labelstudio_server "$@"
