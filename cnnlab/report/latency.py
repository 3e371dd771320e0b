"""Latency rows: every benchmark of some experiments' models as one row per variant, device
and setting, with its samples, percentiles, accuracy, size, Mobile AI score and Pareto flag.

The TUI's latency screen draws these rows, and the CLI and reports can read the same ones, so a
statistic shown in one place is the statistic shown in every other (issue 14: they used to be
computed inside the screen). Only the store is read; no TensorFlow.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cnnlab.report.plots import Point, pareto_front
from cnnlab.store import (
    Artifact,
    BenchRun,
    Device,
    Experiment,
    Store,
    StoreError,
    Version,
    bench_runs_for,
    data_version,
    experiments_by_ids,
    get_artifact,
    get_samples,
    list_devices,
)


def mobile_ai_score(top1: float, top3: float, runtime_ms: float) -> float:
    """Paper 003's Mobile AI 2021 score, `2^((top1 - 96) + (top3 - 99)) / runtime` with C = 1.

    Accuracies are fractions here (0.925 for 92.5%), as cnnlab stores them; the formula takes
    percentages. `runtime_ms` is the mean latency in milliseconds.
    """
    if runtime_ms <= 0:
        raise ValueError(f"runtime must be positive, got {runtime_ms!r} ms")
    exponent = (top1 * 100 - 96.0) + (top3 * 100 - 99.0)
    return float(2.0**exponent / runtime_ms)


@dataclass(frozen=True)
class LatencyRow:
    """The newest benchmark of one model variant on one device in one (warm or cold) setting."""

    bench_run_id: int
    experiment_id: int
    model: str
    variant: str
    device: str
    bench_mode: str
    samples_ms: tuple[float, ...]
    median_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    mean_ms: float | None
    top1: float | None
    top3: float | None
    bytes: int | None
    score: float | None
    pareto: bool = False
    device_id: int | None = None  # the store's device row (serial, model, SoC...)
    # The tool's steady-state summary of one long invocation (phones), apart from the samples:
    # its median (the mean where the tool prints no percentiles) and its run count.
    steady_ms: float | None = None
    steady_n: int | None = None
    # What the tool said ran on the delegate asked for ("GPU partial (3 delegate kernels, rest
    # on CPU)"); None for CPU runs and for benches recorded before it was measured.
    ran_on: str | None = None
    samples_are: str = "timed runs"  # what one sample is (`_samples_are`)
    delegate: str = "cpu"  # the delegate asked for
    extent: str | None = None  # what the tool said of it: full, partial, ... (None: not said)
    busy: bool = False  # taken while other jobs loaded the host's CPUs (`busy_host`)

    @property
    def ran_short(self) -> str:
        """What ran, in a few letters for a table cell: `gpu`, `gpu+c` (partly on the CPU)."""
        short = {"xnnpack": "xnn", "nnapi": "nnapi"}.get(self.delegate, self.delegate)
        mark = "!" if self.busy else ""
        if self.extent == "partial":
            return f"{short[:3]}+c{mark}"
        return (short if self.extent in (None, "full", "applied", "cpu") else f"{short}?") + mark

    @property
    def label(self) -> str:
        ran = f" [{self.ran_on}]" if self.ran_on else ""
        return f"{self.model} {self.variant} · {self.device} ({self.bench_mode}){ran}"


@dataclass(frozen=True)
class LatencyData:
    rows: list[LatencyRow]
    data_version: Version


def _device_label(device: Device | None, run: BenchRun) -> str:
    serial = (run.extra or {}).get("device_serial")
    if device is None:
        return str(serial or "?")
    if device.kind == "host":
        return device.serial
    return device.model or device.serial


def _accuracy(artifact: Artifact | None, owner: Experiment) -> tuple[float | None, float | None]:
    """The TFLite variant's own accuracy when its conversion evaluated it, else the model's."""
    if artifact is not None:
        evaluation = artifact.meta.get("evaluation") or {}
        top1 = evaluation.get("top1", artifact.meta.get("top1"))
        if top1 is not None:
            return float(top1), evaluation.get("top3", artifact.meta.get("top3"))
    return owner.best_val_accuracy, None


def _score(top1: float | None, top3: float | None, mean_ms: float | None) -> float | None:
    if top1 is None or top3 is None or not mean_ms:
        return None
    return mobile_ai_score(top1, top3, mean_ms)


def mark_pareto(rows: Sequence[LatencyRow]) -> list[LatencyRow]:
    """Flag the accuracy-latency Pareto front, found per device and setting: milliseconds on
    a phone and on the host (or warm and cold) are not the same currency.
    """
    on_front: set[int] = set()
    groups: dict[tuple[str, str], list[int]] = {}
    for index, row in enumerate(rows):
        if row.median_ms is not None and row.top1 is not None:
            groups.setdefault((row.device, row.bench_mode), []).append(index)
    for members in groups.values():
        points = [
            Point(rows[i].label, rows[i].median_ms or 0.0, rows[i].top1 or 0.0) for i in members
        ]
        on_front.update(members[i] for i in pareto_front(points))
    return [dataclasses.replace(row, pareto=i in on_front) for i, row in enumerate(rows)]


def read_latency(store: Store, experiment_ids: Sequence[int]) -> LatencyData:
    """Every benchmark of these experiments' models, the newest per variant, device, mode and
    delegate."""
    version = data_version(store)
    with store.snapshot():
        newest: dict[tuple[int | None, int | None, str, str, int], BenchRun] = {}
        for run in bench_runs_for(store, experiment_ids):
            mode = str((run.extra or {}).get("mode", "warm"))
            holder = run.experiment_id if run.artifact_id is None else 0
            # A GPU and a CPU bench of one model on one phone are two settings, two rows.
            newest[(run.artifact_id, run.device_id, mode, run.delegate, holder)] = run
        devices = {d.id: d for d in list_devices(store)}
        artifacts: dict[int, Artifact | None] = {}
        for run in newest.values():
            if run.artifact_id is not None and run.artifact_id not in artifacts:
                try:
                    artifacts[run.artifact_id] = get_artifact(store, run.artifact_id)
                except StoreError:
                    artifacts[run.artifact_id] = None  # deleted since; its run still counts
        owner_ids = {
            a.experiment_id if (a := artifacts.get(r.artifact_id or -1)) else r.experiment_id
            for r in newest.values()
        }
        owners = {e.id: e for e in experiments_by_ids(store, sorted(owner_ids))}
        rows = []
        for (artifact_id, _device, mode, _delegate, _holder), run in sorted(
            newest.items(), key=lambda item: item[1].id or 0
        ):
            artifact = artifacts.get(artifact_id) if artifact_id is not None else None
            owner = owners.get(artifact.experiment_id if artifact else run.experiment_id)
            if owner is None:
                continue
            try:
                samples = tuple(v / 1000 for v in get_samples(store, run.id or 0))
            except StoreError:
                samples = ()
            top1, top3 = _accuracy(artifact, owner)
            mean_ms = run.mean_us / 1000 if run.mean_us is not None else None
            rows.append(
                LatencyRow(
                    bench_run_id=run.id or 0,
                    experiment_id=owner.id,
                    model=f"#{owner.id} {owner.model or owner.name or ''}".strip(),
                    variant=str(artifact.meta.get("mode", artifact.kind)) if artifact else "?",
                    device=_device_label(devices.get(run.device_id), run),
                    bench_mode=mode,
                    samples_ms=samples,
                    median_ms=run.median_us / 1000 if run.median_us is not None else None,
                    p90_ms=run.p90_us / 1000 if run.p90_us is not None else None,
                    p99_ms=run.p99_us / 1000 if run.p99_us is not None else None,
                    mean_ms=mean_ms,
                    top1=top1,
                    top3=top3,
                    bytes=artifact.bytes if artifact else None,
                    score=_score(top1, top3, mean_ms),
                    ran_on=_ran_on(run),
                    delegate=run.delegate,
                    extent=_extent(run),
                    samples_are=_samples_are(run, mode),
                    busy=busy_host(run) is not None,
                    device_id=run.device_id,
                    **_steady(run),
                )
            )
    return LatencyData(mark_pareto(rows), version)


def _ran_on(run: BenchRun) -> str | None:
    """The delegation a phone bench recorded (`cnnlab.devices.phone`), unless it is the CPU,
    and what else ran while an imported log's runs were timed (op profiling slows them)."""
    extra = run.extra or {}
    said = extra.get("delegation")
    described = None
    if isinstance(said, dict) and said.get("requested") not in (None, "cpu"):
        described = str(said["described"]) if said.get("described") else None
    caveats = []
    timed_with = extra.get("timed_with")
    if isinstance(timed_with, list) and timed_with:
        caveats.append(f"timed with {' and '.join(map(str, timed_with))}")
    if busy := busy_host(run):
        caveats.append(busy)
    for caveat in caveats:
        described = f"{described}; {caveat}" if described else caveat
    return described


def busy_host(run: BenchRun) -> str | None:
    """ "busy host (#3 train running, load 1.92)" when other jobs loaded the host's CPUs during
    a host bench (`--allow-busy`, or a bench recorded before the scheduler waited for quiet)."""
    load = (run.extra or {}).get("host_load")
    if not isinstance(load, dict) or not load.get("busy"):
        return None
    others = ", ".join(
        f"#{o.get('id')} {o.get('kind')}" for o in load.get("others") or [] if isinstance(o, dict)
    )
    return f"busy host ({others} running, load {load.get('load_1m_after')})"


def _samples_are(run: BenchRun, mode: str) -> str:
    """What one sample of this bench is: the histogram's distribution, said in words."""
    extra = run.extra or {}
    if extra.get("imported"):
        return "imported per-run times"
    if mode == "cold":
        return "fresh processes (load + first run)"
    if "remote_model" in extra:  # a phone: benchmark_model prints no single run's time
        return "invocations (load, warm-up, one timed run)"
    return "timed runs of one interpreter"


def _extent(run: BenchRun) -> str | None:
    said = (run.extra or {}).get("delegation")
    extent = said.get("extent") if isinstance(said, dict) else None
    return str(extent) if extent else None


def _steady(run: BenchRun) -> dict[str, Any]:
    """The steady-state figures a phone bench kept beside its samples (`summary_run`)."""
    summary = (run.extra or {}).get("summary_run")
    if not isinstance(summary, dict) or not summary.get("count"):
        return {}
    value = summary.get("median_us")
    if value is None:
        value = (
            summary.get("avg_us") if summary.get("avg_us") is not None else summary.get("curr_us")
        )
    return {
        "steady_ms": value / 1000 if isinstance(value, int | float) else None,
        "steady_n": int(summary["count"]),
    }
