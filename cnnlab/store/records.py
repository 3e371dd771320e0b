"""The typed rows the store hands out, and their stable JSON shapes.

Everything above the store (engine, CLI, TUI, users' scripts through `--json`) reads these frozen
dataclasses, never raw rows; `to_json()` is the documented shape and changes only additively.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Backend(StrEnum):
    """Where a job runs: a local process, or a Slurm job on another node."""

    LOCAL = "local"
    SLURM = "slurm"


class Kind(StrEnum):
    TRAIN = "train"
    TRANSFER = "transfer"
    CONVERT = "convert"
    BENCH = "bench"
    IMPORT = "import"
    # A `model.fit` in the user's own code, recorded live by `cnnlab.keras.Recorder`, or brought
    # in afterwards from its Keras CSVLogger file or TensorBoard event folder.
    FIT = "fit"
    # The user's own script run as a background job (`cnnlab run -- python train.py ...`).
    SCRIPT = "script"


# The kinds whose rows hold epochs (charts, early stopping, compare), defined once.
TRAINING_KINDS: tuple[Kind, ...] = (Kind.TRAIN, Kind.TRANSFER, Kind.FIT, Kind.SCRIPT)
# The kinds whose rows may hold a Keras model, to convert, transfer from or bench.
MODEL_KINDS: tuple[Kind, ...] = (*TRAINING_KINDS, Kind.IMPORT)
# The kinds `cnnlab resume` runs again: a training continues from its checkpoint; a script runs
# its command again with CNNLAB_RESUMED=1, and its own checkpoints decide where it continues.
RESUMABLE_KINDS: tuple[Kind, ...] = (Kind.TRAIN, Kind.TRANSFER, Kind.SCRIPT)


class Status(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    STOPPED = "stopped"
    LOST = "lost"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


# The status sets, defined once: everything that filters or waits on statuses uses these.
ACTIVE_STATUSES: tuple[Status, ...] = (Status.QUEUED, Status.RUNNING)
FINAL_STATUSES: tuple[Status, ...] = tuple(s for s in Status if s not in ACTIVE_STATUSES)
# What a job process can end itself as; `lost` is only ever decided from outside.
JOB_ENDINGS: tuple[Status, ...] = tuple(s for s in FINAL_STATUSES if s is not Status.LOST)


class ArtifactKind(StrEnum):
    KERAS = "keras"
    SAVED_MODEL = "saved_model"
    TFLITE = "tflite"
    CHECKPOINT = "checkpoint"


def iso(timestamp: float | None) -> str | None:
    """Unix seconds as an ISO-8601 UTC string, the form every JSON output uses."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat(timespec="milliseconds")


def loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def dumps(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)


@dataclass(frozen=True)
class Experiment:
    """One row of `experiments`: a job of some kind, its state and its summary."""

    id: int
    name: str
    kind: str
    status: str
    model: str | None
    dataset: str | None
    parent_id: int | None
    group_id: int | None
    spec: dict[str, Any]
    created_at: float
    started_at: float | None
    finished_at: float | None
    heartbeat_at: float | None
    host: str | None
    pid: int | None
    backend: str
    backend_job_id: str | None
    error: str | None
    stop_requested: bool
    progress_epoch: int | None
    progress_step: int | None
    progress_steps: int | None
    progress_at: float | None
    best_metric: str | None
    best_value: float | None
    best_epoch: int | None
    best_val_accuracy: float | None
    final_metrics: dict[str, float]
    epochs_run: int
    stopped_early: bool | None
    train_seconds: float | None
    params: int | None
    wait_for: int | None = None
    # What the backend (Slurm) last said: its job state, why it waits, which node runs it.
    backend_state: str | None = None
    backend_reason: str | None = None
    backend_node: str | None = None
    backend_options: dict[str, Any] = field(default_factory=dict)
    report_offset: int = 0  # bytes of runs/<id>/report.jsonl already applied to the store
    # One sentence when the run's numbers should not be trusted as they stand (validation
    # accuracy stuck at chance, a model that does not learn), None otherwise.
    warning: str | None = None
    # The local queue: why the scheduler has not started it, whether its user holds it back,
    # and its place (None: by id).
    waiting_for: str | None = None
    held: bool = False
    queue_rank: float | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Experiment:
        values = dict(row)
        values["spec"] = loads(values["spec"]) or {}
        if "backend_options" in values:
            values["backend_options"] = loads(values["backend_options"]) or {}
        values["final_metrics"] = loads(values["final_metrics"]) or {}
        values["stop_requested"] = bool(values["stop_requested"])
        if "held" in values:
            values["held"] = bool(values["held"])
        if values["stopped_early"] is not None:
            values["stopped_early"] = bool(values["stopped_early"])
        return cls(**values)

    @property
    def display_status(self) -> str:
        """The status as people read it: a queued job says why it waits (Slurm's reason, or the
        local scheduler's phrase), a held one that it is held."""
        if self.status == Status.QUEUED and self.backend_state == "PENDING":
            reason = self.backend_reason
            return f"pending ({reason})" if reason and reason != "None" else "pending"
        if self.status == Status.QUEUED and self.held:
            return "queued (held)"
        if self.status == Status.QUEUED and self.waiting_for:
            return f"queued ({self.waiting_for})"
        return self.status

    @property
    def duration_s(self) -> float | None:
        """Seconds from start to finish (or to the last heartbeat while it runs)."""
        if self.started_at is None:
            return None
        end = self.finished_at or self.heartbeat_at or self.progress_at
        return None if end is None else max(0.0, end - self.started_at)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "status": self.status,
            "model": self.model,
            "dataset": self.dataset,
            "parent_id": self.parent_id,
            "group_id": self.group_id,
            "wait_for": self.wait_for,
            "created_at": iso(self.created_at),
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "duration_s": self.duration_s,
            "host": self.host,
            "pid": self.pid,
            "backend": self.backend,
            "backend_job_id": self.backend_job_id,
            "backend_state": self.backend_state,
            "backend_reason": self.backend_reason,
            "backend_node": self.backend_node,
            "backend_options": self.backend_options,
            "display_status": self.display_status,
            "error": self.error,
            "progress": {
                "epoch": self.progress_epoch,
                "step": self.progress_step,
                "steps": self.progress_steps,
                "at": iso(self.progress_at),
            },
            "best": {
                "metric": self.best_metric,
                "value": self.best_value,
                "epoch": self.best_epoch,
            },
            "best_val_accuracy": self.best_val_accuracy,
            "final_metrics": self.final_metrics,
            "epochs_run": self.epochs_run,
            "stopped_early": self.stopped_early,
            "train_seconds": self.train_seconds,
            "params": self.params,
            "warning": self.warning,
            "waiting_for": self.waiting_for,
            "held": self.held,
        }


EPOCH_COLUMNS = ("loss", "accuracy", "val_loss", "val_accuracy")


@dataclass(frozen=True)
class Epoch:
    """One finished epoch (numbered from 1, as Keras prints them) with all its metrics."""

    experiment_id: int
    epoch: int
    metrics: dict[str, float]
    lr: float | None
    seconds: float | None
    at: float

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Epoch:
        metrics = {name: row[name] for name in EPOCH_COLUMNS if row[name] is not None}
        metrics.update(loads(row["extra"]) or {})
        return cls(
            row["experiment_id"], row["epoch"], metrics, row["lr"], row["seconds"], row["at"]
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "metrics": self.metrics,
            "lr": self.lr,
            "seconds": self.seconds,
            "at": iso(self.at),
        }


@dataclass(frozen=True)
class Event:
    """Something that happened to an experiment: started, best epoch, early stopping, failure..."""

    id: int
    experiment_id: int
    at: float
    kind: str
    message: str
    data: dict[str, Any]

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Event:
        return cls(
            row["id"],
            row["experiment_id"],
            row["at"],
            row["kind"],
            row["message"],
            loads(row["data"]) or {},
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": iso(self.at),
            "kind": self.kind,
            "message": self.message,
            "data": self.data,
        }


@dataclass(frozen=True)
class Artifact:
    """A file or folder an experiment produced, with size and content hash."""

    id: int
    experiment_id: int
    kind: str
    path: str
    bytes: int
    sha256: str
    meta: dict[str, Any]
    created_at: float

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Artifact:
        values = dict(row)
        values["meta"] = loads(values["meta"]) or {}
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "path": self.path,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "meta": self.meta,
            "created_at": iso(self.created_at),
        }


@dataclass(frozen=True)
class ExperimentDetail:
    """An experiment with everything recorded about it."""

    experiment: Experiment
    epochs: list[Epoch]
    events: list[Event]
    artifacts: list[Artifact]
    children: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.experiment.to_json(),
            "spec": self.experiment.spec,
            "children": self.children,
            "epochs": [e.to_json() for e in self.epochs],
            "events": [e.to_json() for e in self.events],
            "artifacts": [a.to_json() for a in self.artifacts],
        }
