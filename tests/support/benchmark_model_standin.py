"""Stands in for TFLite's `benchmark_model` on the loopback phone: same flags, same output.

It runs the model with LiteRT's interpreter on the host CPU and prints what the current tool
prints, line for line, as its source in google-ai-edge/LiteRT writes it (each printing site is
named below): `INFO: `/`WARN: ` on stdout and `ERROR: `/`FATAL: ` on stderr
(tflite/tools/logging.h), the runtime's own `INFO: ` lines on stderr (tflite/minimal_logging.cc),
`count=...` lines with percentiles in every form (StatWithPercentiles::OutputToStream), and
`First inference` as the first *warm-up* run, 0 with none (BenchmarkModel::Run).
GPU and NNAPI delegates run on the CPU here (there is no phone hardware); what the tool says
about them is chosen by `$CNNLAB_LOOPBACK_ROOT/.delegation` (`full`, the default, `partial:N`,
`none`, `unsupported` or `unknown-flag`), so tests meet each real outcome. Each invocation
appends a line to `$CNNLAB_LOOPBACK_ROOT/.runs` so tests can watch progress.
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
    """Stat::OutputToStream (xla/tsl/util/stats_calculator.h) plus the percentiles that
    StatWithPercentiles appends to every form, empty included (an int's quiet_NaN() is 0)."""
    ordered = sorted(times)

    def pct(q: int) -> int:  # nearest rank at size*q/100, no interpolation, as the source
        if not ordered:
            return 0
        return ordered[-1] if q == 100 else ordered[len(ordered) * q // 100]

    if not times:
        line = "count=0"
    elif len(set(times)) == 1:
        line = f"count={len(times)} curr={times[-1]}" + ("(all same)" if len(times) > 1 else "")
    else:
        mean = sum(times) / len(times)
        std = int(math.sqrt(sum(t * t for t in times) / len(times) - mean * mean))
        line = (
            f"count={len(times)} first={times[0]} curr={times[-1]} min={ordered[0]} "
            f"max={ordered[-1]} avg={mean:.6g} std={std}"
        )
    return f"{line} p5={pct(5)} median={pct(50)} p95={pct(95)}"


def _delegation(root: str | None) -> str:
    if not root:
        return "full"
    chosen = Path(root) / ".delegation"
    return chosen.read_text().strip() if chosen.is_file() else "full"


def _apply_delegates(flags: dict[str, str], behaviour: str, out: Any, err: Any) -> None:
    """What the tool and the runtime print for each delegate asked for.

    tflite/tools/delegates/delegate_provider.cc ("<NAME> delegate created."), the providers'
    own WARNs (gpu_delegate_provider.cc, nnapi_delegate_provider.cc), the runtime's "Created
    TensorFlow Lite ... delegate" (delegates/*/delegate.cc, on stderr) and
    BenchmarkTfLiteModel::Init's "Explicitly applied ..." / "Though ..." lines.
    """
    asked = [
        (name, created)
        for flag, name, created in (
            ("use_gpu", "GPU", "Created TensorFlow Lite delegate for GPU."),
            ("use_nnapi", "NNAPI", "Created TensorFlow Lite delegate for NNAPI."),
            ("use_xnnpack", "XNNPACK", "Created TensorFlow Lite XNNPACK delegate for CPU."),
        )
        if flags.get(flag) == "true"
    ]
    for name, created in asked:
        if behaviour == "unsupported" and name != "XNNPACK":
            out.write(f"WARN: {name} acceleration is unsupported on this platform.\n")
            continue
        out.write(f"INFO: {name} delegate created.\n")
        err.write(f"INFO: {created}\n")
        if name == "XNNPACK" or behaviour == "full":
            out.write(
                f"INFO: Explicitly applied {name} delegate, and the model graph will be "
                "completely executed by the delegate.\n"
            )
        elif behaviour.startswith("partial:"):
            kernels = behaviour.partition(":")[2]
            out.write(
                f"INFO: Explicitly applied {name} delegate, and the model graph will be "
                f"partially executed by the delegate w/ {kernels} delegate kernels.\n"
            )
        elif behaviour == "none":
            out.write(
                f"INFO: Though {name} delegate is explicitly applied, the model graph will not "
                "be executed by the delegate.\n"
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
        sys.stderr.write(  # model_builder_base.h, then LoadModel() and benchmark_main.cc
            "ERROR: The model is not a valid Flatbuffer buffer\n"
            f"ERROR: Failed to load model {graph}\nERROR: Benchmarking failed.\n"
        )
        return None
    return interpreter


def _as_an_older_binary(argv: list[str], flags: dict[str, str], out: Any) -> dict[str, str]:
    """A binary without GPU/NNAPI flags: BenchmarkModel::ParseFlags warns and runs on, the
    flags ignored."""
    unknown = [a for a in argv if a.startswith(("--use_gpu", "--use_nnapi"))]
    if unknown:
        out.write(f"WARN: Unconsumed cmdline flags: {' '.join(unknown)}\n")
    return {k: v for k, v in flags.items() if k not in ("use_gpu", "use_nnapi")}


def main(argv: list[str]) -> int:
    flags = _flags(argv)
    if "help" in flags:
        print(USAGE)
        return 0
    out, err = sys.stdout, sys.stderr
    out.write("INFO: STARTING!\n")  # benchmark_main.cc
    behaviour = _delegation(os.environ.get("CNNLAB_LOOPBACK_ROOT"))
    if behaviour == "unknown-flag":
        flags = _as_an_older_binary(argv, flags, out)
    out.write("INFO: Log parameter values verbosely: [0]\n")
    graph = flags.get("graph", "")
    if not graph:
        err.write("ERROR: Please specify the name of your TF Lite input file with --graph\n")
        err.write("ERROR: Benchmarking failed.\n")
        return 1
    threads = int(flags.get("num_threads", "-1"))
    warmup_runs = int(flags.get("warmup_runs", "1"))
    num_runs = int(flags.get("num_runs", "50"))
    out.write(f"INFO: Num threads: [{threads}]\nINFO: Graph: [{graph}]\n")
    start_rss = _rss_mb()
    if not Path(graph).is_file():  # mmap_allocation.cc, model_builder_base.h, LoadModel()
        err.write(
            f"ERROR: Could not open '{graph}'.\nERROR: The model allocation is null/empty\n"
            f"ERROR: Failed to load model {graph}\nERROR: Benchmarking failed.\n"
        )
        return 1
    started = time.perf_counter_ns()
    interpreter = _load(graph, threads, flags)
    if interpreter is None:
        return 1
    _apply_delegates(flags, behaviour, out, err)
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
    # BenchmarkLoggingListener::OnBenchmarkEnd: "First inference" is warmup_us.first() (0 with
    # no warm-up) and an empty Stat's avg() is an int64 quiet_NaN(), that is 0.
    first = warmup[0] if warmup else 0
    warm_avg = sum(warmup) / len(warmup) if warmup else 0
    run_avg = sum(runs) / len(runs) if runs else 0
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
