"""How a recorded fit ends: what each `EarlyStopping` of the fit did (Keras 3's own semantics,
read through `fit_context.StopOutcome`), and the model saved as the fit's artifact."""

from __future__ import annotations

from typing import Any

from cnnlab.engine.runtime.files import written_whole
from cnnlab.keras.fit_context import FitContext, StopOutcome, early_stoppings
from cnnlab.keras.model_facts import first_line, model_shapes
from cnnlab.keras.sinks import Sink


def write_early_stopping(
    context: FitContext, recorder: Any, sink: Sink, shift: int
) -> tuple[bool, int | None]:
    """Events for what the fit's EarlyStoppings did; (stopped early, epoch of the weights
    the model ends with when one restores them)."""
    found = [(s, StopOutcome.of(s)) for s in early_stoppings(context)]
    stopper = next(((s, o) for s, o in found if o.stopped_epoch is not None), None)
    restoring = [(s, o) for s, o in found if o.restores]
    # Each restores in list order at its on_train_end, so the last one listed wins; one
    # listed after the Recorder restores only after this, so it is applied here first.
    weights_epoch = None
    if restoring:
        stopping, outcome = restoring[-1]
        if context.callbacks.index(stopping) > context.callbacks.index(recorder):
            recorder.model.set_weights(stopping.best_weights)
        weights_epoch = None if outcome.best_epoch is None else outcome.best_epoch + 1 + shift
    reporter = sink.reporter
    judge = stopper or (restoring[-1] if restoring else None)
    if judge is not None and judge[1].best_epoch is not None:
        # The row's best epoch as the EarlyStopping judged it (its min_delta, baseline and
        # start_from_epoch), the epoch whose weights a restore gives the model.
        outcome = judge[1]
        best_fields = {
            "best_metric": outcome.monitor,
            "best_value": outcome.best_value,
            "best_epoch": (outcome.best_epoch or 0) + 1 + shift,
        }
        sink.write("the best epoch", lambda: reporter.summary(**best_fields))
    if stopper is not None:
        stopping, outcome = stopper
        number = (outcome.stopped_epoch or 0) + 1 + shift
        best = None if outcome.best_epoch is None else outcome.best_epoch + 1 + shift
        value = "" if outcome.best_value is None else f" {outcome.best_value:.4f}"
        restored = outcome.restores
        message = (
            f"Epoch {number}: early stopping; best {outcome.monitor}{value} at epoch {best}, "
            f"best weights {'restored' if restored else 'not restored'}."
        )
        data = {
            "stopped_epoch": number,
            "monitor": outcome.monitor,
            "best_value": outcome.best_value,
            "best_epoch": best,
            "patience": outcome.patience,
            "restored_best_weights": restored,
        }
        sink.write("the early stop", lambda: reporter.event("early_stopping", message, data))
    elif weights_epoch is not None:
        message = f"EarlyStopping restored the weights of epoch {weights_epoch} at the end."
        data = {"epoch": weights_epoch, "restored_best_weights": True}
        sink.write("the restore", lambda: reporter.event("best_weights", message, data))
    return stopper is not None, weights_epoch


def save_model(model: Any, sink: Sink, counts: dict[str, int], weights_epoch: int | None) -> None:
    """The model as `model.keras` in the run folder, recorded as the fit's artifact; a model
    that cannot be saved is a warning event, never the end of the run."""
    path = sink.run_dir / sink.model_name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with written_whole(path) as partial:
            model.save(partial)
    except Exception as exc:  # an unsaveable custom layer, a full disk: the run still is
        text = f"The model could not be saved as {path.name} ({first_line(exc)}); "
        text += "convert and transfer need it: save it yourself with model.save."
        sink.write("the save warning", lambda: sink.reporter.event("warning", text))
        return
    meta = {**counts, **model_shapes(model), "recorded_by": "cnnlab.keras.Recorder"}
    if weights_epoch is not None:
        meta["weights_from_epoch"] = weights_epoch
    sink.write("the model", lambda: sink.reporter.artifact("keras", path, meta))
