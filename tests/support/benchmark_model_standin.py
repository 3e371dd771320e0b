"""Stands in for TFLite's `benchmark_model` on the loopback phone: same flags, same output.

It runs the model with LiteRT's interpreter on the host CPU and prints what the official tool
prints (`INFO: ` prefix, `count=... first=... curr=...` lines with percentiles, `Inference timings
in us: ...`, memory footprint lines), so the parser and the adb runner meet the real format.
GPU and NNAPI delegates are accepted and run on the CPU: there is no phone hardware here.
Each invocation appends a line to `$CNNLAB_LOOPBACK_ROOT/.runs` so tests can watch progress.
"""

from __future__ import annotations

import math
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

USAGE = """usage: benchmark_model
Flags:
\t--graph=\tstring\toptional\tgraph file name
\t--num_threads=-1\tint32\toptional\tnumber of threads
\t--num_runs=50\tint32\toptional\texpected number of runs
\t--min_secs=1\tfloat\toptional\tminimum number of seconds to rerun for
\t--max_secs=150\tfloat\toptional\tmaximum number of seconds to rerun for
\t--warmup_runs=1\tint32\toptional\tminimum number of runs performed on initialization
\t--warmup_min_secs=0.5\tfloat\toptional\tminimum number of seconds to rerun for
\t--use_xnnpack=false\tbool\toptional\texplicitly apply the XNNPACK delegate
\t--use_gpu=false\tbool\toptional\tuse gpu
\t--use_nnapi=false\tbool\toptional\tuse nnapi delegate api
\t--report_peak_memory_footprint=false\tbool\toptional\treport the peak memory footprint
"""


def _flags(argv: list[str]) -> dict[str, str]:
    flags = {}
    for arg in argv:
        if arg.startswith("--"):
            key, _, value = arg[2:].partition("=")
            flags[key] = value
    return flags


def _stat_line(times: list[int]) -> str:
    if not times:
        return "count=0"
    if len(set(times)) == 1:
        return f"count={len(times)} curr={times[-1]}" + ("(all same)" if len(times) > 1 else "")
    mean = sum(times) / len(times)
    std = math.sqrt(sum((t - mean) ** 2 for t in times) / len(times))
    ordered = sorted(times)

    def pct(q: float) -> int:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return (
        f"count={len(times)} first={times[0]} curr={times[-1]} min={ordered[0]} "
        f"max={ordered[-1]} avg={mean:.6g} std={round(std)} "
        f"p5={pct(0.05)} median={pct(0.5)} p95={pct(0.95)}"
    )


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load(graph: str, threads: int, flags: dict[str, str]) -> Any:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    resolver = (
        OpResolverType.AUTO
        if flags.get("use_xnnpack") == "true"
        else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    )
    try:
        interpreter = Interpreter(
            model_path=graph,
            num_threads=threads if threads > 0 else None,
            experimental_op_resolver_type=resolver,
        )
        interpreter.allocate_tensors()
    except (ValueError, RuntimeError):
        sys.stdout.write(
            "ERROR: The model is not a valid Flatbuffer buffer\n"
            f"ERROR: Failed to load model: {graph}\nERROR: Benchmarking failed.\n"
        )
        return None
    return interpreter


def main(argv: list[str]) -> int:
    flags = _flags(argv)
    if "help" in flags:
        print(USAGE)
        return 0
    out = sys.stdout
    out.write("INFO: STARTING!\nINFO: Log parameter values verbosely: [0]\n")
    graph = flags.get("graph", "")
    if not graph:
        out.write("ERROR: Please specify the name of your TF Lite input file with --graph\n")
        return 1
    threads = int(flags.get("num_threads", "-1"))
    warmup_runs = int(flags.get("warmup_runs", "1"))
    num_runs = int(flags.get("num_runs", "50"))
    out.write(f"INFO: Num threads: [{threads}]\nINFO: Graph: [{graph}]\n")
    if flags.get("use_gpu") == "true":
        out.write("INFO: Created TensorFlow Lite delegate for GPU.\n")
    if flags.get("use_nnapi") == "true":
        out.write("INFO: Created TensorFlow Lite delegate for NNAPI.\n")
    start_rss = _rss_mb()
    if not Path(graph).is_file():
        out.write(f"ERROR: Could not open '{graph}'.\nERROR: Benchmarking failed.\n")
        return 1
    started = time.perf_counter_ns()
    interpreter = _load(graph, threads, flags)
    if interpreter is None:
        return 1
    init_us = (time.perf_counter_ns() - started) // 1000
    init_rss = _rss_mb()
    out.write(f"INFO: Loaded model {graph}\nINFO: Initialized session in {init_us / 1000:.3f}ms.\n")

    def timed(count: int) -> list[int]:
        times = []
        for _ in range(count):
            begin = time.perf_counter_ns()
            interpreter.invoke()
            times.append(max(1, (time.perf_counter_ns() - begin) // 1000))
        return times

    out.write(
        f"INFO: Running benchmark for at least {warmup_runs} iterations and at least 0 seconds "
        "but terminate if exceeding 150 seconds.\n"
    )
    warmup = timed(warmup_runs)
    out.write(f"INFO: {_stat_line(warmup)}\n\n")
    out.write(
        f"INFO: Running benchmark for at least {num_runs} iterations and at least 0 seconds "
        "but terminate if exceeding 150 seconds.\n"
    )
    runs = timed(num_runs)
    out.write(f"INFO: {_stat_line(runs)}\n\n")
    everything = warmup + runs
    first = everything[0] if everything else 0
    warm_avg = sum(warmup) / len(warmup) if warmup else float("nan")
    run_avg = sum(runs) / len(runs) if runs else float("nan")
    out.write(
        f"INFO: Inference timings in us: Init: {init_us}, First inference: {first}, "
        f"Warmup (avg): {warm_avg:.6g}, Inference (avg): {run_avg:.6g}\n"
        "INFO: Note: as the benchmark tool itself affects memory footprint, the following is "
        "only APPROXIMATE to the actual memory footprint of the model at runtime. Take the "
        "information at your discretion.\n"
        f"INFO: Memory footprint delta from the start of the tool (MB): "
        f"init={init_rss - start_rss:.6g} overall={_rss_mb() - start_rss:.6g}\n"
    )
    if flags.get("report_peak_memory_footprint") == "true":
        out.write(
            f"INFO: Overall peak memory footprint (MB) via periodic monitoring: {_rss_mb():.6g}\n"
        )
    root = os.environ.get("CNNLAB_LOOPBACK_ROOT")
    if root:
        with open(Path(root) / ".runs", "a") as counter:
            counter.write("1\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
