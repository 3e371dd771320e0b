"""Workers hand their results to screens as typed messages (issue 14, item 5), which a test can
observe: the real app, the real store, Textual's message hook."""

from __future__ import annotations

from textual.message import Message

from cnnlab.store import Store
from cnnlab.tui.screens.base import WorkerResult
from cnnlab.tui.screens.experiment import ExperimentScreen, UpdatesRead
from cnnlab.tui.screens.experiments import PageRead

from .conftest import MakeApp
from .helpers import until


async def test_reads_arrive_as_typed_messages(make_app: MakeApp, lab_store: Store) -> None:
    seen: list[Message] = []
    app = make_app()
    async with app.run_test(size=(100, 30), message_hook=seen.append) as pilot:
        await until(pilot, lambda: any(isinstance(m, PageRead) for m in seen))
        page = next(m for m in seen if isinstance(m, PageRead)).page
        assert page is not None and page.total == 8
        await pilot.press("enter")  # open the experiment under the cursor
        await until(pilot, lambda: isinstance(app.screen, ExperimentScreen))
        await until(pilot, lambda: any(isinstance(m, UpdatesRead) for m in seen))
    updates = next(m for m in seen if isinstance(m, UpdatesRead))
    assert updates.news is not None
    # Results go to the screen that asked, not on up to the app.
    assert all(not m.bubble for m in seen if isinstance(m, WorkerResult))
