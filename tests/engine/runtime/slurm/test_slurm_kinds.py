"""Conversions and host benchmarks through a real single-node Slurm: they report only through
their run folder like training does, the .tflite lands on its source experiment, and the
benchmark's samples and device arrive with the node's name; phone benchmarks are refused."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from support.waiting import wait_for

from cnnlab.store import (
    get_experiment,
    list_artifacts,
    list_bench_runs,
    list_devices,
    open_store,
)

SLURM = ["--backend", "slurm", "--gpus", "0", "--sbatch-arg=--cpus-per-task=1"]


def queued_ids(result: Any) -> list[int]:
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)  # train and bench print {"ids": ...}, convert a list
    if isinstance(printed, list):
        return [int(job["id"]) for job in printed]
    return [int(i) for i in printed["ids"]]


def ended(db_path: Path, experiment_id: int) -> bool:
    with open_store(db_path) as store:
        return get_experiment(store, experiment_id).status in ("done", "failed", "lost")


def test_a_conversion_and_a_host_bench_run_on_a_node_and_report_through_files(
    slurm: Any, run_cnnlab: Any, db_path: Path, images: Path
) -> None:
    from cnnlab.engine import stop_scheduler

    train = [
        *("train", "--model", "alexnet", "--input", "32", "--batch", "8", "--epochs", "1"),
        *("--data", str(images), "--json", "--db", str(db_path)),
    ]
    try:
        (source,) = queued_ids(run_cnnlab(*train))
        wait_for(lambda: ended(db_path, source), 150.0, "the training")
        convert = run_cnnlab(
            "convert", str(source), "--mode", "float", *SLURM, "--json", "--db", str(db_path)
        )
        (conversion,) = queued_ids(convert)
        wait_for(lambda: ended(db_path, conversion), 150.0, "the conversion")
        with open_store(db_path) as store:
            converted = get_experiment(store, conversion)
            tflite = [a for a in list_artifacts(store, source) if a.kind == "tflite"]
            log = (store.run_dir(conversion) / "log.txt").read_text()
        assert converted.status == "done", (converted.error, log[-3000:])
        bench = run_cnnlab(
            *("bench", f"artifact:{tflite[0].id}", "--device", "host"),
            *("--runs", "5", "--warmup", "1", *SLURM, "--json", "--db", str(db_path)),
        )
        (benchmark,) = queued_ids(bench)
        wait_for(lambda: ended(db_path, benchmark), 150.0, "the benchmark")
        with open_store(db_path) as store:
            benched = get_experiment(store, benchmark)
            runs = list_bench_runs(store, benchmark)
            devices = {d.id: d for d in list_devices(store)}
            reports = [
                json.loads(line)["type"]
                for job in (conversion, benchmark)
                for line in (store.run_dir(job) / "report.jsonl").read_text().splitlines()
            ]
    finally:
        with open_store(db_path) as store:
            stop_scheduler(store)

    # The conversion ran on the node and its artifact reached its source through the report.
    assert (converted.backend, converted.host) == ("slurm", slurm.node)
    assert len(tflite) == 1 and tflite[0].bytes > 0 and len(tflite[0].sha256) == 64
    assert tflite[0].meta["mode"] == "float"
    assert tflite[0].meta["evaluation"]["images"] > 0
    assert Path(tflite[0].path).name == f"{conversion}-float.tflite"
    # The benchmark's samples and device came the same way, the device named by the node.
    assert benched.status == "done", benched.error
    assert (benched.backend, benched.host) == ("slurm", slurm.node)
    (run,) = runs
    assert run.runs == 5 and run.median_us is not None and run.median_us > 0
    assert run.device_id is not None
    assert devices[run.device_id].serial == f"host:{os.uname().nodename}"
    assert "bench_run" in reports and "artifact" in reports


def test_a_phone_benchmark_is_refused_on_slurm_before_anything_is_queued(
    run_cnnlab: Any, db_path: Path
) -> None:
    """No Slurm needed: the refusal comes at submit, naming why and what to do."""
    from cnnlab.store import add_artifact, create_experiment

    with open_store(db_path) as store:
        owner = create_experiment(store, "import", status="done", spec={"path": "m.keras"})
        model = store.run_dir(owner) / "m.tflite"
        model.parent.mkdir(parents=True)
        model.write_bytes(b"TFL3" * 16)
        artifact = add_artifact(store, owner, "tflite", model, meta={"mode": "float"})
    result = run_cnnlab(
        *("bench", f"artifact:{artifact}", "--device", "R58M41XYZ", "--backend", "slurm"),
        *("--db", str(db_path)),
    )
    assert result.returncode == 2
    assert "Phone R58M41XYZ is plugged into this machine" in result.stderr
    assert "--backend local" in result.stderr
    with open_store(db_path) as store:
        assert store.read("SELECT count(*) FROM experiments")[0][0] == 1
