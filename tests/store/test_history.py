"""Epochs and events appended by running jobs, and the live summary they keep current."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab.store import (
    InvalidValue,
    Store,
    UnknownExperiment,
    append_epoch,
    append_event,
    create_experiment,
    get_experiment,
    list_epochs,
    list_events,
)


def test_epochs_keep_every_metric_and_update_the_summary(store: Store) -> None:
    experiment_id = create_experiment(store, "train")
    append_epoch(
        store,
        experiment_id,
        1,
        {
            "loss": np.float32(1.5),
            "accuracy": 0.4,
            "val_loss": 1.7,
            "val_accuracy": 0.35,
            "top3_accuracy": 0.8,
        },
        lr=1e-3,
        seconds=113.2,
    )
    append_epoch(store, experiment_id, 2, {"loss": 0.9, "val_accuracy": 0.6}, lr=5e-4)
    append_epoch(store, experiment_id, 3, {"loss": 0.8, "val_accuracy": 0.55})

    epochs = list_epochs(store, experiment_id)
    assert [e.epoch for e in epochs] == [1, 2, 3]
    first = epochs[0]
    assert first.metrics == pytest.approx(
        {"loss": 1.5, "accuracy": 0.4, "val_loss": 1.7, "val_accuracy": 0.35, "top3_accuracy": 0.8}
    )
    assert (first.lr, first.seconds) == (1e-3, 113.2)
    assert [e.epoch for e in list_epochs(store, experiment_id, after=2)] == [3]
    summary = get_experiment(store, experiment_id)
    assert summary.epochs_run == 3
    assert summary.best_val_accuracy == 0.6


def test_rewriting_an_epoch_replaces_it(store: Store) -> None:
    experiment_id = create_experiment(store, "train")
    append_epoch(store, experiment_id, 1, {"loss": 2.0})
    append_epoch(store, experiment_id, 1, {"loss": 1.0})
    assert [e.metrics for e in list_epochs(store, experiment_id)] == [{"loss": 1.0}]


def test_bad_epochs_are_refused(store: Store) -> None:
    experiment_id = create_experiment(store, "train")
    with pytest.raises(InvalidValue, match="numbered from 1"):
        append_epoch(store, experiment_id, 0, {"loss": 1.0})
    with pytest.raises(UnknownExperiment):
        append_epoch(store, 404, 1, {"loss": 1.0})
    assert list_epochs(store, 404) == []


def test_events_follow_by_id(store: Store) -> None:
    a = create_experiment(store, "train")
    b = create_experiment(store, "train")
    first = append_event(store, a, "started", "pid 10 on gpu-01")
    append_event(store, b, "started")
    append_event(
        store,
        a,
        "early_stopping",
        "Epoch 35: early stopping",
        {"stopped_epoch": 35, "best_epoch": 30, "monitor": "val_accuracy"},
    )
    assert [e.kind for e in list_events(store, a)] == ["started", "early_stopping"]
    assert [e.kind for e in list_events(store, a, after_id=first)] == ["early_stopping"]
    assert len(list_events(store, after_id=0)) == 3
    assert list_events(store, a)[1].data["stopped_epoch"] == 35
    with pytest.raises(InvalidValue):
        append_event(store, a, "early stopping; DROP")
    with pytest.raises(UnknownExperiment):
        append_event(store, 404, "started")
