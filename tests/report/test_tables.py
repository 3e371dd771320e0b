"""Paper 002's tables from the store: repeats, their aggregates and the comparison of two groups."""

from __future__ import annotations

import json
import statistics

import pytest

from cnnlab.engine import TrainSpec, submit_repeats
from cnnlab.errors import CnnlabError
from cnnlab.report import group_report, render
from cnnlab.report.tables import compare
from cnnlab.store import (
    Store,
    create_experiment,
    get_experiment,
    set_group,
    set_status,
    update_summary,
)

# Paper 002's table 2 (scratch) is ten runs; these are made-up minutes and accuracies.
SCRATCH = [(104.0, 0.95), (110.5, 0.94), (98.2, 0.96), (101.7, 0.955), (109.6, 0.945)]
TRANSFER = [(8.1, 0.97), (8.9, 0.96), (8.4, 0.965)]


def make_group(store: Store, runs: list[tuple[float, float]], name: str) -> list[int]:
    ids: list[int] = []
    for index, (minutes, accuracy) in enumerate(runs):
        experiment_id = create_experiment(
            store, "train", name=f"{name} #{index + 1}", group_id=ids[0] if ids else None
        )
        if not ids:
            set_group(store, experiment_id, experiment_id)
        update_summary(store, experiment_id, train_seconds=minutes * 60, best_val_accuracy=accuracy)
        set_status(store, experiment_id, "done")
        ids.append(experiment_id)
    return ids


def test_aggregates_match_numbers_computed_here(store: Store) -> None:
    ids = make_group(store, SCRATCH, "scratch")
    for any_member in (ids[0], ids[3]):
        report = group_report(store, any_member)
        minutes = [m for m, _ in SCRATCH]
        accuracies = [a for _, a in SCRATCH]
        assert [row.id for row in report.rows] == ids
        assert report.minutes.mean == pytest.approx(statistics.fmean(minutes))
        assert report.minutes.std == pytest.approx(statistics.stdev(minutes))
        assert (report.minutes.min, report.minutes.max) == (min(minutes), max(minutes))
        assert report.accuracy.mean == pytest.approx(statistics.fmean(accuracies))
        assert report.accuracy.std == pytest.approx(statistics.stdev(accuracies))
        assert report.label == "scratch"


def test_two_groups_give_the_papers_sentence(store: Store) -> None:
    scratch = group_report(store, make_group(store, SCRATCH, "scratch")[0])
    transfer = group_report(store, make_group(store, TRANSFER, "transfer")[0])
    comparison = compare(scratch, transfer)
    expected_speedup = statistics.fmean(m for m, _ in SCRATCH) / statistics.fmean(
        m for m, _ in TRANSFER
    )
    expected_points = (
        statistics.fmean(a for _, a in TRANSFER) - statistics.fmean(a for _, a in SCRATCH)
    ) * 100
    assert comparison.speedup == pytest.approx(expected_speedup)
    assert comparison.accuracy_points == pytest.approx(expected_points)
    assert comparison.sentence() == f"{expected_speedup:.1f}x faster, {expected_points:+.1f} points"
    markdown = render([scratch, transfer], "md")
    assert "| **mean** |" in markdown
    assert f"{expected_speedup:.1f}x faster" in markdown
    data = json.loads(render([scratch, transfer], "json"))
    assert data["comparison"]["speedup"] == pytest.approx(expected_speedup)
    csv_lines = render([scratch, transfer], "csv").splitlines()
    assert csv_lines[0] == "group_id,label,row,id,minutes,accuracy"
    assert len(csv_lines) == 1 + len(SCRATCH) + len(TRANSFER) + 8


def test_unfinished_runs_are_left_out_and_said(store: Store) -> None:
    ids = make_group(store, SCRATCH[:2], "scratch")
    running = create_experiment(store, "train", name="scratch #3", group_id=ids[0])
    set_status(store, running, "running")
    report = group_report(store, ids[0])
    assert report.skipped == (running,)
    assert "Not counted" in render([report], "md")
    lonely = create_experiment(store, "train")
    with pytest.raises(CnnlabError, match="no finished run"):
        group_report(store, lonely)


def test_repeats_are_one_group_with_consecutive_seeds(store: Store) -> None:
    spec = TrainSpec(model="alexnet", data="/data", seed=7, name="scratch")
    ids = submit_repeats(store, spec, 3, start_scheduler=False)
    runs = [get_experiment(store, i) for i in ids]
    assert [r.group_id for r in runs] == [ids[0]] * 3
    assert [r.spec["seed"] for r in runs] == [7, 8, 9]
    assert [r.name for r in runs] == ["scratch #1", "scratch #2", "scratch #3"]
    with pytest.raises(CnnlabError, match="--repeat must be a positive whole number"):
        submit_repeats(store, spec, 0, start_scheduler=False)


def test_report_cli(invoke, store: Store) -> None:  # type: ignore[no-untyped-def]
    first = make_group(store, SCRATCH, "scratch")[0]
    second = make_group(store, TRANSFER, "transfer")[0]
    result = invoke("report", str(first), str(second), "--db", str(store.path))
    assert result.exit_code == 0, result.stderr
    assert "x faster" in result.stdout
    missing = invoke("report", "999", "--db", str(store.path))
    assert missing.exit_code == 2
