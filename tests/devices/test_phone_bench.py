"""Benchmarks on the loopback phone through the real adb server: warm, cold, failures, quoting."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from cnnlab.devices import (
    AdbServerAddress,
    BenchmarkBinaryMissing,
    DelegateDidNotRun,
    DeviceDisconnected,
    ModelNotLoadable,
    UnparseableOutput,
    benchmark_phone,
    prepare_phone,
)
from cnnlab.store import Store, add_bench_run, create_experiment, get_samples, list_bench_runs


def test_warm_benchmark_gives_per_run_samples_and_the_tools_summary(
    prepared_phone: Any, address: AdbServerAddress, tflite_model: Path, store: Store
) -> None:
    arrived: list[tuple[int, float]] = []
    result = benchmark_phone(
        address,
        prepared_phone.serial,
        tflite_model,
        runs=5,
        warmup=3,
        threads=2,
        delegate="xnnpack",
        cpu_mask="f0",
        summary_runs=40,
        on_sample=lambda i, us: arrived.append((i, us)),
    )
    assert result.mode == "warm" and result.device_serial == prepared_phone.serial
    assert len(result.samples_us) == 5
    assert [i for i, _ in arrived] == list(range(5))
    assert [us for _, us in arrived] == list(result.samples_us)
    assert all(0 < s < 1_000_000 for s in result.samples_us)
    summary = result.summary
    assert summary is not None
    long_run = result.extra["summary_run"]
    assert long_run["count"] == 40 and long_run["median_us"] is not None
    assert result.extra["summary_runs_asked"] == 40 and not result.extra["summary_cut_short"]
    # The row's figures are the samples' own; the steady state is kept apart, labelled.
    assert summary.count == 5 and summary.median_us == sorted(result.samples_us)[2]
    assert result.extra["samples_summary"]["count"] == 5
    assert result.init_us is not None and result.first_us is not None
    assert result.peak_memory_bytes is not None and result.peak_memory_bytes > 0
    assert result.temp_before_c == 36.0 and result.temp_after_c == 36.0
    assert result.binary_version is not None and result.binary_version.startswith("sha256:")
    assert (result.threads, result.delegate, result.cpu_mask, result.warmup_runs) == (
        2,
        "xnnpack",
        "f0",
        3,
    )
    loop, long_command, memory = (result.command or "").split("\n")
    assert "--num_runs=1" in loop and "--warmup_runs=3" in loop and "taskset f0" in loop
    assert "--num_runs=40" in long_command and "--use_xnnpack=true" in long_command
    assert "--num_threads=2" in long_command and "--max_secs=86400" in long_command
    # The memory monitor never runs during timed runs: it has an invocation of its own.
    assert "--report_peak_memory_footprint" not in loop + long_command
    assert "--report_peak_memory_footprint=true" in memory
    assert result.extra["memory_growth"]["overall_mb"] is not None
    assert result.extra["delegation"] == {
        "requested": "xnnpack",
        "delegate": "XNNPACK",
        "extent": "full",
        "kernels": None,
        "described": "XNNPACK full",
    }
    assert set((prepared_phone.root / ".taskset").read_text().split()) == {"f0"}
    assert prepared_phone.runs_done() == 7  # five short in one shell, one long, one for memory

    # Histogram data: every sample is stored and read back in order.
    experiment_id = create_experiment(store, "bench", name="tiny on phone")
    run_id = add_bench_run(store, result.to_bench_run(experiment_id), result.samples_us)
    assert get_samples(store, run_id) == pytest.approx(list(result.samples_us), rel=1e-6)
    (row,) = list_bench_runs(store, experiment_id)
    assert row.extra is not None and row.extra["mode"] == "warm"
    assert row.command == result.command and row.cpu_mask == "f0"


def test_cold_benchmark_starts_a_process_per_sample(
    prepared_phone: Any, address: AdbServerAddress, tflite_model: Path
) -> None:
    result = benchmark_phone(
        address, prepared_phone.serial, tflite_model, runs=4, warmup=10, cold=True
    )
    assert result.mode == "cold" and result.warmup_runs == 0
    assert len(result.samples_us) == 4
    inits, firsts = result.extra["init_us_per_run"], result.extra["first_us_per_run"]
    assert [i + f for i, f in zip(inits, firsts, strict=True)] == list(result.samples_us)
    assert all(i > 0 for i in inits)  # model loading is part of every cold sample
    # The tool's "First inference" is 0 here (no warm-up run); each process's first inference
    # is its one timed run, so no sample is just its init time.
    assert all(f > 0 for f in firsts)
    assert "summary_run" not in result.extra
    assert result.command is not None and "--warmup_runs=0" in result.command
    loop, memory = result.command.split("\n")  # no long one: the summary is the samples'
    assert "--num_runs=1" in loop
    assert "--report_peak_memory_footprint=true" in memory
    assert prepared_phone.runs_done() == 5
    assert (result.to_bench_run(1).extra or {})["mode"] == "cold"


def test_phone_unplugged_mid_run_keeps_the_samples_taken(
    prepared_phone: Any, address: AdbServerAddress, tflite_model: Path
) -> None:
    def pull_cable(index: int, _us: float) -> None:
        if index == 2:
            prepared_phone.unplug()

    with pytest.raises(DeviceDisconnected) as caught:
        benchmark_phone(
            address, prepared_phone.serial, tflite_model, runs=10, warmup=1, on_sample=pull_cable
        )
    error = caught.value
    match = re.match(
        rf"device {re.escape(prepared_phone.serial)} disconnected after (\d+) of 10 runs",
        str(error),
    )
    assert match, str(error)
    taken = int(match.group(1))
    assert 3 <= taken < 10
    assert error.partial is not None
    assert len(error.partial.samples_us) == taken == error.taken
    assert error.partial.summary is not None and error.partial.summary.count == taken


def test_missing_binary_unloadable_model_and_unparseable_output(
    phone: Any, address: AdbServerAddress, tflite_model: Path, aarch64_binary: Path, tmp_path: Path
) -> None:
    with pytest.raises(
        BenchmarkBinaryMissing,
        match=rf"not on device {re.escape(phone.serial)}; run `cnnlab devices prepare",
    ):
        benchmark_phone(address, phone.serial, tflite_model, runs=1)
    prepare_phone(address, phone.serial, aarch64_binary)
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"not a flatbuffer at all" * 8)
    with pytest.raises(
        ModelNotLoadable, match=r"could not run broken\.tflite \(The model is not a valid"
    ):
        benchmark_phone(address, phone.serial, broken, runs=3)
    chatty = phone.tmp / "cnnlab/benchmark_model"
    chatty.write_text("#!/bin/sh\necho 'hello from some other tool'\n")
    with pytest.raises(UnparseableOutput, match=r"printed no timings for tiny\.tflite"):
        benchmark_phone(address, phone.serial, tflite_model, runs=2)


@pytest.mark.parametrize(
    "name",
    [
        "my model v2.tflite",
        'it\'s "quoted".tflite',
        "a; touch PWNED; b.tflite",
        "$(touch PWNED) `touch PWNED`.tflite",
    ],
)
def test_names_with_shell_characters_reach_the_phone_safely(
    prepared_phone: Any, address: AdbServerAddress, tflite_model: Path, tmp_path: Path, name: str
) -> None:
    folder = tmp_path / "dir with 'quote' and $(x)"
    folder.mkdir()
    model = folder / name
    shutil.copy(tflite_model, model)
    result = benchmark_phone(
        address, prepared_phone.serial, model, runs=2, warmup=1, summary_runs=2
    )
    assert len(result.samples_us) == 2
    assert (
        prepared_phone.tmp / result.extra["remote_model"].removeprefix("/data/local/tmp/")
    ).is_file()
    assert not list(prepared_phone.root.rglob("PWNED"))
    assert not Path("PWNED").exists()


def test_a_remote_folder_with_shell_characters(
    phone: Any, address: AdbServerAddress, tflite_model: Path, aarch64_binary: Path
) -> None:
    remote = "/data/local/tmp/cnn lab; $(touch PWNED)"
    prepared = prepare_phone(address, phone.serial, aarch64_binary, remote_dir=remote)
    assert prepared.binary_path == f"{remote}/benchmark_model"
    result = benchmark_phone(
        address, phone.serial, tflite_model, runs=2, warmup=1, summary_runs=2, remote_dir=remote
    )
    assert len(result.samples_us) == 2
    assert result.binary_version == prepared.version
    assert not list(phone.root.rglob("PWNED"))


def test_a_delegate_that_did_not_run_is_never_recorded_as_having_run(
    prepared_phone: Any, address: AdbServerAddress, tflite_model: Path
) -> None:
    """What the real tool says when the GPU is missing, ignored by an older binary, or takes no
    node (exit code 0 in every case): the bench fails with that reason, nothing is kept."""
    said = prepared_phone.root / ".delegation"
    for behaviour, reason in (
        ("unsupported", "GPU unsupported here (CPU)"),
        ("unknown-flag", "does not know --use_gpu and ignored it"),
        ("none", "GPU applied, nothing ran on it (CPU)"),
    ):
        said.write_text(behaviour)
        for cold in (False, True):
            with pytest.raises(DelegateDidNotRun) as refused:
                benchmark_phone(
                    address, prepared_phone.serial, tflite_model, runs=2, delegate="gpu", cold=cold
                )
            assert reason in str(refused.value)
            assert "its times would be CPU times; nothing was recorded" in str(refused.value)


def test_a_partly_delegated_run_is_kept_and_says_so(
    prepared_phone: Any, address: AdbServerAddress, tflite_model: Path
) -> None:
    (prepared_phone.root / ".delegation").write_text("partial:3")
    result = benchmark_phone(
        address, prepared_phone.serial, tflite_model, runs=2, warmup=1, delegate="gpu"
    )
    assert result.extra["delegation"]["extent"] == "partial"
    assert result.extra["delegation"]["kernels"] == 3
    assert (
        result.extra["delegation"]["described"] == "GPU partial (3 delegate kernels, rest on CPU)"
    )


def test_require_full_delegation_refuses_a_partly_delegated_run(
    prepared_phone: Any, address: AdbServerAddress, tflite_model: Path
) -> None:
    (prepared_phone.root / ".delegation").write_text("partial:3")
    with pytest.raises(DelegateDidNotRun, match="only partly on the gpu delegate") as refused:
        benchmark_phone(
            address,
            prepared_phone.serial,
            tflite_model,
            runs=2,
            delegate="gpu",
            require_full_delegation=True,
        )
    assert "GPU partial (3 delegate kernels, rest on CPU)" in str(refused.value)
    (prepared_phone.root / ".delegation").write_text("full")
    result = benchmark_phone(
        address,
        prepared_phone.serial,
        tflite_model,
        runs=2,
        warmup=1,
        delegate="gpu",
        require_full_delegation=True,
    )
    assert result.extra["delegation"]["extent"] == "full"
