"""A run carrying a warning (validation accuracy stuck at chance) is marked in the experiments
table, live and without widening the status column, and its warning event stands out in the
experiment screen's events tab."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from cnnlab.store import Store, append_event, open_store, update_summary
from cnnlab.tui import text as fmt
from cnnlab.tui.widgets.experiment_table import STATUS_WIDTH

from .conftest import MakeApp
from .helpers import home, until
from .test_experiment_screen import open_detail, shown_rows

SENTENCE = (
    "Training accuracy rose to 95.0% while validation accuracy stayed at chance (0.100 for 10 "
    "classes) in epochs 2-4: likely BatchNormalization moving statistics lagging behind the "
    "weights with few steps per epoch (momentum too high for so few steps: try 0.9, or a "
    "smaller batch), a difference between training and inference (dropout, preprocessing), or "
    "a learning rate too high (now 0.001)."
)


def status_cell(table: DataTable[Text], key: str) -> Text:
    cell = table.get_cell(key, "status")
    assert isinstance(cell, Text)
    return cell


async def test_a_row_with_a_warning_shows_the_mark(make_app: MakeApp, db_path: Path) -> None:
    async with make_app().run_test(size=(120, 30)) as pilot:
        screen = home(pilot)
        table = screen.table
        await until(pilot, lambda: table.row_count == 8)
        assert status_cell(table, "e1").plain == "done"
        with open_store(db_path) as job:  # another connection, as the job process has
            update_summary(job, 1, warning=SENTENCE)
        await until(pilot, lambda: status_cell(table, "e1").plain == "done ⚠")
        mark = status_cell(table, "e1")
        assert mark.spans[-1].style == fmt.WARNING_STYLE
        # Rows without a warning are as they were, and the column keeps its width.
        assert status_cell(table, "e2").plain == "done"
        assert table.columns[ColumnKey("status")].width == STATUS_WIDTH
        with open_store(db_path) as job:  # the warning no longer holds: the mark goes
            update_summary(job, 1, warning=None)
        await until(pilot, lambda: status_cell(table, "e1").plain == "done")
        # A running job warned mid-run: the column widens while it is on the page, as it does
        # for Slurm's `pending (Resources)`, so that the mark is never cut off.
        with open_store(db_path) as job:
            update_summary(job, 3, warning=SENTENCE)
        await until(pilot, lambda: status_cell(table, "e3").plain == "running ⚠")
        assert table.columns[ColumnKey("status")].width == len("running ⚠")


async def test_the_warning_event_is_highlighted_and_the_header_says_it(
    make_app: MakeApp, lab_store: Store
) -> None:
    update_summary(lab_store, 1, warning=SENTENCE)
    append_event(lab_store, 1, "stuck_at_chance", SENTENCE, {"classes": 10})
    async with make_app().run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, 1)
        head = str(screen.query_one("#head").render())
        assert "done ⚠" in head
        assert (
            "⚠ Training accuracy rose to 95.0% while validation accuracy stayed at chance "
            "(0.100 for 10 classes) in epochs 2-4; causes in the events tab"
        ) in head
        await pilot.press("3")
        await until(pilot, lambda: shown_rows(screen, "#events-table") == 2)
        events = screen.query_one("#events-table", DataTable)
        kinds = [events.get_row_at(i)[1] for i in range(events.row_count)]
        warning = next(k for k in kinds if isinstance(k, Text) and k.plain == "stuck_at_chance")
        assert warning.style == fmt.WARNING_STYLE
        message = events.get_row_at(kinds.index(warning))[2]
        assert isinstance(message, Text)
        assert message.plain == SENTENCE
        assert message.style == fmt.WARNING_STYLE
