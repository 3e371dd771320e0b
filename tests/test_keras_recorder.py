"""`cnnlab.keras.Recorder` in plain Keras code: a fit with a Keras EarlyStopping is recorded
live as an experiment, with its epochs, early stop, frozen layers and model (issue 17 item 2).
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def test_a_plain_fit_is_recorded_with_its_early_stop(tmp_path: Path) -> None:
    import keras
    import numpy as np

    from cnnlab.keras import Recorder
    from cnnlab.store import artifact_path, get_detail, list_artifacts, list_epochs, open_store

    keras.utils.set_random_seed(0)
    x = np.random.rand(64, 8, 8, 3).astype("float32")
    y = np.random.randint(0, 2, 64)
    model = keras.Sequential(
        [keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, name="conv"),
         keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax", name="head")]
    )  # fmt: skip
    model.get_layer("conv").trainable = False
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    stopping = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=1, min_delta=10.0, restore_best_weights=True
    )  # min_delta 10: no epoch ever improves, so it stops after its patience
    db = tmp_path / "experiments.db"
    recorder = Recorder("notebook stage 1", db=db, early_stopping=stopping)
    model.fit(x, y, epochs=20, validation_split=0.25, verbose=0, callbacks=[stopping, recorder])
    assert recorder.experiment_id is not None
    with open_store(db) as store:
        detail = get_detail(store, recorder.experiment_id)
        e = detail.experiment
        assert (e.status, e.kind, e.name, e.stopped_early) == (
            "done",
            "train",
            "notebook stage 1",
            True,
        )
        epochs = list_epochs(store, e.id)
        assert len(epochs) == e.epochs_run == 2 and epochs[0].lr is not None
        stop = next(ev for ev in detail.events if ev.kind == "early_stop")
        assert stop.data["best_epoch"] == 1 and stop.data["restored"] is True
        assert e.spec["frozen_layers"] == ["conv"] and e.params == model.count_params()
        [artifact] = list_artifacts(store, e.id)
        assert artifact.kind == "keras" and artifact_path(store, artifact).exists()
    second = Recorder("stage 2", db=db, parent=recorder.experiment_id)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[second])
    with open_store(db) as store:
        assert (
            get_detail(store, second.experiment_id or 0).experiment.parent_id
            == recorder.experiment_id
        )
