"""A `cnnlab.keras.Recorder` fit in the TUI, live: while the user's script trains in another
process, its `fit` row appears in the experiments table and its epochs arrive on the experiment
screen; Ctrl-C to the script turns the row `stopped` on screen; clone is refused in one
sentence (issue 17 item 2)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from cnnlab.store import open_store
from cnnlab.tui.app import CnnlabApp
from cnnlab.tui.screens.experiment import ExperimentScreen

from .helpers import home, shown_ids

SCRIPT = Path(__file__).parents[1] / "keras" / "fit_script.py"
WAIT_S = 120.0  # the script imports TensorFlow first, seconds on a busy machine


async def eventually(pilot: Pilot[None], condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"the app never showed {what}"
        await pilot.pause(0.1)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_a_recorder_fit_shows_live_in_the_tui(tmp_path: Path) -> None:
    db = tmp_path / "experiments.db"
    open_store(db).close()
    script = subprocess.Popen(
        [sys.executable, str(SCRIPT), str(db)],
        cwd=tmp_path,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with open_store(db) as store:
            app = CnnlabApp(store, count_params=None, poll_interval_s=0.05, watch_gpus=False)
            async with app.run_test(size=(120, 36)) as pilot:
                table = home(pilot)
                await eventually(pilot, lambda: "e1" in shown_ids(table), "the fit row")
                row = table.table.rows_by_key["e1"].experiment
                assert (row.kind, row.status) == ("fit", "running")
                screen = ExperimentScreen(1)
                await app.push_screen(screen)
                await eventually(pilot, lambda: screen.experiment is not None, "the screen")
                seen = len(screen.epochs)
                await eventually(pilot, lambda: len(screen.epochs) >= seen + 2, "new epochs")
                assert [e.epoch for e in screen.epochs] == list(range(1, len(screen.epochs) + 1))
                script.send_signal(signal.SIGINT)  # Ctrl-C in the user's terminal
                await eventually(
                    pilot,
                    lambda: screen.experiment is not None and screen.experiment.status == "stopped",
                    "the row stopped",
                )
                await pilot.press("e")  # clone a recorded fit: refused, one sentence
                await eventually(
                    pilot,
                    lambda: any("cannot clone" in n.message for n in app._notifications),
                    "the clone refusal",
                )
                assert app.screen is screen
        assert script.wait(timeout=WAIT_S) == 0
    finally:
        if script.poll() is None:
            script.kill()
            script.wait()
