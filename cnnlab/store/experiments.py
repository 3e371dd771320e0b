"""Experiment rows: create, change state, summarise, list a page at a time, fetch, delete.

Listing is always paged and ordered through an index (newest first, by status, kind or best
validation accuracy), so the TUI's first page costs the same for ten experiments as for 100,000.
"""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cnnlab.store.connection import Store
from cnnlab.store.errors import DiskFull, InvalidValue, UnknownExperiment
from cnnlab.store.records import (
    Artifact,
    Backend,
    Epoch,
    Event,
    Experiment,
    ExperimentDetail,
    Kind,
    Status,
    dumps,
)

SORTABLE = (
    "id",
    "name",
    "kind",
    "model",
    "status",
    "created_at",
    "started_at",
    "finished_at",
    "best_val_accuracy",
    "best_value",
    "epochs_run",
    "train_seconds",
    "params",
)

NUMERIC = (
    "id",
    "best_val_accuracy",
    "best_value",
    "epochs_run",
    "train_seconds",
    "params",
    "created_at",
    "started_at",
    "finished_at",
)
COMPARISONS = ("<", "<=", ">", ">=", "=", "!=")

SUMMARY_FIELDS = (
    "best_metric",
    "best_value",
    "best_epoch",
    "best_val_accuracy",
    "final_metrics",
    "epochs_run",
    "stopped_early",
    "train_seconds",
    "params",
    "model",
    "dataset",
    "backend",
    "backend_job_id",
    "warning",
)


def _valid(enum: type[Kind] | type[Status] | type[Backend], value: str, what: str) -> str:
    try:
        return enum(value).value
    except ValueError:
        choices = ", ".join(member.value for member in enum)
        raise InvalidValue(f"Unknown {what} {value!r}; expected one of: {choices}.") from None


def create_experiment(
    store: Store,
    kind: str,
    *,
    name: str = "",
    spec: Mapping[str, Any] | None = None,
    model: str | None = None,
    dataset: str | None = None,
    parent_id: int | None = None,
    group_id: int | None = None,
    wait_for: int | None = None,
    status: str = Status.QUEUED,
    backend: str = "local",
    backend_options: Mapping[str, Any] | None = None,
) -> int:
    """Write a new experiment row and return its id; a job for another backend (Slurm) is
    written with it in the same row, so no scheduler can ever claim it as a local one."""
    kind = _valid(Kind, kind, "experiment kind")
    status = _valid(Status, status, "status")
    backend = _valid(Backend, backend, "backend")
    with store.write() as conn:
        for other in (parent_id, wait_for):
            if (
                other is not None
                and not conn.execute("SELECT 1 FROM experiments WHERE id = ?", (other,)).fetchone()
            ):
                raise UnknownExperiment(other)
        cursor = conn.execute(
            "INSERT INTO experiments (name, kind, status, model, dataset, parent_id, group_id,"
            " wait_for, spec, created_at, backend, backend_options)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                name,
                kind,
                status,
                model,
                dataset,
                parent_id,
                group_id,
                wait_for,
                dumps(dict(spec or {})),
                time.time(),
                backend,
                None if backend_options is None else dumps(dict(backend_options)),
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


def set_status(
    store: Store,
    experiment_id: int,
    status: str,
    *,
    error: str | None = None,
    pid: int | None = None,
    host: str | None = None,
    expect: tuple[str, ...] | None = None,
    expect_heartbeat: float | None = None,
) -> bool:
    """Move an experiment to `status`, stamping start and finish times and who runs it.

    With `expect`, the change happens only if the current status is one of those (and, with
    `expect_heartbeat`, only if the heartbeat has not moved): returns whether it happened, so
    that two processes racing to change one job cannot both win.
    """
    status = _valid(Status, status, "status")
    now = time.time()
    # A row leaving its place in the queue (started, stopped, cancelled, queued again by
    # `resume`) gives up its hold and the scheduler's phrase with it.
    assignments = ["status = ?", "error = ?", "held = 0", "waiting_for = NULL"]
    params: list[Any] = [status, error]
    if status == Status.RUNNING:
        assignments += [
            "started_at = coalesce(started_at, ?)",
            "finished_at = NULL",
            "heartbeat_at = ?",
            "host = ?",
            "pid = ?",
            "stop_requested = 0",
        ]
        params += [now, now, host or socket.gethostname(), pid]
    elif Status(status).is_final:
        assignments.append("finished_at = ?")
        params.append(now)
    else:  # queued again (resume)
        assignments += ["finished_at = NULL", "stop_requested = 0"]
    conditions = ""
    condition_params: list[Any] = []
    if expect is not None:
        conditions = f" AND status IN ({', '.join('?' * len(expect))})"
        condition_params = [_valid(Status, s, "status") for s in expect]
        if expect_heartbeat is not None:
            conditions += " AND heartbeat_at IS ?"
            condition_params.append(expect_heartbeat)
    return _update(store, experiment_id, assignments, params, conditions, condition_params)


def update_summary(store: Store, experiment_id: int, **fields: Any) -> None:
    """Set summary columns (best value and epoch, final metrics, epochs run, ...)."""
    unknown = sorted(set(fields) - set(SUMMARY_FIELDS))
    if unknown:
        raise InvalidValue(f"Unknown summary fields {unknown}; expected some of {SUMMARY_FIELDS}.")
    if not fields:
        return
    if "final_metrics" in fields:
        fields["final_metrics"] = dumps(fields["final_metrics"])
    _update(store, experiment_id, [f"{name} = ?" for name in fields], list(fields.values()))


def cancel_orphaned(store: Store) -> list[int]:
    """Cancel queued jobs whose `wait_for` experiment ended other than `done`; returns ids."""
    with store.write() as conn:
        rows = conn.execute(
            "SELECT q.id, w.id, w.status FROM experiments q JOIN experiments w ON w.id = q.wait_for"
            " WHERE q.status = 'queued' AND w.status IN ('failed', 'stopped', 'lost')"
        ).fetchall()
        now = time.time()
        for experiment_id, waited, status in rows:
            reason = f"Cancelled: experiment {waited}, which it waited for, ended {status}."
            conn.execute(
                "UPDATE experiments SET status = 'stopped', error = ?, finished_at = ?"
                " WHERE id = ?",
                (reason, now, experiment_id),
            )
            conn.execute(
                "INSERT INTO events (experiment_id, at, kind, message, data)"
                " VALUES (?, ?, 'cancelled', ?, ?)",
                (experiment_id, now, reason, dumps({"waited_for": waited, "status": status})),
            )
    return [row[0] for row in rows]


def set_progress(
    store: Store, experiment_id: int, *, epoch: int, step: int, steps: int | None
) -> None:
    """Record where a running job is inside its current epoch (also a heartbeat)."""
    now = time.time()
    _update(
        store,
        experiment_id,
        [
            "progress_epoch = ?",
            "progress_step = ?",
            "progress_steps = ?",
            "progress_at = ?",
            "heartbeat_at = ?",
        ],
        [epoch, step, steps, now, now],
    )


def set_group(store: Store, experiment_id: int, group_id: int | None) -> None:
    """Put an experiment into a group of repeats (the group's id is its first run's id)."""
    _update(store, experiment_id, ["group_id = ?"], [group_id])


def heartbeat(store: Store, experiment_id: int) -> None:
    """Say that the job process is still alive."""
    _update(store, experiment_id, ["heartbeat_at = ?"], [time.time()])


def request_stop(store: Store, experiment_id: int) -> None:
    """Ask a running job to stop after its current batch (it polls this flag)."""
    _update(store, experiment_id, ["stop_requested = 1"], [])


def _update(
    store: Store,
    experiment_id: int,
    assignments: list[str],
    params: list[Any],
    conditions: str = "",
    condition_params: list[Any] | None = None,
) -> bool:
    """Run one UPDATE of an experiment; False if `conditions` did not hold."""
    with store.write() as conn:
        cursor = conn.execute(
            f"UPDATE experiments SET {', '.join(assignments)} WHERE id = ?{conditions}",
            [*params, experiment_id, *(condition_params or [])],
        )
        if cursor.rowcount == 0:
            if not conn.execute(
                "SELECT 1 FROM experiments WHERE id = ?", (experiment_id,)
            ).fetchone():
                raise UnknownExperiment(experiment_id)
            return False
    return True


@dataclass(frozen=True)
class ExperimentQuery:
    """Which experiments to list, in what order, and which page."""

    status: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()
    model: str | None = None  # a glob such as "mobilenet*"
    name_contains: str | None = None
    parent_id: int | None = None
    group_id: int | None = None
    roots_only: bool = False  # experiments without a parent (the tree view's top level)
    # Numeric comparisons such as ("best_val_accuracy", ">", 0.9) on sortable columns.
    compare: tuple[tuple[str, str, float], ...] = ()
    sort: str = "created_at"
    descending: bool = True
    limit: int = 100
    offset: int = 0

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, values, enum in (("status", self.status, Status), ("kind", self.kind, Kind)):
            if values:
                checked = [_valid(enum, v, column) for v in values]
                clauses.append(f"{column} IN ({', '.join('?' * len(checked))})")
                params += checked
        if self.model:
            clauses.append("model GLOB ?")
            params.append(self.model)
        if self.name_contains:
            clauses.append("instr(lower(name), lower(?)) > 0")
            params.append(self.name_contains)
        for column, value in (("parent_id", self.parent_id), ("group_id", self.group_id)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.roots_only:
            clauses.append("parent_id IS NULL")
        for column, operator, number in self.compare:
            if column not in NUMERIC or operator not in COMPARISONS:
                raise InvalidValue(
                    f"Cannot compare {column!r} with {operator!r}; numeric columns: "
                    f"{', '.join(NUMERIC)}; operators: {' '.join(COMPARISONS)}."
                )
            clauses.append(f"{column} {operator} ?")
            params.append(float(number))
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def list_experiments(store: Store, query: ExperimentQuery = ExperimentQuery()) -> list[Experiment]:
    """One page of experiments matching `query`."""
    if query.sort not in SORTABLE:
        raise InvalidValue(f"Cannot sort by {query.sort!r}; sortable: {', '.join(SORTABLE)}.")
    if query.limit < 1 or query.offset < 0:
        raise InvalidValue("The page limit must be at least 1 and the offset at least 0.")
    where, params = query.where()
    direction = "DESC" if query.descending else "ASC"
    # The id tie-break is the index's own rowid, so ordering never needs a temporary sort.
    tie = "" if query.sort == "id" else f", id {direction}"
    rows = store.read(
        f"SELECT * FROM experiments{where} ORDER BY {query.sort} {direction}{tie} LIMIT ? OFFSET ?",
        [*params, query.limit, query.offset],
    )
    return [Experiment.from_row(row) for row in rows]


def count_experiments(store: Store, query: ExperimentQuery = ExperimentQuery()) -> int:
    where, params = query.where()
    return int(store.read(f"SELECT count(*) FROM experiments{where}", params)[0][0])


def get_experiment(store: Store, experiment_id: int) -> Experiment:
    rows = store.read("SELECT * FROM experiments WHERE id = ?", (experiment_id,))
    if not rows:
        raise UnknownExperiment(experiment_id)
    return Experiment.from_row(rows[0])


def get_detail(store: Store, experiment_id: int) -> ExperimentDetail:
    """An experiment with its epochs, events, artifacts and child ids, read in one snapshot."""
    with store.snapshot():
        experiment = get_experiment(store, experiment_id)
        epochs = store.read(
            "SELECT * FROM epochs WHERE experiment_id = ? ORDER BY epoch", (experiment_id,)
        )
        events = store.read(
            "SELECT * FROM events WHERE experiment_id = ? ORDER BY id", (experiment_id,)
        )
        artifacts = store.read(
            "SELECT * FROM artifacts WHERE experiment_id = ? ORDER BY id", (experiment_id,)
        )
        children = store.read(
            "SELECT id FROM experiments WHERE parent_id = ? ORDER BY id", (experiment_id,)
        )
    return ExperimentDetail(
        experiment=experiment,
        epochs=[Epoch.from_row(r) for r in epochs],
        events=[Event.from_row(r) for r in events],
        artifacts=[Artifact.from_row(r) for r in artifacts],
        children=[r[0] for r in children],
    )


def delete_experiments(store: Store, experiment_ids: Iterable[int]) -> list[int]:
    """Delete experiments (epochs, events, artifacts and samples go with them) and their folders.

    All ids are checked first, so an unknown id deletes nothing. Children are kept and lose
    their parent link. Returns the ids deleted. On a full disk, where even a DELETE needs room
    in the write-ahead log, the folders go first to make that room, then the rows.
    """
    ids = sorted(set(experiment_ids))
    for experiment_id in ids:
        if not store.read("SELECT 1 FROM experiments WHERE id = ?", (experiment_id,)):
            raise UnknownExperiment(experiment_id)

    def delete_rows() -> None:
        with store.write() as conn:
            conn.executemany("DELETE FROM experiments WHERE id = ?", [(i,) for i in ids])

    def delete_folders() -> None:
        for experiment_id in ids:
            shutil.rmtree(store.run_dir(experiment_id), ignore_errors=True)

    try:
        store.retrying(delete_rows)
    except DiskFull:
        delete_folders()
        delete_rows()
    delete_folders()
    return ids
