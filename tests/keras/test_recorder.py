"""`cnnlab.keras.Recorder` in plain Keras code, in this process: a two-stage chain with its
parent link, early stopping read from a plain Keras `EarlyStopping` (restore on and off, listed
before or after the Recorder), the model artifact convert and transfer read, the edge fits
(no validation, one epoch, a frozen sub-model), refusals at the door, a stop request, and a
store write that fails mid-fit without breaking it (issue 17 item 2)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

keras = pytest.importorskip("keras")
np = pytest.importorskip("numpy")

from cnnlab.engine import resume, stop  # noqa: E402
from cnnlab.errors import CnnlabError  # noqa: E402
from cnnlab.keras import Recorder, RecorderError  # noqa: E402
from cnnlab.store import (  # noqa: E402
    artifact_path,
    get_detail,
    list_artifacts,
    list_epochs,
    open_store,
)


def data(n: int = 64) -> tuple[Any, Any]:
    rng = np.random.default_rng(0)
    return rng.random((n, 8, 8, 3), dtype="float32"), rng.integers(0, 2, n)


def small_model(name: str = "small") -> Any:
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            keras.layers.Conv2D(4, 3, name="conv"),
            keras.layers.Flatten(),
            keras.layers.Dense(2, activation="softmax", name="head"),
        ],
        name=name,
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def never_improving(restore: bool) -> Any:
    """A plain EarlyStopping that really stops early: min_delta 10, no epoch ever improves."""
    return keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=1, min_delta=10.0, restore_best_weights=restore
    )


class Snapshots(keras.callbacks.Callback):  # type: ignore[misc]
    """Keeps the weights at each epoch's end (epoch numbers from 1)."""

    def __init__(self) -> None:
        super().__init__()
        self.weights: dict[int, list[Any]] = {}

    def on_epoch_end(self, epoch: int, logs: object = None) -> None:
        self.weights[epoch + 1] = [w.copy() for w in self.model.get_weights()]


def saved_weights(db: Path, experiment_id: int) -> list[Any]:
    with open_store(db) as store:
        [artifact] = list_artifacts(store, experiment_id)
        path = artifact_path(store, artifact)
    return list(keras.models.load_model(path).get_weights())


def same(a: list[Any], b: list[Any]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_a_two_stage_chain_with_early_stopping_restored(tmp_path: Path) -> None:
    db = tmp_path / "experiments.db"
    x, y = data()
    model = small_model()
    model.get_layer("conv").trainable = False
    snapshots = Snapshots()
    stopping = never_improving(restore=True)
    first = Recorder("notebook stage 1", db=db)
    # The EarlyStopping after the Recorder: its restore comes after the Recorder's end, and the
    # saved model must still be the restored one.
    model.fit(
        x, y, epochs=20, validation_split=0.25, verbose=0, callbacks=[snapshots, first, stopping]
    )
    assert first.experiment_id is not None
    with open_store(db) as store:
        detail = get_detail(store, first.experiment_id)
        e = detail.experiment
        assert (e.kind, e.status, e.name) == ("fit", "done", "notebook stage 1")
        assert e.stopped_early is True
        assert e.spec["source"] == "recorder" and e.spec["epochs"] == 20
        assert e.spec["extra"]["frozen_layers"] == ["conv"]
        assert e.pid == os.getpid() and isinstance(e.spec["process_start"], int)
        epochs = list_epochs(store, e.id)
        assert [ep.epoch for ep in epochs] == [1, 2] and e.epochs_run == 2
        assert all(ep.lr is not None and "val_loss" in ep.metrics for ep in epochs)
        assert (e.best_metric, e.best_epoch) == ("val_loss", 1)  # as EarlyStopping judged it
        stop_event = next(ev for ev in detail.events if ev.kind == "early_stopping")
        assert stop_event.data["stopped_epoch"] == 2 and stop_event.data["best_epoch"] == 1
        assert stop_event.data["restored_best_weights"] is True
        frozen = next(ev for ev in detail.events if ev.kind == "frozen")
        assert frozen.data["frozen_layers"] == ["conv"] and frozen.data["frozen_params"] == 112
        [artifact] = detail.artifacts
        assert artifact.kind == "keras" and artifact_path(store, artifact).name == "model.keras"
        meta = artifact.meta
        assert meta["input_shape"] == [8, 8, 3] and meta["classes"] == 2
        assert meta["params"] == model.count_params() == e.params and meta["macs"] > 0
        assert meta["weights_from_epoch"] == 1
    assert same(saved_weights(db, first.experiment_id), snapshots.weights[1])
    assert not same(snapshots.weights[1], snapshots.weights[2])

    # The next cell: stage 2 trains on from stage 1, naming it as its parent.
    model.get_layer("conv").trainable = True
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    second = Recorder("notebook stage 2", db=db, parent=first)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[second])
    with open_store(db) as store:
        e2 = get_detail(store, second.experiment_id or 0).experiment
        assert (e2.parent_id, e2.status, e2.epochs_run) == (first.experiment_id, "done", 1)
        # No validation: the best epoch is the training loss's, no val metrics recorded.
        [epoch] = list_epochs(store, e2.id)
        assert set(epoch.metrics) == {"loss", "accuracy"} and e2.best_metric == "loss"
        assert e2.spec["extra"]["frozen_layers"] == []


def test_early_stopping_without_restore_keeps_the_last_weights(tmp_path: Path) -> None:
    db = tmp_path / "experiments.db"
    x, y = data()
    model = small_model()
    snapshots = Snapshots()
    stopping = never_improving(restore=False)
    recorder = Recorder(db=db)
    model.fit(
        x, y, epochs=20, validation_split=0.25, verbose=0, callbacks=[stopping, snapshots, recorder]
    )
    with open_store(db) as store:
        detail = get_detail(store, recorder.experiment_id or 0)
        event = next(ev for ev in detail.events if ev.kind == "early_stopping")
        assert event.data["restored_best_weights"] is False and event.data["stopped_epoch"] == 2
        assert "not restored" in event.message
        assert "weights_from_epoch" not in detail.artifacts[0].meta
    assert same(saved_weights(db, recorder.experiment_id or 0), snapshots.weights[2])


def test_restored_at_the_end_without_stopping_early(tmp_path: Path) -> None:
    """Keras restores best weights at the end of fit even when it never stopped early."""
    db = tmp_path / "experiments.db"
    x, y = data()
    model = small_model()
    snapshots = Snapshots()
    stopping = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=50, min_delta=10.0, restore_best_weights=True
    )
    recorder = Recorder(db=db)
    model.fit(
        x, y, epochs=3, validation_split=0.25, verbose=0, callbacks=[snapshots, recorder, stopping]
    )
    with open_store(db) as store:
        detail = get_detail(store, recorder.experiment_id or 0)
        assert detail.experiment.stopped_early is False
        assert not [ev for ev in detail.events if ev.kind == "early_stopping"]
        restore = next(ev for ev in detail.events if ev.kind == "best_weights")
        assert restore.data == {"epoch": 1, "restored_best_weights": True}
    assert same(saved_weights(db, recorder.experiment_id or 0), snapshots.weights[1])


def test_a_frozen_sub_model_is_named_once(tmp_path: Path) -> None:
    db = tmp_path / "experiments.db"
    x, y = data()
    keras.utils.set_random_seed(0)
    base = keras.Sequential(
        [keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, name="c1"), keras.layers.Flatten()],
        name="base",
    )
    base.trainable = False
    model = keras.Sequential([keras.Input((8, 8, 3)), base, keras.layers.Dense(2, name="head")])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    recorder = Recorder(db=db, save_model=False)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[recorder])
    with open_store(db) as store:
        detail = get_detail(store, recorder.experiment_id or 0)
        assert detail.experiment.spec["extra"]["frozen_layers"] == ["base"]
        assert detail.artifacts == [] and detail.experiment.status == "done"


class CountBatches(keras.callbacks.Callback):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.batches = 0

    def on_train_batch_begin(self, batch: int, logs: object = None) -> None:
        self.batches += 1


def test_bad_databases_and_two_recorders_are_refused_before_training(tmp_path: Path) -> None:
    x, y = data(16)
    model = small_model()
    folder = tmp_path / "a folder"
    folder.mkdir()
    cases = [
        ([Recorder(db=folder)], "names a folder"),
        ([Recorder(db=tmp_path / "missing" / "x.db")], "does not exist"),
        ([Recorder(db=tmp_path / "ok.db", parent=99)], "no experiment 99"),
        ([Recorder(db=tmp_path / "2.db"), Recorder(db=tmp_path / "2.db")], "2 cnnlab Recorders"),
    ]
    for recorders, words in cases:
        counter = CountBatches()
        with pytest.raises(RecorderError, match=words):
            model.fit(x, y, epochs=2, verbose=0, callbacks=[counter, *recorders])
        assert counter.batches == 0
    assert not (tmp_path / "2.db").exists()  # the second Recorder refused before any row
    with open_store(tmp_path / "ok.db") as store:
        assert store.conn.execute("SELECT count(*) FROM experiments").fetchone()[0] == 0


class Meddle(keras.callbacks.Callback):  # type: ignore[misc]
    """Runs `action(epoch)` at each epoch's start, before the Recorder sees it."""

    def __init__(self, action: Any) -> None:
        super().__init__()
        self.action = action

    def on_epoch_begin(self, epoch: int, logs: object = None) -> None:
        self.action(epoch + 1)

    def on_train_batch_begin(self, batch: int, logs: object = None) -> None:
        time.sleep(0.02)  # paced, so that a stop request lands mid-fit


def test_a_failing_store_write_waits_for_the_next_one(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "experiments.db"
    x, y = data()
    model = small_model()
    recorder = Recorder(db=db, save_model=False)

    def disk_trouble(epoch: int) -> None:
        # The StoreReporter's own fault switch (a job's heartbeat sets it on an unsafe disk):
        # every write raises StoreError while it is set. Epoch 2 ends while it is.
        reporter = recorder._sink.reporter if recorder._sink else None
        if reporter is not None:
            reporter.fault = "disk I/O error" if epoch == 2 else None

    history = model.fit(x, y, epochs=4, verbose=0, callbacks=[recorder, Meddle(disk_trouble)])
    assert len(history.epoch) == 4  # the user's fit went on
    assert "could not record epoch 2 (disk I/O error)" in capfd.readouterr().err
    with open_store(db) as store:
        e = get_detail(store, recorder.experiment_id or 0).experiment
        assert [ep.epoch for ep in list_epochs(store, e.id)] == [1, 2, 3, 4]
        assert (e.status, e.epochs_run) == ("done", 4)


def test_a_stop_request_ends_the_fit_stopped_with_its_model(tmp_path: Path) -> None:
    db = tmp_path / "experiments.db"
    x, y = data()
    model = small_model()
    recorder = Recorder(db=db)

    def ask_stop(epoch: int) -> None:
        if epoch == 3:
            with open_store(db) as other:  # as `cnnlab stop` or the TUI would
                stop(other, recorder.experiment_id or 0)

    history = model.fit(x, y, epochs=500, verbose=0, callbacks=[recorder, Meddle(ask_stop)])
    assert len(history.epoch) < 500
    with open_store(db) as store:
        detail = get_detail(store, recorder.experiment_id or 0)
        e = detail.experiment
        assert e.status == "stopped" and e.epochs_run >= 2
        assert [ep.epoch for ep in detail.epochs] == list(range(1, e.epochs_run + 1))
        assert [a.kind for a in detail.artifacts] == ["keras"]
        with pytest.raises(CnnlabError, match="recorded from your own code, which cnnlab cannot"):
            resume(store, e.id)  # stopped, but nothing of cnnlab's to resume
        assert get_detail(store, e.id).experiment.status == "stopped"


def test_importing_cnnlab_keras_imports_no_textual_and_prints_nothing() -> None:
    """No Textual; and when it is the first import, none of TensorFlow's start-up chatter
    (the absl banner, "Could not find cuda drivers") reaches the notebook's output."""
    code = (
        "import cnnlab.keras, sys; "
        "assert not any(m.startswith('textual') for m in sys.modules), 'textual imported'"
    )
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (result.stdout, result.stderr) == ("", "")


def test_the_recorder_overrides_no_batch_end_hook(tmp_path: Path) -> None:
    """What keeps it off the training's critical path (bench/recorder_bench.py): no hook of it
    runs after a batch, so Keras keeps batch ends asynchronous where its backend can (JAX; the
    TensorFlow backend never does), and no batch waits on a Recorder write."""
    from keras.src.utils import is_default

    recorder = Recorder(db=tmp_path / "experiments.db")
    for hook in ("on_batch_end", "on_train_batch_end", "on_test_batch_end"):
        assert is_default(getattr(recorder, hook)), hook
