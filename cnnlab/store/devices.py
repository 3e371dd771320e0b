"""Where models were measured (the host, phones) and what each benchmark run measured there.

A latency figure means little without the device identity, threads, delegate, CPU mask and
temperature beside it, so a bench run is stored with all of them; its per-run samples are kept
whole as one little-endian float32 blob (microseconds) in a table of their own.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import sys
import time
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cnnlab.store.connection import Store
from cnnlab.store.errors import InvalidValue, StoreError
from cnnlab.store.records import dumps, loads

DEVICE_KINDS = ("host", "adb")


@dataclass(frozen=True)
class Device:
    """A machine models run on: `host`, or an Android phone known by its adb serial."""

    serial: str
    kind: str
    manufacturer: str | None = None
    model: str | None = None
    soc: str | None = None
    abi: str | None = None
    cpu_cores: int | None = None
    cpu_max_khz: list[int] | None = None
    ram_bytes: int | None = None
    android_release: str | None = None
    sdk: int | None = None
    fingerprint: str | None = None
    info: dict[str, Any] | None = None
    id: int | None = None
    first_seen: float | None = None
    last_seen: float | None = None


# What identifies a device's hardware and software (everything but the free-form `info`).
DEVICE_IDENTITY = (
    "manufacturer",
    "model",
    "soc",
    "abi",
    "cpu_cores",
    "cpu_max_khz",
    "ram_bytes",
    "android_release",
    "sdk",
    "fingerprint",
)
_DEVICE_DATA = (*DEVICE_IDENTITY, "info")


def upsert_device(store: Store, device: Device) -> int:
    """Record a device seen now: its identity is refreshed, `first_seen` kept."""
    if device.kind not in DEVICE_KINDS:
        raise InvalidValue(f"Unknown device kind {device.kind!r}; expected one of {DEVICE_KINDS}.")
    values = [getattr(device, name) for name in _DEVICE_DATA]
    values[_DEVICE_DATA.index("cpu_max_khz")] = dumps(device.cpu_max_khz)
    values[_DEVICE_DATA.index("info")] = dumps(device.info)
    now = time.time()
    updates = ", ".join(f"{name} = excluded.{name}" for name in ("kind", *_DEVICE_DATA))
    with store.write() as conn:
        conn.execute(
            f"INSERT INTO devices (serial, kind, {', '.join(_DEVICE_DATA)}, first_seen, last_seen)"
            f" VALUES ({', '.join('?' * (len(_DEVICE_DATA) + 4))})"
            f" ON CONFLICT(serial) DO UPDATE SET {updates}, last_seen = excluded.last_seen",
            (device.serial, device.kind, *values, now, now),
        )
        row = conn.execute("SELECT id FROM devices WHERE serial = ?", (device.serial,)).fetchone()
    return int(row[0])


def list_devices(store: Store) -> list[Device]:
    devices = []
    for row in store.read("SELECT * FROM devices ORDER BY kind DESC, serial"):
        values = dict(row)
        values["cpu_max_khz"] = loads(values["cpu_max_khz"])
        values["info"] = loads(values["info"])
        devices.append(Device(**values))
    return devices


@dataclass(frozen=True)
class BenchRun:
    """One benchmark of one model on one device with one configuration (times in µs)."""

    experiment_id: int
    artifact_id: int | None = None
    device_id: int | None = None
    delegate: str = "cpu"
    threads: int | None = None
    cpu_mask: str | None = None
    warmup_runs: int = 0
    runs: int = 0
    init_us: float | None = None
    first_us: float | None = None
    mean_us: float | None = None
    median_us: float | None = None
    p90_us: float | None = None
    p99_us: float | None = None
    min_us: float | None = None
    max_us: float | None = None
    std_us: float | None = None
    peak_memory_bytes: int | None = None
    temp_before_c: float | None = None
    temp_after_c: float | None = None
    binary_version: str | None = None
    command: str | None = None
    extra: dict[str, Any] | None = None
    id: int | None = None
    created_at: float | None = None


def add_bench_run(store: Store, run: BenchRun, samples_us: Iterable[float] = ()) -> int:
    """Record a bench run's summary and every per-run sample, in one transaction."""
    with store.write() as conn:
        return insert_bench_run(conn, run, samples_us)


def insert_bench_run(
    conn: sqlite3.Connection, run: BenchRun, samples_us: Iterable[float] = ()
) -> int:
    """The rows of `add_bench_run`, inside a transaction the caller holds (an import writes
    its experiment, device and bench run in one)."""
    values = {f.name: getattr(run, f.name) for f in dataclasses.fields(run)}
    values.pop("id")
    values["extra"] = dumps(run.extra)
    values["created_at"] = run.created_at or time.time()
    blob = array("f", samples_us)
    if sys.byteorder == "big":
        blob.byteswap()
    cursor = conn.execute(
        f"INSERT INTO bench_runs ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
        list(values.values()),
    )
    run_id = cursor.lastrowid
    assert run_id is not None
    conn.execute(
        "INSERT INTO latency_samples (bench_run_id, count, samples_us) VALUES (?, ?, ?)",
        (run_id, len(blob), blob.tobytes()),
    )
    return run_id


def list_bench_runs(store: Store, experiment_id: int) -> list[BenchRun]:
    rows = store.read(
        "SELECT * FROM bench_runs WHERE experiment_id = ? ORDER BY id", (experiment_id,)
    )
    return [BenchRun(**{**dict(row), "extra": loads(row["extra"])}) for row in rows]


def bench_runs_for(store: Store, experiment_ids: Iterable[int]) -> list[BenchRun]:
    """Bench runs of these experiments: their own, and those measuring their artifacts."""
    ids = sorted(set(experiment_ids))
    if not ids:
        return []
    marks = ", ".join("?" * len(ids))
    rows = store.read(
        "SELECT b.* FROM bench_runs b LEFT JOIN artifacts a ON a.id = b.artifact_id"
        f" WHERE b.experiment_id IN ({marks}) OR a.experiment_id IN ({marks}) ORDER BY b.id",
        [*ids, *ids],
    )
    return [BenchRun(**{**dict(row), "extra": loads(row["extra"])}) for row in rows]


def benchmarked_experiments(store: Store) -> list[int]:
    """Every experiment that owns a benchmarked model or a bench run, oldest first."""
    rows = store.read(
        "SELECT DISTINCT COALESCE(a.experiment_id, b.experiment_id) AS owner FROM bench_runs b"
        " LEFT JOIN artifacts a ON a.id = b.artifact_id ORDER BY owner"
    )
    return [int(row["owner"]) for row in rows]


def get_samples(store: Store, bench_run_id: int) -> list[float]:
    """Every per-run latency sample of a bench run, in microseconds, in the order measured."""
    rows = store.read(
        "SELECT samples_us FROM latency_samples WHERE bench_run_id = ?", (bench_run_id,)
    )
    if not rows:
        raise StoreError(f"No samples for bench run {bench_run_id}.")
    blob = array("f")
    blob.frombytes(rows[0][0])
    if sys.byteorder == "big":
        blob.byteswap()
    return blob.tolist()
