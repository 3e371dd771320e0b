"""The custom-model files a saved model depends on: its own run's, or its ancestors'.

A model built from the user's file may use classes defined there (a custom layer); loading its
`model.keras` again (to resume, convert or transfer from it) needs that file imported first.
Each run keeps its copy (`cnnlab.engine.model_files`), so the lineage's copies are found from
the rows: the experiment itself, then its parent, and so on. (On a Slurm node the private copy
of the database has the job's row and its parent's: a grandparent's file is not found there.)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cnnlab.engine.model_files import kept_copy
from cnnlab.models.custom import ModelSource
from cnnlab.store import Store, UnknownExperiment, get_experiment


def model_source_files(
    store: Store, experiment_id: int, run_dir_of: Callable[[int], Path]
) -> list[Path]:
    """The kept copies of the files `experiment_id` and its ancestors were built from."""
    files: list[Path] = []
    seen: set[int] = set()
    current: int | None = experiment_id
    while current is not None and current not in seen:
        seen.add(current)
        try:
            experiment = get_experiment(store, current)
        except UnknownExperiment:  # a Slurm node's private copy holds the nearest rows only
            break
        recorded = (experiment.spec or {}).get("model_source")
        if recorded:
            files.append(kept_copy(ModelSource.from_json(recorded), run_dir_of(current)))
        current = experiment.parent_id
    return files
