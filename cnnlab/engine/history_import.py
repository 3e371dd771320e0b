"""`cnnlab import` of past trainings: a Keras CSVLogger file or a TensorBoard log folder.

A lab's earlier experiments were logged by Keras' own callbacks; imported, each run becomes a
finished `fit` experiment beside the ones cnnlab trained, in the same table, charts, `show` and
`report` (`cnnlab.engine.kinds.fit.logged_run` says how a log becomes those rows). The path
alone says what it is: a `.csv` file, or any file whose first line is a CSVLogger header
(Keras' own example names it `training.log`), is a CSVLogger file; a folder with
`saved_model.pb` is a model (`cnnlab.engine.kinds.importing`); any other folder with
TensorBoard event files below it is a log, each run folder in it (one with `train/` and
`validation/`) its own experiment. Every run is read and checked whole before anything is
written, then all are written in one transaction (`cnnlab.store.imported_fit`), so a refused
log leaves the database as it was; a log imported before is refused naming its experiment
(the CLI imports a folder's new runs and skips, naming them, those imported before).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cnnlab.engine.kinds.fit.history_csv import looks_like_csvlogger, read_csvlogger
from cnnlab.engine.kinds.fit.history_tensorboard import (
    event_files,
    read_tensorboard_run,
    tensorboard_runs,
)
from cnnlab.engine.kinds.fit.logged_run import LoggedRun, imported_fit
from cnnlab.errors import CnnlabError
from cnnlab.store import Store
from cnnlab.store.imported_bench import AlreadyImported, imported_before
from cnnlab.store.imported_fit import add_imported_fits

LOG_FORMATS = ("csvlogger", "tensorboard")
MODEL_SUFFIXES = (".keras", ".h5", ".hdf5", ".tflite")
WHAT_IMPORTS = (
    "cnnlab imports .keras, .h5, .tflite files and SavedModel folders (models), and Keras "
    "CSVLogger files and TensorBoard log folders (past trainings)"
)


@dataclass(frozen=True)
class ImportedHistory:
    """One run an import recorded."""

    experiment_id: int
    name: str
    source: str  # csvlogger | tensorboard
    path: str
    status: str  # done, or failed for a run whose loss became NaN
    epochs: int
    error: str | None
    notes: tuple[str, ...]
    best: str | None  # "val_accuracy 0.9123 at epoch 7"

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.experiment_id,
            "name": self.name,
            "kind": "fit",
            "status": self.status,
            "source": self.source,
            "path": self.path,
            "epochs": self.epochs,
            "error": self.error,
            "notes": list(self.notes),
            "artifacts": [],
        }


def log_format(path: Path, given: str | None = None) -> str | None:
    """csvlogger or tensorboard when `path` is a training log; None when it is a model file
    or folder, or missing (`import_model` says so); a sentence when it is neither."""
    if given is not None:
        if given not in LOG_FORMATS:
            raise CnnlabError(f"Unknown log format {given!r}; use {' or '.join(LOG_FORMATS)}.")
        if not path.exists():
            raise CnnlabError(f"{path} does not exist.")
        wanted_folder = given == "tensorboard"
        if path.is_dir() != wanted_folder:
            what = "a TensorBoard log folder" if wanted_folder else "a CSVLogger file"
            raise CnnlabError(f"--format {given} takes {what}; {path} is not one.")
        return given
    if not path.exists():
        return None
    if path.is_dir():
        if (path / "saved_model.pb").exists():
            return None
        if event_files(path):
            return "tensorboard"
        raise CnnlabError(
            f"{path} is a folder with neither saved_model.pb (a SavedModel) nor TensorBoard "
            f"event files (events.out.tfevents.*) below it; {WHAT_IMPORTS}."
        )
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csvlogger"
    if suffix in MODEL_SUFFIXES:
        return None
    try:
        with path.open("rb") as handle:
            head = handle.read(64)
    except OSError:
        head = b""
    if looks_like_csvlogger(head):
        return "csvlogger"
    raise CnnlabError(f"Cannot import {path.name}: {WHAT_IMPORTS}.")


def import_history(
    store: Store,
    path: Path | str,
    *,
    name: str = "",
    model: str | None = None,
    data: str | None = None,
    file_format: str | None = None,
    on_skip: Callable[[str, int, str], None] | None = None,
) -> list[ImportedHistory]:
    """Check the log at `path` whole, then record each of its runs as a finished `fit`
    experiment; every refusal is one sentence and writes nothing. With `on_skip`, a folder of
    several runs some of which were imported before (new runs added since) records the others
    and tells `on_skip(run name, experiment id, its name)` of each one left out."""
    source = Path(path).expanduser().absolute()
    if not source.exists():
        raise CnnlabError(
            f"{source} does not exist; give the path of a Keras CSVLogger file or a "
            "TensorBoard log folder."
        )
    chosen = log_format(source, file_format)
    if chosen is None:
        raise CnnlabError(f"{source} is not a training log; {WHAT_IMPORTS}.")
    runs: list[tuple[str, LoggedRun]]
    base = name.strip() or source.name
    if chosen == "csvlogger":
        runs = [(base, read_csvlogger(source))]
    else:
        folders = tensorboard_runs(source)
        runs = [
            (_run_name(base, folder, source), read_tensorboard_run(folder, source))
            for folder in folders
        ]
    _refuse_repeats(runs, source)
    if on_skip is not None and len(runs) > 1:
        earlier = [imported_before(store, run.sha256, "fit") for _, run in runs]
        if not all(earlier):  # all of them: refused below, naming the first
            for (title, _), before in zip(runs, earlier, strict=True):
                if before is not None:
                    on_skip(title, *before)
            runs = [pair for pair, before in zip(runs, earlier, strict=True) if before is None]
    label = model.strip() if model and model.strip() else None
    dataset = data.strip() if data and data.strip() else None
    fits = [imported_fit(run, name=title, model=label, dataset=dataset) for title, run in runs]
    ids = add_imported_fits(store, fits)
    return [
        ImportedHistory(
            experiment_id=experiment_id,
            name=fit.name,
            source=run.source,
            path=str(run.path),
            status=fit.status,
            epochs=len(fit.epochs),
            error=fit.error,
            notes=tuple(fit.events[0].data.get("notes") or ()),
            best=_best(fit.summary),
        )
        for experiment_id, fit, (_, run) in zip(ids, fits, runs, strict=True)
    ]


def _run_name(base: str, folder: Path, source: Path) -> str:
    relative = folder.relative_to(source)
    return base if str(relative) == "." else f"{base}/{relative}"


def _refuse_repeats(runs: list[tuple[str, LoggedRun]], source: Path) -> None:
    """Two runs of one folder holding the same files (a log imported before is refused by
    `add_imported_fits`, inside its transaction)."""
    seen: dict[str, str] = {}
    for title, run in runs:
        if run.sha256 in seen:
            raise CnnlabError(
                f"{seen[run.sha256]} and {title} in {source} hold the same event files (a "
                "copied run); remove one copy and import again."
            )
        seen[run.sha256] = title


def _best(summary: object) -> str | None:
    if not isinstance(summary, dict) or summary.get("best_epoch") is None:
        return None
    return f"{summary['best_metric']} {summary['best_value']:.4f} at epoch {summary['best_epoch']}"


__all__ = ["LOG_FORMATS", "AlreadyImported", "ImportedHistory", "import_history", "log_format"]
