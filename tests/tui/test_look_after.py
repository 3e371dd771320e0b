"""A TUI left open keeps the lab honest: with the engine's `look_after_jobs` injected (as
`cnnlab` does), a job whose process died shows as lost while the app runs."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from cnnlab.engine import look_after_jobs
from cnnlab.store import create_experiment, get_experiment, open_store, set_status
from cnnlab.tui.app import CnnlabApp

from .helpers import home, until


async def test_a_dead_job_turns_lost_while_the_app_is_open(db_path: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    with open_store(db_path) as store:
        experiment_id = create_experiment(store, "train", name="orphan")
        set_status(store, experiment_id, "running", pid=int(gone.stdout), host=socket.gethostname())
        app = CnnlabApp(store, look_after=look_after_jobs, look_after_every_s=0.1, watch_gpus=False)
        async with app.run_test(size=(120, 30)) as pilot:
            await until(pilot, lambda: get_experiment(store, experiment_id).status == "lost")
            screen = home(pilot)
            await until(pilot, lambda: "lost" in str(screen.table.get_row_at(0)))
