"""The experiment screen: epochs arriving live (written by another connection, as a job
process does), the log tail, stop, resume, delete with confirmation, clone with edits.
"""

from __future__ import annotations

import time
from pathlib import Path

from textual.widgets import DataTable

from cnnlab.store import Store, append_epoch, append_event, get_experiment, open_store
from cnnlab.tui.screens.experiment import ExperimentScreen
from cnnlab.tui.screens.job_form import JobForm
from cnnlab.tui.widgets.log_tail import LogTail

from .conftest import MakeApp
from .helpers import until


async def open_detail(pilot: object, experiment_id: int) -> ExperimentScreen:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    screen = ExperimentScreen(experiment_id)
    await pilot.app.push_screen(screen)
    await until(pilot, lambda: screen.experiment is not None)
    return screen


def shown_rows(screen: ExperimentScreen, table: str) -> int:
    """Rows of a tab's table, 0 while the tab's widgets are still being mounted."""
    found = screen.query(table)
    return found.only_one(DataTable).row_count if found else 0


async def test_epochs_events_and_log_arrive_live(make_app: MakeApp, db_path: Path) -> None:
    async with make_app().run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, 3)
        assert len(screen.epochs) == 3
        await pilot.press("2")  # the epochs table fills when its tab is first shown
        await until(pilot, lambda: shown_rows(screen, "#epochs-table") == 3)
        with open_store(db_path) as job:  # another connection, as the job process has
            append_epoch(job, 3, 4, {"loss": 0.4, "val_accuracy": 0.8, "val_loss": 0.5})
            append_event(job, 3, "early_stopping", "No improvement for 3 epochs.")
        await until(pilot, lambda: len(screen.epochs) == 4)
        await until(pilot, lambda: screen.query_one("#epochs-table").row_count == 4)
        await until(pilot, lambda: len(screen.followed.events) == 2)
        await pilot.press("3")  # events read while the tab was hidden are there when shown
        await until(pilot, lambda: shown_rows(screen, "#events-table") == 2)
        await pilot.press("4")
        await until(pilot, lambda: bool(screen.query(LogTail)))
        tail = screen.query_one(LogTail)
        assert tail.line_count == 3
        log = Path(db_path.parent / "runs" / "3" / "log.txt")
        with log.open("a") as handle:
            handle.write("Epoch 4/10 - loss 0.4000\n")
        await until(pilot, lambda: tail.line_count == 4)


async def test_log_tail_stays_put_when_scrolled_up(make_app: MakeApp, db_path: Path) -> None:
    log = db_path.parent / "runs" / "3" / "log.txt"
    log.write_text("".join(f"line {i}\n" for i in range(200)))
    async with make_app().run_test(size=(100, 24)) as pilot:
        screen = await open_detail(pilot, 3)
        await pilot.press("4")
        await until(pilot, lambda: bool(screen.query(LogTail)))
        tail = screen.query_one(LogTail)
        await until(pilot, lambda: tail.line_count == 200 and tail.max_scroll_y > 0)
        tail.scroll_end(animate=False, immediate=True)
        await pilot.pause()
        with log.open("a") as handle:
            handle.write("line 200\n")
        await until(pilot, lambda: tail.line_count == 201)
        await pilot.pause()
        assert tail.scroll_offset.y == tail.max_scroll_y  # followed
        tail.scroll_to(y=10, animate=False, immediate=True)
        with log.open("a") as handle:
            handle.write("line 201\n")
        await until(pilot, lambda: tail.line_count == 202)
        assert tail.scroll_offset.y == 10  # stayed where the reader is


async def test_stop_a_running_job(make_app: MakeApp, lab_store: Store) -> None:
    # A job alive on another host (fresh heartbeat), so the engine does not mark it lost.
    with lab_store.write() as conn:
        conn.execute(
            "UPDATE experiments SET host = 'gpu-2', heartbeat_at = ? WHERE id = 3", (time.time(),)
        )
    async with make_app().run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, 3)
        await pilot.press("x")
        await until(pilot, lambda: get_experiment(lab_store, 3).stop_requested)
        await until(pilot, lambda: screen.last_event_id > 0 and screen.experiment is not None)
        await pilot.press("3")
        await until(pilot, lambda: shown_rows(screen, "#events-table") == 2)


async def test_stop_a_finished_job_is_refused_politely(make_app: MakeApp, lab_store: Store) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_detail(pilot, 1)
        await pilot.press("x")
        await until(
            pilot, lambda: any("only queued or running" in n.message for n in app._notifications)
        )
        assert get_experiment(lab_store, 1).status == "done"


async def test_resume_a_failed_job(make_app: MakeApp, lab_store: Store) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        # resume starts a scheduler: point it at a job that cannot run, harmlessly
        screen = await open_detail(pilot, 7)
        await pilot.press("r")
        await until(pilot, lambda: get_experiment(lab_store, 7).status != "failed")
        assert screen.is_current
    from cnnlab.engine import stop_scheduler

    stop_scheduler(lab_store)  # resume started one; it has nothing of ours to finish


async def test_delete_asks_first(make_app: MakeApp, lab_store: Store) -> None:
    async with make_app().run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, 8)
        await pilot.press("d")
        await pilot.press("n")
        assert screen.is_current
        await pilot.press("d")
        await pilot.press("y")
        await until(pilot, lambda: not screen.is_attached)
        assert lab_store.read("SELECT count(*) FROM experiments WHERE id = 8")[0][0] == 0


async def test_clone_opens_the_form_prefilled(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await open_detail(pilot, 2)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, JobForm))
        form = app.screen
        assert isinstance(form, JobForm)
        values = form.values()
        assert (values["model"], values["data"], values["epochs"]) == (
            "alexnet_separable",
            "data/fruits",
            "10",
        )


async def test_tabs_mount_when_first_shown_and_keep_up(make_app: MakeApp, db_path: Path) -> None:
    async with make_app().run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, 3)
        assert not screen.query("#epochs-table") and not screen.query(LogTail)  # not yet shown
        await pilot.press("2", "3", "4", "5", "6", "7", "1", "2")  # faster than they mount
        await until(pilot, lambda: screen.filled_tabs >= {"epochs", "events", "spec", "log"})
        await until(pilot, lambda: shown_rows(screen, "#epochs-table") == 3)
        assert shown_rows(screen, "#spec-table") > 0
        assert len(screen.query("#epochs-table")) == 1  # mounted once
        with open_store(db_path) as job:
            append_epoch(job, 3, 4, {"loss": 0.4, "val_accuracy": 0.8, "val_loss": 0.5})
            append_event(job, 3, "best_epoch", "Best val_accuracy at epoch 4.")
        await until(pilot, lambda: shown_rows(screen, "#epochs-table") == 4)
        await until(pilot, lambda: shown_rows(screen, "#events-table") == 2)
