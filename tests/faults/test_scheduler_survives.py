"""The scheduler outlives what its jobs do to it, and a queue is never stranded: `rm --force` of
a running job, and a `kill -9` of the scheduler while work waits behind `max_parallel`."""

from __future__ import annotations

from pathlib import Path

from support.faults import (
    cnnlab,
    cnnlab_processes,
    epoch_numbers,
    kill9,
    row,
    submit,
    synth,
)
from support.waiting import wait_for


def _schedulers(db: Path) -> list[int]:
    return [
        pid for pid, m in cnnlab_processes(db).items() if m == "cnnlab.engine.runtime.scheduler"
    ]


def test_rm_force_of_a_running_job_leaves_the_scheduler_serving(tmp_path: Path) -> None:
    data = synth(tmp_path / "shapes")
    db = tmp_path / "experiments.db"
    doomed = submit(db, data, "--epochs", "30", "--patience", "-1")
    wait_for(lambda: len(epoch_numbers(db, doomed)) >= 1, what="the first epoch")
    scheduler = _schedulers(db)
    job_pids = [p for p, m in cnnlab_processes(db).items() if m == "cnnlab.engine.runtime.job"]
    removed = cnnlab("rm", str(doomed), "--yes", "--force", "--db", str(db))
    assert removed.returncode == 0, removed.stderr
    assert job_pids and not set(job_pids) & set(cnnlab_processes(db)), "the job still runs"
    assert not (tmp_path / "runs" / str(doomed)).exists()
    after = submit(db, data, "--epochs", "2", "--patience", "-1")
    wait_for(lambda: row(db, after)["status"] == "done", timeout=240, what="the next job")
    assert _schedulers(db) == scheduler, "the scheduler died and was replaced"
    log = (tmp_path / "runs" / "scheduler.log").read_text()
    assert "Traceback" not in log


def test_a_killed_scheduler_is_restarted_by_the_next_command(tmp_path: Path) -> None:
    data = synth(tmp_path / "shapes")
    db = tmp_path / "experiments.db"
    (tmp_path / "cnnlab.toml").write_text("[engine]\nmax_parallel = 1\n")
    first = submit(db, data, "--epochs", "3", "--patience", "-1")
    second = submit(db, data, "--epochs", "2", "--patience", "-1")  # waits for the first
    wait_for(lambda: row(db, first)["status"] == "running", what="the first job to start")
    for pid in _schedulers(db):
        kill9(pid)
    wait_for(lambda: not _schedulers(db), what="the scheduler to die")
    wait_for(lambda: row(db, first)["status"] != "running", timeout=240, what="the first job")
    assert row(db, second)["status"] == "queued"  # nobody serves it now
    listed = cnnlab("ls", "--db", str(db))  # a user looks: that restarts the scheduler
    assert listed.returncode == 0, listed.stderr
    wait_for(lambda: row(db, second)["status"] == "done", timeout=240, what="the second job")
    assert row(db, first)["status"] == "done"  # it finished on its own, orphaned or not
    assert epoch_numbers(db, first) == [1, 2, 3]
    assert epoch_numbers(db, second) == [1, 2]
