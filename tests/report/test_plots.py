"""Figures for papers: written as files, with the Pareto front of accuracy against latency."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnnlab.report.plots import Point, accuracy_points, pareto_front, write_figures
from cnnlab.store import (
    BenchRun,
    Device,
    Store,
    add_artifact,
    add_bench_run,
    append_epoch,
    create_experiment,
    update_summary,
    upsert_device,
)


def test_pareto_front_keeps_only_undominated_points() -> None:
    points = [
        Point("a", 10, 0.90),
        Point("b", 5, 0.85),
        Point("c", 12, 0.88),
        Point("d", 20, 0.95),
        Point("e", 5, 0.80),
    ]
    assert pareto_front(points) == [1, 0, 3]  # by latency: b, a, d; c and e are dominated


def test_figures_are_written_for_curves_histograms_and_the_scatter(
    store: Store, tmp_path: Path
) -> None:
    phone = upsert_device(store, Device(serial="R58M", kind="adb", model="SM-G950F"))
    rng = np.random.default_rng(1)
    ids = []
    for name, latency, accuracy in (("alexnet", 9000.0, 0.97), ("mobilenet_v2", 4000.0, 0.99)):
        experiment_id = create_experiment(store, "train", name=name, model=name)
        for epoch in (1, 2, 3):
            append_epoch(
                store,
                experiment_id,
                epoch,
                {
                    "loss": 1 / epoch,
                    "val_loss": 1.2 / epoch,
                    "accuracy": 0.3 * epoch,
                    "val_accuracy": 0.29 * epoch,
                },
            )
        update_summary(store, experiment_id, best_val_accuracy=accuracy)
        model = tmp_path / f"{name}.tflite"
        model.write_bytes(b"TFL3")
        artifact = add_artifact(
            store,
            experiment_id,
            "tflite",
            model,
            meta={"mode": "int8", "evaluation": {"top1": accuracy - 0.01}},
        )
        samples = rng.gamma(20, latency / 20, size=200)
        add_bench_run(
            store,
            BenchRun(
                experiment_id=experiment_id,
                artifact_id=artifact,
                device_id=phone,
                threads=4,
                median_us=float(np.median(samples)),
                p90_us=float(np.quantile(samples, 0.9)),
                p99_us=float(np.quantile(samples, 0.99)),
            ),
            samples,
        )
        ids.append(experiment_id)

    # LiteRT's own accuracy after conversion, not the Keras model's
    assert [p.accuracy for p in accuracy_points(store, ids)] == [0.96, 0.98]
    written = write_figures(store, ids, tmp_path / "figures", ["png", "svg"])
    names = sorted(p.name for p in written)
    assert names == [
        "accuracy_latency.png",
        "accuracy_latency.svg",
        "latency_histograms.png",
        "latency_histograms.svg",
        "training_curves.png",
        "training_curves.svg",
    ]
    for path in written:
        assert path.stat().st_size > 1000
    assert (tmp_path / "figures" / "training_curves.png").read_bytes()[:4] == b"\x89PNG"
    assert write_figures(store, [create_experiment(store, "train")], tmp_path / "none") == []
