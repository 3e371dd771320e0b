"""Experiment rows: creation, state changes, summaries, paged listing, detail and deletion."""

from __future__ import annotations

import time

import pytest

from cnnlab.store import (
    ExperimentQuery,
    InvalidValue,
    Store,
    UnknownExperiment,
    add_artifact,
    append_epoch,
    append_event,
    cancel_orphaned,
    count_experiments,
    create_experiment,
    delete_experiments,
    get_detail,
    get_experiment,
    list_experiments,
    request_stop,
    set_progress,
    set_status,
    update_summary,
)
from cnnlab.store.backends import LOCAL, claim_next_on


def test_create_and_get(store: Store) -> None:
    spec = {"model": "alexnet", "epochs": 10, "batch": 32}
    experiment_id = create_experiment(
        store, "train", name="fruit", spec=spec, model="alexnet", dataset="fruits360"
    )
    experiment = get_experiment(store, experiment_id)
    assert experiment.status == "queued"
    assert experiment.spec == spec
    assert (experiment.name, experiment.kind, experiment.model) == ("fruit", "train", "alexnet")
    assert experiment.created_at == pytest.approx(time.time(), abs=5)
    assert experiment.epochs_run == 0
    assert experiment.backend == "local"


def test_unknown_kind_status_and_parent_are_refused(store: Store) -> None:
    with pytest.raises(InvalidValue, match="'trian'"):
        create_experiment(store, "trian")
    with pytest.raises(InvalidValue, match="expected one of"):
        create_experiment(store, "train", status="paused")
    with pytest.raises(UnknownExperiment):
        create_experiment(store, "transfer", parent_id=42)
    assert count_experiments(store) == 0


def test_status_changes_stamp_times_host_and_pid(store: Store) -> None:
    experiment_id = create_experiment(store, "train")
    set_status(store, experiment_id, "running", pid=1234, host="gpu-01")
    running = get_experiment(store, experiment_id)
    assert (running.status, running.pid, running.host) == ("running", 1234, "gpu-01")
    assert running.started_at is not None and running.finished_at is None
    set_status(store, experiment_id, "failed", error="Out of memory in epoch 3.")
    failed = get_experiment(store, experiment_id)
    assert failed.finished_at is not None and failed.finished_at >= running.started_at
    assert failed.error == "Out of memory in epoch 3."
    assert failed.started_at == running.started_at
    with pytest.raises(UnknownExperiment):
        set_status(store, 999, "done")


def test_summary_progress_and_stop_flag(store: Store) -> None:
    experiment_id = create_experiment(store, "train")
    update_summary(
        store,
        experiment_id,
        best_metric="val_accuracy",
        best_value=0.97,
        best_epoch=12,
        final_metrics={"val_accuracy": 0.96, "loss": 0.1},
        stopped_early=True,
        train_seconds=3900.5,
        params=952_835,
    )
    set_progress(store, experiment_id, epoch=13, step=200, steps=552)
    request_stop(store, experiment_id)
    e = get_experiment(store, experiment_id)
    assert (e.best_metric, e.best_value, e.best_epoch) == ("val_accuracy", 0.97, 12)
    assert e.final_metrics == {"val_accuracy": 0.96, "loss": 0.1}
    assert e.stopped_early is True and e.params == 952_835
    assert (e.progress_epoch, e.progress_step, e.progress_steps) == (13, 200, 552)
    assert e.stop_requested is True
    with pytest.raises(InvalidValue, match="accuracy_best"):
        update_summary(store, experiment_id, accuracy_best=1.0)


@pytest.fixture
def populated(store: Store) -> Store:
    kinds = ["train", "train", "convert", "bench", "transfer", "train"]
    models = ["alexnet", "mobilenet_v2", "mobilenet_v1", "alexnet", "alexnet", "mobilenet_v2"]
    statuses = ["done", "running", "done", "failed", "queued", "done"]
    for index, (kind, model, status) in enumerate(zip(kinds, models, statuses, strict=True)):
        experiment_id = create_experiment(
            store, kind, name=f"run {index}", model=model, status=status
        )
        if kind == "train":
            append_epoch(store, experiment_id, 1, {"val_accuracy": 0.5 + index / 10})
    return store


def ids(store: Store, **query: object) -> list[int]:
    return [e.id for e in list_experiments(store, ExperimentQuery(**query))]  # type: ignore[arg-type]


def test_listing_filters_sorts_and_pages(populated: Store) -> None:
    assert ids(populated) == [6, 5, 4, 3, 2, 1]  # newest first
    assert ids(populated, status=("done",)) == [6, 3, 1]
    assert ids(populated, status=("done", "failed")) == [6, 4, 3, 1]
    assert ids(populated, kind=("train",)) == [6, 2, 1]
    assert ids(populated, model="mobilenet*") == [6, 3, 2]
    assert ids(populated, name_contains="RUN 4") == [5]
    assert ids(populated, sort="best_val_accuracy") == [6, 2, 1, 5, 4, 3]
    assert ids(populated, sort="best_val_accuracy", descending=False)[-1] == 6
    assert ids(populated, limit=2) == [6, 5]
    assert ids(populated, limit=2, offset=2) == [4, 3]
    assert ids(populated, limit=2, offset=6) == []
    assert count_experiments(populated, ExperimentQuery(status=("done",))) == 3


def test_listing_refuses_bad_queries(populated: Store) -> None:
    with pytest.raises(InvalidValue, match="sortable"):
        ids(populated, sort="id; DROP TABLE experiments")
    with pytest.raises(InvalidValue, match="'finished'"):
        ids(populated, status=("finished",))
    with pytest.raises(InvalidValue):
        ids(populated, limit=0)
    assert count_experiments(populated) == 6


def test_listing_pages_through_indexes(store: Store) -> None:
    """Every query the TUI runs is answered from an index, never by sorting the whole table."""
    for query in (
        "SELECT * FROM experiments ORDER BY created_at DESC, id DESC LIMIT 100",
        "SELECT * FROM experiments WHERE status IN ('running') ORDER BY created_at DESC, id DESC"
        " LIMIT 100",
        "SELECT * FROM experiments WHERE kind IN ('train') ORDER BY created_at DESC, id DESC"
        " LIMIT 100",
        "SELECT * FROM experiments ORDER BY best_val_accuracy DESC, id DESC LIMIT 100",
    ):
        plan = " ".join(row[3] for row in store.conn.execute("EXPLAIN QUERY PLAN " + query))
        assert "INDEX" in plan and "TEMP B-TREE" not in plan, (query, plan)


def test_detail_holds_epochs_events_artifacts_and_children(store: Store) -> None:
    parent = create_experiment(store, "train")
    child = create_experiment(store, "convert", parent_id=parent)
    for epoch in (1, 2):
        append_epoch(store, parent, epoch, {"loss": 1.0 / epoch})
    append_event(store, parent, "early_stopping", "stopped at 2", {"stopped_epoch": 2})
    model = store.run_dir(parent) / "model.keras"
    model.parent.mkdir(parents=True)
    model.write_bytes(b"weights")
    add_artifact(store, parent, "keras", model)

    detail = get_detail(store, parent)
    assert [e.epoch for e in detail.epochs] == [1, 2]
    assert detail.events[0].data == {"stopped_epoch": 2}
    assert detail.artifacts[0].path == f"runs/{parent}/model.keras"
    assert detail.children == [child]
    shape = detail.to_json()
    assert {"id", "spec", "epochs", "events", "artifacts", "children", "best"} <= set(shape)
    with pytest.raises(UnknownExperiment, match="No experiment with id 77"):
        get_detail(store, 77)


def test_delete_removes_rows_and_folders_and_keeps_children(store: Store) -> None:
    parent = create_experiment(store, "train")
    child = create_experiment(store, "convert", parent_id=parent)
    append_epoch(store, parent, 1, {"loss": 1.0})
    append_event(store, parent, "started")
    store.run_dir(parent).mkdir(parents=True)
    (store.run_dir(parent) / "log.txt").write_text("epoch 1\n")

    with pytest.raises(UnknownExperiment):
        delete_experiments(store, [parent, 999])
    assert count_experiments(store) == 2  # nothing deleted when one id is unknown

    assert delete_experiments(store, [parent]) == [parent]
    assert not store.run_dir(parent).exists()
    for table in ("epochs", "events"):
        assert store.read(f"SELECT count(*) FROM {table}")[0][0] == 0
    assert get_experiment(store, child).parent_id is None
    # AUTOINCREMENT: a deleted id (and its runs/ folder name) is never reused
    assert create_experiment(store, "train") == child + 1


def test_conditional_status_changes_cannot_both_win(store: Store) -> None:
    experiment_id = create_experiment(store, "train")
    set_status(store, experiment_id, "running")
    beat = get_experiment(store, experiment_id).heartbeat_at
    assert set_status(store, experiment_id, "done", expect=("running",))
    # a watcher that saw it running earlier must not overwrite the job's own outcome
    assert not set_status(store, experiment_id, "lost", expect=("running",), expect_heartbeat=beat)
    assert get_experiment(store, experiment_id).status == "done"
    assert set_status(store, experiment_id, "queued", expect=("done",))
    queued = get_experiment(store, experiment_id)
    assert queued.finished_at is None
    assert queued.started_at is not None  # the first start is kept across a resume


def test_claiming_takes_the_oldest_queued_once(store: Store) -> None:
    first = create_experiment(store, "train")
    second = create_experiment(store, "train")
    create_experiment(store, "train", status="done")
    claimed = claim_next_on(store, LOCAL, host="gpu-01")
    assert claimed is not None
    assert (claimed.id, claimed.status, claimed.host, claimed.pid) == (
        first,
        "running",
        "gpu-01",
        None,
    )
    assert claimed.heartbeat_at is not None
    next_claim = claim_next_on(store, LOCAL, host="gpu-01")
    assert next_claim is not None
    assert next_claim.id == second
    assert claim_next_on(store, LOCAL, host="gpu-01") is None


def test_numeric_comparisons_and_roots_only(populated: Store) -> None:
    assert ids(populated, compare=(("best_val_accuracy", ">", 0.55),)) == [6, 2]
    assert ids(populated, compare=(("best_val_accuracy", ">=", 0.5), ("id", "<", 6))) == [2, 1]
    child = create_experiment(populated, "convert", parent_id=1)
    assert child not in ids(populated, roots_only=True)
    assert child in ids(populated)
    with pytest.raises(InvalidValue, match="Cannot compare 'name'"):
        ids(populated, compare=(("name", ">", 1.0),))
    with pytest.raises(InvalidValue, match="operators"):
        ids(populated, compare=(("params", "~", 1.0),))


def test_a_store_can_be_shared_with_worker_threads(store: Store) -> None:
    import threading

    experiment_id = create_experiment(store, "train")
    errors: list[BaseException] = []

    def work(first: int) -> None:
        try:
            for epoch in range(first, first + 50):
                append_epoch(store, experiment_id, epoch, {"loss": 1.0})
                list_experiments(store)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(1 + 50 * i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert get_experiment(store, experiment_id).epochs_run == 200


def test_jobs_waiting_for_another_start_after_it_is_done_or_are_cancelled(store: Store) -> None:
    parent = create_experiment(store, "train")
    child = create_experiment(store, "transfer", parent_id=parent, wait_for=parent)
    other_parent = create_experiment(store, "train", status="running")
    orphan = create_experiment(store, "convert", wait_for=other_parent)
    claimed = claim_next_on(store, LOCAL, host="gpu-01")
    assert claimed is not None
    assert claimed.id == parent
    assert claim_next_on(store, LOCAL, host="gpu-01") is None  # the child waits
    set_status(store, parent, "done")
    set_status(store, other_parent, "failed", error="boom")
    assert cancel_orphaned(store) == [orphan]
    cancelled = get_experiment(store, orphan)
    assert cancelled.status == "stopped"
    assert cancelled.error == (
        f"Cancelled: experiment {other_parent}, which it waited for, ended failed."
    )
    next_claim = claim_next_on(store, LOCAL, host="gpu-01")
    assert next_claim is not None
    assert next_claim.id == child
    with pytest.raises(UnknownExperiment):
        create_experiment(store, "train", wait_for=999)


def test_a_job_for_another_backend_is_written_with_it_in_one_row(store: Store) -> None:
    """No placeholder row: a Slurm job is `queued` on Slurm from its first write, so no local
    scheduler can claim it, and an unknown backend is refused."""
    on_slurm = create_experiment(
        store, "train", backend="slurm", backend_options={"partition": "gpu", "gpus": 1}
    )
    here = create_experiment(store, "train")

    slurm_row, local_row = get_experiment(store, on_slurm), get_experiment(store, here)
    assert (slurm_row.status, slurm_row.backend) == ("queued", "slurm")
    assert slurm_row.backend_options == {"partition": "gpu", "gpus": 1}
    assert (local_row.backend, local_row.backend_options) == ("local", {})
    claimed = claim_next_on(store, LOCAL, host="here")
    assert claimed is not None and claimed.id == here
    assert claim_next_on(store, LOCAL, host="here") is None
    with pytest.raises(InvalidValue, match="Unknown backend 'pbs'"):
        create_experiment(store, "train", backend="pbs")
