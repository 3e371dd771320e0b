"""The SQLite store: every experiment, epoch, event, artifact, device and latency sample.

Everything else in cnnlab reads and writes through these typed functions; this package imports
nothing else of ours, so the CLI, the TUI and job processes all share one well-tested layer.
"""

from __future__ import annotations

from cnnlab.store.artifacts import (
    add_artifact,
    artifact_path,
    content_hash,
    get_artifact,
    list_artifacts,
)
from cnnlab.store.connection import DEFAULT_DB_NAME, Store, open_store
from cnnlab.store.devices import (
    BenchRun,
    Device,
    add_bench_run,
    bench_runs_for,
    get_samples,
    list_bench_runs,
    list_devices,
    upsert_device,
)
from cnnlab.store.errors import (
    DiskFull,
    InvalidValue,
    NotADatabase,
    SchemaTooNew,
    StoreError,
    StoreLocked,
    StoreReadOnly,
    UnknownExperiment,
)
from cnnlab.store.experiments import (
    SORTABLE,
    ExperimentQuery,
    cancel_orphaned,
    claim_next_queued,
    count_experiments,
    create_experiment,
    delete_experiments,
    get_detail,
    get_experiment,
    heartbeat,
    list_experiments,
    request_stop,
    set_group,
    set_progress,
    set_status,
    update_summary,
)
from cnnlab.store.history import append_epoch, append_event, list_epochs, list_events
from cnnlab.store.info import DatabaseInfo, database_info
from cnnlab.store.records import (
    Artifact,
    ArtifactKind,
    Epoch,
    Event,
    Experiment,
    ExperimentDetail,
    Kind,
    Status,
)

__all__ = [
    "DEFAULT_DB_NAME",
    "SORTABLE",
    "Artifact",
    "ArtifactKind",
    "BenchRun",
    "DatabaseInfo",
    "Device",
    "DiskFull",
    "Epoch",
    "Event",
    "Experiment",
    "ExperimentDetail",
    "ExperimentQuery",
    "InvalidValue",
    "Kind",
    "NotADatabase",
    "SchemaTooNew",
    "Status",
    "Store",
    "StoreError",
    "StoreLocked",
    "StoreReadOnly",
    "UnknownExperiment",
    "add_artifact",
    "add_bench_run",
    "append_epoch",
    "append_event",
    "artifact_path",
    "bench_runs_for",
    "cancel_orphaned",
    "claim_next_queued",
    "content_hash",
    "count_experiments",
    "create_experiment",
    "database_info",
    "delete_experiments",
    "get_artifact",
    "get_detail",
    "get_experiment",
    "get_samples",
    "heartbeat",
    "list_artifacts",
    "list_bench_runs",
    "list_devices",
    "list_epochs",
    "list_events",
    "list_experiments",
    "open_store",
    "request_stop",
    "set_group",
    "set_progress",
    "set_status",
    "update_summary",
    "upsert_device",
]
