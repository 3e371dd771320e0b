"""Where a Recorder writes: a `fit` row of its own, or the job of `cnnlab run` that started it.

On its own, a Recorder opens the database (`db=`, else `$CNNLAB_DB`, else `experiments.db` in
the current folder) at `on_train_begin` and creates a running `fit` row, with its pid and the
process's start time so that liveness can tell a dead kernel (`lost`) from a live one. A
database it cannot open (a folder, a missing parent folder, not a cnnlab database) fails the
fit there, before any training, with one sentence.

Started by a script job (`cnnlab.engine.kinds.script.attach`), it creates nothing: it reports
into the job's experiment, through the job's database or, on a Slurm node, its run folder
(FileReporter), and leaves the final status to the job process, which knows how the script
ended. A script that runs several fits reports them all into that one row, epochs numbered on
(the job is one experiment; `cnnlab run` showed the user one id): each later fit's epochs follow
the last recorded one, and its model is saved beside the first as `model-2.keras`, ...

Once training runs, a write that fails (a locked or full disk, a database removed) never stops
the user's fit: it waits in memory and goes out with the next write, the first failure said in
one line; what was written before stays.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cnnlab.engine.kinds.fit.spec import FitSpec
from cnnlab.engine.kinds.script.attach import AttachedJob, attached_job
from cnnlab.engine.runtime.file_reporter import FileReporter
from cnnlab.engine.runtime.liveness import process_start
from cnnlab.engine.runtime.reporter import Reporter, StoreReporter
from cnnlab.errors import CnnlabError
from cnnlab.store import (
    DEFAULT_DB_NAME,
    Store,
    StoreError,
    create_experiment,
    open_store,
    set_status,
)

# A job's script may run several fits: how many epochs and models each job id has so far in
# this process, so that the next fit numbers on.
_JOB_EPOCHS: dict[int, int] = {}
_JOB_MODELS: dict[int, int] = {}


class RecorderError(CnnlabError):
    """The Recorder cannot record this fit (raised at `on_train_begin`, before training)."""


@dataclass
class Sink:
    """One fit's destination: its experiment, the reporter the fit's thread writes through, and
    how to open a second one for the watcher thread (a connection of its own)."""

    experiment_id: int
    reporter: Reporter
    run_dir: Path
    attached: bool
    open_second: Callable[[], Reporter]
    recorded_epochs: int = 0  # epochs the row already holds (a job's earlier fits)
    model_name: str = "model.keras"
    pending: list[tuple[str, Callable[[], object]]] = field(default_factory=list)
    warned: bool = False

    def write(self, what: str, write: Callable[[], object]) -> bool:
        """Write now, after any earlier writes still waiting; False if it has to wait too."""
        self.pending.append((what, write))
        return self.flush()

    def flush(self) -> bool:
        while self.pending:
            what, write = self.pending[0]
            try:
                write()
            except (StoreError, OSError, sqlite3.Error) as exc:
                if not self.warned:
                    self.warned = True
                    print(
                        f"cnnlab: could not record {what} ({exc}); training goes on and the "
                        "Recorder tries again with its next write.",
                        file=sys.stderr,
                        flush=True,
                    )
                return False
            self.pending.pop(0)
        return True

    def close(self) -> None:
        store: Store | None = getattr(self.reporter, "store", None)
        if store is not None:
            store.close()


def default_db(db: str | Path | None) -> Path:
    return Path(db) if db is not None else Path(os.environ.get("CNNLAB_DB") or DEFAULT_DB_NAME)


def attached() -> AttachedJob | None:
    try:
        return attached_job()
    except ValueError as exc:
        raise RecorderError(f"{exc} Run the script through `cnnlab run`, or unset it.") from None


def job_sink(job: AttachedJob) -> Sink:
    """Report into the script job's experiment (see the module docstring)."""
    experiment_id = job.experiment_id
    fits = _JOB_MODELS.get(experiment_id, 0) + 1
    _JOB_MODELS[experiment_id] = fits
    model_name = "model.keras" if fits == 1 else f"model-{fits}.keras"
    if job.run_dir is not None:
        run_dir = job.run_dir
        return Sink(
            experiment_id,
            FileReporter(run_dir, experiment_id),
            run_dir,
            True,
            lambda: FileReporter(run_dir, experiment_id),
            _JOB_EPOCHS.get(experiment_id, 0),
            model_name,
        )
    db = job.db or default_db(None)
    store = _open(db)
    return Sink(
        experiment_id,
        StoreReporter(store, experiment_id),
        store.run_dir(experiment_id),
        True,
        lambda: StoreReporter(open_store(db), experiment_id),
        _JOB_EPOCHS.get(experiment_id, 0),
        model_name,
    )


def note_epochs(sink: Sink, recorded: int) -> None:
    """A job's row now holds `recorded` epochs (the next fit numbers on from there)."""
    if sink.attached:
        _JOB_EPOCHS[sink.experiment_id] = max(_JOB_EPOCHS.get(sink.experiment_id, 0), recorded)


def own_row(db: Path, spec: FitSpec, *, name: str, model: str, parent_id: int | None) -> Sink:
    """Create the fit's own running row (see the module docstring)."""
    store = _open(db)
    pid = os.getpid()
    try:
        full = dataclasses.replace(spec, process_start=process_start(pid))
        experiment_id = create_experiment(
            store,
            "fit",
            name=name,
            spec=full.to_dict(),
            model=model,
            dataset=spec.dataset,
            parent_id=parent_id,
            status="running",
        )
        set_status(store, experiment_id, "running", pid=pid, host=socket.gethostname())
    except BaseException:
        store.close()
        raise
    return Sink(
        experiment_id,
        StoreReporter(store, experiment_id),
        store.run_dir(experiment_id),
        False,
        lambda: StoreReporter(open_store(db), experiment_id),
    )


def _open(db: Path) -> Store:
    if db.is_dir():
        raise RecorderError(
            f"Recorder(db={str(db)!r}) names a folder; name a database file, e.g. "
            f"{str(db / DEFAULT_DB_NAME)!r}."
        )
    try:
        return open_store(db)
    except StoreError as exc:
        raise RecorderError(f"The Recorder cannot open its database: {exc}") from None
