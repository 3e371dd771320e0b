"""`cnnlab bench` as background jobs: host and loopback phone, samples stored, failures kept."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from cnnlab.devices import AdbServerAddress
from cnnlab.store import (
    Store,
    add_artifact,
    create_experiment,
    get_detail,
    get_samples,
    list_bench_runs,
    list_devices,
    open_store,
)


@pytest.fixture
def converted(store: Store, tflite_model: Path) -> tuple[Store, int, int]:
    """A finished experiment owning one TFLite model (the session's tiny CNN)."""
    experiment_id = create_experiment(store, "train", name="tiny", model="tiny_cnn", status="done")
    artifact_id = add_artifact(store, experiment_id, "tflite", tflite_model, meta={"mode": "float"})
    return store, experiment_id, artifact_id


def test_host_bench_job_stores_every_sample(run_cnnlab, converted) -> None:  # type: ignore[no-untyped-def]
    store, experiment_id, artifact_id = converted
    result = run_cnnlab(
        "bench",
        str(experiment_id),
        "--device",
        "host",
        "--runs",
        "25",
        "--warmup",
        "3",
        "--threads",
        "1",
        "--wait",
        "--db",
        str(store.path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    [bench] = get_detail(store, experiment_id).children
    job = get_detail(store, bench)
    assert job.experiment.kind == "bench"
    assert job.experiment.status == "done"
    assert job.experiment.model == "tiny_cnn"
    assert job.experiment.final_metrics["median_ms"] > 0
    [run] = list_bench_runs(store, bench)
    assert (run.artifact_id, run.runs, run.warmup_runs, run.threads) == (artifact_id, 25, 3, 1)
    assert run.id is not None
    samples = get_samples(store, run.id)
    assert len(samples) == 25
    assert run.min_us is not None
    assert run.max_us is not None
    assert run.min_us <= run.median_us <= run.max_us  # type: ignore[operator]
    assert [d.serial for d in list_devices(store) if d.id == run.device_id] == ["host"]
    assert "bench_done" in [e.kind for e in job.events]


def test_bad_targets_are_refused(run_cnnlab, converted, store: Store) -> None:  # type: ignore[no-untyped-def]
    _, experiment_id, _ = converted
    no_model = create_experiment(store, "train", status="done")
    cases = [
        ([str(no_model)], "has no TFLite model; convert it first"),
        (["artifact:999"], "No artifact with id 999"),
        (["twelve"], "Cannot read target 'twelve'"),
        (
            [str(experiment_id), "--device", "host", "--delegate", "gpu"],
            "The host runs the cpu or xnnpack delegate",
        ),
        ([str(experiment_id), "--device", "host", "--runs", "0"], "--runs must be at least 1"),
        (
            [str(experiment_id), "--device", "R58M41", "--allow-busy"],
            "--allow-busy applies to host benches",
        ),
    ]
    for args, message in cases:
        result = run_cnnlab("bench", *args, "--db", str(store.path))
        assert result.returncode == 2, args
        assert message in result.stderr, result.stderr


def test_phone_bench_job_through_adb(  # type: ignore[no-untyped-def]
    run_cnnlab, converted, prepared_phone: Any, address: AdbServerAddress
) -> None:
    store, experiment_id, _ = converted
    (store.path.parent / "cnnlab.toml").write_text(f"[devices]\nadb_port = {address.port}\n")
    result = run_cnnlab(
        "bench",
        str(experiment_id),
        "--device",
        prepared_phone.serial,
        "--runs",
        "6",
        "--warmup",
        "2",
        "--cpu-mask",
        "f0",
        "--json",
        "--db",
        str(store.path),
    )
    assert result.returncode == 0, result.stderr
    [bench] = json.loads(result.stdout)["ids"]
    follow = run_cnnlab("logs", str(bench), "-f", "--db", str(store.path))
    assert "bench_done" in follow.stdout, follow.stdout
    [run] = list_bench_runs(open_store(store.path), bench)
    assert run.cpu_mask == "f0"
    assert run.runs == 6
    assert run.id is not None
    assert len(get_samples(store, run.id)) == 6
    phone = next(d for d in list_devices(store) if d.serial == prepared_phone.serial)
    assert phone.model == "SM-G950F"


def test_an_unplugged_phone_fails_the_job_and_keeps_the_samples(  # type: ignore[no-untyped-def]
    run_cnnlab, converted, prepared_phone: Any, address: AdbServerAddress
) -> None:
    store, experiment_id, _ = converted
    (store.path.parent / "cnnlab.toml").write_text(f"[devices]\nadb_port = {address.port}\n")
    result = run_cnnlab(
        "bench",
        str(experiment_id),
        "--device",
        prepared_phone.serial,
        "--runs",
        "400",
        "--warmup",
        "0",
        "--json",
        "--db",
        str(store.path),
    )
    assert result.returncode == 0, result.stderr
    [bench] = json.loads(result.stdout)["ids"]
    import time

    deadline = time.monotonic() + 120
    while (
        open_store(store.path).read("SELECT progress_step FROM experiments WHERE id = ?", (bench,))[
            0
        ][0]
        or 0
    ) < 5:
        assert time.monotonic() < deadline, "the benchmark never started"
        time.sleep(0.1)
    prepared_phone.stop()  # the cable is pulled
    run_cnnlab("logs", str(bench), "-f", "--db", str(store.path))
    job = get_detail(open_store(store.path), bench).experiment
    assert job.status == "failed"
    assert job.error is not None
    assert re.search(
        rf"device {re.escape(prepared_phone.serial)} disconnected after \d+ of 400", job.error
    )
    [run] = list_bench_runs(store, bench)
    assert run.id is not None
    assert 5 <= len(get_samples(store, run.id)) < 400


def test_a_profiled_phone_bench_shows_where_the_time_goes(  # type: ignore[no-untyped-def]
    run_cnnlab, store: Store, tflite_model: Path, prepared_phone: Any, address: AdbServerAddress
) -> None:
    """`--profile-ops` end to end: the job, the stored profile, `cnnlab profile` with bars, and
    two devices' (here: two delegates') profiles side by side."""
    layers = ["conv2d", "max_pooling2d", "depthwise_conv2d", "global_average_pooling2d", "dense"]
    owner = create_experiment(store, "train", name="tiny", model="tiny_cnn", status="done")
    add_artifact(store, owner, "tflite", tflite_model, meta={"mode": "float", "layers": layers})
    (store.path.parent / "cnnlab.toml").write_text(f"[devices]\nadb_port = {address.port}\n")
    db = ("--db", str(store.path))
    refused = run_cnnlab("bench", str(owner), "--device", "host", "--profile-ops", *db)
    assert refused.returncode == 2 and "--profile-ops needs TFLite's benchmark_model" in (
        refused.stderr
    )
    common = ("--device", prepared_phone.serial, "--runs", "3", "--warmup", "1", "--profile-ops")
    done = run_cnnlab("bench", str(owner), *common, "--wait", *db)
    assert done.returncode == 0, done.stdout + done.stderr
    (prepared_phone.root / ".delegation").write_text("partial:1")
    done = run_cnnlab("bench", str(owner), *common, "--delegate", "gpu", "--wait", *db)
    assert done.returncode == 0, done.stdout + done.stderr
    cpu_job, _ = get_detail(store, owner).children
    events = get_detail(store, cpu_job).events
    assert "op_profile" in [e.kind for e in events]
    assert any("slowest layer" in e.message for e in events)
    shown = run_cnnlab("profile", str(owner), *db)
    assert shown.returncode == 0, shown.stderr
    for layer in layers:
        assert layer in shown.stdout
    assert "█" in shown.stdout and "GPU delegate" in shown.stdout
    assert "Side by side: A = " in shown.stdout and "B/A" in shown.stdout
    [cpu, gpu] = json.loads(run_cnnlab("profile", str(owner), "--json", *db).stdout)
    assert [entry["layer"] for entry in cpu["layers"]] == layers
    assert cpu["delegate"] == "cpu" and gpu["delegate"] == "gpu"
    assert abs(sum(entry["percent"] for entry in gpu["layers"]) - 100) < 1e-6
    missing = run_cnnlab("profile", "999", *db)
    assert missing.returncode == 2 and "No experiment with id 999" in missing.stderr
