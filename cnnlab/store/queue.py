"""The local queue: queued jobs in the order they will start, claims, holds and wait reasons.

The scheduler starts the first queued job whose resources are free (`cnnlab.engine.runtime.
resources`), not merely the oldest, so the order and the claim live here, in SQL: a job moved to
the front gets a rank below every other (`queue_rank`, else its id), a held one is skipped, and
a claim is one conditional UPDATE, so two schedulers can never start the same job. Why each job
still waits is written by the scheduler (`waiting_for`), and only when it changed. Only local
jobs are steered here: Slurm decides when a Slurm job starts, and its sbatch never looks at a
hold. A job that leaves the queue (stopped, cancelled) gives up its hold and its phrase
(`set_status` clears both), so that a resumed job starts instead of staying held.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping

from cnnlab.store.backends import LOCAL
from cnnlab.store.connection import Store
from cnnlab.store.errors import InvalidValue, UnknownExperiment
from cnnlab.store.records import Experiment

_ORDER = "coalesce(queue_rank, id), id"


def queued_in_order(store: Store, backend: str) -> list[Experiment]:
    """Every queued job of `backend` in the order it will be considered (held ones last)."""
    rows = store.read(
        "SELECT * FROM experiments WHERE status = 'queued' AND backend = ?"
        f" ORDER BY held, {_ORDER}",
        (backend,),
    )
    return [Experiment.from_row(row) for row in rows]


def claim(store: Store, experiment_id: int, *, host: str) -> Experiment | None:
    """Make queued, unheld job `experiment_id` `running` on `host`; None if it no longer is."""
    now = time.time()
    with store.write() as conn:
        cursor = conn.execute(
            "UPDATE experiments SET status = 'running', started_at = coalesce(started_at, ?),"
            " finished_at = NULL, heartbeat_at = ?, host = ?, pid = NULL, error = NULL,"
            " stop_requested = 0, waiting_for = NULL"
            " WHERE id = ? AND status = 'queued' AND held = 0",
            (now, now, host, experiment_id),
        )
        if cursor.rowcount != 1:
            return None
        row = conn.execute("SELECT * FROM experiments WHERE id = ?", (experiment_id,)).fetchone()
    return Experiment.from_row(row)


def set_waiting(store: Store, reasons: Mapping[int, str | None]) -> None:
    """Record why each queued job waits (None: it does not), writing only what changed."""
    if not reasons:
        return
    with store.write() as conn:
        for experiment_id, reason in reasons.items():
            conn.execute(
                "UPDATE experiments SET waiting_for = ? WHERE id = ? AND status = 'queued'"
                " AND waiting_for IS NOT ?",
                (reason, experiment_id, reason),
            )


def _queued(conn: sqlite3.Connection, experiment_id: int) -> None:
    row = conn.execute(
        "SELECT status, backend FROM experiments WHERE id = ?", (experiment_id,)
    ).fetchone()
    if row is None:
        raise UnknownExperiment(experiment_id)
    if row[0] != "queued":
        raise InvalidValue(
            f"Experiment {experiment_id} is {row[0]}, not queued; only a queued job has a place "
            "in the queue."
        )
    if row[1] != LOCAL:
        raise InvalidValue(
            f"Experiment {experiment_id} runs on {row[1]}, which decides when it starts; the "
            "queue orders and holds local jobs only (`cnnlab stop` takes it out of Slurm's)."
        )


def move_to_front(store: Store, experiment_id: int) -> None:
    """Put a queued job first: it starts as soon as what it needs is free."""
    with store.write() as conn:
        _queued(conn, experiment_id)
        low = conn.execute(
            "SELECT min(coalesce(queue_rank, id)) FROM experiments WHERE status = 'queued'"
            " AND backend = ?",
            (LOCAL,),
        ).fetchone()[0]
        conn.execute(
            "UPDATE experiments SET queue_rank = ? WHERE id = ?",
            (float(low) - 1.0, experiment_id),
        )


def hold(store: Store, experiment_id: int, held: bool = True) -> None:
    """Keep a queued job from starting (or let it start again), keeping its place."""
    with store.write() as conn:
        _queued(conn, experiment_id)
        conn.execute(
            "UPDATE experiments SET held = ?, waiting_for = NULL WHERE id = ?",
            (int(held), experiment_id),
        )
