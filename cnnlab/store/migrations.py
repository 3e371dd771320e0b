"""The schema as ordered, named migrations, applied together with their records in one transaction.

Append new migrations at the end and never edit an applied one: a database remembers which
names it has seen in `_migrations` (and their count in `PRAGMA user_version`), so opening a file
written by a newer cnnlab is detected before anything is changed. All pending migrations share
one transaction, so one that cannot be applied (its column or table is there already, but its
record is not: a half-applied or hand-copied schema) leaves the file exactly as it was and is
reported as `MigrationConflict`, naming the migration, instead of SQLite's bare "duplicate column
name".
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

from cnnlab.store.errors import StoreError

Migration = Callable[[sqlite3.Connection], None]

MIGRATIONS: list[tuple[str, Migration]] = []


class MigrationConflict(StoreError):
    """A pending migration adds what the database already has: it was half applied before."""


def migration(fn: Migration) -> Migration:
    """Register `fn` as the next migration, named after the function."""
    MIGRATIONS.append((fn.__name__, fn))
    return fn


def _run(conn: sqlite3.Connection, *statements: str) -> None:
    # One statement at a time: `executescript` would commit the surrounding transaction.
    for statement in statements:
        conn.execute(statement)


@migration
def m001_initial(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        # AUTOINCREMENT so that a deleted experiment's id (and its runs/<id>/ folder) is never
        # handed to a new one.
        """CREATE TABLE experiments (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL DEFAULT '',
            kind TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'queued',
            model TEXT,
            dataset TEXT,
            parent_id INTEGER REFERENCES experiments(id) ON DELETE SET NULL,
            group_id INTEGER,
            spec TEXT NOT NULL DEFAULT '{}',
            created_at REAL NOT NULL,
            started_at REAL,
            finished_at REAL,
            heartbeat_at REAL,
            host TEXT,
            pid INTEGER,
            backend TEXT NOT NULL DEFAULT 'local',
            backend_job_id TEXT,
            error TEXT,
            stop_requested INTEGER NOT NULL DEFAULT 0,
            progress_epoch INTEGER,
            progress_step INTEGER,
            progress_steps INTEGER,
            progress_at REAL,
            best_metric TEXT,
            best_value REAL,
            best_epoch INTEGER,
            best_val_accuracy REAL,
            final_metrics TEXT,
            epochs_run INTEGER NOT NULL DEFAULT 0,
            stopped_early INTEGER,
            train_seconds REAL,
            params INTEGER
        )""",
        "CREATE INDEX experiments_created ON experiments (created_at)",
        "CREATE INDEX experiments_status ON experiments (status, created_at)",
        "CREATE INDEX experiments_kind ON experiments (kind, created_at)",
        "CREATE INDEX experiments_parent ON experiments (parent_id)",
        "CREATE INDEX experiments_group ON experiments (group_id)",
        "CREATE INDEX experiments_model ON experiments (model)",
        "CREATE INDEX experiments_best_val_accuracy ON experiments (best_val_accuracy)",
        # Epochs are always read per experiment in order: a clustered key keeps them compact.
        """CREATE TABLE epochs (
            experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
            epoch INTEGER NOT NULL,
            loss REAL,
            accuracy REAL,
            val_loss REAL,
            val_accuracy REAL,
            lr REAL,
            seconds REAL,
            at REAL NOT NULL,
            extra TEXT,
            PRIMARY KEY (experiment_id, epoch)
        ) WITHOUT ROWID""",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
            at REAL NOT NULL,
            kind TEXT NOT NULL,
            message TEXT NOT NULL DEFAULT '',
            data TEXT
        )""",
        "CREATE INDEX events_experiment ON events (experiment_id, id)",
        """CREATE TABLE artifacts (
            id INTEGER PRIMARY KEY,
            experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            path TEXT NOT NULL,
            bytes INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            meta TEXT,
            created_at REAL NOT NULL
        )""",
        "CREATE INDEX artifacts_experiment ON artifacts (experiment_id)",
        """CREATE TABLE devices (
            id INTEGER PRIMARY KEY,
            serial TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            manufacturer TEXT,
            model TEXT,
            soc TEXT,
            abi TEXT,
            cpu_cores INTEGER,
            cpu_max_khz TEXT,
            ram_bytes INTEGER,
            android_release TEXT,
            sdk INTEGER,
            fingerprint TEXT,
            info TEXT,
            first_seen REAL NOT NULL,
            last_seen REAL NOT NULL
        )""",
        """CREATE TABLE bench_runs (
            id INTEGER PRIMARY KEY,
            experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
            artifact_id INTEGER REFERENCES artifacts(id) ON DELETE SET NULL,
            device_id INTEGER REFERENCES devices(id) ON DELETE SET NULL,
            delegate TEXT NOT NULL DEFAULT 'cpu',
            threads INTEGER,
            cpu_mask TEXT,
            warmup_runs INTEGER NOT NULL DEFAULT 0,
            runs INTEGER NOT NULL DEFAULT 0,
            init_us REAL,
            first_us REAL,
            mean_us REAL,
            median_us REAL,
            p90_us REAL,
            p99_us REAL,
            min_us REAL,
            max_us REAL,
            std_us REAL,
            peak_memory_bytes INTEGER,
            temp_before_c REAL,
            temp_after_c REAL,
            binary_version TEXT,
            command TEXT,
            extra TEXT,
            created_at REAL NOT NULL
        )""",
        "CREATE INDEX bench_runs_experiment ON bench_runs (experiment_id)",
        "CREATE INDEX bench_runs_artifact ON bench_runs (artifact_id, device_id)",
        # Samples live apart from the summaries so that listing runs never reads the blobs.
        """CREATE TABLE latency_samples (
            bench_run_id INTEGER PRIMARY KEY REFERENCES bench_runs(id) ON DELETE CASCADE,
            count INTEGER NOT NULL,
            samples_us BLOB NOT NULL
        )""",
    )


@migration
def m002_dependencies(conn: sqlite3.Connection) -> None:
    # A queued job may wait for another to end `done` (pipelines, convert after train).
    _run(
        conn,
        "ALTER TABLE experiments ADD COLUMN wait_for INTEGER REFERENCES experiments(id)"
        " ON DELETE SET NULL",
        "CREATE INDEX experiments_wait_for ON experiments (wait_for)",
    )


@migration
def m003_listing_indexes(conn: sqlite3.Connection) -> None:
    # The TUI's commonest filter (a model glob with an accuracy bound) is answered from this index
    # alone, count included; the tree view's roots come newest first without a sort.
    _run(
        conn,
        "CREATE INDEX experiments_model_accuracy ON experiments"
        " (model, best_val_accuracy, created_at)",
        "CREATE INDEX experiments_roots ON experiments (parent_id, created_at)",
    )


@migration
def m004_backend_jobs(conn: sqlite3.Connection) -> None:
    # Jobs run by Slurm: what Slurm last said (state, pending reason, node), the options they were
    # submitted with, and how far into their run folder's report.jsonl the store has read, so
    # that every reported line is applied exactly once whoever ingests it.
    _run(
        conn,
        "ALTER TABLE experiments ADD COLUMN backend_state TEXT",
        "ALTER TABLE experiments ADD COLUMN backend_reason TEXT",
        "ALTER TABLE experiments ADD COLUMN backend_node TEXT",
        "ALTER TABLE experiments ADD COLUMN backend_options TEXT",
        "ALTER TABLE experiments ADD COLUMN report_offset INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX experiments_backend ON experiments (backend, status)",
    )


@migration
def m005_warning(conn: sqlite3.Connection) -> None:
    # A run that ended `done` but should not be trusted as it stands (validation accuracy at
    # chance while training accuracy climbed, cnnlab.engine.kinds.train.chance): the one sentence
    # saying
    # why, shown as a mark beside the status in `ls` and the TUI.
    _run(conn, "ALTER TABLE experiments ADD COLUMN warning TEXT")


@migration
def m006_queue(conn: sqlite3.Connection) -> None:
    # The local queue (issue 16): why a queued job waits, in the scheduler's one phrase
    # ("waiting for phone R58M41XYZ"); a job held back by its user; and its place in the queue
    # (NULL: by id; a job moved to the front gets a rank below every other).
    _run(
        conn,
        "ALTER TABLE experiments ADD COLUMN waiting_for TEXT",
        "ALTER TABLE experiments ADD COLUMN held INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE experiments ADD COLUMN queue_rank REAL",
    )


def latest_version() -> int:
    return len(MIGRATIONS)


def applied_names(conn: sqlite3.Connection) -> list[str]:
    """Names recorded in `_migrations`, oldest first (empty for a new file)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'"
    ).fetchone()
    if not exists:
        return []
    return [row[0] for row in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]


def unknown_names(conn: sqlite3.Connection) -> list[str]:
    """Migrations the database has that this cnnlab does not: it was written by a newer one."""
    known = {name for name, _ in MIGRATIONS}
    names = applied_names(conn)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    extra = [name for name in names if name not in known]
    if not extra and version > latest_version():
        extra = [f"schema version {version}"]
    return extra


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply every pending migration; returns the names applied (none when up to date).

    `conn` must be in autocommit mode (isolation_level=None). The pending migrations and their
    bookkeeping rows run inside one `BEGIN IMMEDIATE`, so two processes opening the same new
    file apply each migration exactly once, and a failing one leaves no trace of the others.
    """
    if conn.execute("PRAGMA user_version").fetchone()[0] == latest_version():
        return []
    applied: list[str] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        had_records = bool(applied_names(conn))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS _migrations "
            "(name TEXT PRIMARY KEY, applied_at REAL NOT NULL)"
        )
        done = set(applied_names(conn))
        for name, apply in MIGRATIONS:
            if name in done:
                continue
            try:
                apply(conn)
            except sqlite3.OperationalError as exc:
                if "duplicate column name" in str(exc) or "already exists" in str(exc):
                    raise _conflict(conn, name, exc, first=not had_records) from exc
                raise
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", (name, time.time())
            )
            applied.append(name)
        if conn.execute("PRAGMA user_version").fetchone()[0] != latest_version():
            conn.execute(f"PRAGMA user_version = {latest_version()}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return applied


def _conflict(
    conn: sqlite3.Connection, name: str, exc: sqlite3.OperationalError, *, first: bool
) -> MigrationConflict:
    path = conn.execute("PRAGMA database_list").fetchone()[2] or "the database"
    if first:
        return MigrationConflict(
            f"{path} has tables of its own ({exc}) but no record of cnnlab's migrations, so it is "
            "not a cnnlab database; nothing was changed. Point --db at a cnnlab database or a "
            "new file name."
        )
    return MigrationConflict(
        f"{path} cannot be upgraded: migration {name} was half applied before (its change is "
        f"there, {exc}, but not its record: a cnnlab that crashed, or a copied schema); nothing "
        "was changed. Restore the database from a backup, or open it with the cnnlab version "
        "that last wrote it."
    )
