"""The Queue screen: queued jobs in the order they will start, each with why it waits, and the
keys that steer it (front, hold, release) through the same engine calls as `cnnlab queue`.

The cursor stays on its job, not its row, as the queue changes: a job moved to the front or held
moves, and the next key must act on it again (h twice releases it), not on its new neighbour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Static

from cnnlab.engine import QueuedJob
from cnnlab.errors import CnnlabError
from cnnlab.tui.screens.base import LabScreen, WorkerResult

COLUMNS = (("#", 3), ("id", 6), ("kind", 8), ("name", 26), ("why it waits", 50))


@dataclass
class QueueRead(WorkerResult, bubble=False):
    jobs: list[QueuedJob]


class QueueScreen(LabScreen):
    """The local queue, polled; f moves the highlighted job first, h holds or releases it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("f", "front", "To the front"),
        Binding("h", "hold", "Hold / release"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.jobs: list[QueuedJob] = []

    def compose(self) -> ComposeResult:
        yield Static("Queue: loading…", id="head", classes="bar")
        yield DataTable(id="queue-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#queue-table", DataTable)
        for label, width in COLUMNS:
            table.add_column(label, key=label, width=width)
        self.poll()

    def read_now(self) -> None:
        self.read()

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue", description="queue")
    def read(self) -> QueueRead:
        from cnnlab.engine import read_queue

        return QueueRead(read_queue(self.lab.store))

    @on(QueueRead)
    def queue_read(self, message: QueueRead) -> None:
        followed = job.experiment.id if (job := self.highlighted()) else None
        self.jobs = message.jobs
        head = Text.assemble(("Queue ", "bold"), f" {len(self.jobs)} queued, in start order")
        if not self.jobs:
            head.append("  nothing is queued", style="dim")
        self.query_one("#head", Static).update(head)
        table = self.query_one("#queue-table", DataTable)
        row = table.cursor_row
        table.clear()
        for job in self.jobs:
            e = job.experiment
            style = "dim" if e.held else ""
            table.add_row(
                str(job.position),
                str(e.id),
                e.kind,
                (e.name or e.model or "")[:26],
                Text(job.waiting_for, style=style or "yellow"),
                key=str(e.id),
            )
        ids = [job.experiment.id for job in self.jobs]
        if followed in ids:
            table.move_cursor(row=ids.index(followed))
        elif self.jobs:
            table.move_cursor(row=min(row, len(self.jobs) - 1))
        self.schedule_poll()

    def highlighted(self) -> QueuedJob | None:
        table = self.query_one("#queue-table", DataTable)
        if not self.jobs:
            return None
        return self.jobs[min(table.cursor_row, len(self.jobs) - 1)]

    def action_front(self) -> None:
        self.steer("front")

    def action_hold(self) -> None:
        self.steer("release" if (job := self.highlighted()) and job.experiment.held else "hold")

    def steer(self, what: str) -> None:
        from cnnlab.engine import hold_job, to_front

        job = self.highlighted()
        if job is None:
            return
        try:
            if what == "front":
                to_front(self.lab.store, job.experiment.id)
            else:
                hold_job(self.lab.store, job.experiment.id, held=what == "hold")
        except CnnlabError as exc:  # it started or ended meanwhile
            self.notify(str(exc), severity="warning")
        self.poll()
