"""A training whose loss becomes NaN or infinite fails with one sentence instead of ending `done`.

Real tiny trainings (AlexNet at 32x32 on generated images) run in this process through `run_job`,
the code a job process runs: SGD at --lr 10 diverges within a few batches; 1e-3 does not.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from cnnlab.engine import TrainSpec, submit
from cnnlab.engine.runtime.job import run_job
from cnnlab.store import Store, get_experiment, list_artifacts, list_epochs, list_events

NAN_LOSS = (
    r"^The loss became NaN at epoch \d+ \(batch \d+\); lower --lr \(now 10\) or check the data\.$"
)


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cnnlab.data import write_synthetic_dataset

    folder = tmp_path_factory.mktemp("loss-guard") / "shapes"
    write_synthetic_dataset(folder, classes=3, per_class=20, size=32, seed=3)
    return folder


def train_now(store: Store, images: Path, **options: object) -> int:
    values: dict[str, object] = {"model": "alexnet", "data": str(images), "input": 32, "batch": 8}
    spec = TrainSpec(**{**values, **options})  # type: ignore[arg-type]
    experiment_id = submit(store, spec, start_scheduler=False)
    run_job(store, experiment_id)
    return experiment_id


def test_a_diverging_run_fails_with_one_sentence_and_keeps_no_nan_epoch(
    store: Store, images: Path
) -> None:
    experiment_id = train_now(store, images, optimizer="sgd", lr=10, epochs=3, patience=None)
    experiment = get_experiment(store, experiment_id)
    assert experiment.status == "failed"
    assert experiment.error is not None
    assert "\n" not in experiment.error
    assert re.match(NAN_LOSS, experiment.error), experiment.error
    # Nothing of the broken epoch was recorded: no NaN epoch row, no model saved as the result.
    for epoch in list_epochs(store, experiment_id):
        assert all(math.isfinite(value) for value in epoch.metrics.values()), epoch
    assert not [a for a in list_artifacts(store, experiment_id) if a.kind == "keras"]
    assert [e.message for e in list_events(store, experiment_id) if e.kind == "failed"] == [
        experiment.error
    ]


def test_a_healthy_run_is_not_stopped(store: Store, images: Path) -> None:
    experiment_id = train_now(store, images, lr=1e-3, epochs=2, patience=None)
    experiment = get_experiment(store, experiment_id)
    assert experiment.status == "done", experiment.error
    epochs = list_epochs(store, experiment_id)
    assert [e.epoch for e in epochs] == [1, 2]
    assert all(math.isfinite(e.metrics["loss"]) for e in epochs)


def test_the_guard_names_an_infinite_loss_and_the_validation_loss() -> None:
    from cnnlab.engine.kinds.train.callbacks import FailOnInvalidLoss, LossDiverged

    guard = FailOnInvalidLoss(lr=0.5)
    guard.on_epoch_begin(2)
    guard.on_batch_end(0, {"loss": 1.2})  # finite: nothing happens
    with pytest.raises(LossDiverged) as caught:
        guard.on_batch_end(11, {"loss": math.inf})
    assert str(caught.value) == (
        "The loss became infinite at epoch 3 (batch 12); lower --lr (now 0.5) or check the data."
    )
    guard.on_epoch_end(2, {"loss": 0.9, "val_loss": 1.1})
    with pytest.raises(LossDiverged, match=r"^The validation loss became NaN at epoch 3; "):
        guard.on_epoch_end(2, {"loss": 0.9, "val_loss": math.nan})
