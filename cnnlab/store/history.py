"""What a running job appends as it goes: one row per finished epoch, one per event.

Appends are single short transactions that also keep the experiment's live summary (epochs run,
best validation accuracy) current, so the TUI's list needs no join to show progress.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping
from typing import Any

from cnnlab.store.connection import Store
from cnnlab.store.errors import InvalidValue, UnknownExperiment
from cnnlab.store.records import EPOCH_COLUMNS, Epoch, Event, dumps


def append_epoch(
    store: Store,
    experiment_id: int,
    epoch: int,
    metrics: Mapping[str, float],
    *,
    lr: float | None = None,
    seconds: float | None = None,
) -> None:
    """Record a finished epoch (numbered from 1). Writing the same epoch again replaces it."""
    with store.write() as conn:
        insert_epoch(conn, experiment_id, epoch, metrics, lr=lr, seconds=seconds)


def insert_epoch(
    conn: sqlite3.Connection,
    experiment_id: int,
    epoch: int,
    metrics: Mapping[str, float],
    *,
    lr: float | None = None,
    seconds: float | None = None,
    at: float | None = None,
) -> None:
    """`append_epoch` inside the caller's write transaction (an import writes a whole run in
    one); `at` is when the epoch ended, now unless the log being imported says."""
    if epoch < 1:
        raise InvalidValue(f"Epochs are numbered from 1; got {epoch}.")
    columns = {name: _number(metrics.get(name)) for name in EPOCH_COLUMNS}
    extra = {k: _number(v) for k, v in metrics.items() if k not in EPOCH_COLUMNS}
    val_accuracy = columns["val_accuracy"]
    now = time.time()
    cursor = conn.execute(
        "UPDATE experiments SET epochs_run = max(epochs_run, ?),"
        " best_val_accuracy = CASE WHEN ? IS NULL THEN best_val_accuracy"
        " ELSE max(coalesce(best_val_accuracy, ?), ?) END,"
        " heartbeat_at = ? WHERE id = ?",
        (epoch, val_accuracy, val_accuracy, val_accuracy, now, experiment_id),
    )
    if cursor.rowcount == 0:
        raise UnknownExperiment(experiment_id)
    conn.execute(
        "INSERT OR REPLACE INTO epochs (experiment_id, epoch, loss, accuracy, val_loss,"
        " val_accuracy, lr, seconds, at, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            experiment_id,
            epoch,
            *columns.values(),
            _number(lr),
            _number(seconds),
            now if at is None else at,
            dumps(extra) if extra else None,
        ),
    )


def _number(value: Any) -> float | None:
    """Metrics arrive as Python, numpy or TensorFlow scalars; store plain floats."""
    return None if value is None else float(value)


def list_epochs(store: Store, experiment_id: int, *, after: int = 0) -> list[Epoch]:
    """Epochs of one experiment after epoch number `after`, in order (for live following)."""
    rows = store.read(
        "SELECT * FROM epochs WHERE experiment_id = ? AND epoch > ? ORDER BY epoch",
        (experiment_id, after),
    )
    return [Epoch.from_row(row) for row in rows]


def append_event(
    store: Store,
    experiment_id: int,
    kind: str,
    message: str = "",
    data: Mapping[str, Any] | None = None,
) -> int:
    """Record an event (started, best_epoch, early_stopping, checkpoint, failed, ...)."""
    with store.write() as conn:
        return insert_event(conn, experiment_id, kind, message, data)


def insert_event(
    conn: sqlite3.Connection,
    experiment_id: int,
    kind: str,
    message: str = "",
    data: Mapping[str, Any] | None = None,
) -> int:
    """`append_event` inside the caller's write transaction."""
    if not kind or not kind.replace("_", "").isalnum():
        raise InvalidValue(f"Event kinds are short snake_case words; got {kind!r}.")
    if not conn.execute("SELECT 1 FROM experiments WHERE id = ?", (experiment_id,)).fetchone():
        raise UnknownExperiment(experiment_id)
    cursor = conn.execute(
        "INSERT INTO events (experiment_id, at, kind, message, data) VALUES (?, ?, ?, ?, ?)",
        (experiment_id, time.time(), kind, message, dumps(dict(data)) if data else None),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def list_events(
    store: Store, experiment_id: int | None = None, *, after_id: int = 0, limit: int = 1000
) -> list[Event]:
    """Events with ids above `after_id` (one experiment's, or everyone's), oldest first."""
    if experiment_id is None:
        rows = store.read(
            "SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit)
        )
    else:
        rows = store.read(
            "SELECT * FROM events WHERE experiment_id = ? AND id > ? ORDER BY id LIMIT ?",
            (experiment_id, after_id, limit),
        )
    return [Event.from_row(row) for row in rows]
