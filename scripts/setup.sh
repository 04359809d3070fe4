#!/usr/bin/env bash
# Create .venv with Python 3.12+ and install the project with its test and workshop extras.
# Usage: bash scripts/setup.sh        (idempotent; safe to re-run)
set -euo pipefail
cd "$(dirname "$0")/.."
find_python() {
  for c in python3.12 python3.13 python3.14 python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      command -v "$c"; return 0
    fi
  done
  # pyenv installs that are not on PATH (the shim answers only for the global version)
  for c in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3; do
    if [ -x "$c" ]; then echo "$c"; return 0; fi
  done
  return 1
}
PY=$(find_python) || { echo "error: Python 3.12 or newer is needed (python3.12 not found)" >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test,workshop]"
# the workshop page's front-end files, from the npm registry into the venv's Solara cache, so the
# app never fetches from a CDN at run time (skips what is already there)
.venv/bin/python -m workshop.assets prepare >&2
echo "setup: .venv ready ($(.venv/bin/python --version))" >&2
