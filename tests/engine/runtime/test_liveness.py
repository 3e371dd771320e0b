"""A running row is alive only while its own job process is: pid, command line, heartbeat."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from cnnlab.engine.runtime.job import failure_reason
from cnnlab.engine.runtime.liveness import STALE_S, job_process_alive, mark_lost
from cnnlab.errors import CnnlabError
from cnnlab.store import Store, create_experiment, get_experiment, list_events, set_status

FAKE_JOB = "import time; time.sleep(60)"


def start_lookalike(experiment_id: int) -> subprocess.Popen[bytes]:
    """A process whose command line names the job module and the id, as a real job's does."""
    process = subprocess.Popen(
        [sys.executable, "-c", FAKE_JOB, "cnnlab.engine.runtime.job", "db", str(experiment_id)]
    )
    deadline = time.monotonic() + 10
    while b"cnnlab.engine.runtime.job" not in Path(f"/proc/{process.pid}/cmdline").read_bytes():
        assert time.monotonic() < deadline, "the process never reached exec"
        time.sleep(0.01)
    return process


def test_a_reused_pid_is_not_mistaken_for_the_job(store: Store) -> None:
    experiment_id = create_experiment(store, "train")
    other = subprocess.Popen([sys.executable, "-c", FAKE_JOB])  # alive, but not our job
    job = start_lookalike(experiment_id)
    try:
        assert job_process_alive(job.pid, experiment_id)
        assert not job_process_alive(job.pid, experiment_id + 1)
        assert not job_process_alive(other.pid, experiment_id)
    finally:
        for process in (other, job):
            process.kill()
            process.wait()
    assert not job_process_alive(job.pid, experiment_id)


def test_dead_and_silent_jobs_are_marked_lost(store: Store) -> None:
    alive_id, dead_id, silent_id = (create_experiment(store, "train") for _ in range(3))
    job = start_lookalike(alive_id)
    dead = start_lookalike(dead_id)
    dead.kill()
    dead.wait()
    try:
        set_status(store, alive_id, "running", pid=job.pid)
        set_status(store, dead_id, "running", pid=dead.pid)
        set_status(store, silent_id, "running", pid=None, host="another-node")
        store.conn.execute(
            "UPDATE experiments SET heartbeat_at = ? WHERE id = ?",
            (time.time() - STALE_S - 5, silent_id),
        )
        assert sorted(mark_lost(store)) == [dead_id, silent_id]
        assert get_experiment(store, alive_id).status == "running"
        lost = get_experiment(store, dead_id)
        assert lost.status == "lost"
        assert lost.error is not None
        assert f"cnnlab resume {dead_id}" in lost.error
        assert "no heartbeat" in (get_experiment(store, silent_id).error or "")
        assert [e.kind for e in list_events(store, dead_id)] == ["lost"]
        assert mark_lost(store) == []
    finally:
        job.kill()
        job.wait()


def test_failure_reasons_are_one_line() -> None:
    assert failure_reason(CnnlabError("Dataset folder /x does not exist.")) == (
        "Dataset folder /x does not exist."
    )
    assert failure_reason(ValueError("bad shape\nlong traceback detail")) == "ValueError: bad shape"
    assert failure_reason(MemoryError()).startswith("Out of memory (MemoryError)")


def test_a_recorded_fit_lives_while_its_own_process_does(store: Store) -> None:
    """A `fit` row's process is the user's Python: alive while its pid has the start time the
    Recorder wrote; the same pid with another start (reused) or a dead one is lost."""
    from cnnlab.engine.runtime.liveness import process_start, recorder_process_alive

    kernel = subprocess.Popen([sys.executable, "-c", FAKE_JOB])
    try:
        started = process_start(kernel.pid)
        assert started is not None and recorder_process_alive(kernel.pid, started)
        assert not recorder_process_alive(kernel.pid, started + 1)  # a reused pid
        ids = []
        for start in (started, started + 1):
            spec = {"kind": "fit", "source": "recorder", "process_start": start}
            ids.append(create_experiment(store, "fit", spec=spec, status="running"))
            set_status(store, ids[-1], "running", pid=kernel.pid)
        assert mark_lost(store) == [ids[1]]
        error = get_experiment(store, ids[1]).error or ""
        assert "epoch(s) recorded are kept" in error and "resume" not in error
    finally:
        kernel.kill()
        kernel.wait()
    assert process_start(kernel.pid) is None
    assert mark_lost(store) == [ids[0]]
