"""SVG snapshots of the main screens at 80x24 and 160x48 on the fixed-time lab database.

Regenerate after an intended change with `pytest tests/tui --snapshot-update` and review the
diff of `__snapshots__/` like code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from cnnlab.store import Store
from cnnlab.store.backends import assign_backend, set_backend_job
from cnnlab.tui.screens.compare import CompareScreen
from cnnlab.tui.screens.experiment import ExperimentScreen
from cnnlab.tui.screens.job_form import JobForm

from .conftest import MakeApp
from .helpers import home, until

SIZES = [(80, 24), (160, 48)]
SnapCompare = Callable[..., bool]


async def _home_loaded(pilot: Pilot[Any]) -> None:
    screen = home(pilot)
    await until(pilot, lambda: screen.table.row_count == 8)


@pytest.mark.parametrize("size", SIZES)
def test_experiments(snap_compare: SnapCompare, make_app: MakeApp, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=_home_loaded)


@pytest.mark.parametrize("size", SIZES)
def test_experiments_tree_and_groups(
    snap_compare: SnapCompare, make_app: MakeApp, size: tuple[int, int]
) -> None:
    async def tree_and_groups(pilot: Pilot[Any]) -> None:
        await _home_loaded(pilot)
        await pilot.press("t", "g")
        screen = home(pilot)
        await until(pilot, lambda: "g4" in screen.table.rows_by_key and screen.table.row_count == 6)

    assert snap_compare(make_app(), terminal_size=size, run_before=tree_and_groups)


@pytest.mark.parametrize("size", SIZES)
def test_experiment(snap_compare: SnapCompare, make_app: MakeApp, size: tuple[int, int]) -> None:
    async def open_two(pilot: Pilot[Any]) -> None:
        await _home_loaded(pilot)
        screen = ExperimentScreen(2)
        await pilot.app.push_screen(screen)
        await until(pilot, lambda: len(screen.epochs) == 9 and screen.last_event_id > 0)

    assert snap_compare(make_app(), terminal_size=size, run_before=open_two)


@pytest.mark.parametrize("size", SIZES)
def test_compare(snap_compare: SnapCompare, make_app: MakeApp, size: tuple[int, int]) -> None:
    async def compare(pilot: Pilot[Any]) -> None:
        await _home_loaded(pilot)
        screen = CompareScreen([1, 2, 3])
        await pilot.app.push_screen(screen)
        await until(pilot, lambda: screen.curves is not None)

    assert snap_compare(make_app(), terminal_size=size, run_before=compare)


@pytest.mark.parametrize("size", SIZES)
def test_job_form(snap_compare: SnapCompare, make_app: MakeApp, size: tuple[int, int]) -> None:
    async def form(pilot: Pilot[Any]) -> None:
        await _home_loaded(pilot)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(pilot.app.screen, JobForm))
        screen = pilot.app.screen
        assert isinstance(screen, JobForm)
        await until(pilot, lambda: screen.dataset is not None)
        for box in screen.query(Input):
            box.cursor_blink = False  # a blinking cursor would make the snapshot flaky
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=form)


def test_help(snap_compare: SnapCompare, make_app: MakeApp) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), press=["question_mark"])


def test_slurm_pending(snap_compare: SnapCompare, make_app: MakeApp, lab_store: Store) -> None:
    """A Slurm job held for Resources: its header and spec tab at 80x24."""
    assign_backend(lab_store, 8, "slurm", {"partition": "gpu", "gpus": 1})
    set_backend_job(lab_store, 8, job_id="4242", state="PENDING", reason="Resources")

    async def open_pending(pilot: Pilot[Any]) -> None:
        await _home_loaded(pilot)
        screen = ExperimentScreen(8)
        await pilot.app.push_screen(screen)
        await until(pilot, lambda: screen.experiment is not None)
        await pilot.press("5")
        await until(pilot, lambda: screen.query("#spec-table").only_one(DataTable).row_count > 0)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=open_pending)
