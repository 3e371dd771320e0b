"""A small reserve file beside the database, given up when the disk fills so cnnlab can still work.

On a full disk SQLite cannot even open a WAL database (its shared-memory file needs 32 KiB) nor
commit the row that says *why* a job failed; `ls` could not list and `rm` could not free space.
So whenever there is room, cnnlab keeps `experiments.db-reserve` (1 MiB of zeros) next to the
database, on the same filesystem; when SQLite reports a full disk, the reserve is deleted and
the operation retried in the room it leaves. It comes back by itself once space is free again.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

RESERVE_BYTES = 1 << 20
# Make a new reserve only with this much free beyond it, so that it never fills a disk itself.
HEADROOM_BYTES = 8 * RESERVE_BYTES
SUFFIX = "-reserve"


def reserve_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + SUFFIX)


def free_bytes(folder: Path) -> int | None:
    """Bytes an unprivileged writer may still use on `folder`'s filesystem (None if unknown)."""
    try:
        stats = os.statvfs(folder)
    except OSError:
        return None
    return stats.f_bavail * stats.f_frsize


def disk_is_full(folder: Path) -> bool:
    """Whether the filesystem holding `folder` is out of space (less than one reserve left)."""
    free = free_bytes(folder)
    return free is not None and free < RESERVE_BYTES


def ensure_reserve(db_path: Path) -> None:
    """Create the reserve if it is missing and the disk has room; never fails."""
    path = reserve_path(db_path)
    if path.exists():
        return
    free = free_bytes(db_path.parent)
    if free is None or free < HEADROOM_BYTES:
        return
    temporary = path.with_name(path.name + ".tmp")
    try:
        with temporary.open("wb") as handle:  # a file of its own, never the database
            handle.write(b"\0" * RESERVE_BYTES)
            handle.flush()
            os.fsync(handle.fileno())  # really allocated, so deleting it really frees space
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()


def release_reserve(db_path: Path) -> bool:
    """Delete the reserve to make room; True if there was one to give."""
    try:
        reserve_path(db_path).unlink()
    except FileNotFoundError:
        return False
    except OSError:
        return False
    return True
