"""The new-job form: fields marked as they are typed, submit refused until all are valid, and a
valid form queues a job whose stored spec says exactly what the form said.
"""

from __future__ import annotations

from pathlib import Path

from support.images import write_images
from textual.widgets import Button, Input

from cnnlab.store import Store, get_experiment
from cnnlab.tui.screens.job_form import JobForm

from .conftest import MakeApp
from .helpers import home, until


def dataset(root: Path) -> Path:
    """A Fruits360 layout (Training/ and Test/) of three classes of tiny real images."""
    return write_images(root, ("apple", "pear", "plum"))


async def test_invalid_fields_are_marked_and_submit_refused(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, JobForm))
        form = app.screen
        assert isinstance(form, JobForm)
        await until(pilot, lambda: "data" in form.errors)
        assert form.query_one("#submit", Button).disabled
        form.query_one("#epochs", Input).value = "ten"
        await pilot.pause()
        assert form.query_one("#epochs").has_class("-invalid")
        assert "whole number" in str(form.query_one("#epochs-error").render())
        await pilot.press("ctrl+s")
        assert app.screen is form  # refused


async def test_submit_queues_the_job(make_app: MakeApp, lab_store: Store, tmp_path: Path) -> None:
    data = dataset(tmp_path / "fruits")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = home(pilot)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, JobForm))
        form = app.screen
        assert isinstance(form, JobForm)
        form.query_one("#data", Input).value = str(data)
        form.query_one("#epochs", Input).value = "3"
        form.query_one("#name", Input).value = "from-the-form"
        await until(pilot, lambda: form.dataset is not None and form.dataset.ok)
        assert "3 classes" in str(form.query_one("#data-info").render())
        assert f"--data {data} --epochs 3" in str(form.query_one("#command").render())
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is screen)
        await until(pilot, lambda: "e9" in screen.table.rows_by_key)
    queued = get_experiment(lab_store, 9)
    assert (queued.status, queued.name, queued.model) == ("queued", "from-the-form", "alexnet")
    assert queued.spec["epochs"] == 3 and queued.spec["data"] == str(data)


async def test_parameters_are_shown_for_the_chosen_model(make_app: MakeApp) -> None:
    calls: list[tuple[str, int | None, int | None, float]] = []

    def count(model: str, size: int | None, classes: int | None, width: float) -> int:
        calls.append((model, size, classes, width))
        return 1_234_567

    app = make_app(count_params=count)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, JobForm))
        form = app.screen
        await until(
            pilot, lambda: "1,234,567 parameters" in str(form.query_one("#model-info").render())
        )
        assert calls[0][0] == "alexnet"
