"""What one benchmark measured, as a frozen value the engine stores with `add_bench_run`.

Every per-run sample travels with its summary and with what makes the number meaningful
(device, mode, threads, delegate, CPU mask, temperatures, binary version, exact command).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from cnnlab.store import BenchRun

BenchMode = Literal["warm", "cold"]


@dataclass(frozen=True)
class LatencySummary:
    """Distribution of per-run latencies in microseconds."""

    count: int
    mean_us: float
    median_us: float
    p90_us: float
    p99_us: float
    min_us: float
    max_us: float
    std_us: float

    def final_metrics(self) -> dict[str, float]:
        """The figures a bench experiment's row keeps (ms), whoever measured the samples."""
        return {
            "median_ms": self.median_us / 1000,
            "p90_ms": self.p90_us / 1000,
            "p99_ms": self.p99_us / 1000,
            "mean_ms": self.mean_us / 1000,
        }


def percentile(ordered: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) of sorted values, interpolated linearly as numpy does."""
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(samples_us: Sequence[float]) -> LatencySummary:
    """Mean, median, p90, p99, min, max and population std of the samples."""
    ordered = sorted(samples_us)
    count = len(ordered)
    mean = math.fsum(ordered) / count
    variance = math.fsum((s - mean) ** 2 for s in ordered) / count
    return LatencySummary(
        count=count,
        mean_us=mean,
        median_us=percentile(ordered, 50),
        p90_us=percentile(ordered, 90),
        p99_us=percentile(ordered, 99),
        min_us=ordered[0],
        max_us=ordered[-1],
        std_us=math.sqrt(variance),
    )


@dataclass(frozen=True)
class BenchResult:
    """One model benchmarked on one device with one configuration; times in microseconds.

    `samples_us` holds every measured run in order (warm-up excluded); in `cold` mode each is
    a fresh process, model loading included. `summary` is computed from the samples, except
    that on phones in warm mode mean, median, min, max and std come from the tool's one long
    invocation (`extra["summary_run"]`), as its own figures are the ones people quote.
    """

    device_serial: str
    mode: BenchMode
    delegate: str
    threads: int | None
    cpu_mask: str | None
    warmup_runs: int
    runs: int
    samples_us: tuple[float, ...]
    summary: LatencySummary | None
    init_us: float | None = None
    first_us: float | None = None
    peak_memory_bytes: int | None = None
    temp_before_c: float | None = None
    temp_after_c: float | None = None
    binary_version: str | None = None
    command: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_bench_run(
        self, experiment_id: int, artifact_id: int | None = None, device_id: int | None = None
    ) -> BenchRun:
        """The store's row for this result (samples go beside it to `add_bench_run`)."""
        summary = self.summary
        return BenchRun(
            experiment_id=experiment_id,
            artifact_id=artifact_id,
            device_id=device_id,
            delegate=self.delegate,
            threads=self.threads,
            cpu_mask=self.cpu_mask,
            warmup_runs=self.warmup_runs,
            runs=len(self.samples_us),
            init_us=self.init_us,
            first_us=self.first_us,
            mean_us=summary.mean_us if summary else None,
            median_us=summary.median_us if summary else None,
            p90_us=summary.p90_us if summary else None,
            p99_us=summary.p99_us if summary else None,
            min_us=summary.min_us if summary else None,
            max_us=summary.max_us if summary else None,
            std_us=summary.std_us if summary else None,
            peak_memory_bytes=self.peak_memory_bytes,
            temp_before_c=self.temp_before_c,
            temp_after_c=self.temp_after_c,
            binary_version=self.binary_version,
            command=self.command,
            extra={
                "mode": self.mode,
                "device_serial": self.device_serial,
                "runs_requested": self.runs,
                **self.extra,
            },
        )
