"""Benchmark of `cnnlab.keras.Recorder` (issue 17 item 2): what it costs a training, and how
soon an epoch it records can be on screen.

1. Overhead: the same compiled model and data trained by `model.fit` bare and with a Recorder,
   interleaved in one run (bare, recorded, recorded, bare, ... so that drift in the machine's
   load falls on both), `--repeats` fits of `--epochs` epochs each. An epoch's time is taken
   between successive `on_epoch_end`s of a timing callback listed last (so it includes the
   Recorder's own epoch write), in wall time and in this process's CPU time (all its threads);
   each fit's first epoch is dropped. On a shared machine both move with other load, so the
   Recorder's own work is also measured directly: the time spent in its hooks on the fit's
   thread, and its watcher thread's CPU time (/proc/self/task/TID/stat), per epoch.
2. Epoch-to-screen: a reader process polls the database every millisecond with the TUI's own
   read (`cnnlab.tui.reads.read_news`, on its own connection, as the TUI's worker does) while
   a recorded fit runs; the delay is from the Recorder's `on_epoch_end` being entered (a
   callback listed just before it stamps the time) to the reader seeing that epoch. The TUI
   polls every `POLL_INTERVAL_S` on top of this.

Run: `.venv/bin/python bench/recorder_bench.py [--steps 200] [--epochs 6] [--repeats 6]`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def reader(db: str, out: str, epochs: int) -> None:
    """The reader process: poll as the TUI does until `epochs` epochs of experiment 1 are seen."""
    from cnnlab.store import open_store
    from cnnlab.tui.reads import read_news

    seen: dict[int, float] = {}
    with open_store(db) as store:
        Path(out + ".ready").touch()  # imports done: the fit may start
        last = 0
        deadline = time.monotonic() + 600
        while len(seen) < epochs and time.monotonic() < deadline:
            try:
                news = read_news(store, 1, last, 0)
            except Exception:  # the row is not there yet
                time.sleep(0.001)
                continue
            now = time.time()
            for epoch in news.epochs:
                seen.setdefault(epoch.epoch, now)
                last = max(last, epoch.epoch)
            time.sleep(0.001)
    Path(out).write_text(json.dumps(seen))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200, help="steps per epoch")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=6, help="epochs per fit (first dropped)")
    parser.add_argument("--repeats", type=int, default=6, help="fits of each kind")
    parser.add_argument("--latency-epochs", type=int, default=20)
    parser.add_argument("--reader", nargs=3, metavar=("DB", "OUT", "EPOCHS"))
    args = parser.parse_args()
    if args.reader:
        reader(args.reader[0], args.reader[1], int(args.reader[2]))
        return
    import keras
    import numpy as np

    keras.utils.set_random_seed(0)
    n = args.steps * args.batch
    rng = np.random.default_rng(0)
    x = rng.random((n, 32, 32, 3), dtype="float32")
    y = rng.integers(0, 10, n)
    model = keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    print(
        f"model: {model.count_params():,} parameters, 32x32x3 inputs; {args.steps} steps of "
        f"{args.batch} per epoch; {args.repeats} fits of {args.epochs} epochs each way"
    )
    model.fit(x, y, batch_size=args.batch, epochs=1, verbose=0)  # trace once, untimed
    with tempfile.TemporaryDirectory() as folder:
        overhead(model, x, y, args, Path(folder) / "experiments.db")
        latency(model, x, y, args, Path(folder))


def overhead(model: Any, x: Any, y: Any, args: argparse.Namespace, db: Path) -> None:
    wall: dict[str, list[float]] = {"bare": [], "recorder": []}
    cpu: dict[str, list[float]] = {"bare": [], "recorder": []}
    inside: list[float] = []  # seconds per epoch in the Recorder's hooks, on the fit's thread
    beside: list[float] = []  # CPU seconds per epoch of the Recorder's watcher thread
    order = ["bare", "recorder", "recorder", "bare"]
    for repeat in range(args.repeats * 2):
        kind = order[repeat % 4]
        timer = Timer()
        recorder = timed_recorder(f"bench {repeat}", db)
        callbacks = [recorder, timer] if kind == "recorder" else [timer]
        model.fit(x, y, batch_size=args.batch, epochs=args.epochs, verbose=0, callbacks=callbacks)
        wall[kind].extend(timer.epoch_seconds())
        cpu[kind].extend(timer.epoch_cpu())
        if kind == "recorder":
            inside.append(recorder.hook_seconds / args.epochs)
            beside.append(recorder.watcher_cpu / args.epochs)
        median = statistics.median(timer.epoch_seconds())
        print(f"  fit {repeat + 1:2d} {kind:8s} median epoch {median:.3f} s wall")
    print(f"per epoch, median of {len(wall['bare'])} epochs each (machine shared, so noisy):")
    for name, figures in (("wall", wall), ("process CPU", cpu)):
        bare, recorded = statistics.median(figures["bare"]), statistics.median(figures["recorder"])
        print(
            f"  {name:12s} bare {bare:.3f} s, with Recorder {recorded:.3f} s: "
            f"{100 * (recorded / bare - 1):+.2f} %"
        )
    epoch = statistics.median(wall["bare"])
    hooks, thread = statistics.median(inside), statistics.median(beside)
    print(
        f"  the Recorder's own work per epoch: {1000 * hooks:.2f} ms in its hooks on the fit's "
        f"thread ({100 * hooks / epoch:.3f} % of a bare epoch), {1000 * thread:.1f} ms CPU in "
        f"its watcher thread ({100 * thread / epoch:.3f} %)"
    )


def timed_recorder(name: str, db: Path) -> Any:
    """A Recorder that also adds up the time spent in its hooks and its watcher's CPU time."""
    from cnnlab.keras import Recorder

    class Timed(Recorder):  # type: ignore[misc]
        hook_seconds = 0.0
        watcher_cpu = 0.0

        def _timed(self, hook: Any, *args: Any) -> None:
            started = time.perf_counter()
            hook(*args)
            self.hook_seconds += time.perf_counter() - started

        def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
            self._timed(super().on_train_batch_begin, batch, logs)

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self._timed(super().on_epoch_begin, epoch, logs)

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self._timed(super().on_epoch_end, epoch, logs)

        def on_train_end(self, logs: Any = None) -> None:
            thread = self._watcher._thread.native_id
            stat = Path(f"/proc/self/task/{thread}/stat").read_text().rsplit(")", 1)[1].split()
            self.watcher_cpu = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
            super().on_train_end(logs)

    return Timed(name, db=db)


def latency(model: Any, x: Any, y: Any, args: argparse.Namespace, folder: Path) -> None:
    from cnnlab.keras import Recorder
    from cnnlab.tui.app import POLL_INTERVAL_S

    db, out = folder / "latency.db", folder / "seen.json"
    steps = 20  # short epochs: many epochs to time, each a write the reader must see
    command = [sys.executable, __file__, "--reader", str(db), str(out), str(args.latency_epochs)]
    process = subprocess.Popen(command)
    while not Path(f"{out}.ready").exists():
        time.sleep(0.05)
    stamp = Stamp()
    model.fit(
        x[: steps * args.batch],
        y[: steps * args.batch],
        batch_size=args.batch,
        epochs=args.latency_epochs,
        verbose=0,
        callbacks=[stamp, Recorder("latency", db=db)],
    )
    process.wait(timeout=120)
    seen = {int(k): v for k, v in json.loads(out.read_text()).items()}
    delays = sorted(1000 * (seen[e] - stamp.at[e]) for e in stamp.at if e in seen)
    print(f"epoch to store-visible ({len(delays)} epochs, reader polling every 1 ms):")
    print(f"  median {statistics.median(delays):.1f} ms, max {max(delays):.1f} ms")
    worst = statistics.median(delays) / 1000 + POLL_INTERVAL_S
    print(f"  the TUI polls every {POLL_INTERVAL_S} s on top: on screen within {worst:.2f} s")


def _keras_callback() -> Any:
    import keras

    return keras.callbacks.Callback


class Timer(_keras_callback()):  # type: ignore[misc]
    """Epoch times between successive on_epoch_end calls; the fit's first epoch dropped."""

    def __init__(self) -> None:
        super().__init__()
        self.ends: list[float] = []
        self.cpu: list[float] = []

    def on_train_begin(self, logs: Any = None) -> None:
        self.ends = [time.perf_counter()]
        self.cpu = [time.process_time()]

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.ends.append(time.perf_counter())
        self.cpu.append(time.process_time())

    def epoch_seconds(self) -> list[float]:
        return [b - a for a, b in zip(self.ends, self.ends[1:], strict=False)][1:]

    def epoch_cpu(self) -> list[float]:
        return [b - a for a, b in zip(self.cpu, self.cpu[1:], strict=False)][1:]


class Stamp(_keras_callback()):  # type: ignore[misc]
    """When each epoch's on_epoch_end reached the callback after it (the Recorder)."""

    def __init__(self) -> None:
        super().__init__()
        self.at: dict[int, float] = {}

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.at[epoch + 1] = time.time()


if __name__ == "__main__":
    main()
