"""Real training jobs through a real single-node Slurm: epochs stream in through the run folder,
`stop` is `scancel` (checkpoint, then `resume`), and a full node keeps a job `pending
(Resources)` until a slot frees."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from support.waiting import wait_for as support_wait_for

from cnnlab.store import get_detail, get_experiment, open_store

TRAIN = ["--model", "alexnet", "--input", "32", "--batch", "8", "--patience", "-1"]
SLURM = ["--backend", "slurm", "--gpus", "0", "--sbatch-arg=--cpus-per-task=1"]


def wait_for(condition: Callable[[], bool], timeout: float = 150.0, what: str = "it") -> None:
    support_wait_for(condition, timeout, what)


def submit(run_cnnlab: Any, db_path: Path, data: Path, *args: str) -> int:
    result = run_cnnlab(
        "train", *TRAIN, *SLURM, "--data", str(data), "--json", "--db", str(db_path), *args
    )
    assert result.returncode == 0, result.stderr
    return int(json.loads(result.stdout)["id"])


def status_of(db_path: Path, experiment_id: int) -> str:
    with open_store(db_path) as store:
        return get_experiment(store, experiment_id).status


def stop_scheduler_after(db_path: Path) -> None:
    from cnnlab.engine import stop_scheduler

    with open_store(db_path) as store:
        stop_scheduler(store)


def test_a_slurm_job_streams_its_epochs_through_files_and_ends_done(
    slurm: Any, run_cnnlab: Any, db_path: Path, images: Path
) -> None:
    try:
        experiment_id = submit(run_cnnlab, db_path, images, "--epochs", "2")
        wait_for(lambda: status_of(db_path, experiment_id) in ("done", "failed", "lost"))
        with open_store(db_path) as store:
            detail = get_detail(store, experiment_id)
            run_dir = store.run_dir(experiment_id)
    finally:
        stop_scheduler_after(db_path)
    experiment = detail.experiment
    assert experiment.status == "done", (experiment.error, (run_dir / "log.txt").read_text())
    assert experiment.backend == "slurm"
    assert experiment.backend_job_id and experiment.backend_job_id.isdigit()
    assert experiment.host == slurm.node and experiment.backend_node == slurm.node
    assert [e.epoch for e in detail.epochs] == [1, 2]
    assert all("val_accuracy" in e.metrics for e in detail.epochs)
    kinds = [e.kind for e in detail.events]
    assert kinds[:2] == ["queued", "submitted"] and kinds[-1] == "done"
    assert {a.kind for a in detail.artifacts} >= {"keras", "saved_model"}
    assert all(a.bytes > 0 and len(a.sha256) == 64 for a in detail.artifacts)
    # It reported through its run folder; Slurm's own output went to log.txt.
    lines = (run_dir / "report.jsonl").read_text().splitlines()
    assert sum(json.loads(line)["type"] == "epoch" for line in lines) == 2
    assert experiment.report_offset == (run_dir / "report.jsonl").stat().st_size
    assert "exec " in (run_dir / "slurm.sh").read_text()
    assert (run_dir / "log.txt").stat().st_size > 0


def test_stop_is_scancel_with_a_checkpoint_and_resume_finishes(
    slurm: Any, run_cnnlab: Any, db_path: Path, images: Path
) -> None:
    try:
        experiment_id = submit(run_cnnlab, db_path, images, "--epochs", "12")
        with open_store(db_path) as store:
            wait_for(lambda: get_experiment(store, experiment_id).epochs_run >= 1, what="epoch 1")
            first_job = get_experiment(store, experiment_id).backend_job_id
        result = run_cnnlab("stop", str(experiment_id), "--db", str(db_path))
        assert result.returncode == 0, result.stderr
        wait_for(lambda: status_of(db_path, experiment_id) != "running", what="the stop")
        with open_store(db_path) as store:
            stopped = get_detail(store, experiment_id)
            run_dir = store.run_dir(experiment_id)
        assert stopped.experiment.status == "stopped", stopped.experiment.error
        state = json.loads((run_dir / "checkpoint" / "state.json").read_text())
        assert 1 <= state["completed_epochs"] < 12
        assert "stop_requested" in [e.kind for e in stopped.events]
        assert slurm.run("sacct", "-c", "-n", "-P", "-o", "State", "-j", str(first_job)).startswith(
            "CANCELLED"
        )

        result = run_cnnlab("resume", str(experiment_id), "--db", str(db_path))
        assert result.returncode == 0, result.stderr
        wait_for(lambda: status_of(db_path, experiment_id) in ("done", "failed", "lost"))
        with open_store(db_path) as store:
            done = get_detail(store, experiment_id)
    finally:
        stop_scheduler_after(db_path)
    assert done.experiment.status == "done", done.experiment.error
    assert done.experiment.backend_job_id != first_job  # a new Slurm job
    assert [e.epoch for e in done.epochs] == list(range(1, 13))  # numbering intact


def test_a_full_node_keeps_the_third_job_pending_for_resources(
    slurm: Any, run_cnnlab: Any, db_path: Path, images: Path
) -> None:
    seen: list[str] = []

    def pending_in_ls() -> bool:
        result = run_cnnlab("ls", "--db", str(db_path))
        assert result.returncode == 0, result.stderr
        rows = [line for line in result.stdout.splitlines() if "pending (Resources)" in line]
        seen.extend(rows)
        return bool(rows)

    try:
        ids = [submit(run_cnnlab, db_path, images, "--epochs", "3") for _ in range(3)]
        wait_for(pending_in_ls, what="`pending (Resources)` in cnnlab ls")
        with open_store(db_path) as store:
            rows = [get_experiment(store, i) for i in ids]
        waiting = [e for e in rows if e.backend_state == "PENDING"]
        assert [e.backend_reason for e in waiting] == ["Resources"]
        assert sum(e.backend_state == "RUNNING" for e in rows) == 2  # room for two only
        assert waiting[0].display_status == "pending (Resources)"
        assert seen[0].split()[0] == str(waiting[0].id)

        result = run_cnnlab("engine", "status", "--json", "--db", str(db_path))
        jobs = {job["id"]: job for job in json.loads(result.stdout)["backend_jobs"]}
        assert jobs[waiting[0].id]["reason"] == "Resources"

        wait_for(lambda: all(status_of(db_path, i) in ("done", "failed", "lost") for i in ids))
        assert [status_of(db_path, i) for i in ids] == ["done"] * 3
    finally:
        stop_scheduler_after(db_path)
