"""How a job ended, kept in its run folder too, so that an outcome never depends on one write.

A job writes `runs/<id>/ending.json` (atomically) the moment it knows how it ended, and only then
tells the store. If that last store write never lands (a full disk, the database locked past the
timeout, the process killed in between), whoever finds the process gone records the job from
this file instead of calling it lost: a run that trained all its epochs and saved its model is
`done`, not `lost 4/6`. The checkpoint's own `state.json` says how many epochs it completed,
which the reconciling event compares with the epochs the store holds.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cnnlab.store import JOB_ENDINGS, Store, append_event, list_epochs, set_status
from cnnlab.store.records import Experiment

ENDING_NAME = "ending.json"


@dataclass(frozen=True)
class Ending:
    status: str  # one of JOB_ENDINGS
    message: str  # the final event's sentence
    error: str | None = None  # the row's reason, for failed runs
    pid: int = 0
    at: float = 0.0


def ending_path(run_dir: Path) -> Path:
    return run_dir / ENDING_NAME


def write_ending(run_dir: Path, ending: Ending) -> bool:
    """Record how the job ended; False if even this small file could not be written."""
    path = ending_path(run_dir)
    temporary = path.with_name(path.name + ".tmp")
    try:
        temporary.write_text(json.dumps(asdict(ending)))
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
        return False
    return True


def read_ending(run_dir: Path, *, not_before: float = 0.0) -> Ending | None:
    """The ending a job left, if it is readable and belongs to the latest run (a resumed job's
    folder still holds the previous run's file until it ends again)."""
    try:
        data: dict[str, Any] = json.loads(ending_path(run_dir).read_text())
        ending = Ending(**data)
    except (OSError, ValueError, TypeError):
        return None
    if ending.status not in JOB_ENDINGS or ending.at < not_before:
        return None
    return ending


def clear_ending(run_dir: Path) -> None:
    """Forget a previous run's ending when the job starts again."""
    with contextlib.suppress(FileNotFoundError):
        ending_path(run_dir).unlink()


def checkpointed_epochs(run_dir: Path) -> int | None:
    """Epochs the run's last checkpoint says it completed (None without a checkpoint)."""
    try:
        state = json.loads((run_dir / "checkpoint" / "state.json").read_text())
        return int(state["completed_epochs"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record_ending(store: Store, experiment: Experiment) -> bool:
    """If a job whose process is gone left its ending on disk, record the row from it.

    Returns True when the row was settled this way (the caller then does not mark it lost).
    """
    run_dir = store.run_dir(experiment.id)
    ending = read_ending(run_dir, not_before=experiment.started_at or 0.0)
    if ending is None:
        return False
    if not set_status(store, experiment.id, ending.status, error=ending.error, expect=("running",)):
        return False
    stored = len(list_epochs(store, experiment.id))
    on_disk = checkpointed_epochs(run_dir)
    note = ""
    if on_disk is not None and on_disk > stored:
        note = (
            f" Its checkpoint completed {on_disk} epochs but the store holds {stored}: the "
            "missing epochs' metrics were not recorded."
        )
    append_event(
        store,
        experiment.id,
        ending.status,
        ending.message,
        {"recorded_from": str(ending_path(run_dir))},
    )
    append_event(
        store,
        experiment.id,
        "reconciled",
        f"The job ended ({ending.status}) but its process was gone before the store said so; "
        f"recorded from {ending_path(run_dir)}.{note}",
        {"epochs_in_store": stored, "epochs_in_checkpoint": on_disk, "at": time.time()},
    )
    return True
