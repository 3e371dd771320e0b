"""Bring what file-reporting jobs (Slurm) wrote in their run folders into the store, once.

Run by the scheduler every loop for its Slurm jobs, and by `cnnlab ls` and `engine status`
before they read; each line is applied together with its byte offset in one transaction, so
whoever gets there first applies it and nobody applies it twice.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from cnnlab.engine.runtime.file_reporter import read_records, report_path
from cnnlab.engine.runtime.reporter import record_bench_run
from cnnlab.errors import CnnlabError
from cnnlab.store import (
    ACTIVE_STATUSES,
    BenchRun,
    ExperimentQuery,
    Store,
    add_artifact,
    append_epoch,
    append_event,
    get_experiment,
    heartbeat,
    list_experiments,
    set_progress,
    set_status,
    update_summary,
)
from cnnlab.store.backends import LOCAL, apply_report_line


def ingest_report(store: Store, experiment_id: int) -> int:
    """Apply the new lines of one experiment's report file; returns how many this call applied."""
    offset = get_experiment(store, experiment_id).report_offset
    applied = 0
    for start, end, record in read_records(report_path(store.run_dir(experiment_id)), offset):

        def apply(joined: Store, record: dict[str, Any] | None = record) -> None:
            _apply(joined, experiment_id, record)

        if not apply_report_line(store, experiment_id, start, end, apply):
            break  # another ingester is ahead of us: it applies the rest
        applied += 1
    return applied


def ingest_reports(store: Store) -> int:
    """Apply new lines for every queued or running experiment that reports through files."""
    total = 0
    query = ExperimentQuery(status=ACTIVE_STATUSES, limit=10_000)
    for experiment in list_experiments(store, query):
        if experiment.backend != LOCAL:
            total += ingest_report(store, experiment.id)
    return total


def _apply(store: Store, experiment_id: int, record: dict[str, Any] | None) -> None:
    """One record through the same store functions the SQLite reporter calls."""
    kind = record.get("type") if record else None
    if record is None or kind is None:
        print(f"experiment {experiment_id}: skipped an unreadable report line", file=sys.stderr)
        return
    if kind == "status":
        status = record["status"]
        if status == "running":
            set_status(
                store,
                experiment_id,
                "running",
                pid=record.get("pid"),
                host=record.get("host"),
                error=record.get("error"),
                expect=ACTIVE_STATUSES,
            )
        else:
            # Only a job still live may end itself: a row already marked lost or stopped stays.
            set_status(
                store,
                experiment_id,
                status,
                error=record.get("error"),
                expect=ACTIVE_STATUSES,
            )
    elif kind == "epoch":
        append_epoch(
            store,
            experiment_id,
            int(record["epoch"]),
            record["metrics"],
            lr=record.get("lr"),
            seconds=record.get("seconds"),
        )
    elif kind == "progress":
        set_progress(
            store,
            experiment_id,
            epoch=record["epoch"],
            step=record["step"],
            steps=record.get("steps"),
        )
    elif kind == "event":
        append_event(
            store, experiment_id, record["kind"], record.get("message") or "", record.get("data")
        )
    elif kind == "artifact":
        owner = record.get("owner") or experiment_id
        try:
            path, meta = Path(record["path"]), record.get("meta")
            add_artifact(store, owner, record["kind"], path, meta=meta)
        except CnnlabError as exc:  # a vanished file must not block every later line
            append_event(
                store, experiment_id, "artifact_missing", str(exc), {"path": record["path"]}
            )
    elif kind == "bench_run":
        from cnnlab.devices import DeviceInfo

        device: dict[str, Any] = {
            key: tuple(value) if isinstance(value, list) else value
            for key, value in record["device"].items()
        }
        run = BenchRun(**{k: v for k, v in record["run"].items() if k not in ("id", "created_at")})
        record_bench_run(store, experiment_id, DeviceInfo(**device), run, record["samples_us"])
    elif kind == "summary":
        update_summary(store, experiment_id, **record["fields"])
    elif kind == "heartbeat":
        heartbeat(store, experiment_id)
    else:
        print(f"experiment {experiment_id}: unknown report record {kind!r}", file=sys.stderr)
