"""Waiting for something another process does (a job's epoch, a scheduler's claim), with a
deadline: tests check behaviour, so a timeout here means "it never happened", not "too slow"."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_for(
    condition: Callable[[], bool], timeout: float = 180.0, what: str = "it", every: float = 0.05
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")
