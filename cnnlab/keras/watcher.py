"""The thread beside a recorded fit: everything that must not cost the training loop a write.

The fit's own thread only notes where it is (two attribute stores per batch); this thread, on a
database connection of its own, writes that progress at most every `TICK_S`, a heartbeat every
`HEARTBEAT_S`, polls the row's stop request (`cnnlab stop`, the TUI's stop) and turns it into a
stop after the current batch. It also sees a fit that left the stack without `on_train_end`
(an exception in the user's code or a callback, a second Ctrl-C): the run is then settled
(`stopped` or `failed`, with what is known of why) instead of staying `running` in a kernel that
lives on. A script that exits that way settles it at exit (`atexit`) instead.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable

from cnnlab.engine.runtime.liveness import HEARTBEAT_S
from cnnlab.engine.runtime.reporter import Reporter
from cnnlab.store import StoreError

TICK_S = 0.5  # progress at most twice a second, as the reporters' own throttle
Progress = tuple[int, int, int | None]  # epoch (from 1), steps done, steps per epoch


class Watcher:
    """Runs `loop` in a daemon thread until `stop` (see the module docstring)."""

    def __init__(
        self,
        open_reporter: Callable[[], Reporter],
        *,
        beat: bool,
        progress: Callable[[], Progress | None],
        stop_fit: Callable[[], None],
        fit_running: Callable[[], bool],
        abandoned: Callable[[Reporter | None], None],
    ) -> None:
        self.open_reporter = open_reporter
        self.beat = beat
        self.progress = progress
        self.stop_fit = stop_fit
        self.fit_running = fit_running
        self.abandoned = abandoned
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cnnlab-recorder", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)

    def _loop(self) -> None:
        try:
            reporter: Reporter | None = self.open_reporter()
        except (StoreError, OSError, sqlite3.Error):
            reporter = None  # the fit's own writes say what is wrong; liveness still works
        last: Progress | None = None
        next_beat = time.monotonic() + HEARTBEAT_S
        try:
            while not self._done.wait(TICK_S):
                if not self.fit_running():
                    self.abandoned(reporter)
                    return
                if reporter is None:
                    continue
                try:
                    now = self.progress()
                    if now is not None and now != last:
                        reporter.progress(*now)
                        last = now
                    if self.beat and time.monotonic() >= next_beat:
                        reporter.heartbeat()
                        next_beat = time.monotonic() + HEARTBEAT_S
                    if reporter.stop_requested():
                        self.stop_fit()
                except (StoreError, OSError, sqlite3.Error):
                    continue  # a locked or full disk: the next tick tries again
        finally:
            store = getattr(reporter, "store", None)
            if store is not None:
                store.close()
