"""The CLI, the TUI and the store must start without loading TensorFlow (a multi-second import)."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("tensorflow", "keras")


@pytest.mark.parametrize("module", ["cnnlab.cli", "cnnlab.store", "cnnlab.config", "cnnlab.tui"])
def test_importing_does_not_load_tensorflow(module: str) -> None:
    code = f"import sys, {module}\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "", f"importing {module} loaded {result.stdout.strip()}"


def test_cli_help_loads_neither_tensorflow_nor_the_store() -> None:
    code = (
        "import sys\nfrom cnnlab.cli import cli\n"
        "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('LOADED', ','.join(m for m in ('tensorflow', 'keras', 'sqlite_utils', 'numpy')"
        " if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip().endswith("LOADED"), result.stdout
