"""The experiment screen's tabs, one widget each: what it shows and how it keeps up.

Each tab is filled once, when it is first shown, from everything the screen has read so far
(`Followed`), and then told each later read's `Change`. The screen only reads and routes: it
holds no tab's drawing and tests no tab's name (before, one 480-line screen did both for all
seven tabs behind if/elif chains).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable

from cnnlab.store import Artifact, Epoch, Event, Experiment
from cnnlab.tui import text as fmt
from cnnlab.tui.charts import Series
from cnnlab.tui.reads import MAX_LOG_TAIL, LogChunk
from cnnlab.tui.widgets.chart import LineChart
from cnnlab.tui.widgets.log_tail import LogTail
from cnnlab.tui.widgets.variants_table import VariantsTable

HIGHLIGHTED_EVENTS = {
    "early_stopping": "bold black on yellow",
    # The warnings of cnnlab.engine.kinds.train.chance: the run's numbers are not to be trusted
    # as they are.
    "stuck_at_chance": fmt.WARNING_STYLE,
    "not_learning": fmt.WARNING_STYLE,
    "best_epoch": "bold green",
    "failed": "bold red",
    "stopped": "yellow",
    "lost": "magenta",
}
# Fixed widths and plain-string cells: DataTable measures every cell of an auto-width column
# through Rich, which cost ~0.1 s for a 500-epoch run.
EPOCH_COLUMNS = (
    ("epoch", 5),
    ("loss", 9),
    ("accuracy", 8),
    ("val loss", 9),
    ("val acc", 7),
    ("lr", 7),
    ("time", 8),
)
BEST_STYLE = "bold green"


@dataclass
class Followed:
    """Everything read so far of one experiment."""

    experiment_id: int
    experiment: Experiment | None = None
    epochs: list[Epoch] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)
    log_chunks: list[str] = field(default_factory=list)  # the log before its tab was shown

    def keep_log(self, chunk: LogChunk) -> None:
        """Keep at most the last MAX_LOG_TAIL characters while the log tab is unseen."""
        if chunk.reset:
            self.log_chunks = []
        if chunk.text:
            self.log_chunks.append(chunk.text)
        total = sum(len(c) for c in self.log_chunks)
        while len(self.log_chunks) > 1 and total - len(self.log_chunks[0]) >= MAX_LOG_TAIL:
            total -= len(self.log_chunks.pop(0))


@dataclass(frozen=True)
class Change:
    """What one read brought."""

    first: bool  # the first read: the experiment was not known before
    spec_changed: bool
    new_epochs: list[Epoch]
    new_events: list[Event]
    artifacts_changed: bool


class ExperimentTab:
    """What every tab widget does (mixed into a Textual widget)."""

    def fill(self, followed: Followed) -> None:
        """Show everything read so far (called once, just after the tab is mounted)."""

    def apply(self, followed: Followed, change: Change) -> None:
        """Keep up with one read."""

    def append_log(self, chunk: LogChunk) -> None:
        """New bytes of the job's log (only the log tab shows them)."""


def epoch_cells(epoch: Epoch, best: bool) -> list[str]:
    """The epochs table's cells (markup strings: the best epoch is highlighted)."""
    m = epoch.metrics
    number, val_acc = str(epoch.epoch), fmt.percent_text(m.get("val_accuracy"))
    if best:
        number, val_acc = f"[{BEST_STYLE}]{number}[/]", f"[{BEST_STYLE}]{val_acc}[/]"
    return [
        number,
        fmt.metric_text(m.get("loss")),
        fmt.percent_text(m.get("accuracy")),
        fmt.metric_text(m.get("val_loss")),
        val_acc,
        "" if epoch.lr is None else f"{epoch.lr:.2g}",
        fmt.duration_text(epoch.seconds),
    ]


def curve(epochs: list[Epoch], metric: str) -> list[float | None]:
    values: list[float | None] = [None] * (epochs[-1].epoch if epochs else 0)
    for epoch in epochs:
        values[epoch.epoch - 1] = epoch.metrics.get(metric)
    return values


class ChartsTab(Horizontal, ExperimentTab):
    """Loss and accuracy, train and validation, redrawn as epochs arrive."""

    def compose(self) -> ComposeResult:
        yield LineChart("loss", id="loss-chart")
        yield LineChart("accuracy", id="acc-chart")

    def fill(self, followed: Followed) -> None:
        self._draw(followed.epochs)

    def apply(self, followed: Followed, change: Change) -> None:
        if change.new_epochs or change.first:
            self._draw(followed.epochs)

    def _draw(self, epochs: list[Epoch]) -> None:
        for chart, metric in (("#loss-chart", "loss"), ("#acc-chart", "accuracy")):
            self.query_one(chart, LineChart).set_series(
                [
                    Series("train", curve(epochs, metric), "cyan"),
                    Series("val", curve(epochs, f"val_{metric}"), "yellow"),
                ]
            )


class EpochsTab(DataTable[Any], ExperimentTab):
    """One row per epoch, the best one highlighted as it moves."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.best_shown: int | None = None
        for label, width in EPOCH_COLUMNS:
            self.add_column(label, key=label, width=width)

    def fill(self, followed: Followed) -> None:
        self.best_shown = None
        self._add(followed.epochs)
        self._mark_best(followed)

    def apply(self, followed: Followed, change: Change) -> None:
        self._add(change.new_epochs)
        self._mark_best(followed)

    def _add(self, epochs: list[Epoch]) -> None:
        for epoch in epochs:
            self.add_row(*epoch_cells(epoch, epoch.epoch == self.best_shown), key=str(epoch.epoch))

    def _mark_best(self, followed: Followed) -> None:
        best = followed.experiment.best_epoch if followed.experiment else None
        if best == self.best_shown:
            return
        by_number = {e.epoch: e for e in followed.epochs}
        for number, is_best in ((self.best_shown, False), (best, True)):
            epoch = by_number.get(number) if number is not None else None
            if epoch is None or str(number) not in self.rows:
                continue
            cells = epoch_cells(epoch, is_best)
            self.update_cell(str(number), "epoch", cells[0])
            self.update_cell(str(number), "val acc", cells[4])
        self.best_shown = best


class EventsTab(DataTable[Any], ExperimentTab):
    """The experiment's events in order, the ones that matter in colour."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.add_columns("time", "event", "message")

    def fill(self, followed: Followed) -> None:
        self._add(followed.events)

    def apply(self, followed: Followed, change: Change) -> None:
        self._add(change.new_events)

    def _add(self, events: list[Event]) -> None:
        for event in events:
            style = HIGHLIGHTED_EVENTS.get(event.kind, "")
            self.add_row(
                Text(fmt.timestamp_text(event.at, seconds=True), style="dim"),
                Text(event.kind, style=style or "bold"),
                Text(event.message, style=style),
                key=str(event.id),
            )


class SpecTab(DataTable[Any], ExperimentTab):
    """What the job was asked to do, and where and how it ran."""

    def __init__(self, rows: Callable[[Experiment], list[tuple[Text, str]]], **kwargs: Any):
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.rows_of = rows
        self.add_columns("key", "value")

    def fill(self, followed: Followed) -> None:
        if followed.experiment is not None:
            self._show(followed.experiment)

    def apply(self, followed: Followed, change: Change) -> None:
        if change.spec_changed and followed.experiment is not None:
            self._show(followed.experiment)

    def _show(self, experiment: Experiment) -> None:
        self.clear()
        for key, value in self.rows_of(experiment):
            self.add_row(key, value)


class ArtifactsTab(DataTable[Any], ExperimentTab):
    """The files the job left, with size, where they are and their recorded hash."""

    def __init__(self, path_of: Callable[[Artifact], str], **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.path_of = path_of
        self.add_columns("kind", "size", "path", "sha256")

    def fill(self, followed: Followed) -> None:
        self._show(followed.artifacts)

    def apply(self, followed: Followed, change: Change) -> None:
        if change.artifacts_changed:
            self._show(followed.artifacts)

    def _show(self, artifacts: list[Artifact]) -> None:
        self.clear()
        for artifact in artifacts:
            self.add_row(
                artifact.kind,
                fmt.size_text(artifact.bytes),
                self.path_of(artifact),
                artifact.sha256[:12],
            )


class LogTab(LogTail, ExperimentTab):
    """The job's log, following its end."""

    def fill(self, followed: Followed) -> None:
        self.append("".join(followed.log_chunks))
        followed.log_chunks = []

    def append_log(self, chunk: LogChunk) -> None:
        if chunk.reset:
            self.clear()
        self.append(chunk.text)


class VariantsTab(VariantsTable, ExperimentTab):
    """The experiment's TFLite variants and their latencies."""

    def __init__(self, experiment_id: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.experiment_id = experiment_id

    def fill(self, followed: Followed) -> None:
        self.load(self.experiment_id)

    def apply(self, followed: Followed, change: Change) -> None:
        if change.artifacts_changed:
            self.load(self.experiment_id)
