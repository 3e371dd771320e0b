"""Store and CLI start-up figures for issue 2, each beside a baseline measured in the same run.

Prints: the time to append one epoch through the store API (vs a bare INSERT), the first page of
100,000 experiments newest first / by status / by best validation accuracy (vs the same query
with its index disabled), bytes on disk per experiment with 20 epochs of 4 metrics, and
`cnnlab --help` as a whole process (vs `python -c pass`).

Run: .venv/bin/python bench/store_bench.py [--experiments 100000]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cnnlab.store import (
    ExperimentQuery,
    append_epoch,
    append_event,
    create_experiment,
    list_experiments,
    open_store,
    set_status,
    update_summary,
)

SPEC = {
    "model": "mobilenet_v2",
    "data": "data/fruits360",
    "epochs": 50,
    "batch": 32,
    "lr": 0.001,
    "optimizer": "adam",
    "patience": 5,
    "monitor": "val_accuracy",
    "input": 100,
    "width": 1.0,
    "seed": 1,
    "val_split": 0.2,
}


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def ms(samples: list[float]) -> str:
    median, p90 = statistics.median(samples) * 1e3, quantile(samples, 0.9) * 1e3
    return f"median {median:7.3f} ms  p90 {p90:7.3f} ms"


def quantile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_append(folder: Path, count: int) -> None:
    store = open_store(folder / "append.db")
    experiment_id = create_experiment(store, "train", spec=SPEC)
    epoch = iter(range(1, count + 1))
    metrics = {"loss": 0.5, "accuracy": 0.8, "val_loss": 0.6, "val_accuracy": 0.75}
    api = timed(
        lambda: append_epoch(store, experiment_id, next(epoch), metrics, lr=1e-3, seconds=113.0),
        count,
    )
    raw_epoch = iter(range(count + 1, 2 * count + 1))
    raw = timed(
        lambda: store.conn.execute(
            "INSERT INTO epochs (experiment_id, epoch, loss, accuracy, val_loss, val_accuracy, lr,"
            " seconds, at) VALUES (?, ?, 0.5, 0.8, 0.6, 0.75, 0.001, 113.0, 0)",
            (experiment_id, next(raw_epoch)),
        ),
        count,
    )
    print(f"append one epoch (store API, {count}x):   {ms(api)}")
    print(f"  baseline bare INSERT, autocommit:     {ms(raw)}")
    ratio = statistics.median(api) / statistics.median(raw)
    print(f"  ratio API / bare INSERT (medians):    {ratio:.2f}")
    store.close()


def fill(path: Path, count: int) -> None:
    """Write `count` experiments quickly (one transaction), shaped like real ones."""
    store = open_store(path)
    rng = random.Random(0)
    statuses = ["done"] * 70 + ["failed"] * 10 + ["stopped"] * 5 + ["queued"] * 10 + ["running"] * 5
    models = ["alexnet", "alexnet_separable", "mobilenet_v1", "mobilenet_v2", "efficientnet_b0"]
    spec = json.dumps(SPEC, separators=(",", ":"))
    now = time.time()
    rows = []
    for index in range(count):
        status = rng.choice(statuses)
        accuracy = rng.uniform(0.3, 0.999) if status == "done" else None
        rows.append(
            (
                f"run {index}",
                rng.choice(["train", "train", "convert", "bench"]),
                status,
                rng.choice(models),
                spec,
                now - (count - index) * 60,
                accuracy,
                20,
            )
        )
    with store.write() as conn:
        conn.executemany(
            "INSERT INTO experiments (name, kind, status, model, spec, created_at,"
            " best_val_accuracy, epochs_run) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    store.conn.execute("ANALYZE")
    store.close()


def bench_listing(folder: Path, count: int) -> None:
    path = folder / "list.db"
    start = time.perf_counter()
    fill(path, count)
    print(f"\n{count:,} experiments written in {time.perf_counter() - start:.1f} s")
    store = open_store(path)
    queries = {
        "first page, newest first": ExperimentQuery(limit=100),
        "first page, status=running": ExperimentQuery(status=("running",), limit=100),
        "top 100 by best val_accuracy": ExperimentQuery(sort="best_val_accuracy", limit=100),
    }
    scan = "SELECT * FROM experiments NOT INDEXED"
    newest = "ORDER BY created_at DESC, id DESC LIMIT 100"
    unindexed = {
        "first page, newest first": f"{scan} {newest}",
        "first page, status=running": f"{scan} WHERE status = 'running' {newest}",
        "top 100 by best val_accuracy": f"{scan} ORDER BY best_val_accuracy DESC LIMIT 100",
    }
    for label, query in queries.items():
        assert len(list_experiments(store, query)) == 100
        api = timed(lambda q=query: list_experiments(store, q), 50)  # type: ignore[misc]
        scan = timed(lambda s=unindexed[label]: store.conn.execute(s).fetchall(), 10)  # type: ignore[misc]
        print(
            f"{label:<30} {ms(api)}   (no index: {ms(scan)};"
            f" {statistics.median(scan) / statistics.median(api):.0f}x slower)"
        )
    store.close()


def bench_disk(folder: Path, count: int) -> None:
    path = folder / "disk.db"
    store = open_store(path)
    empty = path.stat().st_size
    for index in range(count):
        experiment_id = create_experiment(
            store,
            "train",
            name=f"fruit run {index}",
            spec=SPEC,
            model="mobilenet_v2",
            dataset="data/fruits360",
        )
        set_status(store, experiment_id, "running", pid=4242, host="gpu-01")
        append_event(store, experiment_id, "started", "pid 4242 on gpu-01")
        for epoch in range(1, 21):
            append_epoch(
                store,
                experiment_id,
                epoch,
                {
                    "loss": 1 / epoch,
                    "accuracy": 0.5 + epoch / 50,
                    "val_loss": 1.1 / epoch,
                    "val_accuracy": 0.45 + epoch / 50,
                },
                lr=1e-3,
                seconds=113.0,
            )
        update_summary(
            store,
            experiment_id,
            best_metric="val_accuracy",
            best_value=0.85,
            best_epoch=20,
            final_metrics={"val_accuracy": 0.85, "loss": 0.05},
            stopped_early=False,
            train_seconds=2260.0,
            params=98379,
        )
        set_status(store, experiment_id, "done")
        append_event(store, experiment_id, "done", "20 epochs")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.conn.execute("VACUUM")
    size = path.stat().st_size
    store.close()
    print(
        f"\ndisk per experiment (20 epochs x 4 metrics + lr + seconds, 2 events, spec):"
        f" {(size - empty) / count:,.0f} bytes  ({count} experiments, {size:,} bytes in all)"
    )


def bench_help(repeat: int) -> None:
    def run(*args: str) -> None:
        subprocess.run([sys.executable, *args], check=True, capture_output=True)

    run("-m", "cnnlab", "--help")  # warm the file cache and bytecode
    baseline = timed(lambda: run("-c", "pass"), repeat)
    cli = timed(lambda: run("-m", "cnnlab", "--help"), repeat)
    print(f"\n`cnnlab --help` as a process ({repeat}x):  {ms(cli)}")
    print(f"  baseline `python -c pass`:            {ms(baseline)}")
    print(
        f"  cnnlab's own share (median difference): "
        f"{(statistics.median(cli) - statistics.median(baseline)) * 1e3:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--experiments", type=int, default=100_000)
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--disk-experiments", type=int, default=500)
    args = parser.parse_args()
    print(
        f"machine: {platform.platform()}, {platform.processor() or platform.machine()},"
        f" Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}\n"
    )
    with tempfile.TemporaryDirectory() as folder:
        bench_append(Path(folder), args.appends)
        bench_listing(Path(folder), args.experiments)
        bench_disk(Path(folder), args.disk_experiments)
        bench_help(20)


if __name__ == "__main__":
    main()
