"""Store errors a user can cause, and the translation of raw SQLite failures into them.

SQLite reports "database is locked", "file is not a database" or "disk is full" as bare
exceptions; callers need one sentence that says which file and what to do next.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cnnlab.errors import CnnlabError
from cnnlab.store.reserve import disk_is_full


class StoreError(CnnlabError):
    """The database cannot be opened, read or written."""


class NotADatabase(StoreError):
    """The file exists but is not an SQLite database (or is damaged)."""


class SchemaTooNew(StoreError):
    """The database was written by a newer cnnlab whose schema this version does not know."""


class StoreLocked(StoreError):
    """Another process held the write lock for longer than the busy timeout."""


class StoreReadOnly(StoreError):
    """The database or the folder holding it cannot be written."""


class DiskFull(StoreError):
    """The disk holding the database is full."""


class UnknownExperiment(StoreError):
    """No experiment has the requested id."""

    def __init__(self, experiment_id: int) -> None:
        super().__init__(
            f"No experiment with id {experiment_id}; `cnnlab ls` lists the ones that exist."
        )
        self.experiment_id = experiment_id


class InvalidValue(StoreError):
    """A value the store refuses (unknown status, kind, sort column...)."""


@contextmanager
def translated(path: Path, busy_timeout_s: float) -> Iterator[None]:
    """Turn SQLite's low-level errors for `path` into `StoreError`s with advice."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        raise _translate(exc, path, busy_timeout_s) from exc
    except sqlite3.DatabaseError as exc:
        text = str(exc)
        if "not a database" in text or "malformed" in text:
            raise NotADatabase(
                f"{path} is not a usable cnnlab database ({text}); "
                "point --db at another file or restore it from a backup."
            ) from exc
        raise


def _translate(exc: sqlite3.OperationalError, path: Path, busy_timeout_s: float) -> Exception:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StoreLocked(
            f"{path} is locked by another process (waited {busy_timeout_s:g} s); "
            "try again when it finishes, or raise store.busy_timeout_s in cnnlab.toml."
        )
    if "readonly" in text or "read-only" in text:
        return StoreReadOnly(
            f"{path} cannot be written (read-only file or folder); "
            "fix its permissions or point --db at a writable location."
        )
    if "disk is full" in text or "database or disk is full" in text:
        return DiskFull(
            f"The disk holding {path} is full; this change was not saved and nothing earlier "
            "was lost. Free some space and run the command again."
        )
    if "unable to open" in text:
        return StoreError(
            f"Cannot open {path} ({text}); check that its folder exists and is writable."
        )
    if "disk I/O error" in text and disk_is_full(path.parent):
        # SQLite's shared-memory file cannot grow: the same full disk under another name.
        return DiskFull(
            f"The disk holding {path} is full; this change was not saved and nothing earlier "
            "was lost. Free some space and run the command again."
        )
    if "disk I/O error" in text:
        return StoreError(
            f"Disk I/O error on {path}; check the disk and its free space, then retry."
        )
    return exc
