"""A real run stuck at chance says so: the event, the `warning`, the `done` message, `logs`.

The symptom is reproduced by its commonest cause, not faked: a small all-BatchNormalization
network (eight conv + BN + ReLU blocks, like a MobileNet's) whose BN momentum is 0.9999, trained
on 200 generated 32x32 images in batches of 8. Training normalises with each batch's statistics
and climbs to ~95%; inference uses moving averages that after ~150 steps still hold their
initial values, so every validation image lands in one class: exactly 0.100 for 10 classes.
The same network with momentum 0.9 (moving averages that keep up) is the healthy control. The
network stands in for `build_model` (the zoo's AlexNet has too few BN layers to show the
symptom, its MobileNets take minutes on a CPU). Both run in this process through `run_job`, the
code a job process runs (~10 s each).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cnnlab.engine import TrainSpec, submit
from cnnlab.engine.kinds.train.chance import STUCK_AT_CHANCE, WARNING_EVENTS
from cnnlab.engine.runtime.job import run_job
from cnnlab.store import Store, get_experiment, list_epochs, list_events


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cnnlab.data import write_synthetic_dataset

    folder = tmp_path_factory.mktemp("chance") / "shapes"
    write_synthetic_dataset(folder, classes=10, per_class=20, size=32, seed=3)
    return folder


def bn_network(momentum: float) -> Any:
    """A stand-in for `build_model` (whatever options it is given): the small BN network."""

    def build(name: str, input_size: Any, classes: int, **options: Any) -> Any:
        import keras
        from keras import layers

        inputs = keras.Input((32, 32, 3), name="image")
        x = inputs
        for block in range(8):
            x = layers.Conv2D(
                16 * (1 + block // 2), 3, strides=2 if block % 2 else 1, padding="same",
                use_bias=False,
            )(x)  # fmt: skip
            x = layers.BatchNormalization(momentum=momentum)(x)
            x = layers.ReLU()(x)
        x = layers.GlobalAveragePooling2D()(x)
        outputs = layers.Dense(classes, activation="softmax")(x)
        return keras.Model(inputs, outputs, name="bn_network")

    return build


def train_now(
    store: Store, images: Path, momentum: float, monkeypatch: pytest.MonkeyPatch, epochs: int
) -> int:
    monkeypatch.setattr("cnnlab.models.build_model", bn_network(momentum))
    spec = TrainSpec(
        model="alexnet", data=str(images), input=32, batch=8, epochs=epochs, patience=3, lr=1e-3
    )
    experiment_id = submit(store, spec, start_scheduler=False)
    run_job(store, experiment_id)
    return experiment_id


def test_a_run_stuck_at_chance_is_warned_and_not_a_plain_success(
    store: Store, images: Path, monkeypatch: pytest.MonkeyPatch, invoke: Any
) -> None:
    # Room for early stopping to end it (patience 3 after a best epoch at chance).
    experiment_id = train_now(store, images, 0.9999, monkeypatch, epochs=8)
    experiment = get_experiment(store, experiment_id)
    assert experiment.status == "done", experiment.error
    epochs = list_epochs(store, experiment_id)
    # The symptom itself: training clearly learned, validation never left chance.
    assert max(e.metrics["accuracy"] for e in epochs) > 0.6, epochs
    assert all(e.metrics["val_accuracy"] <= 0.15 for e in epochs), epochs

    events = list_events(store, experiment_id)
    warned = [e for e in events if e.kind == STUCK_AT_CHANCE]
    assert len(warned) == 1, [(e.kind, e.message) for e in events]
    warning = warned[0]
    assert "\n" not in warning.message
    assert "validation accuracy stayed at chance (0.100 for 10 classes)" in warning.message
    assert "BatchNormalization moving statistics" in warning.message
    assert warning.data["classes"] == 10
    assert warning.data["epoch"] >= 3
    assert experiment.warning == warning.message

    # Early stopping ended it (validation at chance never improves), but not as a plain success,
    # and it kept the last weights rather than restore epoch 1's, which were at chance too.
    assert experiment.stopped_early is True
    stop = next(e for e in events if e.kind == "early_stopping")
    assert stop.data["best_epoch"] < experiment.epochs_run
    assert stop.data["restored_best_weights"] is False
    assert stop.data["kept_last_weights"] is True
    assert "last epoch's better-trained weights are kept" in stop.message
    done = next(e for e in events if e.kind == "done")
    assert done.message.startswith(
        f"{experiment.epochs_run} epoch(s), stopped early, but validation accuracy stayed at "
        "chance (0.100 for 10 classes) while training accuracy reached "
    )

    # Everywhere a user looks: `logs`, `show`, `ls` and their JSON.
    db = str(store.path)
    logs = invoke("logs", str(experiment_id), "--db", db)
    assert logs.exit_code == 0, logs.stderr
    assert f"stuck_at_chance: {warning.message}" in logs.stdout
    assert "done: " in logs.stdout and "but validation accuracy stayed at chance" in logs.stdout
    show = invoke("show", str(experiment_id), "--db", db)
    assert show.exit_code == 0, show.stderr
    assert "done ⚠" in show.stdout
    assert "stuck_at_chance" in show.stdout
    assert "warning" in show.stdout
    shown = invoke("show", str(experiment_id), "--db", db, "--json")
    assert '"warning": "Training accuracy rose to' in shown.stdout
    listed = invoke("ls", "--db", db)
    assert "done ⚠" in listed.stdout


def test_a_healthy_run_of_the_same_network_is_not_warned(
    store: Store, images: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    experiment_id = train_now(store, images, 0.9, monkeypatch, epochs=6)
    experiment = get_experiment(store, experiment_id)
    assert experiment.status == "done", experiment.error
    epochs = list_epochs(store, experiment_id)
    assert max(e.metrics["val_accuracy"] for e in epochs) > 0.3, epochs
    events = list_events(store, experiment_id)
    assert not [e for e in events if e.kind in WARNING_EVENTS]
    assert experiment.warning is None
    done = next(e for e in events if e.kind == "done")
    assert "chance" not in done.message
    stop = [e for e in events if e.kind == "early_stopping"]
    assert all(e.data["kept_last_weights"] is False for e in stop)


def test_a_resumed_run_hands_the_watch_the_epochs_it_already_has(
    store: Store, tmp_path: Path
) -> None:
    from cnnlab.engine.kinds.train.callbacks import recorded_accuracies
    from cnnlab.engine.kinds.train.chance import EpochAccuracy
    from cnnlab.engine.runtime.outcome import JobContext
    from cnnlab.engine.runtime.reporter import StoreReporter
    from cnnlab.store import append_epoch, create_experiment

    experiment_id = create_experiment(store, "train", model="alexnet")
    for number, (accuracy, val_accuracy) in enumerate(((0.2, 0.1), (0.6, 0.1), (0.8, 0.1)), 1):
        metrics = {"loss": 1.0, "accuracy": accuracy, "val_accuracy": val_accuracy}
        append_epoch(store, experiment_id, number, metrics, lr=1e-3, seconds=1.0)
    experiment = get_experiment(store, experiment_id)
    job = JobContext(store, experiment, StoreReporter(store, experiment_id), tmp_path)
    assert recorded_accuracies(job, 0) == []
    # Epoch 3 was recorded but not checkpointed: the resumed run trains it again.
    assert recorded_accuracies(job, 2) == [EpochAccuracy(1, 0.2, 0.1), EpochAccuracy(2, 0.6, 0.1)]
