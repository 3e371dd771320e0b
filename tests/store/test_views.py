"""The many-row views the TUI reads: capped counts, group heads and statistics, lineage, curves,
trainable layers and the change counter, on real SQLite files."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from cnnlab.store import (
    Count,
    ExperimentQuery,
    InvalidValue,
    Store,
    StoreError,
    append_epoch,
    append_event,
    children_of,
    count_group_heads,
    count_matching,
    create_experiment,
    data_version,
    epoch_curves,
    experiments_by_ids,
    group_members,
    group_stats,
    list_group_heads,
    open_store,
    trainable_layers,
    update_summary,
)


def _run(store: Store, model: str, acc: float | None = None, **options: object) -> int:
    experiment_id = create_experiment(store, "train", model=model, **options)  # type: ignore[arg-type]
    if acc is not None:
        update_summary(store, experiment_id, best_val_accuracy=acc)
    return experiment_id


def test_counts_are_exact_without_a_filter_and_capped_under_one(store: Store) -> None:
    for i in range(12):
        _run(store, "mobilenet_v2" if i % 2 else "alexnet", acc=i / 12)
    assert count_matching(store) == Count(12, True)
    mobile = ExperimentQuery(model="mobilenet*")
    assert count_matching(store, mobile) == Count(6, True)
    assert count_matching(store, mobile, cap=4) == Count(4, False)
    assert str(count_matching(store, mobile, cap=4)) == "4+"
    assert count_matching(store, mobile, cap=6) == Count(6, True)


def test_group_heads_stats_and_members(store: Store) -> None:
    single = _run(store, "alexnet", acc=0.5)
    first = _run(store, "squeezenet", acc=0.8)
    members = [first, _run(store, "squeezenet", acc=0.9), _run(store, "squeezenet", acc=0.7)]
    times = [100.0, 130.0, 160.0]
    for experiment_id, seconds in zip(members, times, strict=True):
        update_summary(store, experiment_id, train_seconds=seconds)
        with store.write() as conn:
            conn.execute("UPDATE experiments SET group_id = ? WHERE id = ?", (first, experiment_id))

    heads = list_group_heads(store, ExperimentQuery(sort="id", descending=False))
    assert [e.id for e in heads] == [single, first]
    assert count_group_heads(store) == Count(2, True)

    stats = group_stats(store, [first])[first]
    assert stats.size == 3
    assert stats.best_val_accuracy == pytest.approx(0.9)
    assert stats.mean_val_accuracy == pytest.approx(statistics.mean([0.8, 0.9, 0.7]))
    assert stats.std_val_accuracy == pytest.approx(statistics.stdev([0.8, 0.9, 0.7]))
    assert stats.mean_train_seconds == pytest.approx(130.0)
    assert stats.std_train_seconds == pytest.approx(statistics.stdev(times))

    # A filter narrows the members each summary counts.
    narrowed = group_stats(
        store, [first], ExperimentQuery(compare=(("best_val_accuracy", ">", 0.75),))
    )
    assert narrowed[first].size == 2
    assert narrowed[first].std_val_accuracy == pytest.approx(statistics.stdev([0.8, 0.9]))
    assert [e.id for e in group_members(store, [first])[first]] == members


def test_a_single_member_has_zero_spread(store: Store) -> None:
    only = _run(store, "alexnet", acc=0.6)
    with store.write() as conn:
        conn.execute("UPDATE experiments SET group_id = id")
    stats = group_stats(store, [only])[only]
    assert stats.std_val_accuracy == 0.0
    assert stats.mean_train_seconds is None and stats.std_train_seconds is None


def test_lineage_runs_from_pretraining_to_benchmarks(store: Store) -> None:
    pretrain = _run(store, "alexnet")
    fine = create_experiment(store, "transfer", model="alexnet", parent_id=pretrain)
    other = create_experiment(store, "transfer", model="alexnet", parent_id=pretrain)
    tflite = create_experiment(store, "convert", parent_id=fine)
    bench = create_experiment(store, "bench", parent_id=tflite)
    found = children_of(store, [pretrain])
    assert [e.id for e in found[pretrain]] == [fine, other]
    assert [e.id for e in found[fine]] == [tflite]
    assert [e.id for e in found[tflite]] == [bench]
    assert [e.kind for e in found[tflite]] == ["bench"]
    assert children_of(store, [pretrain], depth=1).keys() == {pretrain}


def test_curves_and_experiments_for_many_ids(store: Store) -> None:
    ids = [_run(store, "alexnet") for _ in range(3)]
    for epoch in (1, 2, 4):  # epoch 3 was never logged
        append_epoch(store, ids[0], epoch, {"loss": 1.0 / epoch, "val_accuracy": epoch / 10})
    append_epoch(store, ids[2], 1, {"loss": 0.5})
    curves = epoch_curves(store, ids)
    assert curves[ids[0]]["loss"] == [1.0, 0.5, None, 0.25]
    assert curves[ids[0]]["val_accuracy"] == [0.1, 0.2, None, 0.4]
    assert ids[1] not in curves
    assert curves[ids[2]]["val_accuracy"] == [None]
    assert [e.id for e in experiments_by_ids(store, [ids[2], 999, ids[0]])] == [ids[2], ids[0]]
    with pytest.raises(InvalidValue):
        epoch_curves(store, ids, ["loss; DROP TABLE epochs"])


def test_trainable_layers_come_from_the_transfer_event(store: Store) -> None:
    parent = _run(store, "alexnet")
    child = create_experiment(store, "transfer", model="alexnet", parent_id=parent)
    append_event(
        store,
        child,
        "transfer",
        "3 layers frozen",
        {
            "frozen_layers": ["conv1", "conv2", "conv3"],
            "trainable_layers": ["conv4", "dense"],
            "frozen_params": 1000,
            "trainable_params": 250,
        },
    )
    layers = trainable_layers(store, [parent, child])
    assert list(layers) == [child]
    assert layers[child].frozen_layers == ["conv1", "conv2", "conv3"]
    assert layers[child].trainable_layers == ["conv4", "dense"]
    assert (layers[child].frozen_params, layers[child].trainable_params) == (1000, 250)


def test_a_recorded_fits_frozen_layers_come_from_its_frozen_event(store: Store) -> None:
    fit = create_experiment(store, "fit", model="my_net")
    append_event(
        store,
        fit,
        "frozen",
        "2 frozen: conv_a, conv_b.",
        {"frozen_layers": ["conv_a", "conv_b"], "frozen_params": 448, "trainable_params": 99},
    )
    layers = trainable_layers(store, [fit])
    assert layers[fit].frozen_layers == ["conv_a", "conv_b"]
    assert (layers[fit].frozen_params, layers[fit].trainable_params) == (448, 99)


def test_data_version_moves_on_commits_from_either_connection(store: Store, db_path: Path) -> None:
    before = data_version(store)
    assert data_version(store) == before
    _run(store, "alexnet")
    mine = data_version(store)
    assert mine != before
    with open_store(db_path) as other:
        _run(other, "alexnet")
    assert data_version(store) != mine


def test_data_version_says_when_the_file_is_gone(store: Store, db_path: Path) -> None:
    db_path.unlink()
    with pytest.raises(StoreError, match="disappeared"):
        data_version(store)


def test_the_listing_indexes_serve_the_tui_filters(store: Store) -> None:
    def plan(sql: str, params: list[object]) -> str:
        return " ".join(row[3] for row in store.read(f"EXPLAIN QUERY PLAN {sql}", params))

    where, params = ExperimentQuery(
        model="mobilenet*", compare=(("best_val_accuracy", ">", 0.9),)
    ).where()
    assert "COVERING INDEX experiments_model_accuracy" in plan(
        f"SELECT count(*) FROM experiments{where}", params
    )
    roots = plan(
        "SELECT * FROM experiments WHERE parent_id IS NULL ORDER BY created_at DESC LIMIT 100", []
    )
    assert "experiments_roots" in roots and "TEMP B-TREE" not in roots


def test_listing_query_keeps_the_experiments_of_a_backend(store: Store) -> None:
    from cnnlab.store import list_experiments
    from cnnlab.store.backends import assign_backend
    from cnnlab.store.views import ListingQuery

    local = _run(store, "alexnet", acc=0.5)
    on_slurm = _run(store, "mobilenet_v2", acc=0.95, status="stopped")
    assign_backend(store, on_slurm, "slurm", {"partition": "gpu"})
    slurm = ListingQuery(backend=("slurm",))
    assert [e.id for e in list_experiments(store, slurm)] == [on_slurm]
    assert count_matching(store, slurm) == Count(1, True)
    assert [e.id for e in list_group_heads(store, slurm)] == [on_slurm]
    both = ListingQuery(backend=("local", "slurm"), model="alexnet")
    assert [e.id for e in list_experiments(store, both)] == [local]
    with pytest.raises(InvalidValue, match="'pbs'"):
        list_experiments(store, ListingQuery(backend=("pbs",)))


def test_ran_between_finds_every_job_whose_run_overlapped(store: Store) -> None:
    from cnnlab.store import ran_between

    def ran(start: float, end: float | None) -> int:
        experiment_id = create_experiment(store, "convert", status="running")
        store.conn.execute(
            "UPDATE experiments SET started_at = ?, finished_at = ? WHERE id = ?",
            (start, end, experiment_id),
        )
        store.conn.commit()
        return experiment_id

    inside, across, still, before = ran(12, 13), ran(5, 11), ran(8, None), ran(1, 2)
    create_experiment(store, "train")  # queued: never ran
    assert [e.id for e in ran_between(store, 10, 20)] == [inside, across, still]
    assert before not in [e.id for e in ran_between(store, 10, 20)]
