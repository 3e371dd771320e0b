"""Publication figures through matplotlib: training curves, latency histograms per device, and
the accuracy-latency scatter with its Pareto front, written as PNG and SVG (or PDF).

Every paper behind cnnlab drew these by hand; here they come from the store. matplotlib is
imported only when a figure is drawn, with the non-interactive Agg backend (no display on a
lab server).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnnlab.report.tables import accuracy_of
from cnnlab.store import (
    Store,
    bench_runs_for,
    get_artifact,
    get_experiment,
    get_samples,
    list_devices,
    list_epochs,
)

FORMATS = ("png", "svg", "pdf")


@dataclass(frozen=True)
class Point:
    label: str
    latency_ms: float
    accuracy: float


def pareto_front(points: Sequence[Point]) -> list[int]:
    """Indices of the points no other point beats on both latency (lower) and accuracy."""
    front = []
    for i, p in enumerate(points):
        dominated = any(
            q.latency_ms <= p.latency_ms
            and q.accuracy >= p.accuracy
            and (q.latency_ms < p.latency_ms or q.accuracy > p.accuracy)
            for j, q in enumerate(points)
            if j != i
        )
        if not dominated:
            front.append(i)
    return sorted(front, key=lambda i: points[i].latency_ms)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "figure.dpi": 150,
            "font.size": 9,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "savefig.bbox": "tight",
        }
    )
    return plt


def _save(figure: Any, folder: Path, stem: str, formats: Sequence[str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = folder / f"{stem}.{fmt}"
        figure.savefig(path)
        paths.append(path)
    return paths


def training_curves(
    store: Store, ids: Sequence[int], folder: Path, formats: Sequence[str] = ("png", "svg")
) -> list[Path]:
    """Loss and accuracy (train dashed, validation solid) per epoch for each experiment."""
    plt = _pyplot()
    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(8, 3.2))
    drawn = False
    for experiment_id in ids:
        epochs = list_epochs(store, experiment_id)
        if not epochs:
            continue
        drawn = True
        e = get_experiment(store, experiment_id)
        label = f"#{e.id} {e.name or e.model}"
        numbers = [epoch.epoch for epoch in epochs]
        for axis, metric in ((loss_axis, "loss"), (accuracy_axis, "accuracy")):
            line = None
            for prefix, style in (("val_", "-"), ("", "--")):
                values = [epoch.metrics.get(prefix + metric) for epoch in epochs]
                if all(v is None for v in values):
                    continue
                kwargs: dict[str, Any] = {"color": line.get_color()} if line else {"label": label}
                (drawn_line,) = axis.plot(numbers, values, style, linewidth=1.2, **kwargs)
                line = line or drawn_line
    if not drawn:
        plt.close(figure)
        return []
    from matplotlib.ticker import MaxNLocator

    for axis in (loss_axis, accuracy_axis):
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    loss_axis.set(xlabel="epoch", ylabel="loss", title="Loss (dashed: training)")
    accuracy_axis.set(xlabel="epoch", ylabel="accuracy", title="Accuracy (dashed: training)")
    accuracy_axis.legend(fontsize=7, loc="lower right")
    paths = _save(figure, folder, "training_curves", formats)
    plt.close(figure)
    return paths


def latency_histograms(
    store: Store, ids: Sequence[int], folder: Path, formats: Sequence[str] = ("png", "svg")
) -> list[Path]:
    """One histogram per device of every per-run sample, median / p90 / p99 marked."""
    runs = bench_runs_for(store, ids)
    if not runs:
        return []
    devices = {d.id: d for d in list_devices(store)}
    by_device: dict[int | None, list[Any]] = {}
    for run in runs:
        by_device.setdefault(run.device_id, []).append(run)
    plt = _pyplot()
    figure, axes = plt.subplots(
        len(by_device), 1, figsize=(6, 2.4 * len(by_device)), squeeze=False, sharex=True
    )
    for axis, (device_id, device_runs) in zip(axes[:, 0], by_device.items(), strict=True):
        device = devices.get(device_id) if device_id is not None else None
        title = device.model or device.serial if device else "unknown device"
        for run in device_runs:
            assert run.id is not None
            samples_ms = [s / 1000 for s in get_samples(store, run.id)]
            if not samples_ms:
                continue
            axis.hist(samples_ms, bins=40, alpha=0.55, label=_run_label(store, run))
            for value, style in ((run.median_us, "-"), (run.p90_us, "--"), (run.p99_us, ":")):
                if value is not None:
                    axis.axvline(value / 1000, linestyle=style, linewidth=0.9, color="black")
        axis.set(title=f"{title} (lines: median, p90, p99)", ylabel="runs")
        axis.legend(fontsize=7)
    axes[-1, 0].set_xlabel("latency (ms)")
    paths = _save(figure, folder, "latency_histograms", formats)
    plt.close(figure)
    return paths


def _run_label(store: Store, run: Any) -> str:
    parts = [f"run {run.id}"]
    if run.artifact_id is not None:
        meta = get_artifact(store, run.artifact_id).meta
        parts.append(str(meta.get("mode", "")))
    parts.append(f"{run.delegate}, {run.threads or '?'} threads")
    return " ".join(p for p in parts if p)


def accuracy_points(store: Store, ids: Sequence[int]) -> list[Point]:
    """(median latency, accuracy) for every benchmarked model among these experiments."""
    points = []
    for run in bench_runs_for(store, ids):
        if run.median_us is None or run.artifact_id is None:
            continue
        artifact = get_artifact(store, run.artifact_id)
        # Conversion jobs record LiteRT's own top-1 on the validation set; older or imported
        # artifacts fall back to the Keras model's accuracy.
        accuracy = (artifact.meta.get("evaluation") or {}).get("top1", artifact.meta.get("top1"))
        owner = get_experiment(store, artifact.experiment_id)
        if accuracy is None:
            accuracy = accuracy_of(owner)
        if accuracy is None:
            continue
        mode = artifact.meta.get("mode", artifact.kind)
        points.append(
            Point(f"#{owner.id} {owner.model} {mode}", run.median_us / 1000, float(accuracy))
        )
    return points


def accuracy_latency(
    store: Store, ids: Sequence[int], folder: Path, formats: Sequence[str] = ("png", "svg")
) -> list[Path]:
    """Accuracy against median latency, the Pareto front joined and labelled."""
    points = accuracy_points(store, ids)
    if not points:
        return []
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(5, 3.6))
    axis.scatter(
        [p.latency_ms for p in points],
        [p.accuracy for p in points],
        s=18,
        color="grey",
        label="models",
    )
    front = pareto_front(points)
    axis.plot(
        [points[i].latency_ms for i in front],
        [points[i].accuracy for i in front],
        "-o",
        markersize=4,
        label="Pareto front",
    )
    for i in front:
        axis.annotate(
            points[i].label,
            (points[i].latency_ms, points[i].accuracy),
            fontsize=6,
            xytext=(3, 3),
            textcoords="offset points",
        )
    axis.set(xlabel="median latency (ms)", ylabel="accuracy", title="Accuracy against latency")
    axis.legend(fontsize=7)
    paths = _save(figure, folder, "accuracy_latency", formats)
    plt.close(figure)
    return paths


def write_figures(
    store: Store, ids: Sequence[int], folder: Path, formats: Sequence[str] = ("png", "svg")
) -> list[Path]:
    """Every figure that the chosen experiments have data for."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        from cnnlab.errors import CnnlabError

        raise CnnlabError(f"Unknown figure format {unknown[0]!r}; use {', '.join(FORMATS)}.")
    return [
        *training_curves(store, ids, folder, formats),
        *latency_histograms(store, ids, folder, formats),
        *accuracy_latency(store, ids, folder, formats),
    ]
