"""Figures for the device layer: host runner overhead, run-to-run spread, loopback phone time.

1. Host runner overhead: `benchmark_host`'s median against a bare LiteRT `invoke()` loop timed
   as a whole, in the same process, interleaved (target: within 2%).
2. Run-to-run spread of the host median over 5 repeats, each in a fresh process as a bench job
   would be: how far apart two models must be before one can be called faster.
3. Time to benchmark four zoo models, 100 samples each (plus the 100-run summary invocation),
   on the loopback phone through Debian's adb server.

Run: .venv/bin/python bench/devices_bench.py [--samples 100] [--parts overhead,spread,phone]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# (zoo name, square input size or None for the model's own); paper 001 timed four models.
MODELS = (
    ("alexnet", None),
    ("alexnet_separable", None),
    ("squeezenet", 96),
    ("mobilenet_v2", 96),
)


def convert(name: str, size: int | None, folder: Path) -> Path:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    from cnnlab.models import build_model

    model = build_model(name, size)
    path = folder / f"{name}.tflite"
    path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    return path


def overhead(model: Path, runs: int, rounds: int) -> dict[str, float]:
    from cnnlab.devices import benchmark_host
    from cnnlab.devices.host import load_interpreter

    interpreter = load_interpreter(model)
    invoke = interpreter.invoke
    for _ in range(20):
        invoke()
    bare: list[float] = []
    runner: list[float] = []
    runner_mean: list[float] = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        for _ in range(runs):
            invoke()
        bare.append((time.perf_counter_ns() - start) / runs / 1000)
        result = benchmark_host(model, runs=runs, warmup=20)
        assert result.summary is not None
        runner.append(result.summary.median_us)
        runner_mean.append(result.summary.mean_us)
    bare_us = statistics.median(bare)
    runner_us = statistics.median(runner)
    mean_us = statistics.median(runner_mean)
    return {
        "bare_loop_mean_us": bare_us,
        "runner_median_us": runner_us,
        "runner_mean_us": mean_us,
        "median_vs_bare_pct": 100 * (runner_us - bare_us) / bare_us,
        "mean_vs_bare_pct": 100 * (mean_us - bare_us) / bare_us,
    }


def spread(model: Path, runs: int, repeats: int) -> dict[str, object]:
    code = (
        "import sys; from pathlib import Path; from cnnlab.devices import benchmark_host\n"
        f"r = benchmark_host(Path(sys.argv[1]), runs={runs}, warmup=10)\n"
        "print(r.summary.median_us)"
    )
    medians = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", code, str(model)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        medians.append(float(out.stdout.strip().splitlines()[-1]))
    mid = statistics.median(medians)
    return {
        "medians_us": medians,
        "range_pct": 100 * (max(medians) - min(medians)) / mid,
        "cv_pct": 100 * statistics.pstdev(medians) / statistics.fmean(medians),
    }


def phone_timing(models: dict[str, Path], samples: int, work: Path) -> dict[str, object]:
    spec = importlib.util.spec_from_file_location(
        "adb_fixture", ROOT / "tests/support/adb_fixture.py"
    )
    assert spec is not None and spec.loader is not None
    support = importlib.util.module_from_spec(spec)
    sys.modules["adb_fixture"] = support
    spec.loader.exec_module(support)
    from cnnlab.devices import AdbServerAddress, benchmark_phone, prepare_phone

    binary = work / "benchmark_model"
    binary.write_bytes(support.elf_header(183) + bytes(64))
    timings: dict[str, object] = {}
    with support.adb_server(work / "adb-home") as server:
        phone = support.start_phone(server, work / "phone")
        try:
            address = AdbServerAddress("127.0.0.1", server.port)
            prepare_phone(address, phone.serial, binary)
            total = time.perf_counter()
            for name, path in models.items():
                start = time.perf_counter()
                result = benchmark_phone(address, phone.serial, path, runs=samples, warmup=10)
                assert len(result.samples_us) == samples and result.summary is not None
                seconds = time.perf_counter() - start
                timings[name] = {
                    "seconds": seconds,
                    "seconds_per_sample": seconds / samples,
                    "samples_median_us": result.summary.median_us,
                    "steady_median_us": (result.extra.get("summary_run") or {}).get("median_us"),
                    "invocations": len((result.command or "").split("\n")),
                }
            timings["total_seconds"] = time.perf_counter() - total
            # The other settings, on the first model: cold samples, and an op profile on top.
            first, path = next(iter(models.items()))
            for setting, options in (
                ("cold", {"cold": True}),
                ("profile_ops", {"profile_ops": True}),
            ):
                start = time.perf_counter()
                result = benchmark_phone(
                    address, phone.serial, path, runs=samples, warmup=10, **options
                )
                seconds = time.perf_counter() - start
                timings[f"{first} {setting}"] = {
                    "seconds": seconds,
                    "seconds_per_sample": seconds / samples,
                    "layers": len(result.extra.get("layer_profile") or []),
                }
        finally:
            phone.stop()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument(
        "--parts", default="overhead,spread,phone", help="Comma-separated subset to run."
    )
    args = parser.parse_args()
    report: dict[str, object] = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
    }
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        models = {name: convert(name, size, work) for name, size in MODELS}
        parts = args.parts.split(",")
        if "overhead" in parts:
            report["overhead"] = {
                name: overhead(models[name], runs=200, rounds=5)
                for name in ("alexnet", "squeezenet")
            }
            print(json.dumps(report["overhead"], indent=2), flush=True)
        if "spread" in parts:
            report["spread"] = {
                name: spread(models[name], args.samples, 5) for name in ("alexnet", "squeezenet")
            }
            print(json.dumps(report["spread"], indent=2), flush=True)
        if "phone" in parts:
            report["loopback_phone"] = phone_timing(models, args.samples, work)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
