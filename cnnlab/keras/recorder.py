"""The `Recorder` callback: what it writes at each point of a `fit`, and how a fit ends.

- `on_train_begin`: finds the fit's other callbacks (`fit_context`), refuses a second Recorder
  in the same fit, opens where it writes (`sinks`: its own `fit` row, or the job that started
  the script) and writes the parameters, the frozen layers and what it records from; installs
  the Ctrl-C handler (`signals`) and starts the watcher thread (`watcher`).
- each batch: notes the step (no write; the watcher writes progress at most twice a second).
  It overrides no `on_*_batch_end`, so a backend that dispatches those asynchronously (JAX)
  still can.
- `on_epoch_end`: one epoch row with its metrics, learning rate and seconds, and the best so
  far. An epoch cut short by a stop is not recorded (its metrics cover part of it); an event
  says how far it got.
- `on_train_end`: early stopping as each `EarlyStopping` of the fit saw it, the model as
  `model.keras` (with the best weights when an EarlyStopping restores them, even one listed
  after the Recorder, whose restore comes later), the summary, and `done`, or `stopped` after a
  Ctrl-C or `cnnlab stop`. A job's script leaves the status to the job.
"""

from __future__ import annotations

import atexit
import math
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import keras

from cnnlab.engine.kinds.fit.spec import FitSpec
from cnnlab.engine.runtime.reporter import Reporter
from cnnlab.keras.ending import save_model, write_early_stopping
from cnnlab.keras.fit_context import (
    FitContext,
    early_stoppings,
    find_fit,
    frozen_layers,
)
from cnnlab.keras.model_facts import (
    first_line,
    learning_rate,
    model_counts,
    source_path,
    square_side,
)
from cnnlab.keras.model_facts import (
    number as as_number,
)
from cnnlab.keras.signals import StopSignals
from cnnlab.keras.sinks import (
    RecorderError,
    Sink,
    attached,
    default_db,
    job_sink,
    note_epochs,
    own_row,
)
from cnnlab.keras.watcher import Progress, Watcher
from cnnlab.store import UnknownExperiment

__all__ = ["Recorder", "RecorderError"]

ABANDON_WAIT_S = 1.0  # how long the watcher waits for the kernel to name the exception


class Recorder(keras.callbacks.Callback):  # type: ignore[misc]
    """Records one `fit` as a cnnlab experiment, live (see `cnnlab.keras`).

    `name`: the experiment's name. `db`: the database (default `$CNNLAB_DB`, else
    `experiments.db` here). `parent`: the experiment (id, or the Recorder of an earlier fit)
    this fit continues, e.g. the first stage of a chain. `dataset`: what it trained on, as text
    for the table. `monitor`: the metric whose best epoch the row shows (default: the
    EarlyStopping's, else `val_loss` when validated, else `loss`). `save_model`: save the
    model as a `.keras` artifact at the end (on by default; convert and transfer need it).
    """

    def __init__(
        self,
        name: str = "",
        *,
        db: str | Path | None = None,
        parent: int | Recorder | None = None,
        dataset: str | None = None,
        monitor: str | None = None,
        save_model: bool = True,
    ) -> None:
        super().__init__()
        self.name = name
        self.db = db
        self.parent = parent
        self.dataset = dataset
        self.monitor = monitor
        self.save_model = save_model
        self.experiment_id: int | None = None
        self._sink: Sink | None = None
        self._lock = threading.Lock()
        self._settled = True

    # -- begin ---------------------------------------------------------------------------------

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._context: FitContext = find_fit(self)
        recorders = [c for c in self._context.callbacks if isinstance(c, Recorder)]
        if len(recorders) > 1:
            raise RecorderError(
                f"This fit has {len(recorders)} cnnlab Recorders; pass one (each would record "
                "the fit as a run of its own)."
            )
        params = self.params or {}
        self._steps: int | None = params.get("steps")
        planned = params.get("epochs")
        frozen = frozen_layers(self.model)
        self._counts = model_counts(self.model)
        job = attached()
        if job is not None:
            sink = job_sink(job)
        else:
            spec = FitSpec(
                source="recorder",
                name=self.name,
                path=source_path(),
                epochs=planned,
                dataset=self.dataset,
                input=square_side(self.model),
                extra={"frozen_layers": frozen},
            )
            sink = self._own_row(spec)
        self._sink, self.experiment_id = sink, sink.experiment_id
        self._shift: int | None = None
        self._number = self._step = 0
        self._phase = "begin"
        self._stop_reason: str | None = None
        self._stop_phase = ""
        self._interrupted = False
        self._best: float | None = None
        self._recorded = sink.recorded_epochs
        self._last_metrics: dict[str, float] = {}
        self._train_seconds = 0.0
        self._epoch_started = time.perf_counter()
        self._last_error = getattr(sys, "last_value", None)
        self._settled = False
        self._write_start(sink, frozen, planned)
        self._signals = StopSignals(self._stop, self._on_interrupt, terminate=sink.attached)
        self._signals.install()
        self._watcher = Watcher(
            sink.open_second,
            beat=not sink.attached,
            progress=self._progress,
            stop_fit=lambda: self._stop("stop_requested"),
            fit_running=self._context.running,
            abandoned=self._abandoned,
        )
        self._watcher.start()
        atexit.register(self._at_exit)

    def _own_row(self, spec: FitSpec) -> Sink:
        parent = self.parent
        if isinstance(parent, Recorder):
            if parent.experiment_id is None:
                raise RecorderError("parent= names a Recorder whose fit has not run yet.")
            parent = parent.experiment_id
        db = default_db(self.db)
        try:
            return own_row(db, spec, name=self.name, model=self.model.name, parent_id=parent)
        except UnknownExperiment:
            raise RecorderError(
                f"parent={parent}: there is no experiment {parent} in {db}; pass the id of an "
                "earlier run in that database."
            ) from None

    def _write_start(self, sink: Sink, frozen: list[str], planned: int | None) -> None:
        reporter, counts = sink.reporter, self._counts
        sink.write("the parameter count", lambda: reporter.summary(params=counts["params"]))
        steps = f" of {self._steps} steps" if self._steps else ""
        sink.write(
            "the start",
            lambda: reporter.event(
                "recording",
                f"Recording model.fit: {planned} epoch(s){steps}, "
                f"{counts['params']:,} parameters ({counts['trainable_params']:,} trainable).",
                {"epochs": planned, "steps": self._steps, "pid": os.getpid()},
            ),
        )
        if frozen:
            more = f" and {len(frozen) - 20} more" if frozen[20:] else ""
            shown = ", ".join(frozen[:20]) + more
            data = {
                "frozen_layers": frozen,
                "trainable_params": counts["trainable_params"],
                "frozen_params": counts["params"] - counts["trainable_params"],
            }
            sink.write(
                "the frozen layers",
                lambda: reporter.event("frozen", f"{len(frozen)} frozen: {shown}.", data),
            )

    # -- the fit's thread, per epoch and batch ---------------------------------------------

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self._shift is None:  # a job's later fit numbers on after the epochs it holds
            self._shift = max(0, self._recorded - epoch)
        self._number, self._step, self._phase = epoch + 1 + self._shift, 0, "batches"
        self._epoch_started = time.perf_counter()

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._step = batch

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self._phase == "batches":
            self._phase = "validation"

    def _progress(self) -> Progress | None:
        if self._phase not in ("batches", "validation"):
            return None
        step = self._steps if self._phase == "validation" and self._steps else self._step
        return (self._number, step, self._steps)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        sink, number = self._require(), self._number
        seconds = time.perf_counter() - self._epoch_started
        self._phase = "between"
        if self._cut_short():
            done = self._step + 1
            of = f" of {self._steps}" if self._steps else ""
            sink.write(
                "the stop",
                lambda: sink.reporter.event(
                    "stopped",
                    f"Stopped during epoch {number}, after {done}{of} steps; that epoch is not "
                    "recorded (its metrics cover part of it).",
                    {"epoch": number, "steps_done": done, "reason": self._stop_reason},
                ),
            )
            return
        metrics = {key: as_number(value) for key, value in (logs or {}).items()}
        lr = learning_rate(self.model)
        reporter = sink.reporter
        sink.write(
            f"epoch {number}",
            lambda: reporter.epoch(number, metrics, lr=lr, seconds=seconds),
        )
        self._recorded = max(self._recorded, number)
        note_epochs(sink, self._recorded)
        self._last_metrics = metrics
        self._train_seconds += seconds
        monitor = self._monitor(metrics)
        value = metrics.get(monitor)
        if value is not None and math.isfinite(value) and self._better(monitor, value):
            self._best = value
            sink.write(
                "the best epoch",
                lambda: reporter.summary(best_metric=monitor, best_value=value, best_epoch=number),
            )

    def _cut_short(self) -> bool:
        if self._stop_reason is None or self._stop_phase != "batches":
            return False
        return not (self._steps and self._step + 1 >= self._steps)

    def _monitor(self, metrics: dict[str, float]) -> str:
        if self.monitor:
            return self.monitor
        for stopping in early_stoppings(self._context):
            return str(stopping.monitor)
        return "val_loss" if "val_loss" in metrics else "loss"

    def _better(self, monitor: str, value: float) -> bool:
        if self._best is None:
            return True
        lower = "loss" in monitor or "error" in monitor
        return value < self._best if lower else value > self._best

    # -- stopping ------------------------------------------------------------------------------

    def _stop(self, reason: str) -> None:
        """Ask the fit to stop after the current batch (Ctrl-C, SIGTERM, `cnnlab stop`)."""
        if self._stop_reason is None:
            self._stop_reason, self._stop_phase = reason, self._phase
        self.model.stop_training = True

    def _on_interrupt(self) -> None:
        """The second Ctrl-C: KeyboardInterrupt follows; the watcher or exit settles the row."""
        self._interrupted = True

    def _abandoned(self, reporter: Reporter | None) -> None:
        """The fit left the stack without `on_train_end` (the watcher thread saw it)."""
        deadline = time.monotonic() + ABANDON_WAIT_S
        while not self._interrupted and time.monotonic() < deadline and self._new_error() is None:
            time.sleep(0.05)  # the kernel names the exception when it prints it
        self._settle(reporter)

    def _at_exit(self) -> None:
        self._settle(None)

    def _new_error(self) -> BaseException | None:
        error = getattr(sys, "last_value", None)
        return None if error is self._last_error else error

    def _settle(self, reporter: Reporter | None) -> None:
        """Record a fit that ended without `on_train_end`: `stopped` after a second Ctrl-C
        (or a KeyboardInterrupt), else `failed` with the exception when the kernel named it."""
        with self._lock:
            if self._settled:
                return
            self._settled = True
        self._signals.active = False  # a later Ctrl-C in the kernel is the kernel's own again
        sink = self._require()
        own = reporter is None
        try:
            reporter = reporter or sink.open_second()
            error = self._new_error()
            number, recorded = self._number, self._recorded
            if self._interrupted or isinstance(error, KeyboardInterrupt):
                message = (
                    f"Interrupted (Ctrl-C twice) after {recorded} recorded epoch(s), which "
                    "are kept; no model saved."
                )
                reporter.event("stopped", message, {"epoch": number, "interrupted": True})
                if not sink.attached:
                    reporter.status("stopped")
            else:
                why = f" ({type(error).__name__}: {first_line(error)})" if error else ""
                message = (
                    f"model.fit ended by an exception{why} after {recorded} recorded "
                    "epoch(s), which are kept; no model saved."
                )
                reporter.event("fit_failed", message, {"epoch": number})
                if not sink.attached:
                    reporter.status("failed", error=message)
        except Exception as exc:  # at exit or in a thread: say it, never raise
            print(f"cnnlab: could not record how the fit ended ({exc}).", file=sys.stderr)
        finally:
            store = getattr(reporter, "store", None)
            if own and store is not None:
                store.close()
            sink.close()

    # -- end -----------------------------------------------------------------------------------

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        sink = self._require()
        with self._lock:
            if self._settled:
                return
            self._settled = True
        self._signals.restore()
        self._watcher.stop()
        atexit.unregister(self._at_exit)
        try:
            stopped_early, weights_epoch = write_early_stopping(
                self._context, self, sink, self._shift or 0
            )
            if self.save_model:
                save_model(self.model, sink, self._counts, weights_epoch)
            reporter = sink.reporter
            summary = {
                "epochs_run": self._recorded,
                "stopped_early": stopped_early,
                "final_metrics": self._last_metrics,
                "train_seconds": round(self._train_seconds, 3),
            }
            sink.write("the summary", lambda: reporter.summary(**summary))
            if not sink.attached:
                status = "done" if self._stop_reason is None else "stopped"
                sink.write("the final status", lambda: reporter.status(status))
            if not sink.flush():
                print(
                    f"cnnlab: {len(sink.pending)} record(s) of experiment {sink.experiment_id} "
                    "could not be written; the epochs are in the History that fit returned.",
                    file=sys.stderr,
                )
        finally:
            sink.close()

    def _require(self) -> Sink:
        if self._sink is None:
            raise RecorderError("A Recorder records only inside model.fit.")
        return self._sink
