"""Time from queueing a phone benchmark to its result while a long training runs (issue 16).

A training that does not end by itself (alexnet on a few generated images, no early stopping)
is queued and left to start; then a 10-sample benchmark on a loopback phone (Debian's adb and
tests/support's phone) is queued, and the seconds until its row ends are printed, with the same
benchmark queued on an idle scheduler as the baseline, measured in the same run. With the old
one-slot scheduler the bench waits for the training: the script gives up after --limit seconds
and says so. Run it in any checkout: `.venv/bin/python bench/queue_bench.py [--limit 120]`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _support(name: str) -> object:
    spec = importlib.util.spec_from_file_location(name, ROOT / f"tests/support/{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _cnnlab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cnnlab", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def _tflite(folder: Path) -> Path:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    model = keras.Sequential(
        [keras.Input((32, 32, 3)), keras.layers.Conv2D(8, 3), keras.layers.Flatten(),
         keras.layers.Dense(10)]
    )  # fmt: skip
    path = folder / "tiny.tflite"
    path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    return path


def _bench_seconds(db: Path, owner: int, serial: str, limit: float) -> float | None:
    """Seconds from `cnnlab bench` to the bench row's end, or None past `limit`."""
    from cnnlab.store import get_experiment, open_store

    started = time.perf_counter()
    queued = _cnnlab("bench", str(owner), "--device", serial, "--runs", "10", "--warmup", "1",
                     "--json", "--db", str(db))  # fmt: skip
    assert queued.returncode == 0, queued.stderr
    [bench] = json.loads(queued.stdout)["ids"]
    with open_store(db) as store:
        while time.perf_counter() - started < limit:
            if get_experiment(store, bench).status in ("done", "failed", "lost"):
                return time.perf_counter() - started
            time.sleep(0.2)
        _cnnlab("stop", str(bench), "--db", str(db))
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=120.0)
    args = parser.parse_args()
    adb = _support("adb_fixture")
    images = _support("images")
    from cnnlab.devices import AdbServerAddress, prepare_phone
    from cnnlab.store import add_artifact, create_experiment, get_experiment, open_store

    report: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "commit": _git("rev-parse", "--short", "HEAD"),
    }
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        db = work / "experiments.db"
        data = images.write_images(work / "data", ("apple", "pear"), per_class=16)  # type: ignore[attr-defined]
        binary = work / "benchmark_model"
        binary.write_bytes(adb.elf_header(183) + bytes(64))  # type: ignore[attr-defined]
        with adb.adb_server(work / "adb-home") as server:  # type: ignore[attr-defined]
            phone = adb.start_phone(server, work / "phone")  # type: ignore[attr-defined]
            try:
                prepare_phone(AdbServerAddress("127.0.0.1", server.port), phone.serial, binary)
                (work / "cnnlab.toml").write_text(f"[devices]\nadb_port = {server.port}\n")
                with open_store(db) as store:
                    owner = create_experiment(store, "train", model="tiny", status="done")
                    add_artifact(store, owner, "tflite", _tflite(work), meta={"mode": "float"})
                report["idle_s"] = _bench_seconds(db, owner, phone.serial, args.limit)
                endless = ("--epochs", "100000", "--patience", "-1")
                training = _cnnlab(
                    "train", "-m", "alexnet", "-d", str(data), *endless, "--json", "--db", str(db)
                )
                assert training.returncode == 0, training.stderr
                train_id = json.loads(training.stdout)["id"]
                with open_store(db) as store:
                    deadline = time.monotonic() + 120
                    while get_experiment(store, train_id).progress_epoch is None:
                        assert time.monotonic() < deadline, "the training never started"
                        time.sleep(0.5)
                report["beside_training_s"] = _bench_seconds(db, owner, phone.serial, args.limit)
                report["limit_s"] = args.limit
                _cnnlab("stop", str(train_id), "--db", str(db))
                _cnnlab("engine", "stop", "--db", str(db))
            finally:
                phone.stop()
    print(json.dumps(report, indent=2))


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip()


if __name__ == "__main__":
    main()
