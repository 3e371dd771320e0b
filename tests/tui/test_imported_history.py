"""An imported Keras log in the TUI: its fit row in the experiments table, and its epochs on
the experiment screen's charts and epochs tab, as a trained run's are."""

from __future__ import annotations

import pytest
from support.keras_logs import KerasLogs, shared_keras_logs

from cnnlab.engine.history_import import import_history
from cnnlab.store import Store
from cnnlab.tui.widgets.chart import LineChart

from .conftest import MakeApp
from .helpers import home, shown_ids, until
from .test_experiment_screen import open_detail, shown_rows


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> KerasLogs:
    return shared_keras_logs(tmp_path_factory)


async def test_an_imported_run_reaches_the_table_and_the_charts(
    make_app: MakeApp, lab_store: Store, logs: KerasLogs
) -> None:
    (run,) = import_history(lab_store, logs.plain_csv, model="tiny cnn")
    async with make_app().run_test(size=(120, 36)) as pilot:
        screen = home(pilot)
        await until(pilot, lambda: f"e{run.experiment_id}" in shown_ids(screen))
        detail = await open_detail(pilot, run.experiment_id)
        assert [e.epoch for e in detail.epochs] == [1, 2, 3]
        loss = detail.query_one("#loss-chart", LineChart)
        await until(pilot, lambda: bool(loss.series) and bool(loss.series[0].values))
        train, val = loss.series
        assert list(train.values) == logs.plain["loss"]
        assert list(val.values) == logs.plain["val_loss"]
        accuracy = detail.query_one("#acc-chart", LineChart)
        assert list(accuracy.series[1].values) == logs.plain["val_accuracy"]
        await pilot.press("2")
        await until(pilot, lambda: shown_rows(detail, "#epochs-table") == 3)
