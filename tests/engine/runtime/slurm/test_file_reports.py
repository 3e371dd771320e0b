"""The file path of reporting: a FileReporter's lines reach the store exactly once, whoever
ingests them and however often; stop requests arrive through a file; no Slurm needed."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from cnnlab.engine.runtime.file_reporter import FileReporter, report_path, stop_path
from cnnlab.engine.runtime.ingest import ingest_report, ingest_reports
from cnnlab.store import (
    Store,
    content_hash,
    create_experiment,
    get_detail,
    get_experiment,
    open_store,
)
from cnnlab.store.backends import assign_backend, write_job_context


def slurm_row(store: Store) -> int:
    experiment_id = create_experiment(store, "train", model="alexnet", status="stopped")
    assign_backend(store, experiment_id, "slurm", {"gpus": 0})
    return experiment_id


def report_a_short_run(reporter: FileReporter, model: Path) -> None:
    reporter.status("running", pid=4242)
    reporter.event("started", "pid 4242 on node7")
    for epoch in (1, 2):
        reporter.progress(epoch, 5, 5)
        reporter.epoch(
            epoch, {"loss": 1.0 / epoch, "val_accuracy": 0.4 * epoch}, lr=1e-3, seconds=0.5
        )
    reporter.heartbeat()
    reporter.artifact("keras", model, {"params": 12})
    reporter.summary(best_metric="val_accuracy", best_value=0.8, best_epoch=2, epochs_run=2)
    reporter.status("done")
    reporter.event("done", "2 epochs")


def test_every_call_becomes_one_line_applied_once(store: Store) -> None:
    experiment_id = slurm_row(store)
    run_dir = store.run_dir(experiment_id)
    model = run_dir / "model.keras"
    run_dir.mkdir(parents=True)
    model.write_bytes(b"weights" * 100)
    report_a_short_run(FileReporter(run_dir, experiment_id), model)
    lines = report_path(run_dir).read_text().splitlines()
    assert [line.count("\n") for line in lines] == [0] * len(lines)

    assert get_experiment(store, experiment_id).status == "queued"  # nothing until ingested
    assert ingest_report(store, experiment_id) == len(lines)
    assert ingest_report(store, experiment_id) == 0  # a second pass applies nothing
    assert ingest_reports(store) == 0

    detail = get_detail(store, experiment_id)
    experiment = detail.experiment
    assert experiment.status == "done"
    assert (experiment.pid, experiment.host) == (4242, os.uname().nodename)  # the node's
    assert experiment.best_val_accuracy == 0.8
    assert experiment.best_epoch == 2
    assert experiment.report_offset == report_path(run_dir).stat().st_size
    assert [e.epoch for e in detail.epochs] == [1, 2]
    assert detail.epochs[0].metrics["loss"] == 1.0
    assert [e.kind for e in detail.events] == ["started", "done"]
    (artifact,) = detail.artifacts
    assert artifact.kind == "keras"
    assert (artifact.bytes, artifact.sha256) == content_hash(model)
    assert artifact.meta == {"params": 12}


def test_a_line_still_being_written_waits_for_its_newline(store: Store) -> None:
    experiment_id = slurm_row(store)
    run_dir = store.run_dir(experiment_id)
    reporter = FileReporter(run_dir, experiment_id)
    reporter.status("running", pid=1)
    with report_path(run_dir).open("a") as handle:
        handle.write('{"type": "epoch", "epoch": 1, "metrics": {"loss"')
    assert ingest_report(store, experiment_id) == 1
    assert get_experiment(store, experiment_id).epochs_run == 0
    with report_path(run_dir).open("a") as handle:
        handle.write(": 0.5}}\n")
    assert ingest_report(store, experiment_id) == 1
    assert get_experiment(store, experiment_id).epochs_run == 1


def test_racing_ingesters_apply_each_line_once(db_path: Path, store: Store) -> None:
    experiment_id = slurm_row(store)
    run_dir = store.run_dir(experiment_id)
    reporter = FileReporter(run_dir, experiment_id)
    reporter.status("running", pid=1)
    for number in range(200):
        reporter.event("note", f"line {number}")
    counts: list[int] = []

    def ingest() -> None:
        with open_store(db_path) as own:
            counts.append(ingest_report(own, experiment_id))

    threads = [threading.Thread(target=ingest) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ingest_report(store, experiment_id)  # whatever a loser left behind
    events = get_detail(store, experiment_id).events
    assert [e.message for e in events] == [f"line {n}" for n in range(200)]


def test_a_row_already_stopped_is_not_revived_by_a_late_running_line(store: Store) -> None:
    from cnnlab.store import set_status

    experiment_id = slurm_row(store)
    set_status(store, experiment_id, "stopped", expect=("queued",))
    FileReporter(store.run_dir(experiment_id), experiment_id).status("running", pid=3)
    ingest_report(store, experiment_id)
    assert get_experiment(store, experiment_id).status == "stopped"


def test_stop_requests_arrive_through_a_file_or_sigterm(tmp_path: Path) -> None:
    reporter = FileReporter(tmp_path / "run", 1)
    assert not reporter.stop_requested()
    stop_path(tmp_path / "run").touch()
    reporter._last_stop_poll = 0.0  # the next call looks at the folder again
    assert reporter.stop_requested()
    other = FileReporter(tmp_path / "other", 2)
    other.stop_signalled = True  # what the job's SIGTERM handler does
    assert other.stop_requested()


def test_a_job_context_holds_its_row_and_its_parents_artifacts(store: Store) -> None:
    from cnnlab.store import add_artifact, artifact_path, list_artifacts

    parent = create_experiment(store, "train", model="alexnet", status="done")
    model = store.run_dir(parent) / "model.keras"
    model.parent.mkdir(parents=True)
    model.write_bytes(b"parent model")
    add_artifact(store, parent, "keras", model)
    child = create_experiment(store, "transfer", parent_id=parent, spec={"source": parent})
    context_path = store.run_dir(child) / "context.db"
    context_path.parent.mkdir(parents=True)
    write_job_context(store, {child, parent}, context_path)
    with open_store(context_path) as context:
        assert get_experiment(context, child).parent_id == parent
        (artifact,) = list_artifacts(context, parent)
        assert artifact_path(context, artifact) == model  # absolute: readable from any node
