"""The home screen: every experiment, a page at a time, filtered, sorted, as a tree or with
repeats folded, updated live from the store without moving the cursor.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.widgets import DataTable, Footer, Input, Static

from cnnlab.store import Count, ExperimentQuery
from cnnlab.tui.filter import FilterError, parse_filter
from cnnlab.tui.reads import Page, Version, data_version, read_page
from cnnlab.tui.screens.base import LabScreen, WorkerResult
from cnnlab.tui.widgets.experiment_table import COLUMNS, SORTABLE_COLUMNS, ExperimentTable
from cnnlab.tui.widgets.gpu_strip import GpuStrip

PAGE_SIZE = 100


@dataclasses.dataclass(frozen=True)
class View:
    """Everything that decides which rows the table shows; a poll re-reads when it changes."""

    query: ExperimentQuery
    tree: bool
    groups: bool
    expanded: frozenset[int]


@dataclasses.dataclass
class PageRead(WorkerResult, bubble=False):
    """A page of rows for `view`, or None when nothing was committed since the last read."""

    view: View
    page: Page | None


class ExperimentsScreen(LabScreen):
    """Browse experiments: `/` filter, `s` sort, `t` tree, `g` groups, space marks for compare."""

    CSS_PATH = "experiments.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("n", "new_job", "New job"),
        Binding("s", "sort", "Sort"),
        Binding("S", "reverse", "Reverse", show=False),
        Binding("t", "tree", "Tree"),
        Binding("g", "groups", "Groups"),
        Binding("space", "mark", "Mark", key_display="space"),
        Binding("c", "compare", "Compare"),
        Binding("right_square_bracket", "page(1)", "Next page", show=False, key_display="]"),
        Binding("left_square_bracket", "page(-1)", "Previous page", show=False, key_display="["),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("q", "app.quit", "Quit"),
    ]

    listing: reactive[ExperimentQuery] = reactive(ExperimentQuery(limit=PAGE_SIZE), init=False)
    as_tree: reactive[bool] = reactive(False, init=False)
    grouped: reactive[bool] = reactive(False, init=False)
    filter_text: reactive[str] = reactive("", init=False)

    def __init__(self) -> None:
        super().__init__()
        self.marked: set[int] = set()
        self.expanded: frozenset[int] = frozenset()
        self.total = 0
        self.count = Count(0, True)
        self.page_rows = 0
        # What the table shows, and the data version it was read at.
        self._shown: tuple[View, Version] | None = None
        self._cursor_after = "keep"

    def compose(self) -> ComposeResult:
        yield Static(id="topbar", classes="bar")
        yield GpuStrip(enabled=self.lab.watch_gpus)
        yield Input(placeholder="status:running model:mobilenet* acc>0.9 name:~fruit", id="filter")
        yield Static(id="filter-error")
        yield ExperimentTable(id="table")
        yield Footer()

    @property
    def table(self) -> ExperimentTable:
        return self.query_one(ExperimentTable)

    def on_mount(self) -> None:
        self.table.focus()
        self._update_topbar()
        self.poll()

    def on_screen_resume(self) -> None:
        self.poll()

    # Polling -------------------------------------------------------------------------------

    def view(self) -> View:
        return View(self.listing, self.as_tree, self.grouped, self.expanded)

    def read_now(self) -> None:
        if not self.is_current and self._shown is not None:
            self.schedule_poll()  # covered by another screen: look again later
            return
        known = self._shown[1] if self._shown and self._shown[0] == self.view() else None
        self.read_rows(self.view(), known)

    @work(thread=True, exclusive=True, exit_on_error=False, group="poll", description="page")
    def read_rows(self, view: View, known_version: Version | None) -> PageRead:
        store = self.lab.store
        if known_version is not None and data_version(store) == known_version:
            return PageRead(view, None)  # nothing committed since: no read at all
        page = read_page(
            store, view.query, tree=view.tree, groups=view.groups, expanded=view.expanded
        )
        return PageRead(view, page)

    @on(PageRead)
    def page_read(self, message: PageRead) -> None:
        view, page = message.view, message.page
        if page is not None and view == self.view():
            self.total = page.total
            self.count = page.count
            self.page_rows = sum(1 for row in page.rows if row.depth == 0)
            self.table.show_rows(page.rows, self.marked, cursor=self._cursor_after)
            self._cursor_after = "keep"
            self._shown = (view, page.data_version)
            self._update_topbar()
        self.schedule_poll()

    def _update_topbar(self) -> None:
        q = self.listing
        first = q.offset + 1 if self.total else 0
        last = q.offset + self.page_rows
        sort = next((c.label for c in COLUMNS if c.sort == q.sort), q.sort)
        bar = Text.assemble(
            ("cnnlab ", "bold"),
            (self.lab.store.path.name, "dim"),
            f"  {first:,}-{last:,} of {self.count}",
            f"  sort {sort} {'▼' if q.descending else '▲'}",
        )
        if self.as_tree:
            bar.append("  tree", style="bold cyan")
        if self.grouped:
            bar.append("  groups", style="bold cyan")
        if self.marked:
            bar.append(f"  {len(self.marked)} marked", style="bold yellow")
        if self.filter_text:
            bar.append(f"  / {self.filter_text}", style="italic")
        self.query_one("#topbar", Static).update(bar)

    # Filter --------------------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = self.filter_text
        box.add_class("-open")
        box.focus()

    @on(Input.Changed, "#filter")
    def check_filter(self, event: Input.Changed) -> None:
        try:
            parse_filter(event.value)
            self._filter_error("")
        except FilterError as exc:
            self._filter_error(str(exc))

    @on(Input.Submitted, "#filter")
    def apply_filter(self, event: Input.Submitted) -> None:
        try:
            query = parse_filter(event.value, self.listing)
        except FilterError as exc:
            self._filter_error(str(exc))
            return
        self._close_filter()
        self.filter_text = event.value.strip()
        self._cursor_after = "top"
        self.listing = query

    def _filter_error(self, message: str) -> None:
        error = self.query_one("#filter-error", Static)
        error.update(message)
        error.set_class(bool(message), "-open")

    def _close_filter(self) -> None:
        self.query_one("#filter", Input).remove_class("-open")
        self._filter_error("")
        self.table.focus()

    def action_clear_filter(self) -> None:
        if self.query_one("#filter", Input).has_class("-open"):
            self._close_filter()
        elif self.filter_text:
            self.filter_text = ""
            self._cursor_after = "top"
            self.listing = parse_filter("", self.listing)

    # Order, paging and views ---------------------------------------------------------------

    def watch_listing(self, query: ExperimentQuery) -> None:
        self.table.set_sort(query.sort, query.descending)
        self._update_topbar()
        self.poll()

    def watch_as_tree(self) -> None:
        self._cursor_after = "top"
        self.listing = dataclasses.replace(self.listing, offset=0)
        self.poll()

    def watch_grouped(self) -> None:
        self.watch_as_tree()

    def watch_filter_text(self) -> None:
        self._update_topbar()

    def action_sort(self) -> None:
        columns = [c.sort for c in SORTABLE_COLUMNS]
        current = columns.index(self.listing.sort) if self.listing.sort in columns else -1
        self.sort_by(columns[(current + 1) % len(columns)] or "created_at")

    def sort_by(self, column: str, descending: bool | None = None) -> None:
        if descending is None:
            descending = column not in ("name", "model", "kind", "status")
        self._cursor_after = "top"
        self.listing = dataclasses.replace(
            self.listing, sort=column, descending=descending, offset=0
        )

    def action_reverse(self) -> None:
        self.sort_by(self.listing.sort, not self.listing.descending)

    @on(DataTable.HeaderSelected)
    def header_sort(self, event: DataTable.HeaderSelected) -> None:
        column = next(c for c in COLUMNS if c.key == event.column_key.value)
        if column.sort is None:
            return
        if column.sort == self.listing.sort:
            self.action_reverse()
        else:
            self.sort_by(column.sort)

    def action_tree(self) -> None:
        self.as_tree = not self.as_tree

    def action_groups(self) -> None:
        self.grouped = not self.grouped

    def action_page(self, direction: int) -> None:
        offset = self.listing.offset + direction * self.listing.limit
        # Past a capped count, pages go on for as long as they come back full.
        more = not self.count.exact and self.page_rows >= self.listing.limit
        if offset < 0 or (offset >= max(self.total, 1) and not more):
            return
        self._cursor_after = "top" if direction > 0 else "bottom"
        self.listing = dataclasses.replace(self.listing, offset=offset)

    @on(ExperimentTable.PageEdge)
    def turn_page(self, event: ExperimentTable.PageEdge) -> None:
        self.action_page(event.direction)

    # Rows ----------------------------------------------------------------------------------

    @on(DataTable.RowSelected)
    def open_row(self, event: DataTable.RowSelected) -> None:
        row = self.table.rows_by_key.get(str(event.row_key.value))
        if row is None:
            return
        if row.group is not None:
            group = row.group.group_id
            self.expanded = self.expanded ^ {group}
            self.poll()
            return
        from cnnlab.tui.screens.experiment import ExperimentScreen

        self.app.push_screen(ExperimentScreen(row.experiment.id))

    def action_mark(self) -> None:
        row = self.table.current_row
        if row is None:
            return
        self.marked ^= {row.experiment.id}
        self.table.show_rows(list(self.table.rows_by_key.values()), self.marked)
        self._update_topbar()

    def action_compare(self) -> None:
        if len(self.marked) < 2:
            self.notify("Mark two or more experiments with space first.", severity="warning")
            return
        from cnnlab.tui.screens.compare import CompareScreen

        self.app.push_screen(CompareScreen(sorted(self.marked)))

    def action_new_job(self) -> None:
        from cnnlab.tui.screens.job_form import JobForm

        self.app.push_screen(JobForm(), self._queued)

    def _queued(self, experiment_id: int | None) -> None:
        if experiment_id is not None:
            self.notify(f"Queued experiment {experiment_id}.")
            self.poll()
