"""Issue 8 in the TUI: the lineage tree from pretraining to benchmarks, repeats as mean ± std,
and trainable layers side by side in compare, on a database built here."""

from __future__ import annotations

import statistics
from pathlib import Path

from textual.widgets import DataTable

from cnnlab.store import append_event, create_experiment, open_store, update_summary
from cnnlab.tui.app import CnnlabApp
from cnnlab.tui.screens.compare import CompareScreen
from cnnlab.tui.widgets.experiment_table import COLUMNS

from .helpers import home, until


def build_chain(db_path: Path) -> dict[str, int]:
    with open_store(db_path) as store:
        pre = create_experiment(store, "train", name="pretrain", model="alexnet", status="done")
        fine = create_experiment(
            store, "transfer", name="fine-tune", model="alexnet", parent_id=pre, status="done"
        )
        tflite = create_experiment(store, "convert", name="tflite", parent_id=fine, status="done")
        bench = create_experiment(store, "bench", name="pixel", parent_id=tflite, status="done")
        append_event(
            store,
            fine,
            "transfer",
            "3 layers frozen",
            {
                "frozen_layers": ["conv1", "conv2", "conv3"],
                "trainable_layers": ["conv4", "dense"],
                "frozen_params": 1200,
                "trainable_params": 300,
            },
        )
        repeats = []
        for acc, seconds in ((0.90, 100.0), (0.94, 120.0), (0.95, 140.0)):
            run = create_experiment(store, "train", name="repeat", model="alexnet", status="done")
            update_summary(store, run, best_val_accuracy=acc, train_seconds=seconds)
            repeats.append(run)
        with store.write() as conn:
            conn.execute(
                f"UPDATE experiments SET group_id = ? WHERE id IN ({', '.join('?' * 3)})",
                [repeats[0], *repeats],
            )
    return {"pre": pre, "fine": fine, "tflite": tflite, "bench": bench, "group": repeats[0]}


def app_for(db_path: Path) -> CnnlabApp:
    return CnnlabApp(open_store(db_path), poll_interval_s=0.05, watch_gpus=False)


async def test_tree_shows_pretraining_fine_tune_conversion_and_benchmark(db_path: Path) -> None:
    ids = build_chain(db_path)
    app = app_for(db_path)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = home(pilot)
        await until(pilot, lambda: screen.table.row_count == 7)
        await pilot.press("t")
        await until(pilot, lambda: screen.as_tree and screen._shown is not None)
        await until(pilot, lambda: screen._shown is not None and screen._shown[0] == screen.view())
        rows = screen.table.rows_by_key
        chain = [f"e{ids[k]}" for k in ("pre", "fine", "tflite", "bench")]
        order = list(rows)
        start = order.index(chain[0])
        assert order[start : start + 4] == chain
        assert [rows[k].depth for k in chain] == [0, 1, 2, 3]
        assert [rows[k].experiment.kind for k in chain] == ["train", "transfer", "convert", "bench"]
    app.store.close()


async def test_group_rows_show_mean_and_std_of_accuracy_and_time(db_path: Path) -> None:
    ids = build_chain(db_path)
    app = app_for(db_path)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = home(pilot)
        await until(pilot, lambda: screen.table.row_count == 7)
        await pilot.press("g")
        key = f"g{ids['group']}"
        await until(pilot, lambda: key in screen.table.rows_by_key)
        group = screen.table.rows_by_key[key].group
        assert group is not None and group.size == 3
        assert group.mean_val_accuracy is not None and group.std_val_accuracy is not None
        assert abs(group.mean_val_accuracy - statistics.mean([0.90, 0.94, 0.95])) < 1e-9
        assert abs(group.std_val_accuracy - statistics.stdev([0.90, 0.94, 0.95])) < 1e-9
        cells = [str(c) for c in screen.table.get_row(key)]
        column = {c.key: i for i, c in enumerate(COLUMNS)}
        assert cells[column["acc"]] == "93.0%"
        std_acc = statistics.stdev([0.90, 0.94, 0.95]) * 100
        assert cells[column["progress"]] == f"±{std_acc:.1f}% ±20s"
        assert cells[column["duration"]] == "2m00s"
    app.store.close()


async def test_compare_shows_trainable_layers_side_by_side(db_path: Path) -> None:
    ids = build_chain(db_path)
    app = app_for(db_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await until(pilot, lambda: home(pilot).table.row_count == 7)
        compare = CompareScreen([ids["pre"], ids["fine"]])
        await app.push_screen(compare)
        await until(pilot, lambda: compare.curves is not None)
        await pilot.press("3")
        table = compare.query_one("#spec-table", DataTable)
        await until(pilot, lambda: table.row_count > 0)
        rows = {
            str(table.get_row_at(i)[0]): table.get_row_at(i)[1:] for i in range(table.row_count)
        }
        assert [str(v) for v in rows["trainable layers"]] == ["all", "conv4, dense"]
        assert [str(v) for v in rows["frozen layers"]] == ["none", "conv1, conv2, conv3"]
        assert [str(v) for v in rows["trainable / frozen params"]] == ["", "300 / 1200"]
    app.store.close()
