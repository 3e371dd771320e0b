"""Ctrl-C and SIGTERM while a recorded fit runs, so that the run ends `stopped`, not `lost`.

Keras calls no `on_train_end` when a KeyboardInterrupt escapes `fit`, so the default Ctrl-C
would leave the row running (and its model unsaved). While the fit runs (main thread only:
Python lets no other thread handle signals), the first SIGINT, from Ctrl-C in a terminal or
Jupyter's "interrupt kernel", asks the fit to stop after the current batch and says so in one
line; the fit then ends normally and the row `stopped`, with its epochs and its model. A second
SIGINT puts the previous handler back and interrupts at once, as Python would have; the row is
then marked `stopped` by the watcher thread or at exit (`cnnlab.keras.watcher`), never from
inside the handler, which may have interrupted a store write of the same process.

A script run by `cnnlab run` gets SIGTERM from `cnnlab stop`: it too stops the fit after the
batch, so the script ends on its own and its job records how. Both handlers are put back when
the fit ends; one that outlives its fit (an exception left `fit`) hands the signal on.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

STOPPING = "cnnlab: stopping after this batch; press Ctrl-C again to interrupt now"
STOPPING_TERM = "cnnlab: stop requested (SIGTERM); stopping after this batch"


class StopSignals:
    """Installs the fit's SIGINT (and, for a job's script, SIGTERM) handlers; see module doc."""

    def __init__(
        self,
        on_stop: Callable[[str], None],
        on_interrupt: Callable[[], None],
        *,
        terminate: bool,
    ) -> None:
        self.on_stop = on_stop  # called with "interrupt" or "sigterm": stop after this batch
        self.on_interrupt = on_interrupt  # the second Ctrl-C, just before KeyboardInterrupt
        self.terminate = terminate
        self.active = False
        self.interrupts = 0
        self._previous: dict[int, Any] = {}

    def install(self) -> bool:
        """Install the handlers; False (nothing installed) off the main thread."""
        if threading.current_thread() is not threading.main_thread():
            return False
        self.active, self.interrupts = True, 0
        self._previous[signal.SIGINT] = signal.signal(signal.SIGINT, self._on_sigint)
        if self.terminate:
            self._previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, self._on_sigterm)
        return True

    def restore(self) -> None:
        """Put the previous handlers back (main thread only; a no-op elsewhere or twice)."""
        self.active = False
        if threading.current_thread() is not threading.main_thread():
            return
        while self._previous:
            number, handler = self._previous.popitem()
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)

    def _on_sigint(self, number: int, frame: FrameType | None) -> None:
        if not self.active:  # the fit is over: behave as if we had never been here
            previous = self._previous.get(number, signal.default_int_handler)
            self.restore()
            _pass_on(number, frame, previous)
            return
        self.interrupts += 1
        if self.interrupts == 1:
            print(STOPPING, file=sys.stderr, flush=True)
            self.on_stop("interrupt")
            return
        previous = self._previous.get(number, signal.default_int_handler)
        self.restore()
        self.on_interrupt()
        _pass_on(number, frame, previous)

    def _on_sigterm(self, number: int, frame: FrameType | None) -> None:
        if not self.active:
            previous = self._previous.get(number, signal.SIG_DFL)
            self.restore()
            _pass_on(number, frame, previous)
            return
        print(STOPPING_TERM, file=sys.stderr, flush=True)
        self.on_stop("sigterm")


def _pass_on(number: int, frame: FrameType | None, previous: Any) -> None:
    """Do what the handler we replaced would have done with signal `number`."""
    if previous is signal.default_int_handler or (previous is None and number == signal.SIGINT):
        raise KeyboardInterrupt
    if callable(previous):
        previous(number, frame)
    elif previous == signal.SIG_DFL:
        signal.raise_signal(number)  # the restored default: die of it, as without us
    # SIG_IGN: ignored, as before
