#!/usr/bin/env bash
# Set-up shared by the build and test commands: a virtual environment in .venv with the
# pinned dependencies of requirements.lock and this package. Re-running it is cheap: it
# reinstalls only when the lock file changed. Usage: source scripts/setup.sh [--with-label-studio] [--with-browser]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3

ensure_venv() {  # ensure_venv DIR LOCKFILE [extra pip args...]
  local dir=$1 lock=$2; shift 2
  local stamp="$dir/.installed-$(sha256sum "$lock" | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    rm -rf "$dir"
    "$python" -m venv "$dir"
    "$dir/bin/python" -m pip install --quiet --upgrade pip
    "$dir/bin/python" -m pip install --quiet -r "$lock" "$@"
    touch "$stamp"
  fi
}

ensure_venv "$repo/.venv" "$repo/requirements.lock"
"$repo/.venv/bin/python" -m pip install --quiet --no-deps --no-build-isolation -e "$repo"
for option in "$@"; do
  case $option in
    --with-label-studio)
      # The server pins its own dependencies (pyarrow<25, Django): it gets its own environment.
      ensure_venv "$repo/.venv-labelstudio" "$repo/requirements-labelstudio.lock" ;;
    --with-browser)
      # The viewer's browser tests drive the operating system's Chromium through Playwright
      # (Playwright's own browser download is not used): installed once, when missing.
      if ! command -v "${NEWSPROV_CHROMIUM:-chromium}" >/dev/null; then
        sudo=$([ "$(id -u)" = 0 ] || echo sudo)
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
      fi ;;
    *) echo "setup.sh: unknown option $option" >&2; return 2 2>/dev/null || exit 2 ;;
  esac
done
export PATH="$repo/.venv/bin:$PATH"
