"""What every screen shares: routing worker failures to the app's one error policy, and
reloading after the database was reopened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from textual.screen import Screen
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from cnnlab.tui.app import CnnlabApp


class Reloadable:
    """A screen that can re-read everything (after a retry reopened the store)."""

    def reload(self) -> None:
        raise NotImplementedError


class WorkerReports:
    """Mixin: failures go to `CnnlabApp.report_failure`; successes to `worker_done`."""

    @property
    def lab(self) -> CnnlabApp:
        return cast("CnnlabApp", cast(Screen[Any], self).app)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.lab.report_failure(event.worker.error)
        elif event.state == WorkerState.SUCCESS:
            self.worker_done(event.worker.group, event.worker.result)

    def worker_done(self, group: str, result: Any) -> None:
        """Apply a worker's result on the event loop (override per screen)."""


class LabScreen(WorkerReports, Reloadable, Screen[None]):
    """A full screen of the app that polls the store without overlapping reads."""

    def schedule_poll(self) -> None:
        """Re-arm the next poll only after the previous one finished (never two at once)."""
        self.set_timer(self.lab.poll_interval_s, self.poll)

    def poll(self) -> None:
        """Start one poll worker (override)."""

    def reload(self) -> None:
        self.poll()
