"""The home screen driven through Pilot: filter, sort, tree and groups, paging, marks and
compare, opening an experiment, and live rows that never move the cursor.
"""

from __future__ import annotations

from cnnlab.store import Store, append_epoch, create_experiment, set_progress
from cnnlab.tui.screens.compare import CompareScreen
from cnnlab.tui.screens.experiment import ExperimentScreen
from cnnlab.tui.screens.experiments import PAGE_SIZE

from .conftest import MakeApp
from .helpers import home, shown_ids, until


async def test_newest_first_then_filter(make_app: MakeApp) -> None:
    async with make_app().run_test(size=(120, 30)) as pilot:
        screen = home(pilot)
        await until(pilot, lambda: screen.table.row_count == 8)
        assert shown_ids(screen)[0] == "e8"
        await pilot.press("slash")
        await pilot.press(*"status:done acc>0.8")
        await pilot.press("enter")
        await until(pilot, lambda: shown_ids(screen) == ["e2", "e1"])
        assert "status:done acc>0.8" in str(screen.query_one("#topbar").render())
        await pilot.press("escape")  # clears the filter
        await until(pilot, lambda: screen.table.row_count == 8)


async def test_a_bad_filter_is_explained_and_not_applied(make_app: MakeApp) -> None:
    async with make_app().run_test(size=(120, 30)) as pilot:
        screen = home(pilot)
        await until(pilot, lambda: screen.table.row_count == 8)
        await pilot.press("slash", *"status:sleeping", "enter")
        error = screen.query_one("#filter-error")
        assert "Unknown status" in str(error.render())
        assert screen.table.row_count == 8


async def test_sort_by_accuracy_and_reverse(make_app: MakeApp) -> None:
    async with make_app().run_test(size=(120, 30)) as pilot:
        screen = home(pilot)
        await until(pilot, lambda: screen.table.row_count == 8)
        while screen.listing.sort != "best_val_accuracy":
            await pilot.press("s")
        await until(pilot, lambda: shown_ids(screen)[:2] == ["e1", "e2"])
        await pilot.press("S")
        await until(pilot, lambda: shown_ids(screen)[0] == "e8")  # no accuracy sorts first


async def test_tree_puts_children_under_parents(make_app: MakeApp) -> None:
    async with make_app().run_test(size=(120, 30)) as pilot:
        screen = home(pilot)
        await until(pilot, lambda: screen.table.row_count == 8)
        await pilot.press("t")
        await until(pilot, lambda: shown_ids(screen)[-2:] == ["e1", "e3"])
        assert screen.table.rows_by_key["e3"].depth == 1


async def test_groups_fold_repeats_and_expand(make_app: MakeApp) -> None:
    async with make_app().run_test(size=(120, 30)) as pilot:
        screen = home(pilot)
        await until(pilot, lambda: screen.table.row_count == 8)
        await pilot.press("g")
        await until(pilot, lambda: "g4" in shown_ids(screen))
        assert not {"e5", "e6"} & set(shown_ids(screen))
        assert screen.table.rows_by_key["g4"].group.size == 3  # type: ignore[union-attr]
        screen.table.move_cursor(row=shown_ids(screen).index("g4"))
        await pilot.press("enter")
        await until(pilot, lambda: {"e4", "e5", "e6"} <= set(shown_ids(screen)))
        assert isinstance(pilot.app.screen, type(screen))


async def test_open_an_experiment_and_come_back(make_app: MakeApp) -> None:
    async with make_app().run_test(size=(120, 30)) as pilot:
        screen = home(pilot)
        await until(pilot, lambda: screen.table.row_count == 8)
        screen.table.move_cursor(row=shown_ids(screen).index("e1"))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(pilot.app.screen, ExperimentScreen))
        detail = pilot.app.screen
        assert isinstance(detail, ExperimentScreen)
        await until(pilot, lambda: len(detail.epochs) == 10)
        await pilot.press("escape")
        assert pilot.app.screen is screen


async def test_mark_two_and_compare(make_app: MakeApp) -> None:
    async with make_app().run_test(size=(120, 30)) as pilot:
        screen = home(pilot)
        await until(pilot, lambda: screen.table.row_count == 8)
        await pilot.press("c")  # nothing marked: refused with a notice
        assert pilot.app.screen is screen
        screen.table.move_cursor(row=shown_ids(screen).index("e2"))
        await pilot.press("space")
        screen.table.move_cursor(row=shown_ids(screen).index("e1"))
        await pilot.press("space", "c")
        await until(pilot, lambda: isinstance(pilot.app.screen, CompareScreen))
        compare = pilot.app.screen
        assert isinstance(compare, CompareScreen)
        await until(pilot, lambda: compare.curves is not None)
        assert compare.curves is not None
        assert [e.id for e in compare.curves.experiments] == [1, 2]
        spec_table = compare.query_one("#spec-table")
        assert spec_table.row_count == 1  # only `model` differs
        await pilot.press("a")
        assert spec_table.row_count > 1


async def test_live_rows_keep_cursor_and_new_rows_appear(
    make_app: MakeApp, lab_store: Store
) -> None:
    async with make_app().run_test(size=(120, 30)) as pilot:
        screen = home(pilot)
        await until(pilot, lambda: screen.table.row_count == 8)
        screen.table.move_cursor(row=shown_ids(screen).index("e3"))
        append_epoch(lab_store, 3, 4, {"val_accuracy": 0.88})
        set_progress(lab_store, 3, epoch=5, step=10, steps=80)
        await until(pilot, lambda: screen.table.rows_by_key["e3"].experiment.progress_epoch == 5)
        assert screen.table.current_row is not None
        assert screen.table.current_row.key == "e3"
        create_experiment(lab_store, "train", name="brand-new", model="alexnet")
        await until(pilot, lambda: shown_ids(screen)[0] == "e9")
        assert screen.table.current_row.key == "e3"  # still on the same experiment


async def test_pages_turn_at_the_edges(make_app: MakeApp, lab_store: Store) -> None:
    with lab_store.write() as conn:
        conn.executemany(
            "INSERT INTO experiments (name, kind, status, spec, created_at) VALUES (?, ?, ?, ?, ?)",
            [(f"bulk-{i}", "train", "done", "{}", 1e9 + i) for i in range(250)],
        )
    async with make_app().run_test(size=(120, 30)) as pilot:
        screen = home(pilot)
        await until(pilot, lambda: screen.total == 258)
        assert screen.table.row_count == PAGE_SIZE
        screen.table.move_cursor(row=PAGE_SIZE - 1)
        await pilot.press("down")
        await until(pilot, lambda: screen.listing.offset == PAGE_SIZE)
        await until(pilot, lambda: screen.table.cursor_row == 0 and screen.table.row_count > 0)
        await pilot.press("up")
        await until(pilot, lambda: screen.listing.offset == 0)
        await until(pilot, lambda: screen.table.cursor_row == PAGE_SIZE - 1)
