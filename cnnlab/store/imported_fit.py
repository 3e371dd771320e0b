"""Trainings logged elsewhere, recorded as finished `fit` experiments in one transaction.

`cnnlab import` of a Keras CSVLogger file or a TensorBoard folder turns each run it holds into
the rows a training leaves: an experiment, one row per epoch, its events and its summary.
`create_experiment`, `append_epoch` and `append_event` each take their own write transaction and
`Store.write()` does not nest, so an import made of those calls could stop half-way and leave a
run without its last epochs; this module writes every run of one import inside one
`with store.write()`, through the same inserts (`insert_epoch`, `insert_event`), so an import is
all or nothing.

A log is imported once, found by its SHA-256 (`spec["imported"]["sha256"]`) among the fits
already imported, inside the same transaction, as `cnnlab latency import` finds its files
(`cnnlab.store.imported_bench`): the same training twice would weigh double in every comparison.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cnnlab.store.connection import Store
from cnnlab.store.history import insert_epoch, insert_event
from cnnlab.store.imported_bench import AlreadyImported, _earlier
from cnnlab.store.records import Status, dumps


@dataclass(frozen=True)
class LoggedEpoch:
    """One epoch as the log has it, numbered from 1 and named as cnnlab names its metrics."""

    number: int
    metrics: Mapping[str, float]
    lr: float | None = None
    seconds: float | None = None
    at: float | None = None  # when it ended, where the log says (TensorBoard's wall time)


@dataclass(frozen=True)
class LoggedEvent:
    kind: str
    message: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportedFit:
    """Everything one imported run becomes: its row, its epochs and its events."""

    name: str
    spec: Mapping[str, Any]  # with "imported": {"sha256": ..., ...}
    epochs: Sequence[LoggedEpoch]
    events: Sequence[LoggedEvent] = ()
    model: str | None = None
    dataset: str | None = None
    status: str = Status.DONE
    error: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    # Summary columns (`cnnlab.store.experiments.SUMMARY_FIELDS`) a training job leaves.
    summary: Mapping[str, Any] = field(default_factory=dict)


SUMMARY_COLUMNS = ("best_metric", "best_value", "best_epoch", "stopped_early", "train_seconds")


def add_imported_fits(store: Store, runs: Sequence[ImportedFit]) -> list[int]:
    """Write each run as a finished `fit` experiment; returns their ids, in order. A run whose
    log was imported before (the same `spec["imported"]["sha256"]`) raises `AlreadyImported`
    and nothing at all is written."""
    ids: list[int] = []
    now = time.time()
    with store.write() as conn:
        for run in runs:
            imported = run.spec.get("imported") or {}
            if imported.get("sha256"):
                earlier = _earlier(
                    lambda sql, p: conn.execute(sql, p).fetchall(), imported["sha256"], "fit"
                )
                if earlier is not None:
                    raise AlreadyImported(
                        str(imported.get("file") or "The log"), *earlier, kind="fit"
                    )
            summary = {k: run.summary.get(k) for k in SUMMARY_COLUMNS}
            final = run.summary.get("final_metrics")
            cursor = conn.execute(
                "INSERT INTO experiments (name, kind, status, model, dataset, spec, created_at,"
                " started_at, finished_at, error, final_metrics, backend,"
                f" {', '.join(SUMMARY_COLUMNS)})"
                f" VALUES (?, 'fit', ?, ?, ?, ?, ?, ?, ?, ?, ?, 'local',"
                f" {', '.join('?' * len(SUMMARY_COLUMNS))})",
                (
                    run.name,
                    Status(run.status).value,
                    run.model,
                    run.dataset,
                    dumps(dict(run.spec)),
                    now,
                    run.started_at,
                    now if run.finished_at is None else run.finished_at,
                    run.error,
                    None if final is None else dumps(dict(final)),
                    *summary.values(),
                ),
            )
            experiment_id = cursor.lastrowid
            assert experiment_id is not None
            for epoch in run.epochs:
                insert_epoch(
                    conn,
                    experiment_id,
                    epoch.number,
                    epoch.metrics,
                    lr=epoch.lr,
                    seconds=epoch.seconds,
                    at=epoch.at,
                )
            for event in run.events:
                insert_event(conn, experiment_id, event.kind, event.message, event.data)
            ids.append(experiment_id)
    return ids
