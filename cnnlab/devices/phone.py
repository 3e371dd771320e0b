"""Latency on an Android phone over adb, with TFLite's official `benchmark_model`.

The tool prints only summaries, so per-run samples come from many `--num_runs=1` invocations
(each after its own warm-up) inside ONE `adb shell` loop, read as they stream in; the summary
comes from one long invocation. In cold mode each sample is a fresh process, model loading
included (init + first inference), as paper 001 measured. Every path and name reaches the
phone's shell through `shlex.quote`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

from cnnlab.devices.adb import AdbServerAddress, ShellResult, adb_client, ready_device, run_shell
from cnnlab.devices.errors import (
    BenchmarkBinaryMissing,
    BinaryDoesNotRun,
    DeviceDisconnected,
    DeviceError,
    ModelNotLoadable,
    UnparseableOutput,
    UnsupportedDelegate,
)
from cnnlab.devices.inventory import THERMAL_SCRIPT, parse_thermal
from cnnlab.devices.parse import BenchmarkOutput, parse_benchmark_output
from cnnlab.devices.prepare import (
    REMOTE_DIR,
    binary_path,
    binary_present,
    binary_version,
    push_model,
)
from cnnlab.devices.results import DELEGATES, BenchMode, BenchResult, summarize

if TYPE_CHECKING:
    from adbutils import AdbDevice

RUN_MARKER = "@@cnnlab-run"
_MARKER = re.compile(rf"^{RUN_MARKER} (\d+) (\d+)$")
_DELEGATE_FLAGS = {
    "cpu": ("--use_xnnpack=false",),
    "xnnpack": ("--use_xnnpack=true",),
    "gpu": ("--use_gpu=true",),
    "nnapi": ("--use_nnapi=true",),
}
_MASK = re.compile(r"^(0x)?[0-9a-fA-F]+$")


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
        *_DELEGATE_FLAGS[delegate],
    ]
    if peak_memory:
        args.append("--report_peak_memory_footprint=true")
    prefix = ["taskset", cpu_mask] if cpu_mask else []
    return " ".join(shlex.quote(arg) for arg in [*prefix, *args])


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
    summary_runs: int | None = None,
    remote_dir: str = REMOTE_DIR,
    on_sample: Callable[[int, float], None] | None = None,
) -> BenchResult:
    """Benchmark `model` on phone `serial`; every per-run sample in µs plus the tool's summary.

    Warm: `runs` invocations with `--warmup_runs=warmup --num_runs=1` in one shell loop, then
    one invocation of `summary_runs` (default `runs`) runs for the summary. Cold: `runs` fresh
    processes with no warm-up, each sample being init + first inference. `on_sample(index, us)`
    is called as each sample arrives and may raise to stop the run. A phone lost mid-run raises
    `DeviceDisconnected` whose `partial` holds the samples taken.
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
    collector = _RunCollector(serial, model.name, cold, on_sample)
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
        result = partial({"init_us_per_run": collector.inits, "first_us_per_run": collector.firsts})
        return _finish(
            result,
            device,
            init_us=_median(collector.inits),
            first_us=_median(collector.firsts),
            peak=collector.last_output,
        )
    summary_command = benchmark_invocation(
        binary,
        pushed.remote_path,
        warmup=warmup,
        runs=summary_runs or runs,
        threads=threads,
        delegate=delegate,
        cpu_mask=cpu_mask,
        peak_memory=True,
    )
    commands.append(summary_command)
    long_run = run_shell(device, f"{summary_command} 2>&1")
    if long_run.exit_code is None:
        raise DeviceDisconnected(serial, len(collector.samples), runs, partial({}))
    if long_run.exit_code != 0:
        raise _failure(serial, model.name, long_run.exit_code, long_run.output)
    output = _parsed(serial, long_run)
    stats = output.inference
    samples_summary = summarize(collector.samples)
    result = partial(
        {
            "summary_run": asdict(stats) if stats else None,
            "samples_summary": asdict(samples_summary),
            "summary_source": "one long benchmark_model invocation (p90/p99 from samples)",
        }
    )
    if stats is not None and result.summary is not None:
        summary = replace(
            result.summary,
            mean_us=stats.mean_us if stats.mean_us is not None else samples_summary.mean_us,
            median_us=stats.median_us or samples_summary.median_us,
            min_us=stats.min_us or result.summary.min_us,
            max_us=stats.max_us or result.summary.max_us,
            std_us=stats.std_us if stats.std_us is not None else samples_summary.std_us,
        )
        result = replace(result, summary=summary)
    return _finish(result, device, init_us=output.init_us, first_us=output.first_us, peak=output)


def _finish(
    result: BenchResult,
    device: AdbDevice,
    *,
    init_us: float | None,
    first_us: float | None,
    peak: BenchmarkOutput | None,
) -> BenchResult:
    peak_mb = None
    if peak is not None:
        peak_mb = peak.peak_memory_mb if peak.peak_memory_mb is not None else peak.overall_memory_mb
    return replace(
        result,
        init_us=init_us,
        first_us=first_us,
        peak_memory_bytes=round(peak_mb * 1024 * 1024) if peak_mb is not None else None,
        temp_after_c=read_temperature(device),
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


def _failure(serial: str, model_name: str, code: int, text: str) -> DeviceError:
    errors = parse_benchmark_output(text).errors
    last = (text.strip().splitlines() or ["no output"])[-1].strip()
    if code in (126, 127):
        return BinaryDoesNotRun(
            f"benchmark_model cannot be executed on device {serial} ({last}); run `cnnlab "
            f"devices prepare {serial} --benchmark-model PATH` again."
        )
    if errors:
        return ModelNotLoadable(
            f"Device {serial} could not run {model_name} ({errors[0]}); check that the model is "
            "a valid .tflite file whose ops and delegate the phone supports."
        )
    return DeviceError(f"benchmark_model failed on device {serial} with exit code {code} ({last}).")


class _RunCollector:
    """Splits the streamed loop output into one segment per run and turns each into a sample."""

    def __init__(
        self,
        serial: str,
        model_name: str,
        cold: bool,
        on_sample: Callable[[int, float], None] | None,
    ) -> None:
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
        if self.cold:
            if output.init_us is None or output.first_us is None:
                raise self._unparseable(text)
            self.inits.append(output.init_us)
            self.firsts.append(output.first_us)
            value = output.init_us + output.first_us
        else:
            run = output.run_us
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
