"""What every screen shares: routing worker failures to the app's one error policy, delivering
worker results as typed messages, polling the store, and reloading after the database was
reopened.

A worker returns a `Message` dataclass (`PageRead`, `Submitted`, ...); when it succeeds, that
message is posted to the screen, whose `@on(...)` handler applies it on the event loop. A
superseded (cancelled) worker's result is never delivered, and mypy checks every field a
handler reads, which the old `worker_done(group, result)` string routing could not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from textual.screen import ModalScreen
    from textual.timer import Timer

    from cnnlab.tui.app import CnnlabApp


class WorkerResult(Message, bubble=False):
    """What a worker returns: posted to its screen when the worker succeeds (never bubbles)."""


@dataclass
class Queued(WorkerResult, bubble=False):
    """A form's jobs were queued (`ids`), or the engine refused them (`refusal`, one sentence)."""

    ids: list[int]
    refusal: str = ""


class QueuesJobs:
    """Mixin for the forms that queue jobs: a refusal is shown in the form's `#form-error`
    line and the form stays open; queued, the form closes with the new experiments' ids."""

    def show_checked(
        self, command: str | None, errors: dict[str, str], fields: Iterable[str]
    ) -> None:
        """Each field's error beside it (`#NAME-error`), the equivalent command line of a
        valid request (None: not valid), and Submit enabled only then."""
        from rich.text import Text
        from textual.widgets import Button, Static

        screen = cast("ModalScreen[list[int] | None]", self)
        for name in fields:
            message = errors.get(name, "")
            screen.query_one(f"#{name}-error", Static).update(message)
            screen.query_one(f"#{name}-error").set_class(bool(message), "-shown")
            screen.query_one(f"#{name}").set_class(bool(message), "-invalid")
        screen.query_one("#command", Static).update(Text("$ " + (command or ""), style="dim"))
        screen.query_one("#submit", Button).disabled = command is None

    def say_form_state(self, valid: bool) -> None:
        """Below the form: what is being done, or that the marked fields must be fixed first."""
        from rich.text import Text
        from textual.widgets import Static

        line = cast("ModalScreen[list[int] | None]", self).query_one("#form-error", Static)
        if valid:
            line.update(Text("queueing…", style="dim"))
        else:
            line.update(Text("Fix the marked fields first.", style="red"))

    def on_queued(self, message: Queued) -> None:
        from rich.text import Text
        from textual.widgets import Static

        screen = cast("ModalScreen[list[int] | None]", self)
        if message.refusal:
            screen.query_one("#form-error", Static).update(Text(message.refusal, style="red"))
        else:
            screen.dismiss(message.ids)


class Reloadable:
    """A screen that can re-read everything (after a retry reopened the store)."""

    def reload(self) -> None:
        raise NotImplementedError


class WorkerReports:
    """Mixin: failures go to `CnnlabApp.report_failure`; a result that is a Message is posted."""

    @property
    def lab(self) -> CnnlabApp:
        return cast("CnnlabApp", cast(Screen[Any], self).app)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.lab.report_failure(event.worker.error)
        elif event.state == WorkerState.SUCCESS and isinstance(event.worker.result, Message):
            cast(Screen[Any], self).post_message(event.worker.result)


class LabScreen(WorkerReports, Reloadable, Screen[None]):
    """A full screen of the app that polls the store without overlapping reads.

    The one polling helper: `poll()` stops the pending timer and starts one read
    (`read_now`, overridden per screen, a worker); the screen calls `schedule_poll()` when that
    read's result is applied, so the next read starts only after the previous one finished.
    """

    _poll_timer: Timer | None = None

    def poll_every(self) -> float:
        """Seconds between reads (override where a screen polls slower)."""
        return self.lab.poll_interval_s

    def read_now(self) -> None:
        """Start one read worker (override)."""

    def poll(self) -> None:
        """Read now: the pending timer, if any, is stopped first (never two reads at once)."""
        self.cancel_poll()
        self.read_now()

    def schedule_poll(self) -> None:
        """Arm the next read after `poll_every()` seconds, replacing any pending one."""
        self.cancel_poll()
        self._poll_timer = self.set_timer(self.poll_every(), self.poll)

    def cancel_poll(self) -> None:
        if self._poll_timer is not None:
            self._poll_timer.stop()
            self._poll_timer = None

    def reload(self) -> None:
        self.poll()
