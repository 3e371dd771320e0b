#!/usr/bin/env bash
# The one test command: installs everything the tests need into .venv, then runs every gate
# (ruff, mypy, import contracts, pytest). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/lint-imports
.venv/bin/pytest "$@"
