"""One `benchmark_model` command line: the flags cnnlab passes and why, every argument quoted.

Every invocation of a bench (per-run samples, the summary, memory, op profiling) is built here,
so they differ only in what each is for.
"""

from __future__ import annotations

import shlex

DELEGATE_FLAGS = {
    "cpu": ("--use_xnnpack=false",),
    "xnnpack": ("--use_xnnpack=true",),
    "gpu": ("--use_gpu=true",),
    "nnapi": ("--use_nnapi=true",),
}
MAX_SECS = 86_400  # a day: a summary that long is stopped by the user, never cut by the tool


def benchmark_invocation(
    binary: str,
    graph: str,
    *,
    warmup: int,
    runs: int,
    threads: int | None = None,
    delegate: str = "cpu",
    cpu_mask: str | None = None,
    peak_memory: bool = False,
    op_profiling: bool = False,
) -> str:
    """One `benchmark_model` command line, every argument shell-quoted."""
    args = [binary, f"--graph={graph}"]
    if threads is not None:
        args.append(f"--num_threads={threads}")
    args += [
        f"--warmup_runs={warmup}",
        "--warmup_min_secs=0",
        f"--num_runs={runs}",
        "--min_secs=0",
        # The tool stops starting runs after --max_secs (150 s by default) and says nothing;
        # the count it reports is then checked against `runs` (`_checked_count`).
        f"--max_secs={MAX_SECS}",
        *DELEGATE_FLAGS[delegate],
    ]
    if peak_memory:
        args.append("--report_peak_memory_footprint=true")
    if op_profiling:
        args.append("--enable_op_profiling=true")
    prefix = ["taskset", cpu_mask] if cpu_mask else []
    return " ".join(shlex.quote(arg) for arg in [*prefix, *args])
