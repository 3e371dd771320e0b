"""The scheduler: one per database, detached, restartable, idle-exiting, never running twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from support.waiting import wait_for as support_wait_for

from cnnlab.engine import TrainSpec, ensure_scheduler, scheduler_status, stop_scheduler, submit
from cnnlab.engine.runtime.scheduler import is_running
from cnnlab.store import Store, get_experiment, list_events


def wait_for(condition: Callable[[], bool], timeout: float = 60.0, what: str = "it") -> None:
    support_wait_for(condition, timeout, what)


@pytest.fixture
def quick_idle(db_path: Path) -> None:
    (db_path.parent / "cnnlab.toml").write_text("[engine]\nidle_timeout_s = 1.0\n")


def test_one_scheduler_per_database(store: Store, db_path: Path) -> None:
    # Idle for a minute at most: a second Python started on a busy machine must still find
    # the first scheduler serving (with a 1 s idle timeout it had sometimes exited already).
    (db_path.parent / "cnnlab.toml").write_text("[engine]\nidle_timeout_s = 60.0\n")
    assert ensure_scheduler(store)
    assert is_running(store)
    assert not ensure_scheduler(store)
    second = subprocess.run(
        [sys.executable, "-m", "cnnlab.engine.runtime.scheduler", str(store.path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert "another scheduler already serves this database" in second.stdout
    status = scheduler_status(store)
    assert status.running
    assert status.pid is not None
    assert status.max_parallel is None  # no cap but the slots
    assert status.slots == {"trainer": 1, "conversion": 1}  # no GPU here: one training at once
    assert stop_scheduler(store)


def test_the_idle_scheduler_exits(store: Store, quick_idle: None) -> None:
    assert ensure_scheduler(store)
    wait_for(lambda: not is_running(store), 30, "the idle scheduler to exit")


def test_engine_stop_leaves_no_scheduler(store: Store) -> None:
    ensure_scheduler(store)
    assert stop_scheduler(store)
    assert not is_running(store)
    assert not stop_scheduler(store)


def test_a_killed_scheduler_is_replaced_and_no_job_runs_twice(  # type: ignore[no-untyped-def]
    store: Store, quick_idle: None, run_cnnlab, tmp_path: Path
) -> None:
    ensure_scheduler(store)
    pid = scheduler_status(store).pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not is_running(store), 10, "the killed scheduler's lock to drop")
    missing = tmp_path / "deleted-dataset"
    experiment_id = submit(
        store, TrainSpec(model="alexnet", data=str(missing), epochs=1), start_scheduler=False
    )
    result = run_cnnlab("engine", "status", "--db", str(store.path))
    assert result.returncode == 0, result.stderr
    assert "scheduler   running" in result.stdout
    wait_for(lambda: get_experiment(store, experiment_id).status == "failed", 120, "the job")
    failed = get_experiment(store, experiment_id)
    assert failed.error is not None
    assert str(missing) in failed.error
    assert len(failed.error.splitlines()) == 1
    assert [e.kind for e in list_events(store, experiment_id)].count("started") <= 1
    assert (store.run_dir(experiment_id) / "log.txt").exists()
