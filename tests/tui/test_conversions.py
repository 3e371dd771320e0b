"""Conversions and benchmarks from the experiment screen: the Variants tab lists each TFLite
file with size, accuracy and its change from Keras; the convert and bench forms check their
fields and queue exactly the jobs the engine's `submit_conversions` / `submit_bench` make.

A scheduler lock is held by the test, so the engine sees a scheduler running and starts none:
the queued rows are checked, not conversions run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.scheduler import scheduler_lock_held
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Input, SelectionList

from cnnlab.store import ExperimentQuery, Store, add_artifact, list_experiments
from cnnlab.tui.screens.bench_form import BenchForm
from cnnlab.tui.screens.convert_form import ConvertForm
from cnnlab.tui.screens.experiment import ExperimentScreen
from cnnlab.tui.widgets.variants_table import VariantsTable

from .conftest import MakeApp
from .helpers import until
from .test_latency import build_bench_lab


@pytest.fixture
def scheduler_lock(lab_store: Store) -> Iterator[None]:
    """Hold the scheduler's lock as a running scheduler would, so that submit starts none."""
    with scheduler_lock_held(lab_store):
        yield


def children(store: Store, parent: int, kind: str) -> list[dict[str, object]]:
    query = ExperimentQuery(parent_id=parent, limit=100, sort="id")
    return [e.spec for e in list_experiments(store, query) if e.kind == kind]


async def open_detail(pilot: Pilot[None], experiment_id: int) -> ExperimentScreen:
    screen = ExperimentScreen(experiment_id)
    await pilot.app.push_screen(screen)
    await until(pilot, lambda: screen.experiment is not None)
    return screen


async def test_variants_tab_lists_sizes_accuracy_and_latency(
    make_app: MakeApp, lab_store: Store
) -> None:
    build_bench_lab(lab_store)
    async with make_app().run_test(size=(120, 36)) as pilot:
        screen = await open_detail(pilot, 1)
        await pilot.press("7")
        table = screen.query_one(VariantsTable)
        await until(pilot, lambda: table.row_count == 2)
        float_row = [str(c) for c in table.get_row_at(0)]
        int8_row = [str(c) for c in table.get_row_at(1)]
        assert float_row[1:5] == ["float", "", "8.8 KiB", "90.0%"]
        assert int8_row[1:5] == ["int8", "default", "2.4 KiB", "88.0%"]
        assert int8_row[6] == "-2.0 pt"  # top-1 change from Keras
        assert float_row[8].endswith(" ms") and float_row[9]  # benchmarked: latency and score


async def test_convert_form_queues_one_job_per_mode(
    make_app: MakeApp, lab_store: Store, scheduler_lock: None, tmp_path: Path
) -> None:
    model = tmp_path / "model.keras"
    model.write_bytes(b"not read: the job is never run")
    add_artifact(lab_store, 1, "keras", model, meta={"input_shape": [64, 64, 3]})
    app = make_app()
    async with app.run_test(size=(100, 36)) as pilot:
        screen = await open_detail(pilot, 1)
        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, ConvertForm))
        form = app.screen
        assert isinstance(form, ConvertForm)
        modes: SelectionList[str] = form.query_one("#modes", SelectionList)
        form.query_one("#int8_io", Checkbox).value = True
        await pilot.pause()
        assert form.query_one("#int8_io").has_class("-invalid")  # int8 not chosen yet
        assert form.query_one("#submit", Button).disabled
        modes.select("int8")
        form.query_one("#calibration", Input).value = "200"
        await pilot.pause()
        assert form.request is not None
        command = str(form.query_one("#command").render())
        assert "cnnlab convert 1 --mode float,int8 --calibration 200 --int8-io" in command
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is screen)
    specs = children(lab_store, 1, "convert")
    assert sorted((s["mode"], s["calibration"], s["int8_io"]) for s in specs) == [
        ("float", 200, False),
        ("int8", 200, True),
    ]


async def test_convert_refusal_is_shown_in_the_form(
    make_app: MakeApp, lab_store: Store, scheduler_lock: None
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 36)) as pilot:
        await open_detail(pilot, 7)  # failed: it has no model
        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, ConvertForm))
        form = app.screen
        await pilot.press("ctrl+s")
        await until(
            pilot, lambda: "no finished model" in str(form.query_one("#form-error").render())
        )
    assert children(lab_store, 7, "convert") == []


async def test_bench_form_queues_the_selected_variant(
    make_app: MakeApp, lab_store: Store, scheduler_lock: None
) -> None:
    ids = build_bench_lab(lab_store)
    app = make_app()
    async with app.run_test(size=(100, 36)) as pilot:
        screen = await open_detail(pilot, 1)
        await pilot.press("7")
        table = screen.query_one(VariantsTable)
        await until(pilot, lambda: table.row_count == 2)
        table.move_cursor(row=1)
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, BenchForm))
        form = app.screen
        assert isinstance(form, BenchForm)
        assert form.query_one("#target", Input).value == f"artifact:{ids['alex_int8']}"
        form.query_one("#runs", Input).value = "0"
        await pilot.pause()
        assert form.query_one("#runs").has_class("-invalid")
        form.query_one("#runs", Input).value = "20"
        form.query_one("#warmup", Input).value = "2"
        form.query_one("#threads", Input).value = "4"
        form.query_one("#cold", Checkbox).value = True
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is screen)
    queued = [s for s in children(lab_store, 1, "bench") if s]  # the fixture's jobs have none
    assert len(queued) == 1
    benches = queued[0]
    assert benches["artifact_id"] == ids["alex_int8"]
    assert (benches["device"], benches["runs"], benches["warmup"]) == ("host", 20, 2)
    assert (benches["threads"], benches["cold"]) == (4, True)
