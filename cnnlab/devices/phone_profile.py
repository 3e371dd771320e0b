"""The op-profiling invocation of a phone bench: where the time goes, per node and per layer.

`benchmark_model --enable_op_profiling=true` times every node of the graph; that costs time per
node, so it runs in an invocation of its own after the timed ones, and its table
(`cnnlab.devices.op_profile`) is kept with the bench, mapped to the model's Keras layers
(`cnnlab.devices.op_layers`). A profile that cannot be had leaves the bench's samples as they are
and says why in `op_profile_error`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from cnnlab.devices.adb import run_shell
from cnnlab.devices.invocation import benchmark_invocation
from cnnlab.devices.op_layers import layer_times, read_graph
from cnnlab.devices.op_profile import parse_op_profile
from cnnlab.devices.parse import parse_benchmark_output
from cnnlab.devices.results import BenchResult
from cnnlab.devices.tool_failures import tool_failure

if TYPE_CHECKING:
    from adbutils import AdbDevice


@dataclass(frozen=True)
class ProfileInvocation:
    """What every invocation of one bench shares, for the op-profiling run."""

    binary: str
    graph: str
    warmup: int
    runs: int
    threads: int | None
    delegate: str
    cpu_mask: str | None


def profiled(
    result: BenchResult,
    device: AdbDevice,
    model: Path,
    wanted: bool,
    layer_names: list[str] | None,
    at: ProfileInvocation,
) -> BenchResult:
    """The result with the tool's op profile (per node and per Keras layer) when `wanted`.

    The profile is of warm runs, in an invocation of its own; when it cannot be had, the
    bench's samples are kept and `op_profile_error` says why.
    """
    if not wanted:
        return result
    command = benchmark_invocation(
        at.binary,
        at.graph,
        warmup=at.warmup,
        runs=at.runs,
        threads=at.threads,
        delegate=at.delegate,
        cpu_mask=at.cpu_mask,
        op_profiling=True,
    )
    commands = f"{result.command}\n{command}"
    ran = run_shell(device, f"{command} 2>&1")
    extra: dict[str, object]
    if ran.exit_code is None:
        extra = {"op_profile_error": f"device {result.device_serial} was lost while profiling"}
    elif ran.exit_code != 0:
        failure = tool_failure(result.device_serial, model.name, ran.exit_code, ran.output)
        extra = {"op_profile_error": str(failure)}
    else:
        extra = _profile_extra(ran.output, model, layer_names, at)
    return replace(result, command=commands, extra={**result.extra, **extra})


def _profile_extra(
    text: str, model: Path, layer_names: list[str] | None, at: ProfileInvocation
) -> dict[str, object]:
    output = parse_benchmark_output(text)
    if "--enable_op_profiling=true" in output.unconsumed_flags:
        return {"op_profile_error": "this benchmark_model does not know --enable_op_profiling"}
    profile = parse_op_profile(text)
    if profile is None:
        last = (text.strip().splitlines() or ["no output"])[-1].strip()
        return {"op_profile_error": f"benchmark_model printed no op profile (last line: {last!r})"}
    layers = layer_times(profile, read_graph(model), layer_names)
    return {
        "op_profile": {
            "runs": at.runs,
            "warmup": at.warmup,
            "delegate": at.delegate,
            "ops": [op.to_dict() for op in profile.ops],
            "delegate_internal": [op.to_dict() for op in profile.delegate_internal],
            "source": "benchmark_model --enable_op_profiling=true in its own invocation "
            "(Operator-wise Profiling Info for Regular Benchmark Runs, Run Order)",
        },
        "layer_profile": [layer.to_dict() for layer in layers],
    }
