"""The TFLite variants of one model, side by side: size, accuracy, change from Keras, score.

This is what the CLI's `cnnlab variants` and the TUI's experiment screen show; it reads only the
store (artifact meta written by the conversion job), so it costs no TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cnnlab.report.latency import mobile_ai_score
from cnnlab.store import (
    Artifact,
    ExperimentQuery,
    Store,
    list_artifacts,
    list_bench_runs,
    list_experiments,
)


@dataclass(frozen=True)
class TfliteVariant:
    """One .tflite file of an experiment, with what its conversion and evaluation recorded."""

    artifact_id: int
    experiment_id: int
    mode: str
    optimize: str | None
    bytes: int
    sha256: str
    path: str
    convert_job_id: int | None
    top1: float | None
    top3: float | None
    delta_top1: float | None
    delta_top3: float | None
    keras_top1: float | None
    latency_ms: float | None
    score: float | None
    ops: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "artifact_id": self.artifact_id,
            "experiment_id": self.experiment_id,
            "mode": self.mode,
            "optimize": self.optimize,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "path": self.path,
            "convert_job_id": self.convert_job_id,
            "top1": self.top1,
            "top3": self.top3,
            "delta_top1": self.delta_top1,
            "delta_top3": self.delta_top3,
            "keras_top1": self.keras_top1,
            "latency_ms": self.latency_ms,
            "score": self.score,
            "ops": list(self.ops),
        }


def list_variants(store: Store, experiment_id: int) -> list[TfliteVariant]:
    """Every TFLite artifact of `experiment_id`, oldest first, with the Mobile AI 2021 score
    wherever a bench run measured that artifact."""
    latencies = _latencies_ms(store, experiment_id)
    return [
        _variant(artifact, latencies.get(artifact.id))
        for artifact in list_artifacts(store, experiment_id)
        if artifact.kind == "tflite"
    ]


def _variant(artifact: Artifact, latency_ms: float | None) -> TfliteVariant:
    meta = artifact.meta
    evaluation = meta.get("evaluation") or {}
    top1, top3 = evaluation.get("top1"), evaluation.get("top3")
    score = None
    if latency_ms and top1 is not None and top3 is not None:
        score = mobile_ai_score(top1, top3, latency_ms)
    return TfliteVariant(
        artifact_id=artifact.id,
        experiment_id=artifact.experiment_id,
        mode=str(meta.get("mode", "?")),
        optimize=meta.get("optimize"),
        bytes=artifact.bytes,
        sha256=artifact.sha256,
        path=artifact.path,
        convert_job_id=meta.get("convert_job_id"),
        top1=top1,
        top3=top3,
        delta_top1=evaluation.get("delta_top1"),
        delta_top3=evaluation.get("delta_top3"),
        keras_top1=evaluation.get("keras_top1"),
        latency_ms=latency_ms,
        score=score,
        ops=tuple(meta.get("ops", ())),
    )


def _latencies_ms(store: Store, experiment_id: int) -> dict[int, float]:
    """Mean latency per artifact id from bench runs of this experiment or of its children.

    The store has no query by artifact yet, so bench runs are found through the experiments
    that can hold them: the model's own row and its children (bench and convert jobs).
    """
    holders = [experiment_id] + [
        e.id
        for e in list_experiments(
            store, ExperimentQuery(parent_id=experiment_id, limit=10_000, sort="id")
        )
    ]
    latencies: dict[int, float] = {}
    for holder in holders:
        for run in list_bench_runs(store, holder):
            if run.artifact_id is not None and run.mean_us is not None:
                latencies[run.artifact_id] = run.mean_us / 1000.0  # the newest run wins
    return latencies
