"""What a job runner receives and returns, whatever its kind (train, transfer, convert, bench)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cnnlab.engine.runtime.reporter import Reporter
from cnnlab.store import Experiment, Store


@dataclass(frozen=True)
class JobContext:
    """Everything a runner may use: the store (to read parents and artifacts), its own row,
    the reporter (its only way to write), and its run folder."""

    store: Store
    experiment: Experiment
    reporter: Reporter
    run_dir: Path
    # True on a node without the database (Slurm): `store` is then a private copy of the rows
    # the job reads, and "the host" is that node, not the machine that holds the database.
    remote: bool = False

    def run_dir_of(self, experiment_id: int) -> Path:
        """Another experiment's run folder: a sibling of this job's, on any backend (the
        store's own `run_dir` is wrong for a remote job's private copy)."""
        return self.run_dir.parent / str(int(experiment_id))


@dataclass(frozen=True)
class JobOutcome:
    """How a job ended: `done` unless the user stopped it; `message` goes into the final event."""

    stopped_by_user: bool
    message: str
