"""A training as a Keras log recorded it, and the rows it becomes in cnnlab.

The readers (`history_csv` for CSVLogger files, `history_tensorboard` for TensorBoard folders)
each return a `LoggedRun`: the epochs by Keras' own 0-based number, with the log's own metric
names, and what the reader noticed (repeated epochs, a truncated file, an array-valued column).
`imported_fit` turns it into what a `cnnlab train` job leaves: epochs numbered from 1, metrics
named as cnnlab names them (loss, accuracy, val_loss, val_accuracy, the rest kept under their
own names, the learning rate in the lr column), a summary (epochs run, best epoch and value,
final metrics, training seconds where the log has wall times), and events saying where it came
from. A loss that became NaN or infinite fails the row with the sentence a training job fails
with (`FailOnInvalidLoss`), the epochs kept as logged. No TensorFlow here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnnlab.engine.kinds.fit.spec import FitSpec
from cnnlab.store.imported_fit import ImportedFit, LoggedEpoch, LoggedEvent

# Keras' names for the learning rate in its logs (Keras 3 and callbacks such as
# ReduceLROnPlateau write "learning_rate"; Keras 2 wrote "lr").
LR_KEYS = ("learning_rate", "lr")
# Older or explicit names of the accuracy cnnlab's trainings log as "accuracy": used as it
# only where the log has no "accuracy" of its own.
ACCURACY_ALIASES = ("acc", "sparse_categorical_accuracy", "categorical_accuracy")
# What the summary's best epoch is judged on, in order of preference (cnnlab's own default
# monitor first): (metric, whether higher is better).
BEST_ORDER = (("val_accuracy", True), ("val_loss", False), ("accuracy", True), ("loss", False))
LOSSES = ("loss", "val_loss")


@dataclass
class RawEpoch:
    """One epoch as logged: Keras' key names, NaN and infinities as they are."""

    values: dict[str, float] = field(default_factory=dict)
    seconds: float | None = None
    at: float | None = None


@dataclass
class LoggedRun:
    """What a reader found in one run's log (see the module docstring)."""

    source: str  # a FIT_SOURCES entry: csvlogger | tensorboard
    path: Path
    sha256: str
    bytes: int
    epochs: dict[int, RawEpoch]  # by Keras' 0-based epoch number
    repeated: list[int] = field(default_factory=list)  # 0-based epochs logged more than once
    notes: list[str] = field(default_factory=list)  # sentences for the user and the event
    model: str | None = None  # the model's name, where the log says (TensorBoard's graph)
    started_at: float | None = None
    finished_at: float | None = None

    @property
    def described(self) -> str:
        return "Keras CSVLogger file" if self.source == "csvlogger" else "TensorBoard log"


def cnnlab_names(keys: list[str]) -> dict[str, str]:
    """Each log key's name in cnnlab (the learning rate keys map to "lr")."""
    present = set(keys)
    names: dict[str, str] = {}
    for key in keys:
        prefix, bare = ("val_", key[4:]) if key.startswith("val_") else ("", key)
        if not prefix and key in LR_KEYS:
            names[key] = "lr"
        elif bare in ACCURACY_ALIASES and f"{prefix}accuracy" not in present:
            names[key] = f"{prefix}accuracy"
        else:
            names[key] = key
    # Two aliases of one name (acc and categorical_accuracy): the first keeps it.
    seen: set[str] = set()
    for key in keys:
        if names[key] in seen and names[key] != key:
            names[key] = key
        seen.add(names[key])
    return names


def imported_fit(
    run: LoggedRun, *, name: str, model: str | None, dataset: str | None
) -> ImportedFit:
    """The rows `run` becomes (see the module docstring)."""
    keys = sorted({key for epoch in run.epochs.values() for key in epoch.values})
    names = cnnlab_names(keys)
    renamed = {k: v for k, v in names.items() if v not in (k, "lr")}
    epochs: list[LoggedEpoch] = []
    diverged: tuple[int, str, float] | None = None
    for number in sorted(run.epochs):
        raw = run.epochs[number]
        metrics: dict[str, float] = {}
        lr: float | None = None
        for key, value in raw.values.items():
            cnnlab_name = names[key]
            if cnnlab_name in LOSSES and not math.isfinite(value) and diverged is None:
                diverged = (number + 1, cnnlab_name, value)
            if not math.isfinite(value):
                continue  # stored as missing: SQLite and JSON have no NaN
            if cnnlab_name == "lr":
                lr = value
            else:
                metrics[cnnlab_name] = value
        epochs.append(LoggedEpoch(number + 1, metrics, lr=lr, seconds=raw.seconds, at=raw.at))
    imported = {
        "file": run.path.name,
        "path": str(run.path),
        "sha256": run.sha256,
        "bytes": run.bytes,
        "format": run.source,
    }
    spec = {
        **FitSpec(source=run.source, name=name, path=str(run.path), dataset=dataset).to_dict(),
        "imported": imported,
    }
    events = [_imported_event(run, epochs, renamed)]
    summary = _summary(epochs)
    if summary.get("best_epoch") is not None:
        metric, value = summary["best_metric"], summary["best_value"]
        events.append(
            LoggedEvent(
                "best_epoch",
                f"Best {metric} {value:.4f} at epoch {summary['best_epoch']} (from the log).",
                {"epoch": summary["best_epoch"], "metric": metric, "value": value},
            )
        )
    status, error = "done", None
    if diverged is not None:
        number, what, value = diverged
        shown = "NaN" if math.isnan(value) else "infinite"
        error = (
            f"The {'loss' if what == 'loss' else 'validation loss'} became {shown} at epoch "
            f"{number} (as the {run.described} records it): the run diverged; its epochs are "
            "kept as logged, that value as missing."
        )
        status = "failed"
        events.append(LoggedEvent("failed", error, {"epoch": number, "metric": what}))
    return ImportedFit(
        name=name,
        spec=spec,
        epochs=epochs,
        events=events,
        model=model or run.model,
        dataset=dataset,
        status=status,
        error=error,
        started_at=run.started_at,
        finished_at=run.finished_at,
        summary=summary,
    )


def _imported_event(
    run: LoggedRun, epochs: list[LoggedEpoch], renamed: Mapping[str, str]
) -> LoggedEvent:
    first, last = epochs[0].number, epochs[-1].number
    span = f"epoch {first}" if first == last else f"epochs {first} to {last}"
    notes = _notes(run, renamed)
    sentences = [f"Imported {len(epochs)} epoch(s) ({span}) from the {run.described} {run.path}."]
    data: dict[str, Any] = {
        "path": str(run.path),
        "format": run.source,
        "sha256": run.sha256,
        "epochs": len(epochs),
        "repeated_epochs": [n + 1 for n in run.repeated],
        "renamed": dict(renamed),
        "notes": notes,
    }
    return LoggedEvent("imported", " ".join([*sentences, *notes]), data)


def _notes(run: LoggedRun, renamed: Mapping[str, str]) -> list[str]:
    """What the user should know about how the log was read, one sentence each."""
    notes: list[str] = []
    if run.repeated:
        shown = ", ".join(str(n + 1) for n in run.repeated[:10])
        more = f" and {len(run.repeated) - 10} more" if len(run.repeated) > 10 else ""
        notes.append(
            f"Epoch(s) {shown}{more} were logged more than once (a resumed run); the last "
            "of each is kept."
        )
    if renamed:
        notes.append(
            "Shown as cnnlab names them: "
            + ", ".join(f"{key} as {name}" for key, name in sorted(renamed.items()))
            + "."
        )
    return notes + run.notes


def _summary(epochs: list[LoggedEpoch]) -> dict[str, Any]:
    """What a training job's summary holds, as far as the log tells it."""
    summary: dict[str, Any] = {
        "final_metrics": dict(epochs[-1].metrics),
        "stopped_early": None,  # a log does not say why its training ended
    }
    seconds = [e.seconds for e in epochs]
    if all(s is not None for s in seconds):
        summary["train_seconds"] = round(sum(s for s in seconds if s is not None), 3)
    for metric, higher in BEST_ORDER:
        values = [(e.metrics[metric], e.number) for e in epochs if metric in e.metrics]
        if not values:
            continue
        # The first epoch reaching the best value, as Keras' EarlyStopping counts it.
        value, number = (
            max(values, key=lambda v: (v[0], -v[1]))
            if higher
            else min(values, key=lambda v: (v[0], v[1]))
        )
        summary.update(best_metric=metric, best_value=value, best_epoch=number)
        break
    return summary
