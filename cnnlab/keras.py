"""`Recorder`: a Keras callback that records a `model.fit` in your own script or notebook.

Researchers already have their training code (the papers' authors trained in notebooks); this
callback meets them there, as W&B's and MLflow's do: `model.fit(..., callbacks=[Recorder(
name="stage 1")])` creates an experiment in `experiments.db` (or `db=`) and writes, live,
every epoch's metrics and learning rate, in-epoch progress, the parameter count and the frozen
layers, early stopping (pass the same `EarlyStopping` as `early_stopping=` for its best epoch
and whether weights were restored), and at the end the model as a `.keras` artifact so that
`cnnlab convert` and `bench` work on it. The writes go through the same `StoreReporter` a
`cnnlab train` job uses, so the TUI shows the run as it trains. It imports no Textual.

UNMERGED DRAFT (issue 17, item 2; branch issue17-recorder): liveness (a dead kernel -> `lost`)
and Ctrl-C -> `stopped` are not wired yet; see the closing note of 2026-12-01.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Any

import keras

from cnnlab.engine.runtime.reporter import StoreReporter
from cnnlab.store import DEFAULT_DB_NAME, create_experiment, open_store, set_status


class Recorder(keras.callbacks.Callback):
    """Records one `fit` as a cnnlab experiment (see the module docstring)."""

    def __init__(
        self,
        name: str = "",
        *,
        db: str | Path | None = None,
        parent: int | None = None,
        dataset: str | None = None,
        early_stopping: keras.callbacks.EarlyStopping | None = None,
        save_model: bool = True,
    ) -> None:
        super().__init__()
        self.name = name
        self.db = Path(db) if db is not None else Path(os.environ.get("CNNLAB_DB", DEFAULT_DB_NAME))
        self.parent = parent
        self.dataset = dataset
        self.early_stopping = early_stopping
        self.save_model = save_model
        self.experiment_id: int | None = None
        self._reporter: StoreReporter | None = None
        self._epoch_started = 0.0
        self._epochs_run = 0
        self._steps: int | None = None

    @property
    def reporter(self) -> StoreReporter:
        if self._reporter is None:
            raise RuntimeError("Recorder is used only inside model.fit")
        return self._reporter

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        store = open_store(self.db)
        frozen = [layer.name for layer in self.model.layers if not layer.trainable]
        spec = {
            "recorded_by": "cnnlab.keras.Recorder",
            "epochs": (self.params or {}).get("epochs"),
            "frozen_layers": frozen,
            "pid": os.getpid(),
        }
        self.experiment_id = create_experiment(
            store,
            "train",
            name=self.name,
            spec=spec,
            model=self.model.name,
            dataset=self.dataset,
            parent_id=self.parent,
            status="running",
        )
        set_status(store, self.experiment_id, "running", pid=os.getpid(), host=socket.gethostname())
        self._reporter = StoreReporter(store, self.experiment_id)
        self._steps = (self.params or {}).get("steps")
        self.reporter.summary(params=int(self.model.count_params()))
        if frozen:
            self.reporter.event(
                "frozen",
                f"{len(frozen)} frozen layers: {', '.join(frozen[:20])}",
                {"frozen": frozen},
            )

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch_started = time.perf_counter()
        self.reporter.progress(epoch + 1, 0, self._steps)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.reporter.progress(self._epochs_run + 1, batch + 1, self._steps)
        if self.reporter.stop_requested():
            self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        metrics = {key: float(value) for key, value in (logs or {}).items()}
        self.reporter.epoch(
            epoch + 1,
            metrics,
            lr=_learning_rate(self.model),
            seconds=time.perf_counter() - self._epoch_started,
        )
        self._epochs_run = epoch + 1
        self.reporter.heartbeat()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        planned = (self.params or {}).get("epochs")
        stopping = self.early_stopping
        early = bool(self.model.stop_training and planned and self._epochs_run < planned)
        if early:
            data: dict[str, Any] = {"epoch": self._epochs_run}
            message = f"Stopped early after epoch {self._epochs_run}"
            if stopping is not None:
                best = stopping.best_epoch + 1
                restored = bool(stopping.restore_best_weights and stopping.best_weights)
                data.update(best_epoch=best, restored=restored)
                message += f"; best epoch {best}, weights {'' if restored else 'not '}restored"
            self.reporter.event("early_stop", message + ".", data)
        self.reporter.summary(epochs_run=self._epochs_run, stopped_early=early)
        if self.save_model:
            folder = self.reporter.store.run_dir(self.reporter.experiment_id)
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / "model.keras"
            self.model.save(path)
            self.reporter.artifact("keras", path, {"recorded_by": "cnnlab.keras.Recorder"})
        self.reporter.status("done")
        self.reporter.store.close()


def _learning_rate(model: Any) -> float | None:
    try:
        return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    except (AttributeError, TypeError, ValueError):
        return None
