"""A Recorder in a real user process, signalled and killed for real: SIGKILL mid-training makes
the run `lost` (its epochs kept), Ctrl-C once `stopped` with its model, Ctrl-C twice `stopped`
at once, an exception in the fit `failed` (the process dead, or living on as a notebook kernel
does), and a script run by `cnnlab run` stops after its batch on SIGTERM (issue 17 item 2)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cnnlab.engine import look_after_jobs
from cnnlab.engine.kinds.script.attach import AttachedJob
from cnnlab.store import (
    Experiment,
    create_experiment,
    get_detail,
    list_epochs,
    list_experiments,
    open_store,
    set_status,
)

SCRIPT = Path(__file__).with_name("fit_script.py")
WAIT_S = 120.0  # TensorFlow's import alone takes seconds on a busy 2-core machine


@pytest.fixture
def started(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []

    def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, str(SCRIPT), *args],
            cwd=tmp_path,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.communicate()


def wait_for(db: Path, test: Callable[[Experiment], bool], what: str) -> Experiment:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if db.exists():
            with open_store(db) as store:
                rows = list_experiments(store)
                if rows and test(rows[0]):
                    return rows[0]
        time.sleep(0.1)
    raise AssertionError(f"never saw {what}")


def test_a_killed_script_is_lost_with_its_epochs(
    tmp_path: Path, started: Callable[..., subprocess.Popen[str]]
) -> None:
    db = tmp_path / "experiments.db"
    process = started(str(db))
    row = wait_for(db, lambda e: e.epochs_run >= 2, "two epochs")
    with open_store(db) as store:
        look_after_jobs(store)
        assert list_experiments(store)[0].status == "running"  # alive: left alone
    process.send_signal(signal.SIGKILL)
    process.wait()
    with open_store(db) as store:
        look_after_jobs(store)  # what ls, show and the TUI do first
        detail = get_detail(store, row.id)
        e = detail.experiment
        assert e.status == "lost" and "epoch(s) recorded are kept" in (e.error or "")
        assert "cnnlab resume" not in (e.error or "")
        assert len(list_epochs(store, row.id)) == e.epochs_run >= 2
        assert [ev.kind for ev in detail.events][-1] == "lost"


def test_ctrl_c_stops_after_the_batch_with_the_model(
    tmp_path: Path, started: Callable[..., subprocess.Popen[str]]
) -> None:
    db = tmp_path / "experiments.db"
    process = started(str(db))
    row = wait_for(db, lambda e: e.epochs_run >= 1, "an epoch")
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=WAIT_S)
    assert process.returncode == 0 and "script ended normally" in out  # fit returned
    assert "cnnlab: stopping after this batch; press Ctrl-C again to interrupt now" in err
    with open_store(db) as store:
        detail = get_detail(store, row.id)
        e = detail.experiment
        assert e.status == "stopped" and e.epochs_run >= 1
        assert [ep.epoch for ep in detail.epochs] == list(range(1, e.epochs_run + 1))
        assert [a.kind for a in detail.artifacts] == ["keras"]


def test_ctrl_c_twice_interrupts_at_once_and_still_ends_stopped(
    tmp_path: Path, started: Callable[..., subprocess.Popen[str]]
) -> None:
    db = tmp_path / "experiments.db"
    process = started(str(db), "--slow-from", "2")  # from epoch 2 on, 10 s a batch
    row = wait_for(db, lambda e: e.epochs_run >= 1, "an epoch")
    process.send_signal(signal.SIGINT)
    assert process.stderr is not None
    for line in process.stderr:  # the first Ctrl-C was seen: the fit waits for its batch
        if line.startswith("cnnlab: stopping after this batch"):
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=WAIT_S)
    assert process.returncode != 0 and "KeyboardInterrupt" in err
    assert "script ended normally" not in out
    with open_store(db) as store:
        detail = get_detail(store, row.id)
        assert detail.experiment.status == "stopped"
        assert detail.artifacts == []
        assert any(ev.kind == "stopped" and ev.data.get("interrupted") for ev in detail.events)


def test_an_exception_in_fit_fails_the_run(
    tmp_path: Path, started: Callable[..., subprocess.Popen[str]]
) -> None:
    db = tmp_path / "experiments.db"
    process = started(str(db), "--fail-at", "3")
    process.communicate(timeout=WAIT_S)
    assert process.returncode != 0
    with open_store(db) as store:
        e = list_experiments(store)[0]
        assert e.status == "failed" and e.epochs_run == 2
        assert "ValueError: the augmentation broke" in (e.error or "")


def test_an_exception_in_a_kernel_that_lives_on_fails_the_run(
    tmp_path: Path, started: Callable[..., subprocess.Popen[str]]
) -> None:
    db = tmp_path / "experiments.db"
    process = started(str(db), "--fail-at", "3", "--live-on")
    e = wait_for(db, lambda e: e.status != "running", "the run settled")
    assert process.poll() is None  # the "kernel" is still alive
    assert e.status == "failed" and e.epochs_run == 2
    assert "ValueError: the augmentation broke" in (e.error or "")


def test_a_job_script_reports_into_its_job_and_stops_on_sigterm(
    tmp_path: Path, started: Callable[..., subprocess.Popen[str]]
) -> None:
    db = tmp_path / "experiments.db"
    with open_store(db) as store:
        job_id = create_experiment(store, "script", name="cnnlab run", status="running")
        set_status(store, job_id, "running", pid=os.getpid())
    env = AttachedJob(job_id, db, None).environment()
    process = started(str(tmp_path / "ignored.db"), "--fits", "2", "--epochs", "3", env=env)
    wait_for(db, lambda e: e.epochs_run >= 4, "the second fit's first epoch")
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=WAIT_S)
    assert process.returncode == 0 and "script ended normally" in out
    assert "stop requested (SIGTERM)" in err
    assert not (tmp_path / "ignored.db").exists()
    with open_store(db) as store:
        [e] = list_experiments(store)  # no row of its own
        detail = get_detail(store, job_id)
        assert e.status == "running"  # the job process, not the script, ends it
        # The second fit numbered on after the first fit's 3 epochs.
        assert [ep.epoch for ep in detail.epochs][:4] == [1, 2, 3, 4]
        assert e.epochs_run < 6
        names = sorted(Path(a.path).name for a in detail.artifacts)
        assert names == ["model-2.keras", "model.keras"]
