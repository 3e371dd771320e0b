"""kill -9 of the scheduler and of jobs at seeded random moments: no row stays stranded, a job
that finished is recorded as done (not lost), a killed job resumes, and no epoch is lost or
doubled. `CNNLAB_FAULT_ROUNDS` and `CNNLAB_FAULT_SEED` make it longer or different;
`bench/reliability.py` runs many more rounds and reports the figures."""

from __future__ import annotations

import os
from pathlib import Path

from support.faults import kill_rounds, synth

ROUNDS = int(os.environ.get("CNNLAB_FAULT_ROUNDS", "4"))
SEED = int(os.environ.get("CNNLAB_FAULT_SEED", "12"))


def test_kill_9_at_random_moments_loses_no_row_and_no_epoch(tmp_path: Path) -> None:
    data = synth(tmp_path / "shapes")
    report = kill_rounds(tmp_path / "experiments.db", data, ROUNDS, SEED)
    assert report.problems == []
    assert report.rows_lost == 0
    assert report.without_lock == 0
    assert report.epochs_stored == report.epochs_expected
    assert sum(report.kills.values()) + report.missed == ROUNDS
