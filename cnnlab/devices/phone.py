"""Latency on an Android phone over adb, with TFLite's official `benchmark_model`.

The tool prints only summaries, so per-run samples come from many `--num_runs=1` invocations
(each after its own warm-up) inside ONE `adb shell` loop, read as they stream in; the summary
comes from one long invocation. In cold mode each sample is a fresh process, model loading
included (init + first inference), as paper 001 measured. Every path and name reaches the
phone's shell through `shlex.quote`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from cnnlab.delegates import DELEGATES
from cnnlab.devices.adb import AdbServerAddress, ShellResult, adb_client, ready_device, run_shell
from cnnlab.devices.errors import (
    BenchmarkBinaryMissing,
    DelegateDidNotRun,
    DeviceDisconnected,
    DeviceError,
    UnparseableOutput,
    UnsupportedDelegate,
)
from cnnlab.devices.inventory import THERMAL_SCRIPT, parse_thermal
from cnnlab.devices.invocation import DELEGATE_FLAGS, benchmark_invocation
from cnnlab.devices.parse import BenchmarkOutput, parse_benchmark_output
from cnnlab.devices.phone_profile import ProfileInvocation, profiled
from cnnlab.devices.prepare import (
    REMOTE_DIR,
    binary_path,
    binary_present,
    binary_version,
    push_model,
)
from cnnlab.devices.results import BenchMode, BenchResult, summarize
from cnnlab.devices.tool_failures import tool_failure as _failure

if TYPE_CHECKING:
    from adbutils import AdbDevice

RUN_MARKER = "@@cnnlab-run"
_MARKER = re.compile(rf"^{RUN_MARKER} (\d+) (\d+)$")
_MASK = re.compile(r"^(0x)?[0-9a-fA-F]+$")


def per_run_loop(invocation: str, count: int) -> str:
    """A shell loop running `invocation` `count` times, marking each run's end and exit code."""
    return (
        f'i=0; while [ "$i" -lt {count} ]; do {invocation} 2>&1; rc=$?; '
        f'echo "{RUN_MARKER} $i $rc"; [ "$rc" -eq 0 ] || exit "$rc"; i=$((i+1)); done'
    )


def read_temperature(device: AdbDevice) -> float | None:
    """The phone's hottest CPU/SoC thermal zone in °C, when readable."""
    result = run_shell(device, THERMAL_SCRIPT, timeout_s=30)
    return parse_thermal(result.stdout) if result.exit_code is not None else None


def benchmark_phone(
    address: AdbServerAddress,
    serial: str,
    model: Path,
    *,
    runs: int = 100,
    warmup: int = 10,
    threads: int | None = None,
    delegate: str = "cpu",
    cpu_mask: str | None = None,
    cold: bool = False,
    require_full_delegation: bool = False,
    summary_runs: int | None = None,
    profile_ops: bool = False,
    layer_names: list[str] | None = None,
    remote_dir: str = REMOTE_DIR,
    on_sample: Callable[[int, float], None] | None = None,
) -> BenchResult:
    """Benchmark `model` on phone `serial`; every per-run sample in µs plus the tool's summary.

    Warm: `runs` invocations with `--warmup_runs=warmup --num_runs=1` in one shell loop, then
    one invocation of `summary_runs` (default `runs`) runs for the summary. Cold: `runs` fresh
    processes with no warm-up, each sample being init + first inference. `on_sample(index, us)`
    is called as each sample arrives and may raise to stop the run. A phone lost mid-run raises
    `DeviceDisconnected` whose `partial` holds the samples taken. `profile_ops` adds one more
    invocation with the tool's op profiler (never during timed runs: it costs time per node),
    whose table is kept per node and per Keras layer (`layer_names`, the model's).
    """
    if delegate not in DELEGATES:
        raise UnsupportedDelegate(
            f"Unknown delegate {delegate!r}; use one of {', '.join(DELEGATES)}."
        )
    if cpu_mask is not None and not _MASK.match(cpu_mask):
        raise DeviceError(f"CPU mask {cpu_mask!r} is not hexadecimal; write it like f0 or 0x0f.")
    if runs < 1 or warmup < 0:
        raise ValueError(f"runs must be >= 1 and warmup >= 0, got runs={runs} warmup={warmup}")
    device = ready_device(adb_client(address), serial)
    binary = binary_path(remote_dir)
    if not binary_present(device, remote_dir):
        raise BenchmarkBinaryMissing(
            f"benchmark_model is not on device {serial}; run `cnnlab devices prepare {serial} "
            "--benchmark-model PATH` first."
        )
    version = binary_version(device, remote_dir)
    pushed = push_model(device, serial, model, remote_dir)
    mode: BenchMode = "cold" if cold else "warm"
    temp_before = read_temperature(device)
    invocation = benchmark_invocation(
        binary,
        pushed.remote_path,
        warmup=0 if cold else warmup,
        runs=1,
        threads=threads,
        delegate=delegate,
        cpu_mask=cpu_mask,
    )
    loop = per_run_loop(invocation, runs)
    invocation_args = ProfileInvocation(
        binary,
        pushed.remote_path,
        max(warmup, 1),
        summary_runs or runs,
        threads,
        delegate,
        cpu_mask,
    )
    collector = _RunCollector(
        serial, model.name, cold, on_sample, delegate, require_full_delegation
    )
    looped = run_shell(device, loop, on_stdout=collector.feed)
    commands = [loop]
    base = {
        "model_sha256": pushed.sha256,
        "remote_model": pushed.remote_path,
        "model_pushed": pushed.pushed,
    }

    def partial(extra: dict[str, object]) -> BenchResult:
        samples = tuple(collector.samples)
        return BenchResult(
            device_serial=serial,
            mode=mode,
            delegate=delegate,
            threads=threads,
            cpu_mask=cpu_mask,
            warmup_runs=0 if cold else warmup,
            runs=runs,
            samples_us=samples,
            summary=summarize(samples) if samples else None,
            temp_before_c=temp_before,
            binary_version=version,
            command="\n".join(commands),
            extra={**base, **extra},
        )

    if looped.exit_code is None:
        raise DeviceDisconnected(serial, len(collector.samples), runs, partial({}))
    if looped.exit_code != 0:
        raise _failure(serial, model.name, looped.exit_code, collector.segment or looped.output)
    if cold:
        delegation = delegation_meta(delegate, collector.last_output)
        memory = _memory_run(
            device, serial, model.name, binary, pushed.remote_path, threads, delegate
        )
        commands.append(memory.command)
        result = partial(
            {
                "init_us_per_run": collector.inits,
                "first_us_per_run": collector.firsts,
                "delegation": delegation,
            }
        )
        result = _finish(
            result,
            device,
            init_us=_median(collector.inits),
            first_us=_median(collector.firsts),
            memory=memory,
        )
        return profiled(result, device, model, profile_ops, layer_names, invocation_args)
    summary_command = benchmark_invocation(
        binary,
        pushed.remote_path,
        warmup=warmup,
        runs=summary_runs or runs,
        threads=threads,
        delegate=delegate,
        cpu_mask=cpu_mask,
    )
    commands.append(summary_command)
    long_run = run_shell(device, f"{summary_command} 2>&1")
    if long_run.exit_code is None:
        raise DeviceDisconnected(serial, len(collector.samples), runs, partial({}))
    if long_run.exit_code != 0:
        raise _failure(serial, model.name, long_run.exit_code, long_run.output)
    output = _parsed(serial, long_run)
    _check_delegation(serial, model.name, delegate, output, require_full_delegation)
    stats = output.inference
    samples_summary = summarize(collector.samples)
    result = partial(
        {
            "summary_run": asdict(stats) if stats else None,
            "summary_runs_asked": summary_runs or runs,
            # The tool stops starting runs at --max_secs without a word: say when it did.
            "summary_cut_short": stats is not None and stats.count < (summary_runs or runs),
            "samples_summary": asdict(samples_summary),
            "summary_source": "summary_run: benchmark_model's steady state over one long "
            "invocation; the row's figures are the per-invocation samples'",
            "delegation": delegation_meta(delegate, output),
        }
    )
    # Two distributions, kept apart: the row's summary is the samples' own (each one a fresh
    # invocation: load, warm-up, one timed run), what the histogram shows; the tool's
    # steady-state summary of one long invocation stays in `summary_run`, with its own count.
    memory = _memory_run(device, serial, model.name, binary, pushed.remote_path, threads, delegate)
    commands.append(memory.command)
    result = replace(result, command="\n".join(commands))
    result = _finish(
        result, device, init_us=output.init_us, first_us=output.first_us, memory=memory
    )
    return profiled(result, device, model, profile_ops, layer_names, invocation_args)


def _finish(
    result: BenchResult,
    device: AdbDevice,
    *,
    init_us: float | None,
    first_us: float | None,
    memory: MemoryRun,
) -> BenchResult:
    """The result with its init and first-inference times, the peak RSS the tool's monitor saw
    in its own invocation (growth since the tool started is kept apart: it is not a peak), and
    the phone's temperature after."""
    output = memory.output
    peak_mb = output.peak_memory_mb if output is not None else None
    growth = {
        "init_mb": output.init_memory_mb if output is not None else None,
        "overall_mb": output.overall_memory_mb if output is not None else None,
        "source": "benchmark_model's 'Memory footprint delta from the start of the tool'",
    }
    return replace(
        result,
        init_us=init_us,
        first_us=first_us,
        peak_memory_bytes=round(peak_mb * 1024 * 1024) if peak_mb is not None else None,
        temp_after_c=read_temperature(device),
        extra={
            **result.extra,
            "memory_growth": growth,
            "peak_memory": "--report_peak_memory_footprint in its own invocation, never during "
            "timed runs (the monitor samples every 50 ms)",
        },
    )


@dataclass(frozen=True)
class MemoryRun:
    """The invocation that measures memory only (its timings are not used)."""

    command: str
    output: BenchmarkOutput | None


def _memory_run(
    device: AdbDevice,
    serial: str,
    model_name: str,
    binary: str,
    graph: str,
    threads: int | None,
    delegate: str,
) -> MemoryRun:
    command = benchmark_invocation(
        binary, graph, warmup=1, runs=1, threads=threads, delegate=delegate, peak_memory=True
    )
    ran = run_shell(device, f"{command} 2>&1")
    if ran.exit_code is None:
        return MemoryRun(command, None)  # the samples are kept; memory is not known
    if ran.exit_code != 0:
        raise _failure(serial, model_name, ran.exit_code, ran.output)
    return MemoryRun(command, parse_benchmark_output(ran.output))


def delegation_meta(delegate: str, output: BenchmarkOutput | None) -> dict[str, object]:
    """What ran, as the tool said it: recorded beside every number of the bench."""
    said = output.delegation if output is not None else None
    return {
        "requested": delegate,
        "delegate": said.delegate if said else None,
        "extent": said.extent if said else ("cpu" if delegate == "cpu" else None),
        "kernels": said.kernels if said else None,
        "described": said.describe() if said else ("CPU" if delegate == "cpu" else "not said"),
    }


def _check_delegation(
    serial: str, model_name: str, delegate: str, out: BenchmarkOutput, full: bool = False
) -> None:
    """Refuse numbers that would be labelled with a delegate that did not run them (with
    `full`, also those of a graph that ran partly on the CPU)."""
    if delegate == "cpu":
        return
    flag = DELEGATE_FLAGS[delegate][0].partition("=")[0]
    ignored = [f for f in out.unconsumed_flags if f.partition("=")[0] == flag]
    said = out.delegation
    if ignored:
        why = f"this benchmark_model does not know {flag} and ignored it"
    elif said is None:
        why = f"it said nothing about the {delegate} delegate"
    elif not said.ran_on_it:
        why = said.describe()
    elif full and said.extent != "full":
        raise DelegateDidNotRun(
            f"benchmark_model on device {serial} ran {model_name} only partly on the {delegate} "
            f"delegate ({said.describe()}) and --require-full-delegation refuses CPU fallbacks; "
            "nothing was recorded. Bench without it to measure the mixed run."
        )
    else:
        return
    raise DelegateDidNotRun(
        f"benchmark_model on device {serial} did not run {model_name} on the {delegate} "
        f"delegate ({why}), so its times would be CPU times; nothing was recorded. Bench with "
        "--delegate cpu, or push a benchmark_model built with that delegate."
    )


def _median(values: list[float]) -> float | None:
    return summarize(values).median_us if values else None


def _parsed(serial: str, result: ShellResult) -> BenchmarkOutput:
    output = parse_benchmark_output(result.output)
    if not output.has_timings:
        last = (result.output.strip().splitlines() or ["no output"])[-1].strip()
        raise UnparseableOutput(
            f"benchmark_model on device {serial} printed no timings (last line: {last!r}); "
            "check that the pushed binary is TFLite's benchmark_model."
        )
    return output


class _RunCollector:
    """Splits the streamed loop output into one segment per run and turns each into a sample."""

    def __init__(
        self,
        serial: str,
        model_name: str,
        cold: bool,
        on_sample: Callable[[int, float], None] | None,
        delegate: str = "cpu",
        require_full_delegation: bool = False,
    ) -> None:
        self.delegate = delegate
        self.require_full = require_full_delegation
        self.serial = serial
        self.model_name = model_name
        self.cold = cold
        self.on_sample = on_sample
        self.samples: list[float] = []
        self.inits: list[float] = []
        self.firsts: list[float] = []
        self.segment = ""
        self.last_output: BenchmarkOutput | None = None
        self._pending = ""

    def feed(self, text: str) -> None:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            match = _MARKER.match(line.strip())
            if match is None:
                self.segment += line + "\n"
                continue
            if match.group(2) == "0":
                self._sample(self.segment)
                self.segment = ""

    def _sample(self, text: str) -> None:
        output = parse_benchmark_output(text)
        if not self.samples:  # every invocation is the same command: the first one tells
            _check_delegation(
                self.serial, self.model_name, self.delegate, output, self.require_full
            )
        run = output.run_us
        if self.cold:
            # With no warm-up the tool's "First inference" is 0 (it is the first *warm-up*
            # run, benchmark_model.cc); the process's first inference is its one timed run.
            if output.init_us is None or run is None:
                raise self._unparseable(text)
            self.inits.append(output.init_us)
            self.firsts.append(run)
            value = output.init_us + run
        else:
            if run is None:
                raise self._unparseable(text)
            value = run
        self.last_output = output
        self.samples.append(value)
        if self.on_sample is not None:
            self.on_sample(len(self.samples) - 1, value)

    def _unparseable(self, text: str) -> UnparseableOutput:
        last = (text.strip().splitlines() or ["no output"])[-1].strip()
        return UnparseableOutput(
            f"benchmark_model on device {self.serial} printed no timings for {self.model_name} "
            f"(last line: {last!r}); check that the pushed binary is TFLite's benchmark_model."
        )
