"""Job outputs are written whole or not at all.

A full disk or a kill in the middle of `model.save` leaves a truncated `.keras` file that looks
like a model until someone loads it. Outputs are therefore written under a temporary sibling
name and renamed into place only once complete; a failure removes the temporary again.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PARTIAL_PREFIX = ".partial-"


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


@contextmanager
def written_whole(path: Path) -> Iterator[Path]:
    """Yield the temporary path to write (file or folder); it becomes `path` on success.

    The temporary keeps the name's suffix, which Keras insists on (`.keras`, `.weights.h5`).
    An older output at `path` (from the run before a resume) is replaced.
    """
    temporary = path.with_name(PARTIAL_PREFIX + path.name)
    _remove(temporary)
    try:
        yield temporary
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        os.replace(temporary, path)
    except BaseException:
        _remove(temporary)
        raise
