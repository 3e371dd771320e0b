"""Devices keep their first sighting; bench runs keep every latency sample exactly."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab.store import (
    BenchRun,
    Device,
    InvalidValue,
    Store,
    add_artifact,
    add_bench_run,
    create_experiment,
    delete_experiments,
    get_samples,
    list_bench_runs,
    list_devices,
    upsert_device,
)

PHONE = Device(
    serial="ce0217123456",
    kind="adb",
    manufacturer="samsung",
    model="SM-G950F",
    soc="exynos8895",
    abi="arm64-v8a",
    cpu_cores=8,
    cpu_max_khz=[1690000] * 4 + [2314000] * 4,
    ram_bytes=4 << 30,
    android_release="9",
    sdk=28,
)


def test_upsert_keeps_first_seen_and_refreshes_identity(store: Store) -> None:
    first_id = upsert_device(store, PHONE)
    [first] = list_devices(store)
    again = upsert_device(store, Device(**{**PHONE.__dict__, "android_release": "10", "sdk": 29}))
    [second] = list_devices(store)
    assert again == first_id
    assert second.first_seen == first.first_seen
    assert second.last_seen is not None and first.last_seen is not None
    assert second.last_seen >= first.last_seen
    assert (second.android_release, second.sdk, second.cpu_max_khz) == ("10", 29, PHONE.cpu_max_khz)
    upsert_device(store, Device(serial="host", kind="host", cpu_cores=2))
    assert [d.serial for d in list_devices(store)] == ["host", "ce0217123456"]
    with pytest.raises(InvalidValue):
        upsert_device(store, Device(serial="x", kind="ios"))


def test_bench_run_samples_round_trip_as_float32(store: Store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    parent = create_experiment(store, "convert")
    model = tmp_path / "m.tflite"
    model.write_bytes(b"TFL3")
    artifact_id = add_artifact(store, parent, "tflite", model)
    device_id = upsert_device(store, PHONE)
    bench = create_experiment(store, "bench", parent_id=parent)
    samples = np.random.default_rng(0).gamma(9.0, 150.0, size=1000)
    run_id = add_bench_run(
        store,
        BenchRun(
            experiment_id=bench,
            artifact_id=artifact_id,
            device_id=device_id,
            threads=4,
            cpu_mask="f0",
            warmup_runs=10,
            runs=1000,
            mean_us=float(samples.mean()),
            median_us=float(np.median(samples)),
            init_us=5400.0,
            temp_before_c=31.5,
            command="taskset f0 /data/local/tmp/benchmark_model --graph=m.tflite",
            extra={"binary": "2.16"},
        ),
        samples,
    )
    stored = np.array(get_samples(store, run_id))
    np.testing.assert_array_equal(stored, samples.astype(np.float32))
    [run] = list_bench_runs(store, bench)
    assert (run.id, run.threads, run.cpu_mask, run.extra) == (run_id, 4, "f0", {"binary": "2.16"})
    delete_experiments(store, [bench])
    assert store.read("SELECT count(*) FROM latency_samples")[0][0] == 0
