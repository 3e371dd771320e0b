"""The Textual app: opens on the experiments screen and owns the store and the error policy.

One factory (`CnnlabApp(store, ...)`) serves the CLI and the tests; what differs between them
(starting a scheduler on submit, counting parameters through TensorFlow in a subprocess, the
poll interval) is injected, never patched.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.worker import Worker, WorkerState

from cnnlab.errors import CnnlabError
from cnnlab.store import Store, StoreError, open_store
from cnnlab.tui.commands import ActionsProvider

if TYPE_CHECKING:
    from cnnlab.engine import TrainSpec

SubmitJob = Callable[["Store", "TrainSpec"], int]
# What the app does every LOOK_AFTER_S while it runs: settle dead jobs and restart a missing
# scheduler when work is queued (`cnnlab.engine.look_after_jobs`); returns warnings to show.
LookAfter = Callable[["Store"], list[str]]
LOOK_AFTER_S = 10.0
# (model, input size, classes, width) -> total parameters, or None when it cannot be counted.
CountParams = Callable[[str, int | None, int | None, float], int | None]

POLL_INTERVAL_S = 0.5


def submit_with_scheduler(store: Store, spec: TrainSpec) -> int:
    from cnnlab.engine import submit

    return submit(store, spec)


class CnnlabApp(App[None]):
    """Browse, follow, launch and compare experiments kept in one SQLite file."""

    CSS_PATH = "app.tcss"
    TITLE = "cnnlab"
    COMMANDS = App.COMMANDS | {ActionsProvider}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", key_display="?"),
        # Not in the footer (every screen's would grow); in the palette and the help screen.
        Binding("D", "app.devices", "Devices", show=False),
        Binding("L", "app.latency", "Latency of marked/open experiments", show=False),
        Binding("Q", "app.queue", "Queue: what starts next, and why each job waits", show=False),
    ]

    def __init__(
        self,
        store: Store,
        *,
        submit_job: SubmitJob = submit_with_scheduler,
        count_params: CountParams | None = None,
        poll_interval_s: float = POLL_INTERVAL_S,
        watch_gpus: bool = True,
        look_after: LookAfter | None = None,
        look_after_every_s: float = LOOK_AFTER_S,
    ) -> None:
        super().__init__()
        self.store = store
        self.submit_job = submit_job
        self.count_params = count_params
        self.poll_interval_s = poll_interval_s
        self.watch_gpus = watch_gpus
        self.look_after = look_after
        self.look_after_every_s = look_after_every_s
        self._warned: set[str] = set()
        self._problem_shown = False
        self._opened_stores: list[Store] = []  # reopened after a database problem

    def on_mount(self) -> None:
        from cnnlab.tui.screens.experiments import ExperimentsScreen

        self.sub_title = self.store.path.name
        self.push_screen(ExperimentsScreen())
        if self.look_after is not None:
            self.set_interval(self.look_after_every_s, self.look_after_jobs)

    @work(thread=True, exclusive=True, exit_on_error=False, group="look-after")
    def look_after_jobs(self) -> None:
        """A TUI left open for hours must not watch a stranded queue: a scheduler killed while
        jobs wait is restarted, dead jobs are marked lost (each warning is shown once)."""
        if self.look_after is None:
            return
        for warning in self.look_after(self.store):
            if warning not in self._warned:
                self._warned.add(warning)
                self.call_from_thread(self.notify, warning, severity="warning", timeout=10)

    def on_unmount(self) -> None:
        for store in self._opened_stores:
            with store.lock:  # after any read still running in a worker thread
                store.close()

    def action_help(self) -> None:
        from cnnlab.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_devices(self) -> None:
        from cnnlab.tui.screens.devices import DevicesScreen

        if not isinstance(self.screen, DevicesScreen):
            self.push_screen(DevicesScreen())

    def action_queue(self) -> None:
        from cnnlab.tui.screens.queue import QueueScreen

        if not isinstance(self.screen, QueueScreen):
            self.push_screen(QueueScreen())

    def action_latency(self) -> None:
        from cnnlab.tui.screens.latency import LatencyScreen, latency_ids

        ids = latency_ids(self.screen)
        if not ids:
            self.notify("Mark experiments with space (or open one) to see their latency.")
        elif not isinstance(self.screen, LatencyScreen):
            self.push_screen(LatencyScreen(ids))

    def report_failure(self, error: BaseException | None) -> None:
        """The one place worker failures go: store problems get a retry, user errors a notice."""
        if isinstance(error, StoreError):
            if self._problem_shown:
                return
            from cnnlab.tui.screens.dialogs import DatabaseProblem

            self._problem_shown = True
            self.push_screen(DatabaseProblem(str(error)), self._after_problem)
        elif isinstance(error, CnnlabError):
            self.notify(str(error), title="Cannot do that", severity="error", timeout=8)
        elif error is not None:
            raise error  # a programming error: let Textual show the traceback

    def _after_problem(self, retry: bool | None) -> None:
        self._problem_shown = False
        if retry:
            self.reopen_store()
        else:
            self.exit()

    @work(thread=True, exclusive=True, exit_on_error=False, group="store", description="reopen")
    def reopen_store(self) -> None:
        store = open_store(self.store.path, busy_timeout_s=self.store.busy_timeout_s)
        # The old connection is not closed here: a poll started before the retry may still be
        # reading it in its thread, and closing a connection under a running statement crashed
        # the process (SIGSEGV in sqlite3). Ours are closed when the app ends; the first one
        # belongs to whoever opened it.
        self.store = store
        self._opened_stores.append(store)
        self.call_from_thread(self._reload_screens)

    def _reload_screens(self) -> None:
        from cnnlab.tui.screens.base import Reloadable

        for screen in self.screen_stack:
            if isinstance(screen, Reloadable):
                screen.reload()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.report_failure(event.worker.error)


def count_params_subprocess(
    model: str, input_size: int | None, classes: int | None, width: float
) -> int | None:
    """Parameters of a model, counted by `cnnlab models --json` in a child (it imports TF)."""
    import json
    import subprocess
    import sys

    command = [sys.executable, "-m", "cnnlab", "models", "show", model, "--json"]
    command += ["--width", str(width)]
    if input_size:
        command += ["--input", str(input_size)]
    if classes:
        command += ["--classes", str(classes)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
        total = json.loads(result.stdout)["total_params"]
    except (OSError, subprocess.SubprocessError, ValueError, KeyError, TypeError):
        return None
    return int(total) if isinstance(total, int) else None


def run_app(db_path: Path | str) -> None:
    """Open the database (errors propagate as one-line `StoreError`s) and run the app."""
    from cnnlab.config import load_config

    path = Path(db_path)
    config = load_config(path)
    with open_store(path, busy_timeout_s=config.store.busy_timeout_s) as store:
        from cnnlab.engine import look_after_jobs

        CnnlabApp(store, count_params=count_params_subprocess, look_after=look_after_jobs).run()
