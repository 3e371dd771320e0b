"""The sequence that used to lose a running job's writes: a long training, `engine stop`, another
writer, more commands that open and close the database. Every write the job makes must reach
the store, and every cnnlab process holding a connection must hold its lock all along."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.faults import (
    cnnlab,
    epoch_numbers,
    processes_without_lock,
    row,
    submit,
    synth,
    wait_for,
)

pytestmark = pytest.mark.skipif(
    not Path("/proc/locks").exists(), reason="the kernel's lock table needs Linux procfs"
)

EPOCHS = 20


def test_a_job_keeps_every_write_through_engine_stop_and_other_writers(tmp_path: Path) -> None:
    data = synth(tmp_path / "shapes")
    db = tmp_path / "experiments.db"
    job = submit(db, data, "--epochs", str(EPOCHS), "--patience", "-1")
    wait_for(lambda: len(epoch_numbers(db, job)) >= 2, what="two epochs")
    assert processes_without_lock(db) == {}

    stopped = cnnlab("engine", "stop", "--db", str(db))
    assert stopped.returncode == 0, stopped.stderr
    other = submit(db, data, "--epochs", "1")  # another writer; it starts a new scheduler
    for _ in range(3):  # each opens and closes the database while the job writes
        listed = cnnlab("ls", "--db", str(db))
        assert listed.returncode == 0, listed.stderr
        assert Path(f"{db}-wal").exists(), "a closing process deleted the WAL the job writes to"
    assert processes_without_lock(db) == {}, "a process lost its lock on the database"

    wait_for(lambda: row(db, job)["status"] != "running", timeout=300, what="the job to end")
    assert row(db, job)["status"] == "done", row(db, job)["error"]
    assert epoch_numbers(db, job) == list(range(1, EPOCHS + 1))
    wait_for(lambda: row(db, other)["status"] == "done", what="the other job")
    stop = cnnlab("stop", str(job), "--db", str(db))  # answered from the real row: it is done
    assert stop.returncode == 2 and "is done" in stop.stderr
