"""Experiments run by another backend (Slurm): their job ids and states, and exactly-once ingest.

A Slurm job on another node never opens this SQLite file (its locking is unsafe over a network
filesystem); it appends JSON lines to its run folder instead, and the submitting host applies
each line here in one transaction together with the byte offset it reached, so two ingesters
racing (the scheduler and `cnnlab ls`) still apply every line once.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cnnlab.store.connection import Store, open_store
from cnnlab.store.errors import UnknownExperiment
from cnnlab.store.records import Backend, Experiment, dumps

LOCAL = Backend.LOCAL.value
SUBMITTING = "SUBMITTING"  # claimed by the scheduler, `sbatch` not answered yet


def assign_backend(
    store: Store, experiment_id: int, backend: str, options: Mapping[str, Any]
) -> None:
    """Move an existing experiment to `backend` and queue it there, in one statement, so that
    no scheduler can claim it as a local job in between (a new job is created with its
    backend: `create_experiment(..., backend=...)`)."""
    with store.write() as conn:
        cursor = conn.execute(
            "UPDATE experiments SET backend = ?, backend_options = ?, status = 'queued',"
            " finished_at = NULL, backend_job_id = NULL, backend_state = NULL,"
            " backend_reason = NULL, backend_node = NULL WHERE id = ?",
            (backend, dumps(dict(options)), experiment_id),
        )
        if cursor.rowcount == 0:
            raise UnknownExperiment(experiment_id)


def claim_next_on(store: Store, backend: str, *, host: str) -> Experiment | None:
    """Atomically take the oldest ready queued experiment of `backend` (None if none).

    A local one becomes `running` on `host`; a Slurm one stays `queued` (Slurm decides when it
    runs) and is marked SUBMITTING so that it is handed to `sbatch` once.
    """
    ready = (
        "SELECT q.id FROM experiments q LEFT JOIN experiments w ON w.id = q.wait_for"
        " WHERE q.status = 'queued' AND q.backend = ? AND (q.wait_for IS NULL"
        " OR w.status = 'done')"
    )
    if backend != LOCAL:
        ready += " AND q.backend_job_id IS NULL AND q.backend_state IS NULL"
    with store.write() as conn:
        row = conn.execute(ready + " ORDER BY q.id LIMIT 1", (backend,)).fetchone()
        if row is None:
            return None
        if backend == LOCAL:
            now = time.time()
            conn.execute(
                "UPDATE experiments SET status = 'running', started_at = coalesce(started_at, ?),"
                " finished_at = NULL, heartbeat_at = ?, host = ?, pid = NULL, error = NULL,"
                " stop_requested = 0 WHERE id = ?",
                (now, now, host, row[0]),
            )
        else:
            conn.execute(
                "UPDATE experiments SET backend_state = ?, error = NULL, stop_requested = 0,"
                " host = ? WHERE id = ?",
                (SUBMITTING, host, row[0]),
            )
        found = conn.execute("SELECT * FROM experiments WHERE id = ?", (row[0],)).fetchone()
    return Experiment.from_row(found)


def set_backend_job(
    store: Store,
    experiment_id: int,
    *,
    job_id: str | None,
    state: str | None,
    reason: str | None = None,
    node: str | None = None,
) -> None:
    """Record what the backend says about an experiment's job (id, state, reason, node)."""
    with store.write() as conn:
        cursor = conn.execute(
            "UPDATE experiments SET backend_job_id = ?, backend_state = ?, backend_reason = ?,"
            " backend_node = coalesce(?, backend_node) WHERE id = ?",
            (job_id, state, reason, node, experiment_id),
        )
        if cursor.rowcount == 0:
            raise UnknownExperiment(experiment_id)


def clear_backend_job(store: Store, experiment_id: int) -> None:
    """Forget the previous backend job (before a resume submits a new one)."""
    set_backend_job(store, experiment_id, job_id=None, state=None)
    with store.write() as conn:
        conn.execute("UPDATE experiments SET backend_node = NULL WHERE id = ?", (experiment_id,))


def active_on(store: Store, backend: str) -> list[Experiment]:
    """Queued and running experiments of `backend`, oldest first."""
    rows = store.read(
        "SELECT * FROM experiments WHERE backend = ? AND status IN ('queued', 'running')"
        " ORDER BY id",
        (backend,),
    )
    return [Experiment.from_row(row) for row in rows]


def any_on_backend(store: Store, backend: str) -> bool:
    """Whether some queued or running experiment uses `backend` (an indexed lookup)."""
    return bool(
        store.read(
            "SELECT 1 FROM experiments WHERE backend = ? AND status IN ('queued', 'running')"
            " LIMIT 1",
            (backend,),
        )
    )


def count_running_on(store: Store, backend: str) -> int:
    rows = store.read(
        "SELECT count(*) FROM experiments WHERE backend = ? AND status = 'running'", (backend,)
    )
    return int(rows[0][0])


class _Joined(Store):
    """The same connection inside an open transaction: the store's functions join it."""

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            yield self.conn

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        with self.lock:
            yield


def apply_report_line(
    store: Store, experiment_id: int, start: int, end: int, apply: Callable[[Store], None]
) -> bool:
    """Apply one reported line (bytes `start`..`end`) and move the offset, in one transaction.

    Returns False, changing nothing, when the offset is no longer `start` (someone else applied
    that line first).
    """
    with store.write() as conn:
        row = conn.execute(
            "SELECT report_offset FROM experiments WHERE id = ?", (experiment_id,)
        ).fetchone()
        if row is None:
            raise UnknownExperiment(experiment_id)
        if row[0] != start:
            return False
        apply(
            _Joined(
                path=store.path, conn=conn, busy_timeout_s=store.busy_timeout_s, lock=store.lock
            )
        )
        conn.execute("UPDATE experiments SET report_offset = ? WHERE id = ?", (end, experiment_id))
    return True


def write_job_context(store: Store, experiment_ids: Iterable[int], path: Path) -> None:
    """Copy some experiments and their artifacts into a private SQLite file at `path`.

    A job on another node reads its own row and its parent's artifacts from this copy, never
    from the shared database; artifact paths become absolute (the shared filesystem's).
    """
    ids = sorted(set(experiment_ids))
    path.unlink(missing_ok=True)
    root = str(store.path.parent)
    with open_store(path) as context:
        conn = context.conn
        # Parents outside the copy are left dangling on purpose: only the rows a job reads matter.
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("ATTACH DATABASE ? AS source", (str(store.path),))
        try:
            marks = ", ".join("?" * len(ids))
            conn.execute("BEGIN IMMEDIATE")
            for table, key in (("experiments", "id"), ("artifacts", "experiment_id")):
                columns = [r[1] for r in conn.execute(f"PRAGMA main.table_info({table})")]
                selected = [
                    "CASE WHEN substr(path, 1, 1) = '/' THEN path ELSE ? || '/' || path END"
                    if column == "path"
                    else column
                    for column in columns
                ]
                params: list[Any] = [root] if table == "artifacts" else []
                conn.execute(
                    f"INSERT INTO main.{table} ({', '.join(columns)})"
                    f" SELECT {', '.join(selected)} FROM source.{table}"
                    f" WHERE {key} IN ({marks})",
                    [*params, *ids],
                )
            conn.execute("COMMIT")
        finally:
            conn.execute("DETACH DATABASE source")
