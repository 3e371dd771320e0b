"""Paper-style tables of repeated runs: one row per run, then mean, std, min and max.

This is paper 002's table 2 (ten scratch runs: minutes and accuracy) and its comparison with the
transfer-learning repeats ("12.3x faster, +1.5 points"), computed from the store.
"""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
from dataclasses import dataclass
from typing import Any

from cnnlab.errors import CnnlabError
from cnnlab.store import Experiment, ExperimentQuery, Store, get_experiment, list_experiments


@dataclass(frozen=True)
class Stats:
    mean: float
    std: float  # sample standard deviation (n - 1); 0 for a single run
    min: float
    max: float

    @classmethod
    def of(cls, values: list[float]) -> Stats:
        std = statistics.stdev(values) if len(values) > 1 else 0.0
        return cls(statistics.fmean(values), std, min(values), max(values))


@dataclass(frozen=True)
class RunRow:
    id: int
    name: str
    status: str
    minutes: float
    accuracy: float


@dataclass(frozen=True)
class GroupReport:
    """A group of repeats (or a single run) and its aggregates."""

    group_id: int
    label: str
    rows: tuple[RunRow, ...]
    skipped: tuple[int, ...]  # runs not done, or without time or accuracy
    minutes: Stats
    accuracy: Stats


@dataclass(frozen=True)
class Comparison:
    """How the second group compares with the first."""

    speedup: float  # mean minutes of the first / mean minutes of the second
    accuracy_points: float  # (mean accuracy of the second - of the first) * 100

    def sentence(self) -> str:
        if self.speedup >= 1:
            pace = f"{self.speedup:.1f}x faster"
        else:
            pace = f"{1 / self.speedup:.1f}x slower"
        return f"{pace}, {self.accuracy_points:+.1f} points"


def group_members(store: Store, experiment_id: int) -> list[Experiment]:
    """The runs of a group, given the group's id or any member's id (a lone run is its own)."""
    experiment = get_experiment(store, experiment_id)
    group = experiment.group_id
    if group is None:
        return [experiment]
    return list_experiments(
        store, ExperimentQuery(group_id=group, sort="id", descending=False, limit=100_000)
    )


def accuracy_of(experiment: Experiment) -> float | None:
    if experiment.best_val_accuracy is not None:
        return experiment.best_val_accuracy
    value = experiment.final_metrics.get("val_accuracy")
    return None if value is None else float(value)


def group_report(store: Store, experiment_id: int) -> GroupReport:
    members = group_members(store, experiment_id)
    rows: list[RunRow] = []
    skipped: list[int] = []
    for e in members:
        accuracy = accuracy_of(e)
        if e.status != "done" or e.train_seconds is None or accuracy is None:
            skipped.append(e.id)
            continue
        rows.append(RunRow(e.id, e.name, e.status, e.train_seconds / 60.0, accuracy))
    if not rows:
        raise CnnlabError(
            f"Group {experiment_id} has no finished run with a time and an accuracy yet "
            f"({len(members)} run(s): {', '.join(sorted({e.status for e in members}))})."
        )
    first = members[0]
    label = first.name.rsplit(" #", 1)[0] or f"{first.kind} {first.model}"
    return GroupReport(
        group_id=first.group_id or first.id,
        label=label,
        rows=tuple(rows),
        skipped=tuple(skipped),
        minutes=Stats.of([r.minutes for r in rows]),
        accuracy=Stats.of([r.accuracy for r in rows]),
    )


def compare(first: GroupReport, second: GroupReport) -> Comparison:
    speedup = first.minutes.mean / second.minutes.mean if second.minutes.mean else math.inf
    return Comparison(speedup, (second.accuracy.mean - first.accuracy.mean) * 100)


def to_json(reports: list[GroupReport]) -> dict[str, Any]:
    def stats(s: Stats) -> dict[str, float]:
        return {"mean": s.mean, "std": s.std, "min": s.min, "max": s.max}

    data: dict[str, Any] = {
        "groups": [
            {
                "group_id": r.group_id,
                "label": r.label,
                "runs": [
                    {
                        "id": row.id,
                        "name": row.name,
                        "minutes": row.minutes,
                        "accuracy": row.accuracy,
                    }
                    for row in r.rows
                ],
                "skipped": list(r.skipped),
                "minutes": stats(r.minutes),
                "accuracy": stats(r.accuracy),
            }
            for r in reports
        ]
    }
    if len(reports) == 2:
        comparison = compare(reports[0], reports[1])
        data["comparison"] = {
            "speedup": comparison.speedup,
            "accuracy_points": comparison.accuracy_points,
            "sentence": comparison.sentence(),
        }
    return data


def to_markdown(reports: list[GroupReport]) -> str:
    lines: list[str] = []
    for r in reports:
        lines += [
            f"### {r.label} (group {r.group_id}, {len(r.rows)} runs)",
            "",
            "| run | id | minutes | accuracy |",
            "| --- | --- | ---: | ---: |",
        ]
        lines += [
            f"| {i} | {row.id} | {row.minutes:.2f} | {row.accuracy:.3f} |"
            for i, row in enumerate(r.rows, start=1)
        ]
        for what in ("mean", "std", "min", "max"):
            lines.append(
                f"| **{what}** | | {getattr(r.minutes, what):.2f} | "
                f"{getattr(r.accuracy, what):.3f} |"
            )
        if r.skipped:
            lines.append(
                f"\nNot counted (not done, or no time/accuracy): {', '.join(map(str, r.skipped))}."
            )
        lines.append("")
    if len(reports) == 2:
        first, second = reports
        lines.append(
            f"**{second.label}** against **{first.label}**: {compare(first, second).sentence()}."
        )
    return "\n".join(lines).rstrip() + "\n"


def to_csv(reports: list[GroupReport]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["group_id", "label", "row", "id", "minutes", "accuracy"])
    for r in reports:
        for row in r.rows:
            writer.writerow(
                [r.group_id, r.label, "run", row.id, f"{row.minutes:.6g}", f"{row.accuracy:.6g}"]
            )
        for what in ("mean", "std", "min", "max"):
            writer.writerow(
                [
                    r.group_id,
                    r.label,
                    what,
                    "",
                    f"{getattr(r.minutes, what):.6g}",
                    f"{getattr(r.accuracy, what):.6g}",
                ]
            )
    return out.getvalue()


def render(reports: list[GroupReport], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(to_json(reports), indent=2) + "\n"
    if fmt == "csv":
        return to_csv(reports)
    if fmt == "md":
        return to_markdown(reports)
    raise CnnlabError(f"Unknown report format {fmt!r}; use md, csv or json.")
