"""The latency rows say what ran on the delegate a phone bench asked for, as the bench recorded
it from the tool's own words; CPU runs and benches recorded before it was measured say nothing."""

from __future__ import annotations

from cnnlab.report.latency import LatencyRow, _ran_on
from cnnlab.store import BenchRun


def run(extra: dict[str, object] | None) -> BenchRun:
    return BenchRun(experiment_id=1, extra=extra)


def test_what_ran_is_taken_from_the_recorded_delegation() -> None:
    partial = {
        "requested": "gpu",
        "extent": "partial",
        "described": "GPU partial (3 delegate kernels, rest on CPU)",
    }
    assert _ran_on(run({"mode": "warm", "delegation": partial})) == partial["described"]
    assert _ran_on(run({"delegation": {"requested": "cpu", "described": "CPU"}})) is None
    assert _ran_on(run({"mode": "warm"})) is None  # recorded before delegation was measured
    assert _ran_on(run(None)) is None


def test_the_label_of_a_delegated_row_says_what_ran() -> None:
    row = LatencyRow(
        bench_run_id=1,
        experiment_id=1,
        model="#1 alexnet",
        variant="float",
        device="SM-G950F",
        bench_mode="warm",
        samples_ms=(),
        median_ms=None,
        p90_ms=None,
        p99_ms=None,
        mean_ms=None,
        top1=None,
        top3=None,
        bytes=None,
        score=None,
        ran_on="GPU full",
    )
    assert row.label == "#1 alexnet float · SM-G950F (warm) [GPU full]"
