"""One experiment: its spec, epochs, loss and accuracy charts, events, log tail and artifacts,
all growing live, with stop, resume, clone-with-edits and delete.
"""

from __future__ import annotations

import dataclasses
import json
from typing import ClassVar, Literal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import Footer, Static, TabbedContent, TabPane

from cnnlab.store import Epoch, Experiment, artifact_path
from cnnlab.tui import text as fmt
from cnnlab.tui.reads import LogChunk, News, Version, data_version, read_log, read_news
from cnnlab.tui.screens.base import LabScreen, WorkerResult
from cnnlab.tui.widgets.experiment_tabs import (
    ArtifactsTab,
    Change,
    ChartsTab,
    EpochsTab,
    EventsTab,
    ExperimentTab,
    Followed,
    LogTab,
    SpecTab,
    VariantsTab,
)
from cnnlab.tui.widgets.variants_table import VariantsTable

TABS = ("charts", "epochs", "events", "log", "spec", "artifacts", "variants")


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
        self.followed = Followed(experiment_id)
        self.last_event_id = 0
        self.log_offset = 0
        self.version: Version | None = None
        self.filled_tabs: set[str] = {"charts"}  # tabs whose widgets are mounted and filled
        self._mounting: set[str] = set()

    @property
    def experiment(self) -> Experiment | None:
        return self.followed.experiment

    @property
    def epochs(self) -> list[Epoch]:
        return self.followed.epochs

    def compose(self) -> ComposeResult:
        # Only the header and the charts are mounted up front: each other tab's widget is
        # mounted and filled the first time it is shown (mounting and styling all of them cost
        # more than half of opening a 500-epoch run).
        yield Static(f"#{self.experiment_id} loading…", id="head", classes="bar")
        with TabbedContent(initial="charts"):
            with TabPane("1 Charts", id="charts"):
                yield ChartsTab()
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
        widget = self._tab_widget(tab)
        await event.pane.mount(widget)
        # Only now do updates go to the tab's widget; until here they only grew `followed`.
        self._mounting.discard(tab)
        self.filled_tabs.add(tab)
        if isinstance(widget, ExperimentTab):
            widget.fill(self.followed)

    def _tab_widget(self, tab: str) -> Widget:
        """The widget of a tab, not yet mounted (its id is what tests and styles look for)."""
        if tab == "epochs":
            return EpochsTab(id="epochs-table")
        if tab == "events":
            return EventsTab(id="events-table")
        if tab == "log":
            return LogTab(id="log-tail")
        if tab == "spec":
            return SpecTab(spec_rows, id="spec-table")
        if tab == "artifacts":
            store = self.lab.store
            return ArtifactsTab(lambda a: str(artifact_path(store, a)), id="artifacts-table")
        return VariantsTab(self.experiment_id, id="variants-table")

    def shown_tabs(self) -> list[ExperimentTab]:
        """The tab widgets mounted so far (each keeps up from its first showing on)."""
        return [
            widget
            for pane in self.query(TabPane)
            if pane.id in self.filled_tabs
            for widget in pane.children
            if isinstance(widget, ExperimentTab)
        ]

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
        """Fold one read into `followed`, then tell every shown tab what changed."""
        followed = self.followed
        before = followed.experiment
        followed.experiment = news.experiment
        self.version = news.data_version
        self.query_one("#head", Static).update(headline(news.experiment))
        known = {e.epoch for e in followed.epochs}
        fresh = [e for e in news.epochs if e.epoch not in known]
        followed.epochs = sorted([*followed.epochs, *fresh], key=lambda e: e.epoch)
        if news.events:
            followed.events += news.events
            self.last_event_id = max(self.last_event_id, *(e.id for e in news.events))
        artifacts_changed = len(news.artifacts) != len(followed.artifacts)
        if artifacts_changed:
            followed.artifacts = news.artifacts
        change = Change(
            first=before is None,
            spec_changed=before is None or spec_rows(before) != spec_rows(news.experiment),
            new_epochs=fresh,
            new_events=list(news.events),
            artifacts_changed=artifacts_changed,
        )
        for tab in self.shown_tabs():
            tab.apply(followed, change)

    def apply_log(self, chunk: LogChunk) -> None:
        self.log_offset = chunk.offset
        if "log" not in self.filled_tabs:
            self.followed.keep_log(chunk)
            return
        for tab in self.shown_tabs():
            tab.append_log(chunk)

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
        if self.experiment.kind == "fit":
            from cnnlab.engine.control import rerun_refusal

            self.notify(rerun_refusal(self.experiment_id, "clone"), severity="warning")
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
