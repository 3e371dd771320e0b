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


@dataclass(frozen=True)
class JobOutcome:
    """How a job ended: `done` unless the user stopped it; `message` goes into the final event."""

    stopped_by_user: bool
    message: str
