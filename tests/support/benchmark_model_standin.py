"""Stands in for TFLite's `benchmark_model` on the loopback phone: same flags, same output.

It runs the model with LiteRT's interpreter on the host CPU and prints what the current tool
prints, line for line, as its source in google-ai-edge/LiteRT writes it (each printing site is
named below): `INFO: `/`WARN: ` on stdout and `ERROR: `/`FATAL: ` on stderr
(tflite/tools/logging.h), the runtime's own `INFO: ` lines on stderr (tflite/minimal_logging.cc),
`count=...` lines with percentiles in every form (StatWithPercentiles::OutputToStream), and
`First inference` as the first *warm-up* run, 0 with none (BenchmarkModel::Run).
GPU and NNAPI delegates run on the CPU here (there is no phone hardware); what the tool says
about them is chosen by `$CNNLAB_LOOPBACK_ROOT/.delegation` (`full`, the default, `partial:N`,
`none`, `unsupported` or `unknown-flag`), so tests meet each real outcome; flags named in
`$CNNLAB_LOOPBACK_ROOT/.unknown_flags` are ignored with the tool's warning, as an older binary
does. With `--enable_op_profiling=true` it prints the op-profiling tables. Each invocation
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


def _stat_line(times: list[int], percentiles: bool = True) -> str:
    """Stat::OutputToStream (xla/tsl/util/stats_calculator.h) plus the percentiles that
    StatWithPercentiles appends to every form, empty included (an int's quiet_NaN() is 0);
    a StatsCalculator's run totals are a plain Stat, with none."""
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
    if not percentiles:
        return line
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


# Delegate kernels' registration names, which the profile shows as the node type
# (GetTFLiteOpName in tflite/core/subgraph.cc returns a DELEGATE node's custom_name).
_KERNELS = {
    "use_xnnpack": "TfLiteXNNPackDelegate",
    "use_gpu": "TfLiteGpuDelegateV2",
    "use_nnapi": "TfLiteNnapiDelegate",
}


def _profile_rows(graph: str, flags: dict[str, str], behaviour: str) -> list[tuple[str, str, int]]:
    """(node type, name, weight) per profiled node, in run order.

    Names are `[outputs]:node_index` (ProfileSummarizer::ProcessProfiles in
    tflite/profiling/profile_summarizer.cc); a delegate kernel is one node, appended after the
    model's own nodes, standing for its partition. The stand-in cannot time single ops through
    LiteRT's Python interpreter, so each measured run is divided among the nodes by the sizes of
    the tensors they read and write: the table's form is the tool's, its split is a proxy.
    """
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    plain = Interpreter(
        model_path=graph,
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    tensors = {d["index"]: d for d in plain.get_tensor_details()}
    nodes = []
    for op in plain._get_ops_details():
        used = [tensors[i] for i in [*op["inputs"], *op["outputs"]] if i in tensors]
        weight = sum(max(1, math.prod(int(x) for x in t["shape"])) for t in used) or 1
        outputs = [str(tensors[i]["name"]) for i in op["outputs"] if i in tensors]
        nodes.append((str(op["op_name"]), outputs, weight))
    delegated: list[list[int]] = []  # partitions of node indices
    kernel = next((k for f, k in _KERNELS.items() if flags.get(f) == "true"), None)
    everything = list(range(len(nodes)))
    if kernel == "TfLiteXNNPackDelegate" or (kernel and behaviour == "full"):
        delegated = [everything]
    elif kernel and behaviour.startswith("partial:"):
        count = max(1, int(behaviour.partition(":")[2]))
        taken = everything[: max(count, len(nodes) // 2)]
        size = -(-len(taken) // count)
        delegated = [taken[i : i + size] for i in range(0, len(taken), size)]
    starts = {part[0]: k for k, part in enumerate(delegated)}
    inside = {i for part in delegated for i in part}
    rows = []
    for index, (op_name, outputs, weight) in enumerate(nodes):
        if index in starts:
            part = delegated[starts[index]]
            total = sum(nodes[i][2] for i in part)
            name = f"[{', '.join(nodes[part[-1]][1])}]:{len(nodes) + starts[index]}"
            rows.append((kernel or "", name, total))
        elif index not in inside:
            rows.append((op_name, f"[{', '.join(outputs)}]:{index}", weight))
    return rows


def _field(value: object, width: int) -> str:
    """InitField (tsl/util/stats_calculator.cc): a tab, right-aligned, fixed with 3 decimals."""
    text = f"{value:.3f}" if isinstance(value, float) else str(value)
    return "\t" + text.rjust(width)


def _table(title: str, rows: list[tuple[str, str, list[int]]], total: int, runs: int) -> str:
    """StatsCalculator::GetStatsByMetric: header, one ColumnString per node, an empty line."""
    out = [f"============================== {title} =============================="]
    out.append(
        _field("[node type]", 40)
        + _field("[first]", 9)
        + _field("[avg ms]", 9)
        + _field("[%]", 8)
        + _field("[cdf%]", 8)
        + _field("[mem KB]", 10)
        + _field("[times called]", 9)
        + "\t[Name]"
    )
    cumulative = 0
    for node_type, name, times in rows:
        cumulative += sum(times)
        out.append(
            _field(node_type, 40)
            + _field(times[0] / 1000.0, 9)
            + _field(sum(times) / len(times) / 1000.0, 9)
            + _field(sum(times) * 100.0 / total, 7)
            + "%"
            + _field(cumulative * 100.0 / total, 7)
            + "%"
            + _field(0.0, 10)
            + _field(len(times) // runs, 9)
            + f"\t{name}"
        )
    return "\n".join(out) + "\n\n"


def _op_profile(nodes: list[tuple[str, str, int]], runs: list[int], init_us: int) -> str:
    """ProfilingListener::OnBenchmarkEnd -> ProfileSummaryDefaultFormatter::HandleOutput: the
    initialization block, then the regular runs' block, each one TFLITE_LOG(INFO) message
    (so only its first line carries "INFO: "), tables as StatsCalculator::GetOutputString
    writes them with the formatter's options (run order, top 10 by time, by node type)."""
    weights = sum(weight for _, _, weight in nodes) or 1
    timed = [
        (node_type, name, [max(1, t * weight // weights) for t in runs])
        for node_type, name, weight in nodes
    ]
    total = sum(sum(times) for _, _, times in timed) or 1
    by_time = sorted(timed, key=lambda row: -sum(row[2]))[:10]
    types: dict[str, list[int]] = {}
    for node_type, _, times in timed:
        types.setdefault(node_type, []).append(sum(times) // len(runs))
    by_type = [
        _field("[Node type]", 40)
        + _field("[count]", 9)
        + _field("[avg ms]", 10)
        + _field("[avg %]", 11)
        + _field("[cdf %]", 11)
        + _field("[mem KB]", 10)
        + _field("[times called]", 10)
    ]
    accumulated = sum(sum(v) for v in types.values()) or 1
    cdf = 0.0
    for node_type, values in sorted(types.items(), key=lambda item: -sum(item[1])):
        share = sum(values) * 100.0 / accumulated
        cdf += share
        by_type.append(
            _field(node_type, 40)
            + _field(len(values), 9)
            + _field(sum(values) / 1000.0, 10)
            + _field(share, 10)
            + "%"
            + _field(cdf, 10)
            + "%"
            + _field(0.0, 10)
            + _field(len(values), 9)
        )
    totals = [sum(times[i] for _, _, times in timed) for i in range(len(runs))]
    regular = (
        _table("Run Order", timed, total, len(runs))
        + _table("Top by Computation Time", by_time, total, len(runs))
        + f"Number of nodes executed: {len(timed)}\n"
        + "============================== Summary by node type ==============================\n"
        + "\n".join(by_type)
        + "\n\n"
        + f"Timings (microseconds): {_stat_line(totals, percentiles=False)}\n"
        + "Memory (bytes): count=0\n"
        + f"{len(timed)} nodes observed\n\n"
    )
    init_rows = [("AllocateTensors", "AllocateTensors/0", [max(1, init_us // 10)])]
    init = (
        _table("Run Order", init_rows, init_rows[0][2][0], 1)
        + _table("Top by Computation Time", init_rows, init_rows[0][2][0], 1)
        + "Number of nodes executed: 1\n"
        + f"Timings (microseconds): {_stat_line(init_rows[0][2], percentiles=False)}\n"
        + "Memory (bytes): count=0\n1 nodes observed\n\n"
    )
    return (
        f"INFO: Profiling Info for Benchmark Initialization:\n{init}\n"
        f"INFO: Operator-wise Profiling Info for Regular Benchmark Runs:\n{regular}\n"
    )


def _without_unknown_flags(argv: list[str], flags: dict[str, str], out: Any) -> dict[str, str]:
    """An older binary lacking the flags named in `$CNNLAB_LOOPBACK_ROOT/.unknown_flags`: as
    BenchmarkModel::ParseFlags, it warns "Unconsumed cmdline flags: ..." and runs on."""
    root = os.environ.get("CNNLAB_LOOPBACK_ROOT")
    listed = Path(root) / ".unknown_flags" if root else None
    if listed is None or not listed.is_file():
        return flags
    unknown = set(listed.read_text().split())
    ignored = [a for a in argv if a.startswith("--") and a[2:].partition("=")[0] in unknown]
    if ignored:
        out.write(f"WARN: Unconsumed cmdline flags: {' '.join(ignored)}\n")
    return {k: v for k, v in flags.items() if k not in unknown}


# What the tool and the runtime print when each step fails, on stderr, then
# benchmark_main.cc's "Benchmarking failed." and exit 1 (a FATAL aborts: 134), chosen by
# `$CNNLAB_LOOPBACK_ROOT/.failure`. The texts: tflite/core/api/op_resolver.cc and
# interpreter_builder.cc (an op with no kernel), benchmark_tflite_model.cc's Init ("Failed to
# initialize the interpreter", "Failed to apply ... delegate.", "Failed to allocate tensors!"),
# tools/logging.h's FATAL (TF 2.0's hard failures: TFLITE_LOG(FATAL) << "Failed to invoke!").
FAILURES = {
    "unsupported-op": (
        "ERROR: Didn't find op for builtin opcode 'GELU' version '1'. An older version of this "
        "builtin might be supported. Are you using an old TFLite binary with a newer model?\n\n"
        "ERROR: Registration failed.\n\nERROR: Failed to initialize the interpreter\n",
        1,
    ),
    "delegate": ("ERROR: Failed to apply GPU delegate.\n", 1),
    "allocate": ("ERROR: Failed to allocate tensors!\n", 1),
    "abort": ("FATAL: Failed to invoke!\n", 134),
}


def _failure(root: str | None) -> tuple[str, int] | None:
    chosen = Path(root) / ".failure" if root else None
    if chosen is None or not chosen.is_file():
        return None
    return FAILURES[chosen.read_text().strip()]


def _cannot_start(graph: str, err: Any) -> int | None:
    """The exit status of a run that fails before loading the model, having said why."""
    if not Path(graph).is_file():  # mmap_allocation.cc, model_builder_base.h, LoadModel()
        err.write(
            f"ERROR: Could not open '{graph}'.\nERROR: The model allocation is null/empty\n"
            f"ERROR: Failed to load model {graph}\nERROR: Benchmarking failed.\n"
        )
        return 1
    failure = _failure(os.environ.get("CNNLAB_LOOPBACK_ROOT"))
    if failure is None:
        return None
    text, code = failure
    err.write(text + ("ERROR: Benchmarking failed.\n" if code == 1 else ""))
    return code


def main(argv: list[str]) -> int:
    flags = _flags(argv)
    if "help" in flags:
        print(USAGE)
        return 0
    out, err = sys.stdout, sys.stderr
    out.write("INFO: STARTING!\n")  # benchmark_main.cc
    behaviour = _delegation(os.environ.get("CNNLAB_LOOPBACK_ROOT"))
    older = _as_an_older_binary(argv, flags, out) if behaviour == "unknown-flag" else flags
    flags = _without_unknown_flags(argv, older, out)
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
    refused = _cannot_start(graph, err)
    if refused is not None:
        return refused
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
    if flags.get("enable_op_profiling") == "true" and runs:
        out.write(_op_profile(_profile_rows(graph, flags, behaviour), runs, init_us))
    root = os.environ.get("CNNLAB_LOOPBACK_ROOT")
    if root:
        with open(Path(root) / ".runs", "a") as counter:
            counter.write("1\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
