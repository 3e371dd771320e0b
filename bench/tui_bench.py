"""Benchmark of the TUI (issue 5), headless through `App.run_test`: first paint over 100,000
experiments and 1,000,000 epochs, filter and sort, opening a 500-epoch run, comparing 2,000
runs' curves, and the delay from an epoch written (by 8 writer processes) to it on screen.

Each figure is printed beside a baseline measured in the same run: a bare Textual app showing
a 100-row DataTable. Run: `.venv/bin/python bench/tui_bench.py [--experiments N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import DataTable

from cnnlab.store import ExperimentQuery, append_epoch, open_store
from cnnlab.tui.app import CnnlabApp
from cnnlab.tui.filter import parse_filter
from cnnlab.tui.screens.compare import CompareScreen
from cnnlab.tui.screens.experiment import ExperimentScreen
from cnnlab.tui.screens.experiments import ExperimentsScreen
from cnnlab.tui.widgets.chart import LineChart

MODELS = ("alexnet", "alexnet_separable", "squeezenet", "mobilenet_v2", "efficientnet_lite0")
STATUSES = ("done", "done", "done", "failed", "stopped")
SIZE = (160, 48)


def build(path: Path, experiments: int, epochs_total: int) -> None:
    open_store(path).close()  # schema
    conn = sqlite3.connect(path)
    rng = random.Random(5)
    per = max(1, epochs_total // experiments)
    base = 1_700_000_000.0
    with conn:
        rows = []
        for i in range(1, experiments + 1):
            model = MODELS[i % len(MODELS)]
            spec = json.dumps({"kind": "train", "model": model, "data": "fruits", "epochs": per,
                               "lr": 10 ** -rng.randint(2, 4), "seed": i % 5})  # fmt: skip
            rows.append((i, f"run-{i}", "train", STATUSES[i % 5], model, "fruits",
                         (i - 1) // 5 * 5 + 1 if i % 7 == 0 else None, spec, base + i * 60,
                         base + i * 60 + 5, base + i * 60 + 500, rng.random(), per,
                         rng.randint(100_000, 5_000_000)))  # fmt: skip
        conn.executemany(
            "INSERT INTO experiments (id, name, kind, status, model, dataset, group_id, spec,"
            " created_at, started_at, finished_at, best_val_accuracy, epochs_run, params)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

        def epochs() -> object:
            for i in range(1, experiments + 1):
                count = 500 if i == 1 else per
                for e in range(1, count + 1):
                    yield (i, e, 2.0 / e, 1 - 1 / (e + 1), 2.2 / e, 1 - 1.2 / (e + 1), 1e-3, 5.0,
                           base + i * 60 + e)  # fmt: skip

        conn.executemany(
            "INSERT INTO epochs (experiment_id, epoch, loss, accuracy, val_loss, val_accuracy,"
            " lr, seconds, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            epochs(),
        )
    conn.close()


class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*(f"c{i}" for i in range(10)))
        table.add_rows([[f"{r}:{c}" for c in range(10)] for r in range(100)])


async def until(pilot: Pilot[None], condition: Callable[[], bool], limit_s: float = 60) -> None:
    deadline = time.perf_counter() + limit_s
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("condition never held")
        await asyncio.sleep(0.002)
    await pilot.pause()


async def bare_paint() -> float:
    start = time.perf_counter()
    app = Bare()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        return time.perf_counter() - start


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(path: Path) -> dict[str, float]:
    figures: dict[str, float] = {}
    store = open_store(path)
    start = time.perf_counter()
    app = CnnlabApp(store, watch_gpus=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ExperimentsScreen))
        home = app.screen
        assert isinstance(home, ExperimentsScreen)
        await until(pilot, lambda: home.table.row_count > 0)
        figures["first_paint_s"] = time.perf_counter() - start
        figures["rss_after_first_paint_mb"] = rss_mb()

        async def relist(change: Callable[[], None]) -> float:
            t0 = time.perf_counter()
            change()
            await until(pilot, lambda: home._shown is not None and home._shown[0] == home.view())
            return time.perf_counter() - t0

        figures["filter_s"] = await relist(
            lambda: setattr(home, "listing", parse_filter("model:mobilenet* acc>0.9", home.listing))
        )
        figures["sort_by_accuracy_s"] = await relist(
            lambda: setattr(home, "listing", ExperimentQuery(sort="best_val_accuracy"))
        )
        figures["groups_s"] = await relist(lambda: setattr(home, "grouped", True))
        figures.update(await open_run(pilot, app))
        before = rss_mb()
        t0 = time.perf_counter()
        compare = CompareScreen(list(range(2, 2002)))
        await app.push_screen(compare)
        await until(pilot, lambda: compare.curves is not None)
        figures["compare_2000_s"] = time.perf_counter() - t0
        figures["compare_2000_rss_mb"] = rss_mb()
        figures["compare_2000_rss_growth_mb"] = rss_mb() - before
        app.pop_screen()
        figures.update(await live_latency(pilot, app, path))
    store.close()
    return figures


async def open_run(pilot: Pilot[None], app: CnnlabApp) -> dict[str, float]:
    """Open the 500-epoch run: "opened" is the first frame with its header and both charts
    drawn with all 500 epochs; "settled" adds Textual's wait until the CPU is idle (footer
    keys styled, later refreshes), which is what the figure measured before.
    """
    t0 = time.perf_counter()
    detail = ExperimentScreen(1)
    await app.push_screen(detail)
    charts = [detail.query_one(f"#{name}", LineChart) for name in ("loss-chart", "acc-chart")]
    deadline = t0 + 60
    while not (detail.experiment and all(chart.drawn_points == 500 for chart in charts)):
        if time.perf_counter() > deadline:
            raise TimeoutError("the charts were never drawn")
        await asyncio.sleep(0.001)
    opened = time.perf_counter() - t0
    await pilot.pause()
    settled = time.perf_counter() - t0
    app.pop_screen()
    await pilot.pause()
    return {"open_500_epochs_s": opened, "open_500_epochs_settled_s": settled}


def writer(path: str, experiment_id: int, epochs: int, stop_at: float) -> None:
    store = open_store(path)
    epoch = 0
    while time.time() < stop_at and epoch < epochs:
        epoch += 1
        append_epoch(store, experiment_id, epoch, {"loss": 1 / epoch, "val_accuracy": 0.5})
        time.sleep(0.25)
    store.close()


async def live_latency(pilot: Pilot[None], app: CnnlabApp, path: Path) -> dict[str, float]:
    store = app.store
    ids = [
        store.conn.execute(
            "INSERT INTO experiments (name, kind, status, spec, created_at, started_at)"
            " VALUES ('live', 'train', 'running', '{\"epochs\": 100}', ?, ?)",
            (time.time(), time.time()),
        ).lastrowid
        for _ in range(8)
    ]
    screen = ExperimentScreen(int(ids[0]))  # type: ignore[arg-type]
    await app.push_screen(screen)
    await until(pilot, lambda: screen.experiment is not None)
    stop_at = time.time() + 12
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--writer", str(path), str(i), str(stop_at)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
        for i in ids
    ]
    delays: list[float] = []
    seen = 0
    while time.time() < stop_at + 1:
        if len(screen.epochs) > seen:
            now = time.time()
            delays += [now - e.at for e in screen.epochs[seen:]]
            seen = len(screen.epochs)
        await asyncio.sleep(0.005)
    for proc in procs:
        proc.wait()
    delays.sort()
    return {
        "epoch_to_screen_median_s": statistics.median(delays),
        "epoch_to_screen_max_s": delays[-1],
        "epoch_samples": float(len(delays)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--experiments", type=int, default=100_000)
    parser.add_argument("--epochs", type=int, default=1_000_000)
    parser.add_argument("--writer", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        writer(args.writer[0], int(args.writer[1]), 40, float(args.writer[2]))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "experiments.db"
        t0 = time.perf_counter()
        build(path, args.experiments, args.epochs)
        print(f"built {args.experiments:,} experiments / {args.epochs:,} epochs "
              f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip
        baseline = asyncio.run(bare_paint())
        print(f"baseline: bare Textual app, 100-row DataTable, first paint {baseline:.3f} s")
        figures = asyncio.run(measure(path))
    for name, value in figures.items():
        print(f"{name:32} {value:10.3f}")
    print(f"{'first paint / baseline':32} {figures['first_paint_s'] / baseline:10.2f}x")


if __name__ == "__main__":
    sys.exit(main())
