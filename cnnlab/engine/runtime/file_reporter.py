"""A `Reporter` that writes JSON lines into the run folder instead of SQLite (Slurm jobs).

A job on another node must not touch the SQLite file over a network filesystem, so it appends
one record per call to `runs/<id>/report.jsonl`, each flushed and fsync'd, and learns of stop
requests from SIGTERM or from a `stop` file in the same folder; the submitting host applies
the records to the store (`cnnlab.engine.runtime.ingest`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cnnlab.devices import DeviceInfo
    from cnnlab.store import BenchRun

REPORT_NAME = "report.jsonl"
STOP_NAME = "stop"
PROGRESS_INTERVAL_S = 0.5  # as the SQLite reporter: at most 2 progress records per second
STOP_POLL_INTERVAL_S = 0.5


def report_path(run_dir: Path) -> Path:
    return run_dir / REPORT_NAME


def stop_path(run_dir: Path) -> Path:
    return run_dir / STOP_NAME


class FileReporter:
    """Appends every report as one JSON line; safe to call from the heartbeat thread too."""

    def __init__(self, run_dir: Path, experiment_id: int) -> None:
        self.run_dir = run_dir
        self.experiment_id = experiment_id
        self.stop_signalled = False  # set by the job's SIGTERM handler
        self._lock = threading.Lock()
        self._last_progress = 0.0
        self._last_stop_poll = 0.0
        self._stop_flag = False
        run_dir.mkdir(parents=True, exist_ok=True)

    def _write(self, record: dict[str, Any]) -> None:
        line = json.dumps({"at": time.time(), **record}, default=_plain, allow_nan=True) + "\n"
        with self._lock:
            # O_APPEND: a whole line per write, even if a previous run's file is being read.
            fd = os.open(report_path(self.run_dir), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode())
                os.fsync(fd)
            finally:
                os.close(fd)

    def status(self, status: str, *, error: str | None = None, pid: int | None = None) -> None:
        self._write(
            {
                "type": "status",
                "status": status,
                "error": error,
                "pid": pid,
                "host": os.uname().nodename,
            }
        )

    def epoch(
        self, epoch: int, metrics: Mapping[str, float], *, lr: float | None, seconds: float
    ) -> None:
        self._write(
            {
                "type": "epoch",
                "epoch": epoch,
                "metrics": dict(metrics),
                "lr": lr,
                "seconds": seconds,
            }
        )

    def progress(self, epoch: int, step: int, steps: int | None) -> None:
        now = time.monotonic()
        if now - self._last_progress < PROGRESS_INTERVAL_S and step != steps:
            return
        self._last_progress = now
        self._write({"type": "progress", "epoch": epoch, "step": step, "steps": steps})

    def event(self, kind: str, message: str = "", data: Mapping[str, Any] | None = None) -> None:
        self._write(
            {
                "type": "event",
                "kind": kind,
                "message": message,
                "data": dict(data) if data else None,
            }
        )

    def artifact(
        self,
        kind: str,
        path: Path,
        meta: Mapping[str, Any] | None = None,
        *,
        owner: int | None = None,
    ) -> None:
        # Size and hash are computed by the ingester, on the shared filesystem.
        self._write(
            {
                "type": "artifact",
                "kind": kind,
                "path": str(Path(path).absolute()),
                "meta": dict(meta or {}),
                "owner": owner,
            }
        )

    def bench_run(self, device: DeviceInfo, run: BenchRun, samples_us: Sequence[float]) -> None:
        self._write(
            {
                "type": "bench_run",
                "device": dataclasses.asdict(device),
                "run": dataclasses.asdict(run),
                "samples_us": [float(sample) for sample in samples_us],
            }
        )

    def summary(self, **fields: Any) -> None:
        self._write({"type": "summary", "fields": fields})

    def heartbeat(self) -> None:
        self._write({"type": "heartbeat"})

    def stop_requested(self) -> bool:
        if self.stop_signalled or self._stop_flag:
            return True
        now = time.monotonic()
        if now - self._last_stop_poll >= STOP_POLL_INTERVAL_S:
            self._last_stop_poll = now
            self._stop_flag = stop_path(self.run_dir).exists()
        return self._stop_flag


def _plain(value: Any) -> Any:
    """numpy and TensorFlow scalars (metrics, learning rates) as plain numbers."""
    for convert in (float, str):
        try:
            return convert(value)
        except (TypeError, ValueError):
            continue
    return repr(value)


def read_records(path: Path, offset: int) -> list[tuple[int, int, dict[str, Any] | None]]:
    """Complete lines from byte `offset` on, as (start, end, record); a line still being
    written (no newline yet) is left for next time. A line that is not JSON yields None."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            data = handle.read()
    except FileNotFoundError:
        return []
    records: list[tuple[int, int, dict[str, Any] | None]] = []
    start = offset
    for line in data.splitlines(keepends=True):
        if not line.endswith(b"\n"):
            break
        end = start + len(line)
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        records.append((start, end, record if isinstance(record, dict) else None))
        start = end
    return records
