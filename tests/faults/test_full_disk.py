"""A disk that fills during training, on a real tmpfs the test mounts: under the database, under
`runs/`, and under one checkpoint folder. The job must fail with "Disk full" as its recorded
reason, keep every epoch it wrote, leave no half-written file; reading commands must work on
the full disk and `rm` must free space (`support.faults.full_disk_round` says what it checks)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.faults import full_disk_round, synth


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth(tmp_path_factory.mktemp("data") / "shapes")


@pytest.mark.parametrize("where", ["database", "runs", "checkpoint"])
def test_a_disk_that_fills_during_training(tmp_path: Path, data: Path, where: str) -> None:
    try:
        problems = full_disk_round(tmp_path, data, where)
    except PermissionError as exc:
        pytest.skip(str(exc))
    assert problems == []
