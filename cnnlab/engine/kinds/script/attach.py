"""How a `cnnlab.keras.Recorder` inside a script that cnnlab runs finds the job it belongs to.

The script job's process sets these variables for the script; a Recorder that finds them
reports into that experiment instead of creating a new one, and leaves its final status to the
job process (which knows the exit code, a stop, a kill). Declared once here so that the job side
and the Recorder side cannot disagree. No TensorFlow here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

EXPERIMENT_ENV = "CNNLAB_EXPERIMENT_ID"  # the script job's experiment id
DB_ENV = "CNNLAB_DB"  # the database it reports into (also the CLI's default database)
# Set instead of a database on a Slurm node: report into this run folder (FileReporter).
RUN_DIR_ENV = "CNNLAB_RUN_DIR"
# "1" when the script ran before in this experiment (`cnnlab resume`): its checkpoints decide
# where it continues.
RESUMED_ENV = "CNNLAB_RESUMED"
# Every variable above: none leaks from the scheduler's own environment into a script's.
JOB_ENV = (EXPERIMENT_ENV, DB_ENV, RUN_DIR_ENV, RESUMED_ENV)


@dataclass(frozen=True)
class AttachedJob:
    """The job a script was started by."""

    experiment_id: int
    db: Path | None  # report into this database ...
    run_dir: Path | None  # ... or, on a Slurm node, into this run folder

    def environment(self) -> dict[str, str]:
        """The variables a script job passes to its script."""
        env = {EXPERIMENT_ENV: str(self.experiment_id)}
        if self.db is not None:
            env[DB_ENV] = str(self.db)
        if self.run_dir is not None:
            env[RUN_DIR_ENV] = str(self.run_dir)
        return env


def attached_job(environ: Mapping[str, str] | None = None) -> AttachedJob | None:
    """The job this process was started by, or None when it runs on its own."""
    env = os.environ if environ is None else environ
    value = env.get(EXPERIMENT_ENV, "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValueError(f"{EXPERIMENT_ENV}={value!r} is not an experiment id.")
    run_dir = env.get(RUN_DIR_ENV) or None
    db = env.get(DB_ENV) or None
    return AttachedJob(
        int(value), Path(db) if db and not run_dir else None, Path(run_dir) if run_dir else None
    )
