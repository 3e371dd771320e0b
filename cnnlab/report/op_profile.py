"""Where the time goes: the layer profiles of benchmarks, one per latency row, and two side by side.

A bench made with `--profile-ops` keeps benchmark_model's per-node table mapped to Keras layers
(`layer_profile` in its bench run). The Latency screen and `cnnlab profile` read the profiles
here, for the same rows `cnnlab.report.latency` gives (the newest bench per model variant,
device and setting), so a layer's share is the same figure wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cnnlab.layer_times import LayerTime
from cnnlab.report.latency import LatencyRow, read_latency
from cnnlab.store import BenchRun, Store, bench_runs_for


@dataclass(frozen=True)
class LayerProfile:
    """One benchmark's time per layer (ms per run), in run order."""

    bench_run_id: int
    row_id: int  # the latency row it belongs to (its bench run: the newest, maybe unprofiled)
    label: str  # the latency row's: model, variant, device, setting, delegation
    device: str
    delegate: str
    runs: int
    layers: tuple[LayerTime, ...]
    # What a delegate timed inside its kernel (XNNPACK does), (its op, ms per run), slowest
    # first: a partition's own breakdown, by the delegate's op names, not by layer.
    delegate_ops: tuple[tuple[str, float], ...] = ()

    @property
    def total_ms(self) -> float:
        return sum(layer.ms for layer in self.layers)

    def slowest(self, count: int | None = None) -> list[LayerTime]:
        ordered = sorted(self.layers, key=lambda layer: (-layer.ms, layer.first_index))
        return ordered if count is None else ordered[:count]


@dataclass(frozen=True)
class SideBySide:
    """One layer's time in two profiles (None: not in that one, e.g. inside a delegate)."""

    layer: str
    first_ms: float | None
    second_ms: float | None

    @property
    def ratio(self) -> float | None:
        """How many times the second profile's time the first's is."""
        if not self.first_ms or self.second_ms is None:
            return None
        return self.second_ms / self.first_ms


def profile_of(run: BenchRun, row: LatencyRow) -> LayerProfile | None:
    """The layer profile a bench run kept, or None when it was made without --profile-ops."""
    extra = run.extra or {}
    layers = extra.get("layer_profile")
    if not isinstance(layers, list) or not layers:
        return None
    profile = extra.get("op_profile") or {}
    return LayerProfile(
        bench_run_id=run.id or 0,
        row_id=row.bench_run_id,
        label=row.label,
        device=row.device,
        delegate=str(profile.get("delegate", run.delegate)),
        runs=int(profile.get("runs") or 0),
        layers=tuple(LayerTime.from_dict(layer) for layer in layers),
        delegate_ops=_delegate_ops(profile.get("delegate_internal") or []),
    )


def _delegate_ops(rows: list[dict[str, object]]) -> tuple[tuple[str, float], ...]:
    """`Delegate/Convolution (NHWC, F32) IGEMM:3` rows as (op, ms per run), slowest first."""
    ops = []
    for row in rows:
        name = str(row.get("name", "")).removeprefix("Delegate/").rpartition(":")[0]
        avg = row.get("avg_ms")
        times = row.get("times_called")
        if name and isinstance(avg, int | float):
            ops.append((name, float(avg) * (times if isinstance(times, int) else 1)))
    return tuple(sorted(ops, key=lambda op: -op[1]))


def _setting(run: BenchRun) -> tuple[int | None, int | None, str, str]:
    return (
        run.artifact_id,
        run.device_id,
        str((run.extra or {}).get("mode", "warm")),
        run.delegate,
    )


def read_profiles(
    store: Store, experiment_ids: Sequence[int], rows: Sequence[LatencyRow] | None = None
) -> list[LayerProfile]:
    """The layer profiles of these experiments' latency rows (`rows`, when already read), in
    the rows' order: for each, the newest profiled bench of the same model variant, device
    and setting (a later bench made without --profile-ops does not hide the profile)."""
    if rows is None:
        rows = read_latency(store, experiment_ids).rows
    runs = bench_runs_for(store, experiment_ids)
    by_id = {run.id: run for run in runs}
    profiled = {_setting(run): run for run in runs if (run.extra or {}).get("layer_profile")}
    profiles = []
    for row in rows:
        shown = by_id.get(row.bench_run_id)
        run = profiled.get(_setting(shown)) if shown is not None else None
        profile = profile_of(run, row) if run is not None else None
        if profile is not None:
            profiles.append(profile)
    return profiles


def side_by_side(first: LayerProfile, second: LayerProfile) -> list[SideBySide]:
    """Both profiles by layer: the first's run order, then what only the second has."""
    times_a = {layer.layer: layer.ms for layer in first.layers}
    times_b = {layer.layer: layer.ms for layer in second.layers}
    names = list(times_a) + [name for name in times_b if name not in times_a]
    return [SideBySide(name, times_a.get(name), times_b.get(name)) for name in names]


_EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(fraction: float, width: int) -> str:
    """A horizontal bar `fraction` of `width` cells long, in eighths of a cell."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (_EIGHTHS[part] if part else "")).ljust(width)
