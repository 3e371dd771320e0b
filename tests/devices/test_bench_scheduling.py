"""The scheduler gives each job what it needs: a phone to one bench at a time, phones beside
trainings, a quiet host to a host bench (issue 16), with the real scheduler, adb and phones."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from cnnlab.devices import AdbServerAddress, prepare_phone
from cnnlab.engine import TrainSpec, scheduler_status, stop, submit
from cnnlab.store import (
    Experiment,
    Store,
    add_artifact,
    create_experiment,
    get_experiment,
    list_bench_runs,
)

TIMEOUT_S = 240


def owner_with_model(store: Store, tflite_model: Path, address: AdbServerAddress) -> int:
    owner = create_experiment(store, "train", name="tiny", model="tiny_cnn", status="done")
    add_artifact(store, owner, "tflite", tflite_model, meta={"mode": "float"})
    (store.path.parent / "cnnlab.toml").write_text(f"[devices]\nadb_port = {address.port}\n")
    return owner


def queue_bench(run_cnnlab: Any, store: Store, owner: int, *args: str) -> int:
    done = run_cnnlab("bench", str(owner), *args, "--json", "--db", str(store.path))
    assert done.returncode == 0, done.stderr
    [experiment_id] = json.loads(done.stdout)["ids"]
    return int(experiment_id)


def watch(store: Store, ids: list[int], until: Any) -> dict[int, set[str]]:
    """Poll the rows until `until()`; every `waiting_for` phrase each one showed."""
    seen: dict[int, set[str]] = {i: set() for i in ids}
    deadline = time.monotonic() + TIMEOUT_S
    while not until():
        assert time.monotonic() < deadline, {i: get_experiment(store, i).status for i in ids}
        for experiment_id in ids:
            reason = get_experiment(store, experiment_id).waiting_for
            if reason:
                seen[experiment_id].add(reason)
        time.sleep(0.1)
    return seen


def ended(store: Store, *ids: int) -> bool:
    return all(get_experiment(store, i).status in ("done", "failed", "lost") for i in ids)


def interval(experiment: Experiment) -> tuple[float, float]:
    assert experiment.started_at is not None and experiment.finished_at is not None
    return experiment.started_at, experiment.finished_at


@pytest.fixture
def two_phones(
    store: Store,
    tflite_model: Path,
    start_phone: Any,
    address: AdbServerAddress,
    aarch64_binary: Path,
) -> tuple[Any, Any, int]:
    """Two prepared loopback phones and an experiment owning a TFLite model to bench."""
    first, second = start_phone(), start_phone()
    for phone in (first, second):
        prepare_phone(address, phone.serial, aarch64_binary)
    return first, second, owner_with_model(store, tflite_model, address)


def test_one_bench_per_phone_two_phones_at_once_and_a_restart_keeps_the_claim(  # type: ignore[no-untyped-def]
    run_cnnlab, store: Store, two_phones: tuple[Any, Any, int]
) -> None:
    first, second, owner = two_phones
    runs = ("--runs", "8", "--warmup", "1")
    a1 = queue_bench(run_cnnlab, store, owner, "--device", first.serial, *runs)
    a2 = queue_bench(run_cnnlab, store, owner, "--device", first.serial, *runs)
    b1 = queue_bench(run_cnnlab, store, owner, "--device", second.serial, *runs)
    seen = watch(store, [a1, a2, b1], lambda: get_experiment(store, a1).status == "running")
    # The scheduler is killed while a bench holds the phone; the next one must still wait.
    pid = scheduler_status(store).pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    restarted = run_cnnlab("engine", "status", "--db", str(store.path))
    assert restarted.returncode == 0 and "scheduler   running" in restarted.stdout
    more = watch(store, [a1, a2, b1], lambda: ended(store, a1, a2, b1))
    rows = {i: get_experiment(store, i) for i in (a1, a2, b1)}
    assert {r.status for r in rows.values()} == {"done"}, {i: r.error for i, r in rows.items()}
    start_a1, end_a1 = interval(rows[a1])
    start_a2, _ = interval(rows[a2])
    start_b1, end_b1 = interval(rows[b1])
    assert start_a2 >= end_a1  # one phone never runs two benches at once
    assert start_b1 < end_a1 and start_a1 < end_b1  # two phones do
    assert f"waiting for phone {first.serial} (#{a1} runs on it)" in seen[a2] | more[a2]
    assert not seen[b1] | more[b1]  # the other phone never waited
    assert all(len(list_bench_runs(store, i)) == 1 for i in (a1, a2, b1))


def test_phones_beside_a_training_and_a_host_bench_waits_for_quiet(  # type: ignore[no-untyped-def]
    run_cnnlab,
    store: Store,
    tflite_model: Path,
    tiny_images: Path,
    prepared_phone: Any,
    address: AdbServerAddress,
) -> None:
    owner = owner_with_model(store, tflite_model, address)
    training = submit(
        store, TrainSpec(model="alexnet", data=str(tiny_images), epochs=10_000, patience=None)
    )
    watch(store, [training], lambda: get_experiment(store, training).progress_epoch is not None)
    runs = ("--runs", "5", "--warmup", "1")
    phone_bench = queue_bench(run_cnnlab, store, owner, "--device", prepared_phone.serial, *runs)
    quiet = queue_bench(run_cnnlab, store, owner, "--device", "host", *runs)
    busy = queue_bench(run_cnnlab, store, owner, "--device", "host", "--allow-busy", *runs)
    seen = watch(store, [phone_bench, quiet, busy], lambda: ended(store, phone_bench, busy))
    assert get_experiment(store, training).status == "running"  # both ended beside it
    assert get_experiment(store, quiet).status == "queued"
    assert "waiting for the host to be quiet (1 job running)" in seen[quiet]
    assert not seen[phone_bench]
    [busy_run] = list_bench_runs(store, busy)
    load = (busy_run.extra or {})["host_load"]
    assert load["busy"] and load["allowed_busy"]
    assert training in [other["id"] for other in load["others"]]
    shown = run_cnnlab("latency", str(owner), "--json", "--db", str(store.path))
    assert shown.returncode == 0, shown.stderr
    rows = json.loads(shown.stdout)["rows"]
    assert any("busy host (#" in row["ran_on"] for row in rows)
    stop(store, training)
    watch(store, [quiet], lambda: ended(store, quiet))
    [quiet_run] = list_bench_runs(store, quiet)
    assert get_experiment(store, quiet).status == "done"
    assert not (quiet_run.extra or {})["host_load"]["busy"]


def test_a_phone_that_disappears_fails_only_its_own_benches(  # type: ignore[no-untyped-def]
    run_cnnlab, store: Store, two_phones: tuple[Any, Any, int]
) -> None:
    first, second, owner = two_phones
    long_runs = ("--runs", "400", "--warmup", "0")
    a1 = queue_bench(run_cnnlab, store, owner, "--device", first.serial, *long_runs)
    a2 = queue_bench(run_cnnlab, store, owner, "--device", first.serial, "--runs", "4")
    b1 = queue_bench(run_cnnlab, store, owner, "--device", second.serial, "--runs", "8")
    ids = [a1, a2, b1]
    seen = watch(store, ids, lambda: (get_experiment(store, a1).progress_step or 0) >= 3)
    first.unplug()  # the cable is pulled mid-bench
    more = watch(store, ids, lambda: ended(store, *ids))
    rows = {i: get_experiment(store, i) for i in ids}
    assert rows[a1].status == "failed" and first.serial in (rows[a1].error or ""), rows[a1].error
    assert rows[b1].status == "done"  # the other phone never noticed
    # The next bench for the vanished phone was not left waiting for it: it ran and said why.
    assert rows[a2].status == "failed" and first.serial in (rows[a2].error or ""), rows[a2].error
    assert interval(rows[a2])[0] >= interval(rows[a1])[1]
    assert f"waiting for phone {first.serial} (#{a1} runs on it)" in seen[a2] | more[a2]
    assert all(row.waiting_for is None for row in rows.values())
