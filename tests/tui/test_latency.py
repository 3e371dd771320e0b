"""The latency screen: one histogram per model and device on a shared scale with median / p90 /
p99 marked, and the accuracy / latency / size / score table with the Pareto front flagged.

The database holds TFLite artifacts with the meta a conversion job writes and bench runs with
every sample, as a benchmark job records them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from cnnlab.layer_times import LayerTime
from cnnlab.report.latency import read_latency
from cnnlab.store import (
    BenchRun,
    Device,
    Store,
    add_artifact,
    add_bench_run,
    create_experiment,
    upsert_device,
)
from cnnlab.tui.histogram import HistogramPanel, LatencyHistogram, render_histogram
from cnnlab.tui.screens.experiment import ExperimentScreen
from cnnlab.tui.screens.latency import LatencyScreen

from .conftest import MakeApp
from .helpers import home, until

SnapCompare = Callable[..., bool]


def add_tflite(store: Store, experiment_id: int, mode: str, size: int, top1: float) -> int:
    """A .tflite artifact with the meta `cnnlab.engine.kinds.convert.run` records."""
    folder = store.run_dir(experiment_id) / "tflite"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{experiment_id}-{mode}.tflite"
    path.write_bytes(b"\0" * size)
    return add_artifact(
        store,
        experiment_id,
        "tflite",
        path,
        meta={
            "mode": mode,
            "optimize": None if mode == "float" else "default",
            "calibration": 100 if mode == "int8" else None,
            "int8_io": False,
            "convert_job_id": None,
            "input_shape": [64, 64, 3],
            "evaluation": {
                "top1": top1,
                "top3": min(1.0, top1 + 0.05),
                "keras_top1": 0.9,
                "delta_top1": top1 - 0.9,
                "delta_top3": 0.0,
            },
            "ops": ["CONV_2D", "FULLY_CONNECTED", "SOFTMAX"],
        },
    )


def samples(median_ms: float, count: int = 100) -> list[float]:
    """Microseconds around `median_ms`, with a slow tail, in a fixed order."""
    return [
        median_ms * 1000 * (1 + 0.1 * math.sin(i * 1.7) + (0.6 if i % 25 == 0 else 0.0))
        for i in range(count)
    ]


def add_bench(
    store: Store, parent: int, artifact_id: int, device_id: int, serial: str, values: list[float]
) -> int:
    job = create_experiment(store, "bench", name=f"bench {artifact_id}", spec={}, parent_id=parent)
    ordered = sorted(values)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    run = BenchRun(
        experiment_id=job,
        artifact_id=artifact_id,
        device_id=device_id,
        runs=len(values),
        mean_us=sum(values) / len(values),
        median_us=pct(0.5),
        p90_us=pct(0.9),
        p99_us=pct(0.99),
        min_us=ordered[0],
        max_us=ordered[-1],
        extra={"mode": "warm", "device_serial": serial},
        created_at=1_717_200_000.0,
    )
    return add_bench_run(store, run, values)


def build_bench_lab(store: Store) -> dict[str, int]:
    """Two models of the lab database converted and benchmarked on the host and a phone."""
    host = upsert_device(store, Device(serial="host", kind="host"))
    phone = upsert_device(
        store, Device(serial="ce0117", kind="adb", manufacturer="samsung", model="SM-G950F")
    )
    ids = {
        "alex_float": add_tflite(store, 1, "float", 9000, 0.90),
        "alex_int8": add_tflite(store, 1, "int8", 2500, 0.88),
        "sep_float": add_tflite(store, 2, "float", 1500, 0.80),
    }
    add_bench(store, 1, ids["alex_float"], host, "host", samples(4.0))
    add_bench(store, 1, ids["alex_int8"], host, "host", samples(2.0))
    add_bench(store, 2, ids["sep_float"], host, "host", samples(3.0))  # slower and worse than int8
    add_bench(store, 1, ids["alex_float"], phone, "ce0117", samples(12.0))
    return ids


async def test_read_latency_marks_the_pareto_front_per_device(lab_store: Store) -> None:
    build_bench_lab(lab_store)
    rows = read_latency(lab_store, [1, 2]).rows
    by = {(r.model, r.variant, r.device): r for r in rows}
    assert len(rows) == 4
    assert by[("#1 alexnet", "float", "host")].pareto  # most accurate
    assert by[("#1 alexnet", "int8", "host")].pareto  # fastest
    assert not by[("#2 alexnet_separable", "float", "host")].pareto  # dominated by int8
    assert by[("#1 alexnet", "float", "SM-G950F")].pareto  # alone on its device
    float_host = by[("#1 alexnet", "float", "host")]
    assert len(float_host.samples_ms) == 100
    assert float_host.median_ms is not None and 3.5 < float_host.median_ms < 4.5
    assert float_host.score is not None and float_host.bytes == 9000


def test_histogram_marks_and_shared_scale() -> None:
    fast = LatencyHistogram("fast", [1.0, 1.1, 1.2, 1.2, 5.0], 1.2, 1.2, 5.0)
    text = render_histogram(fast, (1.0, 10.0), 60, 9).plain
    lines = text.splitlines()
    assert lines[0] == "fast"
    assert lines[-3].count("▲") == 2  # the median and p90 share a column; p99 has its own
    assert lines[-2].strip().startswith("1.00") and lines[-2].endswith("10.0 ms")
    assert "median 1.20" in lines[-1] and "p99 5.00" in lines[-1] and "n=5" in lines[-1]


async def test_latency_screen_from_marked_experiments(make_app: MakeApp, lab_store: Store) -> None:
    build_bench_lab(lab_store)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = home(pilot)
        await until(pilot, lambda: screen.table.row_count > 0)
        screen.marked = {1, 2}
        await pilot.press("L")
        await until(pilot, lambda: isinstance(app.screen, LatencyScreen))
        latency = app.screen
        assert isinstance(latency, LatencyScreen)
        await until(pilot, lambda: latency.data is not None)
        await pilot.pause()
        panels = list(latency.query(HistogramPanel))
        assert len(panels) == 4
        assert len({p.span for p in panels}) == 1  # one shared scale
        table = latency.query_one("#latency-table", DataTable)
        assert table.row_count == 4
        stars = [str(table.get_row_at(i)[0]) for i in range(4)]
        assert stars.count("★") == 3


async def test_latency_from_the_experiment_screen(make_app: MakeApp, lab_store: Store) -> None:
    build_bench_lab(lab_store)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        detail = ExperimentScreen(2)
        await app.push_screen(detail)
        await until(pilot, lambda: detail.experiment is not None)
        await pilot.press("L")
        await until(pilot, lambda: isinstance(app.screen, LatencyScreen))
        latency = app.screen
        assert isinstance(latency, LatencyScreen)
        await until(pilot, lambda: latency.data is not None)
        assert latency.data is not None
        assert [r.model for r in latency.data.rows] == ["#2 alexnet_separable"]


def test_latency_snapshot(snap_compare: SnapCompare, make_app: MakeApp, lab_store: Store) -> None:
    build_bench_lab(lab_store)

    async def open_latency(pilot: Pilot[Any]) -> None:
        screen = LatencyScreen([1, 2])
        await pilot.app.push_screen(screen)
        await until(pilot, lambda: screen.data is not None)
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(100, 30), run_before=open_latency)


def add_profiled_phone_bench(
    store: Store, artifact_id: int, phone: int, delegate: str, layers: list[LayerTime]
) -> int:
    """A phone bench as `cnnlab bench --profile-ops` records it (extra as phone.py writes)."""
    job = create_experiment(store, "bench", name="profiled", spec={}, parent_id=1)
    values = samples(6.0, 20)
    ordered = sorted(values)
    said = {"requested": delegate, "extent": "partial" if delegate == "gpu" else "cpu"}
    said["described"] = (
        "GPU partial (2 delegate kernels, rest on CPU)" if delegate == "gpu" else "CPU"
    )
    run = BenchRun(
        experiment_id=job,
        artifact_id=artifact_id,
        device_id=phone,
        delegate=delegate,
        runs=len(values),
        median_us=ordered[10],
        p90_us=ordered[18],
        p99_us=ordered[19],
        mean_us=sum(values) / len(values),
        extra={
            "mode": "warm",
            "remote_model": "/data/local/tmp/cnnlab/m.tflite",
            "summary_run": {"count": 200, "median_us": 5400.0},
            "delegation": said,
            "op_profile": {"runs": 200, "delegate": delegate},
            "layer_profile": [layer.to_dict() for layer in layers],
        },
    )
    return add_bench_run(store, run, values)


def layer(name: str, ms: float, percent: float, ran_on: str = "CPU", index: int = 0) -> LayerTime:
    return LayerTime(name, ms, percent, ran_on, ("CONV_2D",), (name,), index)


async def test_the_layer_profile_of_a_row_and_two_side_by_side(
    make_app: MakeApp, lab_store: Store
) -> None:
    ids = build_bench_lab(lab_store)
    phone = upsert_device(lab_store, Device(serial="ce0117", kind="adb", model="SM-G950F"))
    cpu = [
        layer("conv1", 3.0, 60.0),
        layer("fc1", 1.5, 30.0, index=1),
        layer("fc2", 0.5, 10.0, index=2),
    ]
    gpu = [layer("GPU delegate #9 (1 layers)", 1.0, 40.0, "GPU"), layer("fc1", 1.5, 60.0, index=1)]
    add_profiled_phone_bench(lab_store, ids["alex_int8"], phone, "cpu", cpu)
    add_profiled_phone_bench(lab_store, ids["alex_int8"], phone, "gpu", gpu)
    app = make_app()
    async with app.run_test(size=(100, 50)) as pilot:
        latency = LatencyScreen([1])
        await app.push_screen(latency)
        await until(pilot, lambda: latency.data is not None)
        rows = latency.data.rows if latency.data else []
        table = latency.query_one("#latency-table", DataTable)
        profiled = [i for i, r in enumerate(rows) if r.bench_run_id in latency.profiles]
        assert len(profiled) == 2  # a CPU and a GPU bench of one model on one phone: two rows
        assert [str(table.get_row_at(i)[4]) for i in profiled] == ["cpu", "gpu+c"]
        table.move_cursor(row=profiled[0])
        await pilot.pause()
        detail = str(latency.query_one("#row-detail", Static).render())
        assert "samples: n=20 invocations (load, warm-up, one timed run)" in detail
        assert "tool steady state: n=200 runs of one invocation, 5.40 ms" in detail
        shown = str(latency.query_one("#layers", Static).render())
        assert shown.splitlines()[1].startswith("conv1") and "█" in shown
        await pilot.press("p")  # pin the CPU profile, then look at the GPU one beside it
        table.move_cursor(row=profiled[1])
        await pilot.pause()
        both = str(latency.query_one("#layers", Static).render())
        assert both.startswith("A (pinned)") and "B/A" in both
        fc1 = next(line for line in both.splitlines() if line.startswith("fc1"))
        assert fc1.split()[1:] == ["1.500", "1.500", "1.00"]
        table.move_cursor(row=next(i for i in range(len(rows)) if i not in profiled))
        await pilot.pause()
        assert not latency.query_one("#layers", Static).display  # no profile: no panel
