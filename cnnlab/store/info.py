"""A summary of a database file: where it is, which schema, how many rows, how big.

Introspection goes through sqlite-utils, which already knows how to list tables and count rows;
the hot read and write paths use plain parameterised SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnnlab.store.connection import Store
from cnnlab.store.migrations import applied_names, latest_version


@dataclass(frozen=True)
class DatabaseInfo:
    path: Path
    runs_dir: Path
    schema_version: int
    latest_schema_version: int
    migrations: list[str]
    journal_mode: str
    size_bytes: int
    counts: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "runs_dir": str(self.runs_dir),
            "schema_version": self.schema_version,
            "latest_schema_version": self.latest_schema_version,
            "migrations": self.migrations,
            "journal_mode": self.journal_mode,
            "size_bytes": self.size_bytes,
            "counts": self.counts,
        }


def database_info(store: Store) -> DatabaseInfo:
    import sqlite_utils

    with store.snapshot():
        db = sqlite_utils.Database(store.conn)
        counts = {
            name: db[name].count
            for name in db.table_names()
            if not name.startswith(("_", "sqlite"))
        }
        version = store.conn.execute("PRAGMA user_version").fetchone()[0]
        mode = store.conn.execute("PRAGMA journal_mode").fetchone()[0]
        migrations = applied_names(store.conn)
    size = sum(
        Path(f"{store.path}{suffix}").stat().st_size
        for suffix in ("", "-wal")
        if Path(f"{store.path}{suffix}").exists()
    )
    return DatabaseInfo(
        path=store.path,
        runs_dir=store.runs_dir,
        schema_version=version,
        latest_schema_version=latest_version(),
        migrations=migrations,
        journal_mode=mode,
        size_bytes=size,
        counts=counts,
    )
