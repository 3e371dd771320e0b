"""What a database path may name: a regular file (or nothing yet), never a device, FIFO or socket.

SQLite opens whatever it is given: `CNNLAB_DB=/dev/null` "works" until the first write, then fails
with a bare error after creating `/dev/null-journal` beside the device; a FIFO reads as a disk I/O
error and a socket as "unable to open". Refusing these by their file type, with `stat` only (no
open(), which would drop the process's POSIX locks on a real database), says what is wrong
before SQLite touches anything.
"""

from __future__ import annotations

import stat
from pathlib import Path

from cnnlab.store.errors import StoreError

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def refuse_special_file(path: Path) -> None:
    """Raise `StoreError` unless `path` is a regular file or does not exist yet.

    Links are followed, as SQLite follows them; a link to nothing counts as a new file, and a
    path below a file is left to the caller's "folder does not exist" check.
    """
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:  # a folder on the way that cannot be searched, a loop of links
        raise StoreError(
            f"Cannot look at {path} ({exc.strerror}); check the permissions of its folder."
        ) from exc
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    raise StoreError(
        f"{path} is {kind}, but the database must be a regular file; point --db or CNNLAB_DB "
        "at a file such as ./experiments.db."
    )
