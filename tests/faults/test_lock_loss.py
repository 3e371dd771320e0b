"""The sequence that used to lose a running job's writes: a long training, `engine stop`, another
writer, more commands that open and close the database. Every write the job makes must reach
the store, and every cnnlab process holding a connection must hold its lock all along."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.faults import lock_loss_round, synth

pytestmark = pytest.mark.skipif(
    not Path("/proc/locks").exists(), reason="the kernel's lock table needs Linux procfs"
)


def test_a_job_keeps_every_write_through_engine_stop_and_other_writers(tmp_path: Path) -> None:
    assert lock_loss_round(tmp_path, synth(tmp_path / "shapes")) == []
