"""The experiments table: one page of rows at a time, updated in place so that live changes
never move the cursor or the scroll position.

It holds only the visible page (100 rows), so painting costs the same for 10 experiments as for
100,000; moving past either end asks the screen for the neighbouring page. Body cells (one-line
`Text`s) are turned into segments directly instead of through Rich's generic layout, which made
a repaint of the page cost ~0.1 s on a 2-core VM.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from cnnlab.tui import text as fmt
from cnnlab.tui.reads import TableRow


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int
    sort: str | None  # the store column it sorts by


# Most telling first, so an 80-column terminal still shows name, status, progress and accuracy.
COLUMNS = (
    Column("mark", " ", 1, None),
    Column("id", "id", 5, "id"),
    Column("name", "name", 16, "name"),
    Column("status", "status", 7, "status"),
    Column("progress", "progress", 18, "started_at"),
    Column("acc", "val acc", 7, "best_val_accuracy"),
    Column("model", "model", 13, "model"),
    Column("params", "params", 6, "params"),
    Column("kind", "kind", 5, "kind"),
    Column("created", "created", 11, "created_at"),
    Column("duration", "took", 7, "train_seconds"),
)
SORTABLE_COLUMNS = tuple(c for c in COLUMNS if c.sort)
STATUS_WIDTH = next(c.width for c in COLUMNS if c.key == "status")
# A Slurm job's `pending (Resources)` widens the status column for as long as it is on the page.
MAX_STATUS_WIDTH = 22

Cells = tuple[Text, ...]


def row_cells(row: TableRow, marked: bool) -> Cells:
    """The cells of one row, in COLUMNS order."""
    e = row.experiment
    indent = "  " * row.depth
    group = row.group
    progress = fmt.progress_text(e)
    took = Text(fmt.duration_text(e.duration_s))
    if group is not None:
        # Repeats: mean of best val accuracy and of training time, their std in "progress".
        name = Text(f"{'▾' if row.expanded else '▸'} {e.name or e.model or ''} x{group.size}")
        acc = Text(fmt.percent_text(group.mean_val_accuracy), style="italic")
        spread = []
        if group.std_val_accuracy is not None:
            spread.append(f"±{group.std_val_accuracy * 100:.1f}%")
        if group.std_train_seconds is not None:
            spread.append(f"±{fmt.duration_text(group.std_train_seconds)}")
        progress = Text(" ".join(spread), style="italic dim")
        if group.mean_train_seconds is not None:
            took = Text(fmt.duration_text(group.mean_train_seconds), style="italic")
    else:
        branch = "└ " if row.depth else ""
        name = Text(indent[:-2] + branch + (e.name or ""))
        acc = Text(fmt.percent_text(e.best_val_accuracy), style="bold")
    return (
        Text("●" if marked else " ", style="bold yellow"),
        Text(str(e.id), style="dim"),
        name,
        fmt.display_status_text(e),
        progress,
        acc,
        Text(e.model or ""),
        Text(fmt.count_text(e.params)),
        Text(e.kind),
        Text(fmt.timestamp_text(e.created_at)),
        took,
    )


# The fast path leans on two DataTable internals; without them the generic path is used.
_FAST_CELLS = hasattr(DataTable, "_get_styles_to_render_cell")


class ExperimentTable(DataTable[Text]):
    """A DataTable of TableRows that asks for the next or previous page at its edges."""

    DEFAULT_CSS = """
    ExperimentTable {
        height: 1fr;
    }
    """

    @dataclass
    class PageEdge(Message):
        """The cursor tried to leave the page: +1 for the next page, -1 for the previous."""

        direction: int

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.rows_by_key: dict[str, TableRow] = {}
        self._cells: dict[str, Cells] = {}
        self._order: list[str] = []
        self._sort: tuple[str, bool] | None = None
        self._status_width = STATUS_WIDTH

    def on_mount(self) -> None:
        self.set_sort("created_at", True)

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        """A body cell as one line of segments: `Text.render` cropped and padded to `width`,
        styled exactly as DataTable's own path does (its `Styled(Padding(cell))`).
        """
        fast = _FAST_CELLS and row_index >= 0 and column_index >= 0 and self.cell_padding >= 0
        cell = self._cell_at(row_index, column_index) if fast else None
        hover_cursor = getattr(self, "_show_hover_cursor", None)
        if cell is None or not isinstance(hover_cursor, bool):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        component, post = self._get_styles_to_render_cell(
            False,
            False,
            False,
            hover,
            cursor,
            self.show_cursor,
            hover_cursor,
            self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )
        pre = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component
        pad = self.cell_padding
        console = self.app.console
        inner = Segment.adjust_line_length(
            list(cell.render(console, end="")), max(0, width - 2 * pad), Style.null()
        )
        edge = [Segment(" " * pad, Style.null())] if pad else []
        return [list(Segment.apply_style([*edge, *inner, *edge], pre, post))]

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """Skip DataTable's measuring of every new cell through Rich (~50 ms for a page of 100
        rows on a 2-core VM): every column here has a fixed width and every row one line, so
        the measurements would change nothing. The virtual size is still recomputed.
        """
        fixed = all(not column.auto_width for column in self.columns.values())
        super()._update_dimensions(() if fixed and _FAST_CELLS else new_rows)

    def _cell_at(self, row_index: int, column_index: int) -> Text | None:
        """The cell when it can take the fast path (plain one-line left-aligned text)."""
        if row_index >= len(self._order) or column_index >= len(COLUMNS):
            return None
        cell = self._cells.get(self._order[row_index])
        if cell is None:
            return None
        text = cell[column_index]
        if (
            text.justify not in (None, "default", "left")
            or text.overflow not in (None, "fold", "crop")
            or "\n" in text.plain
            or "\t" in text.plain
        ):
            return None
        return text

    def set_sort(self, sort: str, descending: bool) -> None:
        """Show the sort column and direction in the header (rebuilds the columns)."""
        if self._sort == (sort, descending):
            return
        self._sort = (sort, descending)
        self._add_columns()

    def _add_columns(self) -> None:
        """(Re)build the columns, which empties the table."""
        sort, descending = self._sort or ("created_at", True)
        self.clear(columns=True)
        self._order, self._cells, self.rows_by_key = [], {}, {}
        for column in COLUMNS:
            label = Text(column.label)
            if column.sort == sort:
                label.append(" ▼" if descending else " ▲", style="bold")
            width = self._status_width if column.key == "status" else column.width
            self.add_column(label, width=width, key=column.key)

    @property
    def current_row(self) -> TableRow | None:
        if not self._order or self.cursor_row < 0 or self.cursor_row >= len(self._order):
            return None
        return self.rows_by_key.get(self._order[self.cursor_row])

    def show_rows(self, rows: list[TableRow], marked: set[int], *, cursor: str = "keep") -> None:
        """Display `rows`: changed cells are updated in place when the rows are the same ones,
        otherwise the table is rebuilt with the cursor on the same experiment as before.
        `cursor` may be "top" or "bottom" when the page just turned.
        """
        keys = [row.key for row in rows]
        cells = {row.key: row_cells(row, row.experiment.id in marked) for row in rows}
        status_width = min(
            MAX_STATUS_WIDTH,
            max([STATUS_WIDTH, *(fmt.display_status_width(row.experiment) for row in rows)]),
        )
        if status_width != self._status_width:
            self._status_width = status_width
            previous = self.current_row.key if self.current_row else None
            old_index, scroll_y = self.cursor_row, self.scroll_y
            self._add_columns()
            self._fill(keys, cells, previous, old_index, scroll_y, cursor)
            self.rows_by_key = {row.key: row for row in rows}
            return
        self.rows_by_key = {row.key: row for row in rows}
        if keys == self._order and cursor == "keep":
            for key in keys:
                old, new = self._cells[key], cells[key]
                for column, before, after in zip(COLUMNS, old, new, strict=True):
                    if before != after:
                        self.update_cell(key, column.key, after)
            self._cells = cells
            return
        previous = self.current_row.key if self.current_row else None
        old_index, scroll_y = self.cursor_row, self.scroll_y
        self.clear()
        self._fill(keys, cells, previous, old_index, scroll_y, cursor)

    def _fill(
        self,
        keys: list[str],
        cells: dict[str, Cells],
        previous: str | None,
        old_index: int,
        scroll_y: float,
        cursor: str,
    ) -> None:
        """Add the rows to an empty table and put the cursor back on the same experiment."""
        for key in keys:
            self.add_row(*cells[key], key=key)
        self._order, self._cells = keys, cells
        if not keys:
            return
        if cursor == "top":
            self.move_cursor(row=0)
            self.scroll_to(y=0, animate=False)
        elif cursor == "bottom":
            self.move_cursor(row=len(keys) - 1)
        else:
            index = keys.index(previous) if previous in keys else min(old_index, len(keys) - 1)
            self.move_cursor(row=max(0, index), scroll=False)
            self.scroll_to(y=scroll_y, animate=False, immediate=True)

    def action_cursor_down(self) -> None:
        if self._order and self.cursor_row >= len(self._order) - 1:
            self.post_message(self.PageEdge(+1))
            return
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.cursor_row <= 0:
            self.post_message(self.PageEdge(-1))
            return
        super().action_cursor_up()
