"""The schema comes from ordered migrations: from an empty file to the latest, once, atomically."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from cnnlab.store import NotADatabase, SchemaTooNew, open_store
from cnnlab.store import migrations as m

EXPECTED_COLUMNS = {
    "experiments": {
        "id",
        "name",
        "kind",
        "status",
        "model",
        "dataset",
        "parent_id",
        "group_id",
        "spec",
        "created_at",
        "started_at",
        "finished_at",
        "heartbeat_at",
        "host",
        "pid",
        "backend",
        "backend_job_id",
        "error",
        "stop_requested",
        "progress_epoch",
        "progress_step",
        "progress_steps",
        "progress_at",
        "best_metric",
        "best_value",
        "best_epoch",
        "best_val_accuracy",
        "final_metrics",
        "epochs_run",
        "stopped_early",
        "train_seconds",
        "params",
        "wait_for",
        "backend_state",
        "backend_reason",
        "backend_node",
        "backend_options",
        "report_offset",
        "warning",
        "waiting_for",
        "held",
        "queue_rank",
    },
    "epochs": {
        "experiment_id",
        "epoch",
        "loss",
        "accuracy",
        "val_loss",
        "val_accuracy",
        "lr",
        "seconds",
        "at",
        "extra",
    },
    "events": {"id", "experiment_id", "at", "kind", "message", "data"},
    "artifacts": {"id", "experiment_id", "kind", "path", "bytes", "sha256", "meta", "created_at"},
    "devices": {
        "id",
        "serial",
        "kind",
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
        "info",
        "first_seen",
        "last_seen",
    },
    "bench_runs": {
        "id",
        "experiment_id",
        "artifact_id",
        "device_id",
        "delegate",
        "threads",
        "cpu_mask",
        "warmup_runs",
        "runs",
        "init_us",
        "first_us",
        "mean_us",
        "median_us",
        "p90_us",
        "p99_us",
        "min_us",
        "max_us",
        "std_us",
        "peak_memory_bytes",
        "temp_before_c",
        "temp_after_c",
        "binary_version",
        "command",
        "extra",
        "created_at",
    },
    "latency_samples": {"bench_run_id", "count", "samples_us"},
}


def schema(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
    finally:
        conn.close()


def test_an_empty_file_migrates_to_the_latest_schema(db_path: Path) -> None:
    db_path.touch()  # an empty file is a valid, empty SQLite database
    open_store(db_path).close()

    db = sqlite_utils.Database(db_path)
    for table, columns in EXPECTED_COLUMNS.items():
        assert set(db[table].columns_dict) == columns, table
    assert [row["name"] for row in db["_migrations"].rows] == [n for n, _ in m.MIGRATIONS]
    assert db.execute("PRAGMA user_version").fetchone()[0] == m.latest_version()
    indexes = {index.name for index in db["experiments"].indexes}
    assert {
        "experiments_status",
        "experiments_kind",
        "experiments_created",
        "experiments_parent",
        "experiments_group",
        "experiments_best_val_accuracy",
        "experiments_model_accuracy",
        "experiments_roots",
    } <= indexes


def test_reapplying_migrations_changes_nothing(db_path: Path) -> None:
    open_store(db_path).close()
    before = schema(db_path)
    with open_store(db_path) as store:
        assert m.migrate(store.conn) == []
        # Even with the fast path defeated, every migration is recognised as applied.
        store.conn.execute("PRAGMA user_version = 0")
        assert m.migrate(store.conn) == []
    assert schema(db_path) == before
    assert sqlite_utils.Database(db_path)["_migrations"].count == len(m.MIGRATIONS)


def test_a_failing_migration_leaves_no_trace(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_store(db_path).close()

    def m999_broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("boom")

    monkeypatch.setattr(m, "MIGRATIONS", [*m.MIGRATIONS, ("m999_broken", m999_broken)])
    with pytest.raises(RuntimeError, match="boom"):
        open_store(db_path)

    db = sqlite_utils.Database(db_path)
    assert "half_done" not in db.table_names()
    assert "m999_broken" not in [row["name"] for row in db["_migrations"].rows]
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(m.MIGRATIONS) - 1


def test_a_new_file_whose_creation_fails_is_removed(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def m001_broken(conn: sqlite3.Connection) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(m, "MIGRATIONS", [("m001_broken", m001_broken)])
    with pytest.raises(RuntimeError):
        open_store(db_path)
    assert list(db_path.parent.iterdir()) == []


@pytest.mark.parametrize("how", ["unknown migration", "higher user_version"])
def test_a_newer_schema_is_refused_and_left_untouched(db_path: Path, how: str) -> None:
    open_store(db_path).close()
    conn = sqlite3.connect(db_path)
    if how == "unknown migration":
        conn.execute("INSERT INTO _migrations VALUES ('m050_from_the_future', 0)")
    else:
        conn.execute(f"PRAGMA user_version = {m.latest_version() + 1}")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = db_path.read_bytes()

    with pytest.raises(SchemaTooNew, match="newer cnnlab"):
        open_store(db_path)
    assert db_path.read_bytes() == before


def test_a_damaged_database_is_reported(db_path: Path) -> None:
    db_path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)
    with pytest.raises(NotADatabase, match="not a usable cnnlab database"):
        open_store(db_path)
