"""Whether files can be written into a folder, asked before the first file is written.

Commands that write many files (a synthetic dataset, a report's figures, the jobs' runs folder)
check first, so that a path that is a file, a folder the user may not write, or a parent that
cannot be searched costs one sentence and leaves nothing half-written, instead of an OSError
traceback after some of the files exist. The answer is the end of a sentence, so that each
caller says in its own words what it was about to write and what to do instead.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def folder_write_problem(folder: Path | str) -> str | None:
    """Why files cannot be written into `folder` (created with its parents if missing), or None.

    Links are followed, as writing follows them. Permissions are checked with `os.access`, so
    the answer is for this process's user (root passes, unless its capabilities are dropped).
    """
    folder = Path(folder).expanduser().absolute()
    current = folder
    while True:
        try:
            mode = current.stat().st_mode
        except FileNotFoundError:
            if current.is_symlink():
                return f"{current} is a link to {os.readlink(current)}, which does not exist"
            if current.parent == current:
                return f"{current} does not exist"
            current = current.parent
            continue
        except NotADirectoryError:  # something above `current` is a file: find it
            current = current.parent
            continue
        except OSError as exc:
            return f"{current.parent} cannot be searched ({exc.strerror or exc})"
        break
    if not stat.S_ISDIR(mode):
        if current == folder:
            return f"{folder} exists and is not a folder"
        return f"{current} is a file, so {folder} cannot be created inside it"
    if not os.access(current, os.W_OK | os.X_OK):
        if current == folder:
            return f"the folder {folder} is not writable"
        return f"{current} is not writable, so {folder} cannot be created in it"
    return None
