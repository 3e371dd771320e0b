"""Fixtures for the Slurm tests: a real single-node Slurm for the module, and tiny images.

Slurm is Debian's 22.05 (`scripts/test.sh` installs it); the tests that need it are skipped,
saying so, only when it is not installed or cannot be started without root.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import slurm as slurm_support  # tests/support, on the path via pytest's pythonpath


@pytest.fixture(scope="module")
def slurm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A running Slurm whose SLURM_CONF every process started by the test inherits."""
    missing = slurm_support.missing_tools()
    if missing:
        pytest.skip(
            f"Slurm is not installed ({', '.join(missing)} missing; scripts/test.sh installs "
            "Debian's slurmctld slurmd slurm-client munge): the Slurm backend tests cannot run"
        )
    if os.geteuid() != 0:
        pytest.skip("the test Slurm's daemons run as root, and these tests do not")
    previous = os.environ.get("SLURM_CONF")
    with slurm_support.slurm_cluster(tmp_path_factory.mktemp("slurm")) as cluster:
        os.environ["SLURM_CONF"] = str(cluster.conf)
        try:
            yield cluster
        finally:
            if previous is None:
                os.environ.pop("SLURM_CONF", None)
            else:
                os.environ["SLURM_CONF"] = previous


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A learnable 3-class Fruits360-layout folder of 32x32 JPEGs."""
    from click.testing import CliRunner

    from cnnlab.cli import cli

    folder = tmp_path_factory.mktemp("data") / "shapes"
    args = ["data", "synth", str(folder), "--classes", "3", "--per-class", "30"]
    result = CliRunner().invoke(cli, [*args, "--size", "32", "--seed", "1"])
    assert result.exit_code == 0, result.output
    return folder
