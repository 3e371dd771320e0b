"""`cnnlab latency`: the Latency screen's rows from the shell, as a table with histograms, JSON
(every sample and the device's identity) or CSV; an unknown id is one error."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from cnnlab.store import (
    BenchRun,
    Device,
    Store,
    add_artifact,
    add_bench_run,
    create_experiment,
    open_store,
    upsert_device,
)

Invoke = Callable[..., Result]


def lab(db_path: Path) -> dict[str, int]:
    """One model in float and int8, benched on a phone's GPU (partly) and on its CPU."""
    with open_store(db_path) as store:
        owner = create_experiment(store, "import", status="done", model="alexnet")
        phone = upsert_device(
            store, Device(serial="R58M41", kind="adb", manufacturer="samsung", model="SM-G950F")
        )
        ids = {"owner": owner}
        for mode, size, top1, median_us, ran in (
            ("float", 9000, 0.90, 4000.0, None),
            ("int8", 2500, 0.88, 2000.0, "GPU partial (3 delegate kernels, rest on CPU)"),
        ):
            path = store.run_dir(owner) / f"{mode}.tflite"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"\0" * size)
            meta = {"mode": mode, "evaluation": {"top1": top1, "top3": top1 + 0.05}}
            artifact = add_artifact(store, owner, "tflite", path, meta=meta)
            ids[mode] = bench(store, owner, artifact, phone, median_us, ran)
    return ids


def bench(
    store: Store, owner: int, artifact: int, device: int, median_us: float, ran: str | None
) -> int:
    job = create_experiment(store, "bench", parent_id=owner)
    values = [median_us * (1 + 0.01 * (i % 7 - 3)) for i in range(21)]
    steady = {"count": 50, "median_us": median_us * 0.97, "avg_us": median_us * 0.98}
    extra: dict[str, object] = {"mode": "warm", "summary_run": steady}
    if ran:
        extra["delegation"] = {"requested": "gpu", "extent": "partial", "described": ran}
    run = BenchRun(
        experiment_id=job,
        artifact_id=artifact,
        device_id=device,
        runs=len(values),
        mean_us=sum(values) / len(values),
        median_us=sorted(values)[10],
        p90_us=sorted(values)[18],
        p99_us=max(values),
        extra=extra,
    )
    add_bench_run(store, run, values)
    return job


def test_the_table_json_and_csv_show_the_same_rows(invoke: Invoke, db_path: Path) -> None:
    ids = lab(db_path)

    table = invoke("latency", "--db", str(db_path))
    assert table.exit_code == 0, table.output
    assert "SM-G950F" in table.stdout and "GPU partial (3 delegate kernels" in table.stdout
    assert "3.88 ms (50)" in table.stdout  # the steady-state median, with its count
    assert "★" in table.stdout and "alexnet int8 · SM-G950F (warm)" in table.stdout  # histogram

    printed = invoke("latency", str(ids["owner"]), "--json", "--db", str(db_path))
    assert printed.exit_code == 0, printed.output
    rows = json.loads(printed.stdout)["rows"]
    assert [r["variant"] for r in rows] == ["float", "int8"]
    assert all(len(r["samples_ms"]) == 21 for r in rows)
    assert rows[1]["ran_on"] == "GPU partial (3 delegate kernels, rest on CPU)"
    assert rows[0]["ran_on"] == ""
    assert rows[1]["device_identity"]["serial"] == "R58M41"
    assert rows[1]["device_identity"]["manufacturer"] == "samsung"
    assert rows[1]["median_ms"] < rows[0]["median_ms"]
    # The tool's steady state is its own column, never mixed into the samples' figures.
    assert rows[0]["steady_ms"] == 4000.0 * 0.97 / 1000 and rows[0]["steady_n"] == 50
    assert rows[0]["median_ms"] == sorted(rows[0]["samples_ms"])[10]
    assert all(r["pareto"] for r in rows)  # int8 is faster, float more accurate

    as_csv = invoke("latency", "--csv", "--db", str(db_path))
    assert as_csv.exit_code == 0, as_csv.output
    parsed = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["variant"] for r in parsed] == ["float", "int8"]
    assert float(parsed[1]["median_ms"]) == rows[1]["median_ms"]


def test_an_unknown_id_is_one_error_and_an_empty_database_says_what_to_do(
    invoke: Invoke, db_path: Path
) -> None:
    empty = invoke("latency", "--db", str(db_path))
    assert empty.exit_code == 0 and "No benchmarks yet" in empty.stdout
    unknown = invoke("latency", "99", "--db", str(db_path))
    assert unknown.exit_code == 2
    assert unknown.stderr.strip().startswith("Error:") and "99" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1
