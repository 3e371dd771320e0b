"""Slurm jobs in the TUI (issue 9): the pending reason in the status cell, `backend:slurm` in
the filter, and the job id, state, node and reason on the experiment screen as Slurm reports
them (written here through the store's own backend functions, as the Slurm follower does).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from cnnlab.store import Store, open_store
from cnnlab.store.backends import assign_backend, set_backend_job
from cnnlab.tui.filter import FilterError, parse_filter

from .conftest import MakeApp
from .helpers import home, shown_ids, until
from .test_experiment_screen import open_detail


def queue_on_slurm(store: Store, experiment_id: int, job_id: str, reason: str) -> None:
    assign_backend(store, experiment_id, "slurm", {"partition": "gpu", "gpus": 1})
    set_backend_job(store, experiment_id, job_id=job_id, state="PENDING", reason=reason)


def test_the_filter_reads_backends() -> None:
    assert parse_filter("backend:slurm model:mobilenet*").backend == ("slurm",)
    assert parse_filter("backend:local,slurm").backend == ("local", "slurm")
    assert parse_filter("status:queued", parse_filter("backend:slurm")).backend == ()
    with pytest.raises(FilterError, match="Unknown backend 'pbs'"):
        parse_filter("backend:pbs")


async def test_pending_reason_in_the_table_and_backend_filter(
    make_app: MakeApp, lab_store: Store
) -> None:
    queue_on_slurm(lab_store, 8, "4242", "Resources")
    async with make_app().run_test(size=(160, 30)) as pilot:
        screen = home(pilot)
        table = screen.table
        await until(pilot, lambda: table.row_count == 8)
        assert table.get_cell("e8", "status").plain == "pending (Resources)"
        status = next(c for c in table.columns.values() if c.key.value == "status")
        assert status.width >= len("pending (Resources)")  # widened, not cropped
        assert "pending (Resources)" in table.render_line(1).text
        await pilot.press("slash", *"backend:slurm", "enter")
        await until(pilot, lambda: shown_ids(screen) == ["e8"])
        await pilot.press("escape")
        await until(pilot, lambda: table.row_count == 8)
        await pilot.press("slash", *"backend:local status:queued", "enter")
        await until(pilot, lambda: table.row_count == 0)
        # Slurm starts it: the status follows and the column goes back to its width.
        with lab_store.write() as conn:
            conn.execute("UPDATE experiments SET status = 'running' WHERE id = 8")
        set_backend_job(lab_store, 8, job_id="4242", state="RUNNING", reason="None", node="n01")
        await pilot.press("escape")
        await until(pilot, lambda: table.row_count == 8)
        await until(pilot, lambda: table.get_cell("e8", "status").plain == "running")
        status = next(c for c in table.columns.values() if c.key.value == "status")
        assert status.width == len("running")


async def test_experiment_screen_shows_job_node_and_reason(
    make_app: MakeApp, lab_store: Store, db_path: Path
) -> None:
    queue_on_slurm(lab_store, 8, "4242", "Priority")
    async with make_app().run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, 8)
        head = screen.query_one("#head", Static)
        shown = str(head.render())
        assert "pending (Priority)" in shown
        assert "slurm job 4242" in shown and "pending reason Priority" in shown
        await pilot.press("5")
        spec = screen.query_one("#spec-table", DataTable)

        def spec_value(key: str) -> str | None:
            for row in range(spec.row_count):
                cells = spec.get_row_at(row)
                if str(cells[0]) == key:
                    return str(cells[1])
            return None

        await until(pilot, lambda: spec_value("backend") == "slurm")
        assert spec_value("slurm job id") == "4242"
        assert spec_value("pending reason") == "Priority"
        assert spec_value("slurm.partition") == "gpu"
        with open_store(db_path) as follower:  # the scheduler's own connection
            with follower.write() as conn:
                conn.execute("UPDATE experiments SET status = 'running' WHERE id = 8")
            set_backend_job(follower, 8, job_id="4242", state="RUNNING", reason="None", node="n01")
        await until(pilot, lambda: "node n01" in str(head.render()))
        assert "pending" not in str(head.render())
        await until(pilot, lambda: spec_value("node") == "n01")
        assert spec_value("state") == "RUNNING" and spec_value("pending reason") is None
        local = await open_detail(pilot, 1)
        assert "slurm" not in str(local.query_one("#head", Static).render())
