"""A small lab database with fixed timestamps (so snapshots are stable) and an app factory.

Times are in UTC and every timestamp is written by SQL after the rows exist, so what the
screens show never depends on when or where the tests run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cnnlab.engine import TrainSpec, submit
from cnnlab.store import (
    Store,
    append_epoch,
    append_event,
    create_experiment,
    open_store,
    update_summary,
)
from cnnlab.tui.app import CnnlabApp

BASE = 1_717_200_000.0  # 2024-06-01 00:00 UTC


@pytest.fixture(autouse=True)
def _utc() -> Iterator[None]:
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def spec(model: str, epochs: int = 10, **extra: object) -> dict[str, object]:
    return {"kind": "train", "model": model, "data": "data/fruits", "epochs": epochs, **extra}


def add_run(
    store: Store,
    name: str,
    model: str,
    status: str,
    *,
    epochs: int,
    of: int = 10,
    kind: str = "train",
    parent_id: int | None = None,
    group_id: int | None = None,
    params: int | None = None,
    seed: int = 1,
    early: bool = False,
) -> int:
    """An experiment with `epochs` epochs of smoothly improving metrics, at fixed times."""
    experiment_id = create_experiment(
        store,
        kind,
        name=name,
        spec=spec(model, of, seed=seed),
        model=model,
        dataset="data/fruits",
        parent_id=parent_id,
        group_id=group_id,
        status=status,
    )
    for epoch in range(1, epochs + 1):
        wobble = ((experiment_id * 7 + epoch * 3) % 5) / 100
        append_epoch(
            store,
            experiment_id,
            epoch,
            {
                "loss": 2.0 / epoch + wobble,
                "accuracy": min(0.99, 0.4 + 0.06 * epoch + wobble),
                "val_loss": 2.2 / epoch + 2 * wobble,
                "val_accuracy": min(0.97, 0.35 + 0.055 * epoch + wobble),
            },
            lr=1e-3,
            seconds=12.5,
        )
    if epochs:
        best = min(epochs, 7) if early else epochs
        update_summary(store, experiment_id, best_epoch=best, params=params, epochs_run=epochs)
        append_event(store, experiment_id, "best_epoch", f"Best val_accuracy at epoch {best}.")
    if early:
        append_event(store, experiment_id, "early_stopping", "No improvement for 3 epochs.")
    return experiment_id


def build_lab(store: Store) -> None:
    first = add_run(store, "fruits-alexnet", "alexnet", "done", epochs=10, params=2_345_678)
    add_run(store, "separable", "alexnet_separable", "done", epochs=9, params=345_678, early=True)
    add_run(
        store,
        "mobilenet-ft",
        "mobilenet_v2",
        "running",
        epochs=3,
        kind="transfer",
        parent_id=first,
        params=2_230_000,
    )
    for seed in (1, 2, 3):
        add_run(
            store, "squeeze-repeat", "squeezenet", "done", epochs=5, of=5, group_id=4,
            params=740_000, seed=seed,
        )  # fmt: skip
    add_run(store, "broken", "efficientnet_lite0", "failed", epochs=1)
    add_run(store, "next-up", "mobilenet_v3_small", "queued", epochs=0)
    with store.write() as conn:
        conn.execute(
            "UPDATE experiments SET created_at = ? + id * 3600,"
            " started_at = CASE WHEN status = 'queued' THEN NULL ELSE ? + id * 3600 + 60 END,"
            " finished_at = CASE WHEN status IN ('done', 'failed')"
            "   THEN ? + id * 3600 + 60 + epochs_run * 13 END,"
            " heartbeat_at = CASE WHEN status = 'running' THEN ? + id * 3600 + 100 END,"
            " progress_at = CASE WHEN status = 'running' THEN ? + id * 3600 + 100 END,"
            " progress_epoch = CASE WHEN status = 'running' THEN 4 END,"
            " progress_step = CASE WHEN status = 'running' THEN 30 END,"
            " progress_steps = CASE WHEN status = 'running' THEN 80 END,"
            " error = CASE WHEN status = 'failed' THEN 'Out of memory on GPU 0.' END",
            (BASE, BASE, BASE, BASE, BASE),
        )
        conn.execute(
            "UPDATE epochs SET at = (SELECT created_at FROM experiments e"
            " WHERE e.id = experiment_id) + 60 + epoch * 13"
        )
        conn.execute(
            "UPDATE events SET at = (SELECT created_at FROM experiments e"
            " WHERE e.id = experiment_id) + 60 + id"
        )
    log = store.run_dir(3) / "log.txt"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("".join(f"Epoch {i}/10 - loss {2.0 / i:.4f}\n" for i in range(1, 4)))


@pytest.fixture
def lab_store(db_path: Path) -> Iterator[Store]:
    with open_store(db_path) as opened:
        build_lab(opened)
        yield opened


def queue_only(store: Store, job: TrainSpec) -> int:
    """Submit without starting a scheduler: tests check the queued row, not a training run."""
    return submit(store, job, start_scheduler=False)


MakeApp = Callable[..., CnnlabApp]


@pytest.fixture
def make_app(lab_store: Store) -> MakeApp:
    def make(**options: object) -> CnnlabApp:
        settings: dict[str, object] = {
            "submit_job": queue_only,
            "count_params": None,
            "poll_interval_s": 0.05,
            "watch_gpus": False,
        }
        settings.update(options)
        return CnnlabApp(lab_store, **settings)  # type: ignore[arg-type]

    return make
