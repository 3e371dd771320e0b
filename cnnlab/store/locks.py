"""Which processes hold POSIX locks on the database file, read from the kernel (`/proc/locks`).

SQLite's safety rests on those locks: in WAL mode every open connection keeps a shared lock on
the database file, and the connection that closes last (the one that can take an exclusive lock)
checkpoints and deletes the `-wal` and `-shm` files. POSIX locks belong to the process, not the
descriptor, so closing *any* descriptor on the file drops all of them (SQLite's "How To Corrupt
An SQLite Database File", section 2.2): a process that does so keeps writing into a WAL that
another process then deletes. The kernel's table is the only outside view of that state; a job
checks itself against it, and the tests check every cnnlab process against it.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC_LOCKS = Path("/proc/locks")


def lock_holders(path: Path | str, table: str | None = None) -> set[int] | None:
    """The pids holding a POSIX (fcntl) lock on `path`; None where the kernel does not say.

    `table` is the text of /proc/locks (read when not given). Lines of waiters (`->`) and
    flock/OFD locks are not SQLite's and are left out.
    """
    try:
        info = os.stat(path)
        text = PROC_LOCKS.read_text() if table is None else table
    except OSError:
        return None
    holders: set[int] = set()
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 6 or fields[1] == "->" or fields[1] != "POSIX":
            continue
        try:
            # The device is left out on purpose: on overlay filesystems the kernel names the
            # lower device while stat() names the overlay; the inode agrees on both.
            if int(fields[5].rsplit(":", 1)[1]) == info.st_ino:
                holders.add(int(fields[4]))
        except ValueError:
            continue
    return holders


def holds_lock(path: Path | str, pid: int | None = None) -> bool | None:
    """Whether process `pid` (this one by default) holds a lock on `path`; None if unknown."""
    holders = lock_holders(path)
    if holders is None:
        return None
    return (os.getpid() if pid is None else pid) in holders
