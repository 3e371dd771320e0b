"""Engine overhead and epoch-to-store latency for issue 4, against a bare `model.fit` script.

Both sides run as whole processes on the same synthetic images, model and epochs: the bare
script imports TensorFlow, builds the pipeline and model, fits and saves `model.keras`; cnnlab
goes through `cnnlab train --wait` (submit, scheduler, job process, per-epoch store writes and
checkpoints, SavedModel export). A watcher polls the store every 10 ms to see when each epoch
row becomes readable.

Run: .venv/bin/python bench/engine_bench.py [--epochs 5] [--per-class 300] [--repeats 2]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

from cnnlab.store import get_detail, list_epochs, open_store

BARE = textwrap.dedent("""
    import sys
    import keras
    from cnnlab.data import load_training_data
    from cnnlab.models import build_model
    data_path, epochs, batch, size, out = sys.argv[1:]
    keras.utils.set_random_seed(1)
    data = load_training_data(data_path, input_size=int(size), batch=int(batch), seed=1)
    model = build_model("alexnet", int(size), data.num_classes)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(data.train, validation_data=data.validation, epochs=int(epochs), verbose=2)
    model.save(out)
""")


def run_bare(data: Path, epochs: int, batch: int, size: int, folder: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-c",
            BARE,
            str(data),
            str(epochs),
            str(batch),
            str(size),
            str(folder / "bare.keras"),
        ],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def run_cnnlab(
    data: Path, epochs: int, batch: int, size: int, db: Path
) -> tuple[float, list[float]]:
    """Wall time of `cnnlab train --wait`, and each epoch's write-to-readable latency."""
    seen: dict[int, float] = {}
    stop = threading.Event()

    def watch() -> None:
        while not db.exists() and not stop.is_set():
            time.sleep(0.01)
        with open_store(db) as store:
            while not stop.is_set():
                rows = store.read("SELECT max(id) FROM experiments")
                if rows and rows[0][0]:
                    for epoch in list_epochs(store, rows[0][0]):
                        seen.setdefault(epoch.epoch, time.time())
                time.sleep(0.01)

    db.parent.mkdir(parents=True, exist_ok=True)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cnnlab",
            "train",
            "--model",
            "alexnet",
            "--data",
            str(data),
            "--epochs",
            str(epochs),
            "--batch",
            str(batch),
            "--input",
            str(size),
            "--patience",
            "-1",
            "--wait",
            "--db",
            str(db),
        ],
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - start
    stop.set()
    watcher.join()
    with open_store(db) as store:
        experiment_id = store.read("SELECT max(id) FROM experiments")[0][0]
        epochs_written = {e.epoch: e.at for e in list_epochs(store, experiment_id)}
        detail = get_detail(store, experiment_id)
    latencies = [seen[n] - at for n, at in epochs_written.items() if n in seen]
    e = detail.experiment
    fit = next((ev.data["seconds"] for ev in detail.events if ev.kind == "fit_done"), None)
    started = next(ev.at for ev in detail.events if ev.kind == "started")
    print(
        f"    cnnlab run {experiment_id}: queued->job started {started - e.created_at:.2f} s,"
        f" fit {fit:.1f} s, epochs total {e.train_seconds:.1f} s,"
        f" after fit (save + SavedModel export) {(e.finished_at or 0) - started - (fit or 0):.1f} s"
    )
    return wall, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--per-class", type=int, default=300)
    parser.add_argument("--classes", type=int, default=5)
    parser.add_argument("--size", type=int, default=48)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    print(
        f"machine: {platform.platform()}, {platform.machine()}, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = folder / "images"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "cnnlab",
                "data",
                "synth",
                str(data),
                "--classes",
                str(args.classes),
                "--per-class",
                str(args.per_class),
                "--size",
                "100",
                "--seed",
                "1",
            ],
            check=True,
            capture_output=True,
        )
        print(
            f"data: {args.classes} classes x {args.per_class} images (100x100 JPEG), "
            f"alexnet at {args.size}x{args.size}, batch {args.batch}, {args.epochs} epochs\n"
        )
        bare_times, cnnlab_times, latencies = [], [], []
        run_bare(data, 1, args.batch, args.size, folder)  # warm the page cache and bytecode
        for repeat in range(args.repeats):
            # Alternate which side goes first, so neither always meets a warmer machine.
            for side in ("bare", "cnnlab") if repeat % 2 == 0 else ("cnnlab", "bare"):
                if side == "bare":
                    bare_times.append(run_bare(data, args.epochs, args.batch, args.size, folder))
                else:
                    wall, lat = run_cnnlab(
                        data,
                        args.epochs,
                        args.batch,
                        args.size,
                        folder / f"r{repeat}" / "experiments.db",
                    )
                    cnnlab_times.append(wall)
                    latencies += lat
            print(
                f"  repeat {repeat + 1}: bare script {bare_times[-1]:.1f} s,"
                f" cnnlab train --wait {wall:.1f} s"
            )
        bare, ours = statistics.median(bare_times), statistics.median(cnnlab_times)
        print(
            f"\nwall time, median of {args.repeats}: bare {bare:.1f} s, cnnlab {ours:.1f} s,"
            f" ratio {ours / bare:.3f}"
        )
        print(
            f"epoch row written -> readable by another process: median "
            f"{statistics.median(latencies) * 1e3:.0f} ms, max {max(latencies) * 1e3:.0f} ms"
            f" over {len(latencies)} epochs"
        )


if __name__ == "__main__":
    main()
