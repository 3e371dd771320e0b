"""Opening the SQLite file safely: validate before touching, then WAL, busy timeout, foreign keys.

A file that is not SQLite, or was written by a newer schema, is refused before a single byte
changes; a new database that cannot be fully created is removed again, so nothing is left
half-made. Every later read and write goes through `Store.read` / `Store.write`, which turn
SQLite's bare errors into sentences.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from cnnlab.store.errors import (
    DiskFull,
    NotADatabase,
    SchemaTooNew,
    StoreError,
    StoreReadOnly,
    translated,
)
from cnnlab.store.migrations import migrate, unknown_names
from cnnlab.store.paths import refuse_special_file
from cnnlab.store.reserve import SUFFIX as RESERVE_SUFFIX
from cnnlab.store.reserve import ensure_reserve, release_reserve

T = TypeVar("T")

DEFAULT_DB_NAME = "experiments.db"
DEFAULT_BUSY_TIMEOUT_S = 30.0


@dataclass
class Store:
    """An open cnnlab database: the connection plus where its run folders live."""

    path: Path
    conn: sqlite3.Connection
    busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S
    # One store may be shared by the UI thread and its workers: calls take turns.
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @property
    def runs_dir(self) -> Path:
        return self.path.parent / "runs"

    def run_dir(self, experiment_id: int) -> Path:
        """The folder holding one experiment's log, config, checkpoints and models."""
        return self.runs_dir / str(int(experiment_id))

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self.lock, translated(self.path, self.busy_timeout_s):
            return self.conn.execute(sql, params).fetchall()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction that takes the lock up front (`BEGIN IMMEDIATE`).

        Taking the lock first means waiting writers queue on the busy timeout instead of
        failing when a read transaction tries to upgrade.
        """
        with self.lock, translated(self.path, self.busy_timeout_s):
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def retrying(self, write: Callable[[], T]) -> T:
        """Run `write` (one or more store writes); on a full disk, give up the reserve beside
        the database and run it once more, so that what must be recorded (why a job failed, a
        job marked lost, rows deleted to free space) still is."""
        return _with_reserve(self.path, write)

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Several reads that see one consistent state while jobs keep writing."""
        with self.lock, translated(self.path, self.busy_timeout_s):
            self.conn.execute("BEGIN DEFERRED")
            try:
                yield
            finally:
                self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_store(path: Path | str, *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S) -> Store:
    """Open (creating on first use) the cnnlab database at `path`, migrated to the latest schema.

    On a full disk the reserve beside the database is given up once to make room (see
    `cnnlab.store.reserve`), so that reading, recording failures and `rm` still work.
    """
    path = Path(path).expanduser().absolute()
    store = _with_reserve(path, lambda: _open(path, busy_timeout_s))
    ensure_reserve(path)
    return store


def _with_reserve(path: Path, operation: Callable[[], T]) -> T:
    """Run `operation`; on a full disk give up the reserve beside `path` and run it once more
    in the room that leaves (without a reserve to give, the error stands)."""
    try:
        return operation()
    except DiskFull:
        if not release_reserve(path):
            raise
        return operation()


def _open(path: Path, busy_timeout_s: float) -> Store:
    is_new = _check_before_opening(path, busy_timeout_s)
    try:
        with translated(path, busy_timeout_s):
            conn = sqlite3.connect(
                path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            try:
                conn.execute("PRAGMA foreign_keys = ON")
                # Migrate first: a file refused there (a foreign schema, a half-applied
                # migration) is left as it was, not switched to WAL.
                migrate(conn)
                if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            except BaseException:
                conn.close()
                raise
    except BaseException:
        if is_new:
            _remove_database_files(path)
        raise
    return Store(path=path, conn=conn, busy_timeout_s=busy_timeout_s)


def _check_before_opening(path: Path, busy_timeout_s: float) -> bool:
    """Refuse files we must not touch; returns True when the database does not exist yet."""
    folder = path.parent
    if path.is_dir():
        raise StoreError(f"{path} is a folder; --db must name a database file inside it.")
    refuse_special_file(path)  # /dev/null, a FIFO, a socket: by stat alone
    if not path.exists():
        if not folder.is_dir():
            raise StoreError(
                f"Cannot create {path}: the folder {folder} does not exist; create it first."
            )
        if not os.access(folder, os.W_OK | os.X_OK):
            raise StoreReadOnly(
                f"Cannot create {path}: the folder {folder} is not writable; "
                "choose a writable location with --db or CNNLAB_DB."
            )
        return True
    # Never open() the file ourselves: closing any descriptor on it drops every POSIX lock this
    # process holds there (the connections already open would lose theirs and a closing peer
    # would delete the WAL they still write to). SQLite itself reads the header below.
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise StoreError(f"Cannot read {path} ({exc.strerror}); check its permissions.") from exc
    if not os.access(path, os.R_OK):
        raise StoreError(f"Cannot read {path} (permission denied); check its permissions.")
    if not os.access(path, os.W_OK) or not os.access(folder, os.W_OK | os.X_OK):
        raise StoreReadOnly(
            f"{path} or its folder is not writable; cnnlab needs both (SQLite keeps its "
            "write-ahead log beside the file). Fix the permissions or copy the file elsewhere."
        )
    if size:
        _refuse_newer_schema(path, busy_timeout_s)
    return False


def _refuse_newer_schema(path: Path, busy_timeout_s: float) -> None:
    """Look at the schema through a read-only connection, so a refused file stays untouched.

    SQLite keeps a closed connection's descriptor open while other connections of this process
    hold locks on the file, so this second connection is safe where a plain open() is not.
    """
    with translated(path, busy_timeout_s):
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=busy_timeout_s)
        try:
            extra = unknown_names(conn)
        except sqlite3.DatabaseError as exc:  # SQLite read the header: not its format
            if "not a database" not in str(exc):
                raise
            raise NotADatabase(
                f"{path} is not a usable cnnlab database: not an SQLite database, or a damaged "
                "one; point --db at a cnnlab database or a new file name, or restore it from a "
                "backup."
            ) from exc
        finally:
            conn.close()
    if extra:
        raise SchemaTooNew(
            f"{path} was written by a newer cnnlab (it has {', '.join(extra)}); "
            "upgrade cnnlab to open it."
        )


def _remove_database_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal", RESERVE_SUFFIX):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()
