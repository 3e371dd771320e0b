"""One experiment: its spec, epochs, loss and accuracy charts, events, log tail and artifacts,
all growing live, with stop, resume, clone-with-edits and delete.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, ClassVar, Literal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from cnnlab.store import Artifact, Epoch, Event, Experiment, artifact_path
from cnnlab.tui import text as fmt
from cnnlab.tui.charts import Series
from cnnlab.tui.reads import (
    MAX_LOG_TAIL,
    LogChunk,
    News,
    Version,
    data_version,
    read_log,
    read_news,
)
from cnnlab.tui.screens.base import LabScreen, WorkerResult
from cnnlab.tui.widgets.chart import LineChart
from cnnlab.tui.widgets.log_tail import LogTail
from cnnlab.tui.widgets.variants_table import VariantsTable

HIGHLIGHTED_EVENTS = {
    "early_stopping": "bold black on yellow",
    # The warnings of cnnlab.engine.kinds.train.chance: the run's numbers are not to be trusted as
    # they are.
    "stuck_at_chance": fmt.WARNING_STYLE,
    "not_learning": fmt.WARNING_STYLE,
    "best_epoch": "bold green",
    "failed": "bold red",
    "stopped": "yellow",
    "lost": "magenta",
}
TABS = ("charts", "epochs", "events", "log", "spec", "artifacts", "variants")
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
TAB_COLUMNS = {
    "events": ("time", "event", "message"),
    "spec": ("key", "value"),
    "artifacts": ("kind", "size", "path", "sha256"),
}


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


def headline(e: Experiment) -> Text:
    text = Text.assemble((f"#{e.id} ", "bold"), (e.name or "(unnamed)", "bold"), "  ")
    text.append(f"{e.kind} {e.model or ''} on {e.dataset or '?'}  ", style="dim")
    text.append_text(fmt.display_status_text(e))
    text.append("  ")
    text.append_text(fmt.progress_text(e))
    if e.best_val_accuracy is not None:
        text.append(f"  best val acc {fmt.percent_text(e.best_val_accuracy)}")
        if e.best_epoch:
            text.append(f" @{e.best_epoch}", style="dim")
    if e.error:
        text.append(f"  {e.error}", style="red")
    if e.warning:
        # What was seen, on a line of its own; the causes are in the events tab (the header
        # is at most three lines high).
        seen = e.warning.split(": ", 1)[0].rstrip(".")
        text.append(
            f"\n{fmt.WARNING_MARK.strip()} {seen}; causes in the events tab",
            style=fmt.WARNING_STYLE,
        )
    backend = fmt.backend_line(e)
    if backend is not None:
        text.append("\n")
        text.append_text(backend)
    return text


def spec_rows(e: Experiment) -> list[tuple[Text, str]]:
    """The spec tab's rows: where the job runs (for a non-local backend), then the spec."""
    rows: list[tuple[Text, str]] = []
    if e.backend != "local":
        rows += [
            (Text(label, style="bold cyan"), value) for label, value, _ in fmt.backend_details(e)
        ]
        if e.backend_job_id:
            rows.insert(1, (Text(f"{e.backend} job id", style="bold cyan"), e.backend_job_id))
        for key, value in sorted(e.backend_options.items()):
            shown = value if isinstance(value, str) else json.dumps(value)
            rows.append((Text(f"{e.backend}.{key}", style="bold cyan"), shown))
    for key, value in sorted(e.spec.items()):
        rows.append(
            (Text(key, style="bold"), value if isinstance(value, str) else json.dumps(value))
        )
    return rows


@dataclasses.dataclass
class UpdatesRead(WorkerResult, bubble=False):
    """What changed since the last read (None: nothing committed) and the log's new bytes."""

    news: News | None
    log: LogChunk


@dataclasses.dataclass
class ActionDone(WorkerResult, bubble=False):
    """Stop, resume or delete went through: say so, and leave the screen after a delete."""

    text: str
    leave: bool


class ExperimentScreen(LabScreen):
    """Follow one experiment live; act on it."""

    CSS_PATH = "experiment.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("x", "stop", "Stop"),
        Binding("r", "resume", "Resume"),
        Binding("e", "clone", "Clone/edit"),
        Binding("d", "delete", "Delete"),
        Binding("C", "convert", "Convert"),
        Binding("b", "bench", "Bench"),
        *(
            Binding(str(i + 1), f"tab('{tab}')", tab.capitalize(), show=False)
            for i, tab in enumerate(TABS)
        ),
    ]

    def __init__(self, experiment_id: int) -> None:
        super().__init__()
        self.experiment_id = experiment_id
        self.experiment: Experiment | None = None
        self.epochs: list[Epoch] = []
        self.events: list[Event] = []
        self.artifacts: list[Artifact] = []
        self.last_event_id = 0
        self.log_offset = 0
        self.log_chunks: list[str] = []  # log text read before the log tab was first shown
        self.version: Version | None = None
        self.best_shown: int | None = None  # the epoch highlighted in the epochs table
        self.filled_tabs: set[str] = {"charts"}  # tabs whose widgets are mounted and filled
        self._mounting: set[str] = set()

    @property
    def epochs_table_live(self) -> bool:
        return "epochs" in self.filled_tabs

    def compose(self) -> ComposeResult:
        # Only the header and the charts are mounted up front: each other tab's widgets are
        # mounted and filled the first time it is shown (mounting and styling all of them cost
        # more than half of opening a 500-epoch run).
        yield Static(f"#{self.experiment_id} loading…", id="head", classes="bar")
        with TabbedContent(initial="charts"):
            with TabPane("1 Charts", id="charts"), Horizontal():
                yield LineChart("loss", id="loss-chart")
                yield LineChart("accuracy", id="acc-chart")
            for number, tab in enumerate(TABS[1:], start=2):
                yield TabPane(f"{number} {tab.capitalize()}", id=tab)
        yield Footer()

    def on_mount(self) -> None:
        self.poll()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    @on(TabbedContent.TabActivated)
    async def tab_shown(self, event: TabbedContent.TabActivated) -> None:
        tab = event.pane.id
        if tab is None or tab in self.filled_tabs or tab in self._mounting:
            return
        self._mounting.add(tab)
        await event.pane.mount(self._tab_widget(tab))
        # Only now do updates go to the tab's widgets; until here they only grew the lists.
        self._mounting.discard(tab)
        self.filled_tabs.add(tab)
        self.fill_tab(tab)

    def _tab_widget(self, tab: str) -> Widget:
        if tab == "log":
            return LogTail(id="log-tail")
        if tab == "variants":
            return VariantsTable(id="variants-table")
        table: DataTable[Any] = DataTable(
            id=f"{tab}-table", cursor_type="row", zebra_stripes=tab == "epochs"
        )
        if tab == "epochs":
            for label, width in EPOCH_COLUMNS:
                table.add_column(label, key=label, width=width)
        else:
            table.add_columns(*TAB_COLUMNS[tab])
        return table

    def fill_tab(self, tab: str) -> None:
        """Show in a just-mounted tab everything read so far."""
        if tab == "epochs":
            self.best_shown = None
            self.add_epoch_rows(self.epochs)
            self.mark_best_epoch()
        elif tab == "events":
            self.add_event_rows(self.events)
        elif tab == "log":
            self.query_one(LogTail).append("".join(self.log_chunks))
            self.log_chunks = []
        elif tab == "spec" and self.experiment is not None:
            self.fill_spec(self.experiment)
        elif tab == "artifacts":
            self.fill_artifacts()
        elif tab == "variants":
            self.query_one(VariantsTable).load(self.experiment_id)

    def _shown_table(self, tab: str) -> DataTable[Any] | None:
        """The tab's table when the tab has been shown (its widgets exist), else None."""
        if tab not in self.filled_tabs:
            return None
        return self.query_one(f"#{tab}-table", DataTable)

    # Polling -------------------------------------------------------------------------------

    def read_now(self) -> None:
        self.read_updates(self.version, len(self.epochs), self.last_event_id, self.log_offset)

    @work(thread=True, exclusive=True, exit_on_error=False, group="poll", description="follow")
    def read_updates(
        self, version: Version | None, last_epoch: int, last_event: int, log_offset: int
    ) -> UpdatesRead:
        store = self.lab.store
        news = None
        if version is None or data_version(store) != version:
            news = read_news(store, self.experiment_id, last_epoch, last_event)
        log = read_log(store.run_dir(self.experiment_id) / "log.txt", log_offset)
        return UpdatesRead(news, log)

    @on(UpdatesRead)
    def updates_read(self, message: UpdatesRead) -> None:
        if message.news is not None:
            self.apply_news(message.news)
        self.apply_log(message.log)
        self.schedule_poll()

    @on(ActionDone)
    def acted(self, message: ActionDone) -> None:
        self.notify(message.text)
        if message.leave:
            self.dismiss()
        else:
            self.version = None  # our own write does not move data_version: re-read
            self.poll()

    def apply_news(self, news: News) -> None:
        before = self.experiment
        self.experiment = news.experiment
        self.version = news.data_version
        self.query_one("#head", Static).update(headline(news.experiment))
        if before is None or spec_rows(before) != spec_rows(news.experiment):
            self.fill_spec(news.experiment)
        if news.epochs:
            known = {e.epoch for e in self.epochs}
            fresh = [e for e in news.epochs if e.epoch not in known]
            self.epochs = sorted([*self.epochs, *fresh], key=lambda e: e.epoch)
            self.add_epoch_rows(fresh)
            self.draw_charts()
        elif before is None:
            self.draw_charts()
        self.mark_best_epoch()
        if news.events:
            self.events += news.events
            self.last_event_id = max(self.last_event_id, *(e.id for e in news.events))
            self.add_event_rows(news.events)
        if len(news.artifacts) != len(self.artifacts):
            self.artifacts = news.artifacts
            self.fill_artifacts()
            if "variants" in self.filled_tabs:
                self.query_one(VariantsTable).load(self.experiment_id)

    def add_epoch_rows(self, epochs: list[Epoch]) -> None:
        """Rows for new epochs, once the epochs tab has been shown."""
        table = self._shown_table("epochs")
        if table is None:
            return
        for epoch in epochs:
            cells = epoch_cells(epoch, epoch.epoch == self.best_shown)
            table.add_row(*cells, key=str(epoch.epoch))

    def mark_best_epoch(self) -> None:
        """Keep the highlight on the current best epoch as it moves while the run trains."""
        best = self.experiment.best_epoch if self.experiment else None
        table = self._shown_table("epochs")
        if best == self.best_shown or table is None:
            return
        by_number = {e.epoch: e for e in self.epochs}
        for number, is_best in ((self.best_shown, False), (best, True)):
            epoch = by_number.get(number) if number is not None else None
            if epoch is None or str(number) not in table.rows:
                continue
            cells = epoch_cells(epoch, is_best)
            table.update_cell(str(number), "epoch", cells[0])
            table.update_cell(str(number), "val acc", cells[4])
        self.best_shown = best

    def draw_charts(self) -> None:
        self.query_one("#loss-chart", LineChart).set_series(
            [
                Series("train", curve(self.epochs, "loss"), "cyan"),
                Series("val", curve(self.epochs, "val_loss"), "yellow"),
            ]
        )
        self.query_one("#acc-chart", LineChart).set_series(
            [
                Series("train", curve(self.epochs, "accuracy"), "cyan"),
                Series("val", curve(self.epochs, "val_accuracy"), "yellow"),
            ]
        )

    def add_event_rows(self, events: list[Event]) -> None:
        table = self._shown_table("events")
        if table is None:
            return
        for event in events:
            style = HIGHLIGHTED_EVENTS.get(event.kind, "")
            table.add_row(
                Text(fmt.timestamp_text(event.at, seconds=True), style="dim"),
                Text(event.kind, style=style or "bold"),
                Text(event.message, style=style),
                key=str(event.id),
            )

    def fill_spec(self, experiment: Experiment) -> None:
        table = self._shown_table("spec")
        if table is None:
            return
        table.clear()
        for key, value in spec_rows(experiment):
            table.add_row(key, value)

    def fill_artifacts(self) -> None:
        table = self._shown_table("artifacts")
        if table is None:
            return
        table.clear()
        for artifact in self.artifacts:
            table.add_row(
                artifact.kind,
                fmt.size_text(artifact.bytes),
                str(artifact_path(self.lab.store, artifact)),
                artifact.sha256[:12],
            )

    def apply_log(self, chunk: LogChunk) -> None:
        self.log_offset = chunk.offset
        if "log" not in self.filled_tabs:
            if chunk.reset:
                self.log_chunks = []
            if chunk.text:
                self.log_chunks.append(chunk.text)
                self._trim_log_chunks()
            return
        tail = self.query_one(LogTail)
        if chunk.reset:
            tail.clear()
        tail.append(chunk.text)

    def _trim_log_chunks(self) -> None:
        """Keep at most the last MAX_LOG_TAIL characters while the log tab is unseen."""
        total = sum(len(c) for c in self.log_chunks)
        while len(self.log_chunks) > 1 and total - len(self.log_chunks[0]) >= MAX_LOG_TAIL:
            total -= len(self.log_chunks.pop(0))

    # Actions -------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="action", description="act")
    def act(self, what: Literal["stop", "resume", "delete"]) -> ActionDone:
        from cnnlab import engine
        from cnnlab.store import delete_experiments

        store, experiment_id = self.lab.store, self.experiment_id
        if what == "stop":
            outcome = engine.stop(store, experiment_id)
            return ActionDone(f"Experiment {experiment_id}: {outcome}.", leave=False)
        if what == "resume":
            engine.resume(store, experiment_id)
            return ActionDone(f"Experiment {experiment_id} queued to resume.", leave=False)
        if what == "delete":
            delete_experiments(store, [experiment_id])
            return ActionDone(f"Deleted experiment {experiment_id}.", leave=True)
        raise ValueError(f"Unknown action {what!r}")  # never delete on a typo

    def action_stop(self) -> None:
        self.act("stop")

    def action_resume(self) -> None:
        self.act("resume")

    def action_delete(self) -> None:
        from cnnlab.tui.screens.dialogs import Confirm

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.act("delete")

        name = self.experiment.name if self.experiment else ""
        self.app.push_screen(
            Confirm(f"Delete experiment {self.experiment_id} {name} and its run folder?"),
            confirmed,
        )

    def action_clone(self) -> None:
        if self.experiment is None:
            return
        from cnnlab.tui.screens.job_form import JobForm

        def queued(experiment_id: int | None) -> None:
            if experiment_id is not None:
                self.notify(f"Queued experiment {experiment_id} (clone of {self.experiment_id}).")

        self.app.push_screen(JobForm(self.experiment.spec), queued)

    def action_convert(self) -> None:
        from cnnlab.tui.screens.convert_form import ConvertForm

        def queued(ids: list[int] | None) -> None:
            if ids:
                self.notify(f"Queued conversion job(s) {', '.join(map(str, ids))}.")

        name = self.experiment.name or "" if self.experiment else ""
        self.app.push_screen(ConvertForm(self.experiment_id, name), queued)

    def action_bench(self) -> None:
        from cnnlab.tui.screens.bench_form import BenchForm

        def queued(ids: list[int] | None) -> None:
            if ids:
                self.notify(f"Queued benchmark job(s) {', '.join(map(str, ids))}.")

        target = str(self.experiment_id)
        variants = self.query(VariantsTable)
        if self.query_one(TabbedContent).active == "variants" and variants:
            artifact_id = variants.first().selected_artifact()
            target = f"artifact:{artifact_id}" if artifact_id is not None else target
        self.app.push_screen(BenchForm(target), queued)
