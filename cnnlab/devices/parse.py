"""Reads what TFLite's `benchmark_model` prints, by key and in any order, across its versions.

The tool's lines changed over the years (`INFO: `/`WARN: ` prefixes since about TF 2.5,
percentiles appended to every `count=...` line since about TF 2.18, `Inference timings in us:`
replacing `Average inference timings in us:` after TF 2.0, LiteRT 2.x's "BENCHMARK RESULTS"
block in ms), so every figure is taken by its key rather than by its position. Only ERROR and
FATAL lines are failures; what the tool says about the delegate it was asked for is kept
(`Delegation`), so a GPU run that fell back to the CPU is never taken for a GPU number. The
texts are the tool's own (tflite/tools/benchmark/ and litert/tools/ in google-ai-edge/LiteRT).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?nan|[-+]?inf"
_PAIR = re.compile(rf"([A-Za-z_][\w]*)=({_NUMBER})")
_TIMING = re.compile(rf"([A-Za-z][A-Za-z ()]*?)\s*:\s*({_NUMBER})")
# The tool's own logger writes "INFO: " / "WARN: " (stdout) and "ERROR: " / "FATAL: " (stderr)
# (tflite/tools/logging.h); the runtime's writes "INFO: ", "WARNING: ", "VERBOSE: ", "ERROR: "
# (tflite/minimal_logging.cc); LiteRT 2.x adds "[benchmark_litert_model.h:94] " after the
# severity. TF 2.0 and older printed no prefix at all.
_PREFIX = re.compile(
    r"^\s*(?:(INFO|WARN|WARNING|VERBOSE|DEBUG|ERROR|FATAL)\s*:\s*)?(?:\[[\w./+-]+:\d+\]\s*)?"
)
_TIMING_KEYS = {
    "init": "init_us",
    "first inference": "first_us",
    "warmup (avg)": "warmup_avg_us",
    "warmup": "warmup_avg_us",
    "inference (avg)": "inference_avg_us",
    "inference": "inference_avg_us",
    "no stats": "inference_avg_us",
}
# The LiteRT 2.x tool's "BENCHMARK RESULTS" block (litert/tools/benchmark_litert_model.h,
# `BenchmarkLoggingListener::OnBenchmarkEnd`), in milliseconds: "Model initialization: 2.10 ms".
# Its min/max/std lines are not read: the `count=` line of the same run holds them in µs.
_LITERT_MS = re.compile(
    r"^(Model initialization|Warmup \(first\)|Warmup \(avg\)|Inference \(avg\))"
    rf"\s*:\s*({_NUMBER})(?:\s*ms)?(?:\s*\((\d+) runs\))?"
)
_LITERT_KEYS = {
    "Model initialization": "init_us",
    "Warmup (first)": "first_us",
    "Warmup (avg)": "warmup_avg_us",
    "Inference (avg)": "inference_avg_us",
}
# Lines an unprefixed (TF 2.0 and older) tool printed when it failed; with a prefix, only
# ERROR and FATAL lines are failures ("WARN: Failed to get the input model file size." is not).
_UNPREFIXED_FAILURES = (
    "failed to",
    "benchmarking failed",
    "could not open",
    "the model is not a valid flatbuffer",
    "didn't find op for builtin opcode",
    "encountered unresolved custom op",
    "registration failed",
    "disallowed cpu fallback",
)
# What the tool says about the delegate it was asked to apply
# (tflite/tools/benchmark/benchmark_tflite_model.cc `Init`, the delegate providers).
_FULL = re.compile(r"Explicitly applied (\w+) delegate, and the model graph will be completely")
_PARTIAL = re.compile(
    r"Explicitly applied (\w+) delegate, and the model graph will be partially executed by the "
    r"delegate w/ (\d+) delegate kernels"
)
_NOT_RUN = re.compile(r"Though (\w+) delegate is explicitly applied, the model graph will not be")
_APPLIED = re.compile(r"^Applied (\w+) delegate\.?$")  # TF 2.0: the extent is not said
_UNSUPPORTED = re.compile(r"^(\w+) acceleration is unsupported on this platform")
_APPLY_FAILED = re.compile(r"Failed to apply (\w+) delegate")
_UNCONSUMED = re.compile(r"^Unconsumed cmdline flags:\s*(.*)$")


@dataclass(frozen=True)
class Delegation:
    """What the tool says ran on the delegate it was asked for.

    `extent` is `full` (the whole graph), `partial` (`kernels` delegate kernels, the rest on the
    CPU), `none` (applied, but no node runs on it), `unsupported` (the binary or the phone has
    no such delegate: everything ran on the CPU), `failed` (it could not be applied) or
    `applied` (TF 2.0 says only that it was applied).
    """

    delegate: str
    extent: str
    kernels: int | None = None

    @property
    def ran_on_it(self) -> bool:
        return self.extent in ("full", "partial", "applied")

    def describe(self) -> str:
        if self.extent == "partial":
            return f"{self.delegate} partial ({self.kernels} delegate kernels, rest on CPU)"
        return {
            "full": f"{self.delegate} full",
            "applied": f"{self.delegate} applied",
            "none": f"{self.delegate} applied, nothing ran on it (CPU)",
            "unsupported": f"{self.delegate} unsupported here (CPU)",
            "failed": f"{self.delegate} failed",
        }[self.extent]


@dataclass(frozen=True)
class RunStats:
    """One `count=... first=... curr=...` line: the tool's own summary of a series of runs (µs)."""

    count: int
    first_us: float | None = None
    curr_us: float | None = None
    min_us: float | None = None
    max_us: float | None = None
    avg_us: float | None = None
    std_us: float | None = None
    p5_us: float | None = None
    median_us: float | None = None
    p95_us: float | None = None

    @property
    def mean_us(self) -> float | None:
        """The series' mean; `count=N curr=X(all same)` and `count=1 curr=X` give X."""
        return self.avg_us if self.avg_us is not None else self.curr_us


@dataclass(frozen=True)
class BenchmarkOutput:
    """Everything cnnlab uses from one `benchmark_model` invocation (times in µs, memory in MB)."""

    warmup: RunStats | None = None
    inference: RunStats | None = None
    init_us: float | None = None
    first_us: float | None = None
    warmup_avg_us: float | None = None
    inference_avg_us: float | None = None
    init_memory_mb: float | None = None
    overall_memory_mb: float | None = None
    peak_memory_mb: float | None = None  # the periodic monitor's peak RSS, only that
    errors: tuple[str, ...] = ()
    fatal: bool = False  # a FATAL line: the tool aborted
    delegation: Delegation | None = None
    unconsumed_flags: tuple[str, ...] = ()  # flags this binary does not know, so ignored
    inference_runs: int | None = None  # the LiteRT 2.x block's "(N runs)"

    @property
    def has_timings(self) -> bool:
        return self.inference is not None or self.inference_avg_us is not None

    @property
    def run_us(self) -> float | None:
        """The inference time of this invocation: its runs' mean (one run: that run)."""
        if self.inference is not None and self.inference.mean_us is not None:
            return self.inference.mean_us
        return self.inference_avg_us


def _number(text: str) -> float | None:
    value = float(text)
    return None if math.isnan(value) or math.isinf(value) else value


def parse_stat_line(line: str) -> RunStats | None:
    """A `count=...` line's figures by key, or None when the line holds no `count=`."""
    values = {key: _number(value) for key, value in _PAIR.findall(_PREFIX.sub("", line))}
    count = values.pop("count", None)
    if count is None:
        return None
    return RunStats(
        count=int(count),
        first_us=values.get("first"),
        curr_us=values.get("curr"),
        min_us=values.get("min"),
        max_us=values.get("max"),
        avg_us=values.get("avg"),
        std_us=values.get("std"),
        p5_us=values.get("p5"),
        median_us=values.get("median"),
        p95_us=values.get("p95"),
    )


def _split(raw: str) -> tuple[str | None, str]:
    """A line's severity (None: no prefix) and its text."""
    match = _PREFIX.match(raw)
    severity = match.group(1) if match else None
    return severity, raw[match.end() if match else 0 :].strip()


def _is_failure(severity: str | None, line: str) -> bool:
    if severity is not None:
        return severity in ("ERROR", "FATAL")
    return line.lower().startswith(_UNPREFIXED_FAILURES)


def parse_benchmark_output(text: str) -> BenchmarkOutput:
    """Parse one invocation's output; the last two `count=` lines are warm-up, then inference."""
    stats: list[RunStats] = []
    found: dict[str, float | None] = {}
    errors: list[str] = []
    fatal = False
    delegation: Delegation | None = None
    unconsumed: tuple[str, ...] = ()
    runs: int | None = None
    for raw in text.splitlines():
        severity, line = _split(raw)
        if not line:
            continue
        lower = line.lower()
        delegation = _delegation(line) or delegation
        if _is_failure(severity, line):
            errors.append(line)
            fatal = fatal or severity == "FATAL"
            continue
        if unconsumed_match := _UNCONSUMED.match(line):
            unconsumed = tuple(unconsumed_match.group(1).split())
        elif "timings in us" in lower:
            _, _, body = line.partition(":")
            for key, value in _TIMING.findall(body):
                name = _TIMING_KEYS.get(key.strip().lower())
                if name is not None:
                    found[name] = _number(value)
        elif litert := _LITERT_MS.match(line):
            value = _number(litert.group(2))
            found[_LITERT_KEYS[litert.group(1)]] = None if value is None else value * 1000
            if litert.group(1) == "Inference (avg)" and litert.group(3):
                runs = int(litert.group(3))
        elif "memory footprint" in lower:
            _memory(line, lower, found)
        elif line.startswith("count="):
            stat = parse_stat_line(line)
            if stat is not None:
                stats.append(stat)
    warmup = stats[-2] if len(stats) >= 2 else None
    inference = stats[-1] if stats else None
    first = found.get("first_us")
    if first is None and warmup is not None and warmup.count > 0:
        # TF 2.0 and older print no "First inference"; the warm-up line's first run is it
        # (`count=1 curr=X` and `count=N curr=X(all same)` say X).
        first = warmup.first_us if warmup.first_us is not None else warmup.curr_us
    return BenchmarkOutput(
        warmup=warmup,
        inference=inference,
        init_us=found.get("init_us"),
        first_us=first,
        warmup_avg_us=found.get("warmup_avg_us"),
        inference_avg_us=found.get("inference_avg_us"),
        init_memory_mb=found.get("init_memory_mb"),
        overall_memory_mb=found.get("overall_memory_mb"),
        peak_memory_mb=found.get("peak_memory_mb"),
        errors=tuple(errors),
        fatal=fatal,
        delegation=delegation,
        unconsumed_flags=unconsumed,
        inference_runs=runs,
    )


def _delegation(line: str) -> Delegation | None:
    if match := _PARTIAL.search(line):
        return Delegation(match.group(1), "partial", int(match.group(2)))
    if match := _FULL.search(line):
        return Delegation(match.group(1), "full")
    if match := _NOT_RUN.search(line):
        return Delegation(match.group(1), "none")
    if match := _APPLIED.match(line):
        return Delegation(match.group(1), "applied")
    if match := _UNSUPPORTED.match(line):
        return Delegation(match.group(1), "unsupported")
    if match := _APPLY_FAILED.search(line):
        return Delegation(match.group(1), "failed")
    return None


def _memory(line: str, lower: str, found: dict[str, float | None]) -> None:
    """`init=`/`overall=` are growth since the tool started, whatever the line's label: newer
    builds say "Memory footprint delta from the start of the tool (MB)", TF 2.3 said "Peak
    memory footprint (MB)" for the same two figures. Only "Overall peak memory footprint (MB)
    via periodic monitoring: X" (--report_peak_memory_footprint) is a peak."""
    pairs = {key: _number(value) for key, value in _PAIR.findall(line)}
    if pairs:
        found["init_memory_mb"] = pairs.get("init")
        found["overall_memory_mb"] = pairs.get("overall")
        return
    tail = re.search(rf":\s*({_NUMBER})\s*$", line)
    if "peak" in lower and tail:
        found["peak_memory_mb"] = _number(tail.group(1))
