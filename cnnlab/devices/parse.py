"""Reads what TFLite's `benchmark_model` prints, by key and in any order, across its versions.

The tool's lines changed over the years (`INFO: ` prefixes, percentiles appended to the
`count=...` line, `Inference timings in us:` replacing `Average inference timings in us:`), so
every figure is taken by its key rather than by its position.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?nan|[-+]?inf"
_PAIR = re.compile(rf"([A-Za-z_][\w]*)=({_NUMBER})")
_TIMING = re.compile(rf"([A-Za-z][A-Za-z ()]*?)\s*:\s*({_NUMBER})")
_PREFIX = re.compile(r"^\s*(?:(?:INFO|WARNING|VERBOSE|DEBUG)\s*:\s*)+")
_TIMING_KEYS = {
    "init": "init_us",
    "first inference": "first_us",
    "warmup (avg)": "warmup_avg_us",
    "warmup": "warmup_avg_us",
    "inference (avg)": "inference_avg_us",
    "inference": "inference_avg_us",
    "no stats": "inference_avg_us",
}


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
    peak_memory_mb: float | None = None
    errors: tuple[str, ...] = ()

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


def parse_benchmark_output(text: str) -> BenchmarkOutput:
    """Parse one invocation's output; the last two `count=` lines are warm-up, then inference."""
    stats: list[RunStats] = []
    found: dict[str, float | None] = {}
    errors: list[str] = []
    for raw in text.splitlines():
        line = _PREFIX.sub("", raw).strip()
        lower = line.lower()
        if not line:
            continue
        if lower.startswith("error") or "benchmarking failed" in lower or "failed to" in lower:
            errors.append(re.sub(r"^error\s*:\s*", "", line, flags=re.IGNORECASE))
            continue
        if "timings in us" in lower:
            _, _, body = line.partition(":")
            for key, value in _TIMING.findall(body):
                name = _TIMING_KEYS.get(key.strip().lower())
                if name is not None:
                    found[name] = _number(value)
        elif "memory footprint" in lower:
            _memory(line, lower, found)
        elif re.match(r"count=", line):
            stat = parse_stat_line(line)
            if stat is not None:
                stats.append(stat)
    warmup = stats[-2] if len(stats) >= 2 else None
    inference = stats[-1] if stats else None
    return BenchmarkOutput(
        warmup=warmup,
        inference=inference,
        init_us=found.get("init_us"),
        first_us=found.get("first_us"),
        warmup_avg_us=found.get("warmup_avg_us"),
        inference_avg_us=found.get("inference_avg_us"),
        init_memory_mb=found.get("init_memory_mb"),
        overall_memory_mb=found.get("overall_memory_mb"),
        peak_memory_mb=found.get("peak_memory_mb"),
        errors=tuple(errors),
    )


def _memory(line: str, lower: str, found: dict[str, float | None]) -> None:
    pairs = {key: _number(value) for key, value in _PAIR.findall(line)}
    peak = "peak" in lower
    if pairs:
        found["init_memory_mb"] = pairs.get("init")
        found["overall_memory_mb"] = pairs.get("overall")
        if peak and pairs.get("overall") is not None:
            found["peak_memory_mb"] = pairs["overall"]
        return
    tail = re.search(rf":\s*({_NUMBER})\s*$", line)
    if peak and tail:
        found["peak_memory_mb"] = _number(tail.group(1))
