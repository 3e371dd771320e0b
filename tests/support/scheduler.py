"""Hold the scheduler's lock as a running scheduler would, so that submitting starts none and
the queued rows stay as they were queued (for tests that check what was queued, not its run)."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager

from cnnlab.engine.runtime.scheduler import lock_path
from cnnlab.store import Store


@contextmanager
def scheduler_lock_held(store: Store) -> Iterator[None]:
    path = lock_path(store)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
