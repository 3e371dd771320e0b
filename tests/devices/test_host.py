"""The host runner: LiteRT in-process, every invoke() timed, stored whole in a real database."""

from __future__ import annotations

import math
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cnnlab.devices import (
    ModelNotLoadable,
    UnsupportedDelegate,
    benchmark_host,
    host_info,
    record_inventory,
    summarize,
)
from cnnlab.devices.inventory import Inventory
from cnnlab.store import Store, add_bench_run, create_experiment, get_samples, list_bench_runs


def test_host_benchmark_gives_every_sample_and_sane_statistics(tflite_model: Path) -> None:
    seen: list[int] = []
    result = benchmark_host(
        tflite_model, runs=60, warmup=5, threads=1, on_sample=lambda i, _us: seen.append(i)
    )
    assert len(result.samples_us) == 60
    assert seen == list(range(60))
    assert all(s > 0 for s in result.samples_us)
    summary = result.summary
    assert summary is not None and summary.count == 60
    assert summary.min_us <= summary.median_us <= summary.p90_us <= summary.p99_us
    assert summary.p99_us <= summary.max_us
    assert summary.mean_us == pytest.approx(statistics.fmean(result.samples_us))
    assert summary.std_us == pytest.approx(statistics.pstdev(result.samples_us))
    assert summary.median_us == pytest.approx(statistics.median(result.samples_us))
    assert summary.median_us < 50_000  # a tiny CNN: well under 50 ms per image
    assert result.init_us is not None and result.init_us > 0
    assert result.first_us is not None and result.first_us > 0
    assert result.peak_memory_bytes is not None and result.peak_memory_bytes > 10 * 2**20
    assert (result.device_serial, result.mode, result.delegate, result.threads) == (
        "host",
        "warm",
        "cpu",
        1,
    )
    assert result.binary_version is not None and result.binary_version.startswith("ai-edge")
    assert result.command is not None and "tiny.tflite" in result.command


def test_xnnpack_delegate_and_threads(tflite_model: Path) -> None:
    result = benchmark_host(tflite_model, runs=5, warmup=1, threads=2, delegate="xnnpack")
    assert len(result.samples_us) == 5
    assert result.delegate == "xnnpack"


def test_summary_percentiles_match_numpy() -> None:
    values = [float(v) for v in np.random.default_rng(1).gamma(2.0, 100.0, size=137)]
    summary = summarize(values)
    for q, got in ((50, summary.median_us), (90, summary.p90_us), (99, summary.p99_us)):
        assert got == pytest.approx(float(np.percentile(values, q)))
    assert summary.std_us == pytest.approx(float(np.std(values)))


def test_phone_delegates_and_bad_models_are_one_sentence(
    tflite_model: Path, tmp_path: Path
) -> None:
    with pytest.raises(UnsupportedDelegate, match="host has no 'gpu' delegate"):
        benchmark_host(tflite_model, runs=1, delegate="gpu")
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"this is not a flatbuffer" * 10)
    with pytest.raises(ModelNotLoadable, match=r"LiteRT cannot load broken\.tflite"):
        benchmark_host(broken, runs=1)
    with pytest.raises(ModelNotLoadable, match="does not exist"):
        benchmark_host(tmp_path / "missing.tflite", runs=1)


def test_result_is_stored_with_every_sample(tflite_model: Path, store: Store) -> None:
    result = benchmark_host(tflite_model, runs=25, warmup=2)
    inventory = record_inventory(store, Inventory(devices=(host_info(),)))
    experiment_id = create_experiment(store, "bench", name="bench tiny")
    run_id = add_bench_run(
        store,
        result.to_bench_run(experiment_id, device_id=inventory.stored_ids["host"]),
        result.samples_us,
    )
    stored = get_samples(store, run_id)
    assert len(stored) == 25
    assert all(
        math.isclose(a, b, rel_tol=1e-6) for a, b in zip(stored, result.samples_us, strict=True)
    )
    (row,) = list_bench_runs(store, experiment_id)
    assert row.runs == 25 and row.warmup_runs == 2
    assert row.median_us == pytest.approx(result.summary.median_us if result.summary else 0)
    assert row.extra is not None and row.extra["mode"] == "warm"


def test_devices_package_never_imports_tensorflow() -> None:
    code = (
        "import sys, cnnlab.devices, cnnlab.cli.devices\n"
        "print(','.join(m for m in ('tensorflow', 'keras', 'ai_edge_litert') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
