"""A latency measured elsewhere, recorded as one finished `bench` experiment in one transaction.

`cnnlab latency import` turns a saved `benchmark_model` log or a file of per-run times into the
same rows a bench job leaves: an experiment (status done), its bench run and its samples, and
the device when it is new. `create_experiment`, `upsert_device` and `add_bench_run` each take
their own write transaction and `Store.write()` does not nest, so an import made of those three
calls could stop half-way and leave an experiment without its bench run; this module writes
all of them inside one `with store.write()`, with the same SQL, so an import is all or nothing.

A file is imported once: its SHA-256 (`spec["imported"]["sha256"]`) is looked up among the
benches already imported, inside the same transaction, and a second import of the same bytes is
refused naming the first (the same measurement twice would weigh double in every comparison).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cnnlab.store.connection import Store
from cnnlab.store.devices import DEVICE_IDENTITY, BenchRun, Device, insert_bench_run
from cnnlab.store.errors import InvalidValue, UnknownExperiment
from cnnlab.store.records import dumps, loads

# What a second import of the same file would count twice, per kind of imported row (a
# training log, `cnnlab.store.imported_fit`, is found by the same `spec["imported"]["sha256"]`).
COUNTED_TWICE = {"bench": "one measurement", "fit": "one training"}


class AlreadyImported(InvalidValue):
    """The file was imported before; the message names the bench (or fit) it became."""

    def __init__(self, file: str, bench_id: int, name: str, kind: str = "bench") -> None:
        super().__init__(
            f"{file} was imported already, as {kind} {bench_id} ({name}); a second copy would "
            f"count {COUNTED_TWICE[kind]} twice, so nothing was recorded; to import it anew, "
            f"remove that {kind} first (`cnnlab rm {bench_id}`)."
        )
        self.bench_id = bench_id


def imported_before(store: Store, sha256: str, kind: str = "bench") -> tuple[int, str] | None:
    """(experiment id, name) of the `kind` import of a file with these bytes, or None."""
    return _earlier(store.read, sha256, kind)


def _earlier(read: Callable[..., Any], sha256: str, kind: str = "bench") -> tuple[int, str] | None:
    rows = read(
        "SELECT id, name, spec FROM experiments WHERE kind = ? AND instr(spec, ?) > 0 ORDER BY id",
        (kind, sha256),
    )
    for row in rows:
        spec = loads(row[2]) or {}
        imported = spec.get("imported") if isinstance(spec, dict) else None
        if isinstance(imported, dict) and imported.get("sha256") == sha256:
            return int(row[0]), str(row[1] or "")
    return None


@dataclass(frozen=True)
class ImportedBench:
    """The rows one import wrote."""

    experiment_id: int
    bench_run_id: int
    device_id: int


def add_imported_bench(
    store: Store,
    *,
    parent_id: int,
    name: str,
    spec: Mapping[str, Any],
    model: str | None,
    run: BenchRun,
    samples_us: Sequence[float] = (),
    device_id: int | None = None,
    new_device: Device | None = None,
    final_metrics: Mapping[str, Any] | None = None,
) -> ImportedBench:
    """Write a done `bench` experiment under `parent_id` with `run` and its samples; the run's
    device is `device_id` (already stored) or `new_device` (inserted here, refused if a device
    of that serial appeared meanwhile). A file imported before (the same
    `spec["imported"]["sha256"]`) raises `AlreadyImported`. Nothing is written unless everything
    is."""
    if (device_id is None) == (new_device is None):
        raise ValueError("give exactly one of device_id and new_device")
    now = time.time()
    imported = spec.get("imported") or {}
    with store.write() as conn:
        if not conn.execute("SELECT 1 FROM experiments WHERE id = ?", (parent_id,)).fetchone():
            raise UnknownExperiment(parent_id)
        if imported.get("sha256"):
            earlier = _earlier(lambda sql, p: conn.execute(sql, p).fetchall(), imported["sha256"])
            if earlier is not None:
                raise AlreadyImported(str(imported.get("file") or "The file"), *earlier)
        if new_device is not None:
            device_id = _insert_device(conn, new_device, now)
        elif not conn.execute("SELECT 1 FROM devices WHERE id = ?", (device_id,)).fetchone():
            raise InvalidValue(f"Device {device_id} was deleted meanwhile; run the import again.")
        cursor = conn.execute(
            "INSERT INTO experiments (name, kind, status, model, parent_id, spec, created_at,"
            " started_at, finished_at, final_metrics, backend)"
            " VALUES (?, 'bench', 'done', ?, ?, ?, ?, ?, ?, ?, 'local')",
            (
                name,
                model,
                parent_id,
                dumps(dict(spec)),
                now,
                now,
                now,
                None if final_metrics is None else dumps(dict(final_metrics)),
            ),
        )
        experiment_id = cursor.lastrowid
        assert experiment_id is not None
        row = dataclasses.replace(
            run, experiment_id=experiment_id, device_id=device_id, created_at=now
        )
        run_id = insert_bench_run(conn, row, samples_us)
    assert device_id is not None
    return ImportedBench(experiment_id, run_id, device_id)


def _insert_device(conn: Any, device: Device, now: float) -> int:
    if conn.execute("SELECT 1 FROM devices WHERE serial = ?", (device.serial,)).fetchone():
        raise InvalidValue(
            f"A device named {device.serial} was recorded meanwhile; run the import again."
        )
    names = (*DEVICE_IDENTITY, "info")
    values = [getattr(device, name) for name in names]
    values[names.index("cpu_max_khz")] = dumps(device.cpu_max_khz)
    values[names.index("info")] = dumps(device.info)
    cursor = conn.execute(
        f"INSERT INTO devices (serial, kind, {', '.join(names)}, first_seen, last_seen)"
        f" VALUES ({', '.join('?' * (len(names) + 4))})",
        (device.serial, device.kind, *values, now, now),
    )
    assert cursor.lastrowid is not None
    return int(cursor.lastrowid)
