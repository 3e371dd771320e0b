"""Keras callbacks that turn `model.fit` into rows and events in the store, live.

`ResumableEarlyStopping` is Keras' EarlyStopping whose state survives a resume.
`ReportingCallback` runs after it: it writes each epoch, throttled in-epoch progress, new-best
and early-stopping events, a checkpoint per epoch, and turns a stop request into
`model.stop_training = True` after the current batch. It also feeds each epoch's accuracies to a
`ChanceWatch` (cnnlab.engine.kinds.train.chance), so that a run whose validation accuracy stays
at chance
says so in an event, in its `warning` and in its `done` message instead of ending a plain
success, and keeps its last weights rather than restore a "best" epoch that was at chance too.
`FailOnInvalidLoss` runs before both: a loss that became NaN or infinite fails the job with one
sentence, before a NaN epoch is recorded or NaN weights are checkpointed over the last good ones.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import keras

from cnnlab.engine.kinds.train.chance import STUCK_AT_CHANCE, ChanceWatch, EpochAccuracy
from cnnlab.engine.kinds.train.checkpoint import Checkpoints, CheckpointState
from cnnlab.engine.runtime.reporter import Reporter
from cnnlab.errors import CnnlabError

if TYPE_CHECKING:
    from cnnlab.engine.runtime.outcome import JobContext


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """EarlyStopping that starts from a checkpoint's state instead of from scratch."""

    def __init__(
        self,
        *,
        initial_state: dict[str, Any] | None = None,
        initial_best_weights: list[Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.initial_state = initial_state or {}
        self.initial_best_weights = initial_best_weights

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        super().on_train_begin(logs)
        if self.initial_state:
            self.wait = int(self.initial_state.get("wait", 0))
            self.best = self.initial_state.get("best")
            self.best_epoch = int(self.initial_state.get("best_epoch", 0))
            self.best_weights = self.initial_best_weights

    def state(self) -> dict[str, Any]:
        best = None if self.best is None else float(self.best)
        return {"wait": self.wait, "best": best, "best_epoch": self.best_epoch}


class LossDiverged(CnnlabError):
    """The training (or validation) loss became NaN or infinite: the run cannot recover."""


class FailOnInvalidLoss(keras.callbacks.TerminateOnNaN):
    """Keras' TerminateOnNaN, made to fail the job with a sentence instead of stopping quietly.

    TerminateOnNaN checks the running loss after every batch; by default it only sets
    `stop_training`, so the fit returns normally (the job would end `done`, its last epoch NaN,
    its NaN weights saved as the model), and with `raise_error=True` it raises a bare
    RuntimeError. This one keeps its per-batch check, knows the epoch, checks the epoch's
    validation loss too, and raises `LossDiverged` naming both and the learning rate. It must
    come first among the callbacks, so that nothing else sees the broken epoch.
    """

    def __init__(self, lr: float) -> None:
        super().__init__(raise_error=True)
        self.lr = lr
        self._epoch = 1

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch + 1

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        try:
            super().on_batch_end(batch, logs)
        except RuntimeError:  # TerminateOnNaN's own verdict, with raise_error=True
            loss = _float((logs or {})["loss"])
            raise LossDiverged(self._sentence("loss", loss, f" (batch {batch + 1})")) from None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        for name in ("loss", "val_loss"):
            value = (logs or {}).get(name)
            if value is not None and not math.isfinite(_float(value)):
                what = "loss" if name == "loss" else "validation loss"
                raise LossDiverged(self._sentence(what, _float(value), ""))

    def _sentence(self, what: str, value: float, where: str) -> str:
        shown = "NaN" if math.isnan(value) else "infinite"
        return (
            f"The {what} became {shown} at epoch {self._epoch}{where}; lower --lr "
            f"(now {self.lr:g}) or check the data."
        )


def _float(value: Any) -> float:
    return float(value.numpy() if hasattr(value, "numpy") else value)


_KEPT_LAST = (
    "its validation accuracy was at chance like the last epoch's, so the last epoch's "
    "better-trained weights are kept."
)


def _classes(model: Any) -> int | None:
    """The number of classes a classifier predicts (None when its output is not one vector)."""
    try:
        shape = model.output_shape
    except (AttributeError, ValueError):
        return None
    if not isinstance(shape, tuple) or not shape or not isinstance(shape[-1], int):
        return None
    return shape[-1]


def recorded_accuracies(job: JobContext, completed_epochs: int) -> list[EpochAccuracy]:
    """The accuracies of the epochs a resumed run already recorded (none for a fresh run)."""
    if not completed_epochs:
        return []
    from cnnlab.store import list_epochs

    return [
        EpochAccuracy.from_metrics(e.epoch, e.metrics)
        for e in list_epochs(job.store, job.experiment.id)
        if e.epoch <= completed_epochs
    ]


class ReportingCallback(keras.callbacks.Callback):
    """Reports a fit to a `Reporter` as it happens (see module docstring)."""

    def __init__(
        self,
        reporter: Reporter,
        *,
        monitor: str,
        mode: str,
        total_epochs: int,
        checkpoints: Checkpoints,
        state: CheckpointState,
        early_stopping: ResumableEarlyStopping | None,
        earlier: Iterable[EpochAccuracy] = (),
    ) -> None:
        """`earlier`: the accuracies of the epochs a resumed run already has
        (`recorded_accuracies`), so that the chance watch goes on where it was."""
        super().__init__()
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.reporter = reporter
        self.monitor = monitor
        self.mode = mode
        self.total_epochs = total_epochs
        self.checkpoints = checkpoints
        self.state = state
        self.early_stopping = early_stopping
        self.user_stopped = False
        self.early_stopped = False
        self._epoch_started = 0.0
        self._steps: int | None = None
        self._warned_missing = False
        self._saved_best_epoch: int | None = None
        self.last_metrics: dict[str, float] = {}
        self.earlier = list(earlier)
        self.watch: ChanceWatch | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.user_stopped = False
        self.early_stopped = False
        self._steps = self.params.get("steps") if self.params else None
        classes = _classes(self.model)
        if classes is not None and classes >= 2:
            self.watch = ChanceWatch(classes)
            self.watch.replay(self.earlier)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch_started = time.perf_counter()
        self.reporter.progress(epoch + 1, 0, self._steps)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.reporter.progress(self.state.completed_epochs + 1, batch + 1, self._steps)
        if self.reporter.stop_requested() and not self.user_stopped:
            self.user_stopped = True
            self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        seconds = time.perf_counter() - self._epoch_started
        number = epoch + 1
        if self.user_stopped:
            # The epoch was cut short: its metrics are partial and it reruns on resume.
            self._save_checkpoint()
            self.reporter.event(
                "stop_requested",
                f"Stopped during epoch {number}; resume reruns it from the start.",
                {"epoch": number},
            )
            return
        metrics = {name: _float(value) for name, value in (logs or {}).items()}
        self.last_metrics = metrics
        lr = self._learning_rate()
        self.reporter.epoch(number, metrics, lr=lr, seconds=seconds)
        self.state.completed_epochs = number
        self.state.train_seconds += seconds
        self._track_best(number, metrics)
        stopping_now = (
            self.early_stopping is not None
            and self.model.stop_training
            and self.early_stopping.stopped_epoch == epoch
        )
        last = stopping_now or number >= self.total_epochs
        self._watch_chance(number, metrics, lr, last=last)
        if self.early_stopping is not None:
            self.state.early_stopping = self.early_stopping.state()
            kept_last = last and self._keep_last(number)
            if stopping_now:
                self.early_stopped = True
                self._report_early_stop(number, kept_last=kept_last)
            elif kept_last:
                self.reporter.event(
                    "best_weights",
                    f"Epoch {number}: best weights (epoch {self.early_stopping.best_epoch + 1}) "
                    f"not restored: {_KEPT_LAST}",
                    {"epoch": number, "kept_last_weights": True},
                )
        path = self._save_checkpoint()
        self.reporter.event(
            "checkpoint", f"Checkpoint after epoch {number}.", {"epoch": number, "path": path.name}
        )
        if self.reporter.stop_requested() and not self.model.stop_training:
            self.user_stopped = True
            self.model.stop_training = True
            self.reporter.event(
                "stop_requested", f"Stopped after epoch {number}.", {"epoch": number}
            )

    def _learning_rate(self) -> float | None:
        try:
            return _float(self.model.optimizer.learning_rate)
        except (AttributeError, TypeError, ValueError):
            return None

    def _track_best(self, number: int, metrics: dict[str, float]) -> None:
        current = metrics.get(self.monitor)
        if current is None or math.isnan(current):
            if not self._warned_missing:
                self._warned_missing = True
                self.reporter.event(
                    "warning",
                    f"Monitored metric {self.monitor!r} is missing; available: "
                    f"{', '.join(sorted(metrics))}.",
                )
            return
        best = self.state.best.get("value")
        better = best is None or (current < best if self.mode == "min" else current > best)
        if better:
            self.state.best = {"metric": self.monitor, "value": current, "epoch": number}
            self.reporter.summary(best_metric=self.monitor, best_value=current, best_epoch=number)
            self.reporter.event(
                "best_epoch",
                f"New best {self.monitor} {current:.4f}.",
                {"epoch": number, "metric": self.monitor, "value": current},
            )

    def _watch_chance(
        self, number: int, metrics: dict[str, float], lr: float | None, *, last: bool
    ) -> None:
        """Give or withdraw the run's stuck-at-chance (or not-learning) warning; at its `last`
        epoch, judge a run too short to have been warned on its whole history."""
        if self.watch is None:
            return
        change = self.watch.add(EpochAccuracy.from_metrics(number, metrics), lr=lr)
        if change is None and last:
            change = self.watch.finish(lr=lr)
        if change is None:
            return
        if change.started:
            self.reporter.event(
                change.warning.kind, change.sentence(), {**change.warning.data, "epoch": number}
            )
            self.reporter.summary(warning=change.warning.sentence)
        else:
            self.reporter.event(
                "note",
                change.sentence(),
                {"cleared": change.warning.kind, "epoch": number, "value": change.value},
            )
            self.reporter.summary(warning=None)

    def ending(self) -> str:
        """What the `done` message adds for a run whose warning still holds ("" for others)."""
        standing = self.watch.standing if self.watch is not None else None
        return "" if standing is None else standing.ending()

    def _keep_last(self, number: int) -> bool:
        """At the run's last epoch: keep the last weights instead of restoring the "best" ones
        when the run is stuck at chance and its best epoch's validation accuracy was at chance
        too (no better on validation, and far less trained); see
        cnnlab.engine.kinds.train.chance."""
        stopping, watch = self.early_stopping, self.watch
        if (
            stopping is None
            or watch is None
            or watch.standing is None
            or watch.standing.kind != STUCK_AT_CHANCE
            or not stopping.restore_best_weights
            or stopping.best_weights is None
            or stopping.best_epoch + 1 == number
            or not watch.at_chance_in(stopping.best_epoch + 1)
        ):
            return False
        stopping.best_weights = None  # so that EarlyStopping.on_train_end restores nothing
        return True

    def _report_early_stop(self, number: int, *, kept_last: bool = False) -> None:
        assert self.early_stopping is not None
        best_epoch = self.early_stopping.best_epoch + 1
        restored = bool(self.early_stopping.restore_best_weights) and not kept_last
        best = self.early_stopping.best
        self.reporter.event(
            "early_stopping",
            f"Epoch {number}: early stopping; best {self.monitor} "
            f"{_float(best):.4f} at epoch {best_epoch}"
            + (", best weights restored." if restored else "")
            + (f", not restored: {_KEPT_LAST}" if kept_last else "")
            + ("" if restored or kept_last else "."),
            {
                "stopped_epoch": number,
                "monitor": self.monitor,
                "best_value": None if best is None else _float(best),
                "best_epoch": best_epoch,
                "patience": self.early_stopping.patience,
                "restored_best_weights": restored,
                "kept_last_weights": kept_last,
            },
        )

    def _save_checkpoint(self) -> Any:
        best_weights = None
        stopping = self.early_stopping
        # The best weights only need writing when they changed.
        if (
            stopping is not None
            and stopping.restore_best_weights
            and stopping.best_weights is not None
            and stopping.best_epoch != self._saved_best_epoch
        ):
            best_weights = stopping.best_weights
            self._saved_best_epoch = stopping.best_epoch
        return self.checkpoints.save(self.model, self.state, best_weights)
