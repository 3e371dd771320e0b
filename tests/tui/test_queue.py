"""The Queue screen: the local queue in start order with why each job waits, steered by keys
through the same engine calls as `cnnlab queue`."""

from __future__ import annotations

from support.scheduler import scheduler_lock_held
from textual.widgets import DataTable

from cnnlab.engine.runtime.scheduler import UNSERVED
from cnnlab.store import Store, create_experiment, get_experiment
from cnnlab.store.queue import set_waiting
from cnnlab.tui.screens.queue import QueueScreen

from .conftest import MakeApp
from .helpers import until


async def test_the_queue_in_order_with_reasons_front_and_hold(
    make_app: MakeApp, lab_store: Store
) -> None:
    first = create_experiment(lab_store, "train", name="pretrain cifar100")
    second = create_experiment(lab_store, "bench", name="bench on phone", spec={"device": "R58"})
    set_waiting(lab_store, {first: "waiting for a GPU", second: "waiting for phone R58"})
    app = make_app()
    # A scheduler serves the database (its lock is held): the phrases it wrote are current.
    with scheduler_lock_held(lab_store):
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("Q")
            await until(pilot, lambda: isinstance(app.screen, QueueScreen))
            screen = app.screen
            assert isinstance(screen, QueueScreen)
            table = screen.query_one("#queue-table", DataTable)
            await until(pilot, lambda: len(screen.jobs) >= 2)
            ids = [j.experiment.id for j in screen.jobs]
            assert ids.index(first) < ids.index(second)
            row = ids.index(second)
            assert str(table.get_row_at(row)[4]) == "waiting for phone R58"
            table.move_cursor(row=row)
            await pilot.press("f")
            await until(pilot, lambda: screen.jobs[0].experiment.id == second)
            await until(pilot, lambda: table.cursor_row == 0)  # the cursor follows its job
            await pilot.press("h")
            await until(pilot, lambda: get_experiment(lab_store, second).held)
            await until(pilot, lambda: screen.jobs[-1].experiment.id == second)  # held: last
            assert screen.jobs[-1].waiting_for.startswith("held")
            # Still on it: h again releases it, and holds no neighbour.
            await until(pilot, lambda: table.cursor_row == len(screen.jobs) - 1)
            await pilot.press("h")
            await until(pilot, lambda: not get_experiment(lab_store, second).held)
            assert not any(get_experiment(lab_store, j.experiment.id).held for j in screen.jobs)


async def test_without_a_scheduler_no_stale_phrase_is_shown(
    make_app: MakeApp, lab_store: Store
) -> None:
    waiting = create_experiment(lab_store, "train", name="pretrain cifar100")
    set_waiting(lab_store, {waiting: "waiting for a GPU"})  # left by a scheduler since stopped
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("Q")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen))
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        await until(pilot, lambda: any(j.experiment.id == waiting for j in screen.jobs))
        [job] = [j for j in screen.jobs if j.experiment.id == waiting]
        assert job.waiting_for == UNSERVED
