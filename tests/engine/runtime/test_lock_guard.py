"""A job that loses its lock on the database stops writing and fails loudly: the heartbeat
asks the kernel (/proc/locks) each beat, and every later report raises the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.waiting import wait_for

from cnnlab.engine.runtime import job
from cnnlab.engine.runtime.reporter import StoreReporter
from cnnlab.store import StoreError, create_experiment, open_store

pytestmark = pytest.mark.skipif(
    not Path("/proc/locks").exists(), reason="the kernel's lock table needs Linux procfs"
)


def test_a_lost_lock_stops_the_reports_with_a_sentence(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(job, "HEARTBEAT_S", 0.05)
    with open_store(db_path) as store:
        experiment_id = create_experiment(store, "train", name="guarded")
        reporter = StoreReporter(store, experiment_id)
        done = job._start_heartbeat(db_path, experiment_id, reporter)
        try:
            reporter.event("note", "before")  # fine while the lock is held
            with db_path.open("rb") as handle:  # the trap: this close drops our locks
                handle.read(16)
            wait_for(lambda: reporter.fault is not None, timeout=10, what="the guard")
            with pytest.raises(StoreError, match="lost its lock"):
                reporter.epoch(1, {"loss": 1.0}, lr=None, seconds=1.0)
            with pytest.raises(StoreError, match=f"cnnlab resume {experiment_id}"):
                reporter.status("done")
        finally:
            done.set()


def test_a_healthy_job_is_left_alone(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(job, "HEARTBEAT_S", 0.05)
    with open_store(db_path) as store:
        experiment_id = create_experiment(store, "train", name="healthy")
        reporter = StoreReporter(store, experiment_id)
        done = job._start_heartbeat(db_path, experiment_id, reporter)
        try:
            with open_store(db_path):  # another store in the same process is safe
                pass
            wait_for(
                lambda: bool(store.read("SELECT heartbeat_at FROM experiments")[0][0]),
                timeout=10,
                what="a heartbeat",
            )
            reporter.epoch(1, {"loss": 1.0}, lr=None, seconds=1.0)
            assert reporter.fault is None
        finally:
            done.set()
