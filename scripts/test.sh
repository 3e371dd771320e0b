#!/usr/bin/env bash
# The one test command: installs everything the tests need into .venv, then runs every gate
# (ruff, mypy, import contracts, pytest). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian's adb server: the device tests talk to it (with the loopback test device).
if ! command -v adb >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq adb) >/dev/null \
    || echo "warning: could not install Debian's adb; the device tests will be skipped" >&2
fi
# Debian's Slurm 22.05: the Slurm backend tests start a single-node cluster from it (no systemd).
if ! command -v slurmctld >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurmctld slurmd slurm-client munge) >/dev/null \
    || echo "warning: could not install Debian's Slurm; the Slurm backend tests will be skipped" >&2
fi
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/lint-imports
.venv/bin/pytest "$@"
