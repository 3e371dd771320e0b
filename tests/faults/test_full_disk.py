"""A disk that fills during training, on a real tmpfs the test mounts: under the database, under
`runs/`, and under one checkpoint folder. The job must fail with "Disk full" as its recorded
reason, keep every epoch it wrote, leave no half-written file; reading commands must work on
the full disk and `rm` must free space."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.faults import (
    cnnlab,
    epoch_numbers,
    fill,
    partial_files,
    row,
    submit,
    synth,
    tmpfs,
    wait_for,
)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth(tmp_path_factory.mktemp("data") / "shapes")


@pytest.fixture
def mounts() -> Iterator[Callable[[Path, str], Path]]:
    """Mount a tmpfs of a size at a folder (skipped where mounting is not allowed), unmounted
    when the test ends, after its scheduler is stopped."""
    with contextlib.ExitStack() as stack:

        def mount(folder: Path, size: str) -> Path:
            try:
                return stack.enter_context(tmpfs(folder, size))
            except PermissionError as exc:
                pytest.skip(str(exc))

        yield mount


def _free(folder: Path) -> int:
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize


def _ends_with_disk_full(db: Path, job: int) -> dict[str, object]:
    wait_for(lambda: row(db, job)["status"] not in ("queued", "running"), what="the job to end")
    ended = row(db, job)
    assert ended["status"] == "failed", ended
    assert str(ended["error"]).startswith("Disk full"), ended["error"]
    return ended


def _reads_work(db: Path, job: int) -> None:
    for command in (["ls"], ["show", str(job)], ["logs", str(job)], ["engine", "status"]):
        result = cnnlab(*command, "--db", str(db))
        assert result.returncode == 0, (command, result.stderr)
        assert "Traceback" not in result.stderr


def test_a_disk_that_fills_under_the_database(
    tmp_path: Path, data: Path, mounts: Callable[[Path, str], Path]
) -> None:
    disk = mounts(tmp_path / "disk", "48m")
    try:
        db = disk / "experiments.db"
        job = submit(db, data, "--epochs", "40", "--patience", "-1")
        checkpoint = disk / "runs" / str(job) / "checkpoint" / "state.json"
        wait_for(checkpoint.exists, what="the first checkpoint")
        filler = fill(disk)
        _ends_with_disk_full(db, job)
        epochs = epoch_numbers(db, job)
        assert epochs == list(range(1, len(epochs) + 1)) and epochs
        assert partial_files(disk / "runs") == []
        _reads_work(db, job)  # on the full disk
        before = _free(disk)
        removed = cnnlab("rm", str(job), "--yes", "--db", str(db))
        assert removed.returncode == 0, removed.stderr
        assert not (disk / "runs" / str(job)).exists()
        assert _free(disk) > before + 4 * 2**20  # the run's checkpoint and log are gone
        filler.unlink()
        listed = cnnlab("ls", "--db", str(db))
        assert listed.returncode == 0 and f"\n{job:>3} " not in listed.stdout
    finally:
        cnnlab("engine", "stop", "--db", str(disk / "experiments.db"))


@pytest.mark.parametrize("where", ["runs", "checkpoint"])
def test_a_full_runs_folder_or_checkpoint_folder(
    tmp_path: Path, data: Path, where: str, mounts: Callable[[Path, str], Path]
) -> None:
    db = tmp_path / "experiments.db"
    # A fresh database's first experiment is 1: its checkpoint folder can be mounted first.
    folder, size = (
        (tmp_path / "runs", "6m") if where == "runs" else (tmp_path / "runs/1/checkpoint", "2m")
    )
    mounts(folder, size)
    try:
        job = submit(db, data, "--epochs", "5", "--patience", "-1")
        assert job == 1
        _ends_with_disk_full(db, job)
        epochs = epoch_numbers(db, job)
        assert epochs == list(range(1, len(epochs) + 1)) and epochs, "epoch 1 must be kept"
        assert partial_files(tmp_path / "runs") == []
        _reads_work(db, job)
        removed = cnnlab("rm", str(job), "--yes", "--db", str(db))
        assert removed.returncode == 0, removed.stderr
        run_dir = tmp_path / "runs" / str(job)
        # A mount point itself cannot be removed; everything in it can.
        assert list(folder.iterdir()) == [] if where == "checkpoint" else not run_dir.exists()
    finally:
        cnnlab("engine", "stop", "--db", str(db))
