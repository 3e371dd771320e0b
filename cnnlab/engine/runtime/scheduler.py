"""The scheduler: one small detached process per database that starts queued jobs.

Started on demand (`ensure_scheduler`) in its own session, so it and its jobs outlive the shell,
the TUI and the SSH connection. An exclusive `flock` on `runs/.scheduler.lock` makes it one per
database; claims are atomic in SQLite, so a second scheduler (or one restarted after a kill)
never runs a job twice. It exits after `engine.idle_timeout_s` with nothing to do.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from cnnlab.config import load_config
from cnnlab.engine.runtime.ending import clear_ending, record_ending
from cnnlab.engine.runtime.environment import gpu_names
from cnnlab.engine.runtime.liveness import find_job_process, mark_lost
from cnnlab.engine.runtime.resources import Booking, Limits, gpu_set, needs_of
from cnnlab.errors import CnnlabError
from cnnlab.store import (
    ACTIVE_STATUSES,
    ExperimentQuery,
    NetworkFilesystem,
    Store,
    UnknownExperiment,
    append_event,
    cancel_orphaned,
    check_filesystem,
    count_experiments,
    get_experiment,
    open_store,
    set_status,
)
from cnnlab.store.backends import LOCAL, active_on, any_on_backend, claim_next_on
from cnnlab.store.queue import claim, queued_in_order, set_waiting

if TYPE_CHECKING:
    from cnnlab.config import Config
    from cnnlab.engine.runtime.slurm import SlurmFollower

POLL_S = 0.25
FAILING_POLL_S = 2.0  # while a step keeps failing (a full disk), do not spin on it
LOST_CHECK_S = 5.0
T = TypeVar("T")
# What a queued job waits for while no scheduler serves its database: the phrase a scheduler
# wrote is stale then (the one that wrote it was stopped or killed, or none can start).
UNSERVED = "waiting for a scheduler (none serves this database now)"


def lock_path(store: Store) -> Path:
    return store.runs_dir / ".scheduler.lock"


def state_path(store: Store) -> Path:
    return store.runs_dir / ".scheduler.json"


@dataclass(frozen=True)
class SchedulerStatus:
    running: bool
    pid: int | None
    started_at: float | None
    heartbeat_at: float | None
    max_parallel: int | None
    gpus: list[str]
    running_jobs: list[int]
    queued_jobs: int
    backend_jobs: list[dict[str, Any]] = field(default_factory=list)  # Slurm's, queued or running
    slots: dict[str, int | None] = field(default_factory=dict)  # trainer, conversion
    # The local queue in start order: id, kind, and why it waits (or "held").
    waiting: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        from cnnlab.store.records import iso

        return {
            "running": self.running,
            "pid": self.pid,
            "started_at": iso(self.started_at),
            "heartbeat_at": iso(self.heartbeat_at),
            "max_parallel": self.max_parallel,
            "gpus": self.gpus,
            "running_jobs": self.running_jobs,
            "queued_jobs": self.queued_jobs,
            "backend_jobs": self.backend_jobs,
            "slots": self.slots,
            "waiting": self.waiting,
        }


def is_running(store: Store) -> bool:
    """Whether a scheduler holds this database's lock right now."""
    path = lock_path(store)
    if not path.exists():
        return False
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def scheduler_status(store: Store) -> SchedulerStatus:
    running = is_running(store)
    state: dict[str, Any] = {}
    if running and state_path(store).exists():
        with contextlib.suppress(OSError, ValueError):
            state = json.loads(state_path(store).read_text())
    jobs = [e.id for e in _running(store)]
    return SchedulerStatus(
        running=running,
        pid=state.get("pid"),
        started_at=state.get("started_at"),
        heartbeat_at=state.get("heartbeat_at"),
        max_parallel=state.get("max_parallel"),
        gpus=state.get("gpus", []),
        running_jobs=jobs,
        queued_jobs=count_experiments(store, ExperimentQuery(status=("queued",))),
        backend_jobs=[
            {
                "id": e.id,
                "backend": e.backend,
                "status": e.display_status,
                "job_id": e.backend_job_id,
                "state": e.backend_state,
                "reason": e.backend_reason,
                "node": e.backend_node,
            }
            for e in active_on(store, "slurm")
        ],
        slots=state.get("slots", {}),
        waiting=[
            {
                "id": e.id,
                "kind": e.kind,
                "waiting_for": "held" if e.held else e.waiting_for if running else UNSERVED,
            }
            for e in queued_in_order(store, LOCAL)
        ],
    )


def check_location(store: Store, config: Config | None = None) -> str | None:
    """Refuse to serve a database on a network filesystem unless cnnlab.toml allows it.

    Raises `NetworkFilesystem` (one sentence: what is unsafe, what to do); returns that
    sentence as a warning when `store.allow_network_filesystem` is set, else None. `config` is
    the database's, when the caller has it loaded already.
    """
    allowed = (config or load_config(store.path)).store.allow_network_filesystem
    return check_filesystem(store.path, allow_network=allowed)


def ensure_scheduler(store: Store) -> bool:
    """Start a scheduler for `store` unless one runs; returns True if one was started."""
    if is_running(store):
        return False
    check_location(store)
    store.runs_dir.mkdir(parents=True, exist_ok=True)
    log = (store.runs_dir / "scheduler.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "cnnlab.engine.runtime.scheduler", str(store.path)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        close_fds=True,
        cwd=store.path.parent,
    )
    log.close()
    # Reap it if it exits while we still live (a TUI runs for hours), without blocking.
    threading.Thread(target=process.wait, name="scheduler-reaper", daemon=True).start()
    deadline = time.monotonic() + 5.0  # so that `engine status` right after says "running"
    while time.monotonic() < deadline and process.poll() is None and not is_running(store):
        time.sleep(0.02)
    return True


def stop_scheduler(store: Store, timeout_s: float = 10.0) -> bool:
    """Ask the scheduler to exit (its jobs keep running); returns True if one was stopped."""
    status = scheduler_status(store)
    if not status.running or status.pid is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(status.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and is_running(store):
        time.sleep(0.05)
    return True


def write_state(store: Store, **state: Any) -> None:
    """Publish who serves this database (read by `cnnlab engine status` and `engine stop`).

    Written whole or not at all: on a full disk the temporary is removed and the error raised.
    """
    state = {"pid": os.getpid(), "host": socket.gethostname(), "heartbeat_at": time.time(), **state}
    path = state_path(store)
    temporary = path.with_suffix(".tmp")
    try:
        temporary.write_text(json.dumps(state))
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise


def _running(store: Store) -> list[Any]:
    from cnnlab.store import list_experiments

    return list_experiments(store, ExperimentQuery(status=("running",), limit=10_000))


class Scheduler:
    """The loop of the scheduler process."""

    def __init__(self, store: Store, lock: IO[str]) -> None:
        self.store = store
        self.lock = lock
        config = load_config(store.path)
        self.gpus = gpu_names()
        self.limits = Limits(
            trainer_slots=config.engine.trainer_slots or max(1, len(self.gpus)),
            conversion_slots=config.engine.conversion_slots,
            max_parallel=config.engine.max_parallel,
            gpus=self.gpus,
        )
        self.idle_timeout_s = config.engine.idle_timeout_s
        self.children: dict[int, tuple[subprocess.Popen[bytes], str | None]] = {}
        self.stopping = False
        self.slurm: SlurmFollower | None = None
        self.started_at = time.time()
        self.host = socket.gethostname()
        self.failing: str | None = None  # the last error a step met, logged once

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._on_sigterm)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        idle_since = time.monotonic()
        last_lost_check = 0.0
        # Reconcile first: jobs that ended while no scheduler ran are recorded from their
        # ending.json, the dead ones marked lost, before anything new starts.
        self._guarded("adopting claimed jobs", self._adopt_claimed)
        self._guarded("checking running jobs", lambda: mark_lost(self.store))
        while not self.stopping:
            self._guarded("publishing its state", self._write_state)
            self._guarded("reaping finished jobs", self._reap)
            if time.monotonic() - last_lost_check > LOST_CHECK_S:
                self._guarded(
                    "checking running jobs", lambda: mark_lost(self.store, skip=set(self.children))
                )
                last_lost_check = time.monotonic()
            # Dependents of a failed or stopped job never start.
            self._guarded("cancelling orphaned jobs", lambda: cancel_orphaned(self.store))
            self._guarded("starting queued jobs", self._start_queued)
            self._guarded("following Slurm", self._follow_slurm)
            busy = self._guarded(
                "counting jobs",
                lambda: bool(
                    self.children
                    or count_experiments(self.store, ExperimentQuery(status=ACTIVE_STATUSES))
                ),
            )
            if busy is None or busy:  # a store it cannot read is no reason to exit
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > self.idle_timeout_s:
                break
            time.sleep(POLL_S if self.failing is None else FAILING_POLL_S)
        print(f"scheduler {os.getpid()} exiting", flush=True)

    def _adopt_claimed(self) -> None:
        """Rows a killed scheduler claimed (`running` here, no pid yet) but may never have
        started: the job process, if it did start, is adopted; otherwise the row is queued again
        instead of waiting minutes to be called lost. Safe only at start, under the lock, when
        no other scheduler can be between its claim and its spawn."""
        for experiment in active_on(self.store, LOCAL):
            if experiment.status != "running" or experiment.pid or experiment.host != self.host:
                continue
            pid = find_job_process(experiment.id, self.store.path)
            if pid is not None:
                set_status(
                    self.store, experiment.id, "running", pid=pid, host=self.host,
                    expect=("running",),
                )  # fmt: skip
            elif set_status(self.store, experiment.id, "queued", expect=("running",)):
                append_event(
                    self.store,
                    experiment.id,
                    "requeued",
                    "Queued again: the scheduler that claimed it was killed before starting it.",
                )

    def _guarded(self, what: str, step: Callable[[], T]) -> T | None:
        """Run one step of the loop; a failure is logged (once per distinct error) and the loop
        goes on, so that one broken job, a locked or full database or a full disk never leaves
        the queue without a scheduler."""
        try:
            result = step()
        except Exception as exc:  # the scheduler must outlive whatever one step meets
            message = f"{what}: {type(exc).__name__}: {exc}"
            if message != self.failing:
                print(f"scheduler {os.getpid()} kept going after an error {message}", flush=True)
                if not isinstance(exc, CnnlabError | OSError | sqlite3.Error):
                    traceback.print_exc()
                self.failing = message
            return None
        if self.failing is not None and self.failing.startswith(what + ":"):
            print(f"scheduler {os.getpid()} recovered ({what})", flush=True)
            self.failing = None
        return result

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        self.stopping = True

    def _write_state(self) -> None:
        write_state(
            self.store,
            host=self.host,
            started_at=self.started_at,
            max_parallel=self.limits.max_parallel,
            gpus=self.gpus,
            slots={
                "trainer": self.limits.trainer_slots,
                "conversion": self.limits.conversion_slots,
            },
        )

    def _reap(self) -> None:
        for experiment_id, (process, _gpu) in list(self.children.items()):
            code = process.poll()
            if code is None:
                continue
            recorded = self._guarded(
                f"recording how job {experiment_id} ended",
                lambda: self._record_exit(experiment_id, process.pid, code),  # noqa: B023
            )
            if recorded:  # else a store error: try again on the next round
                del self.children[experiment_id]

    def _record_exit(self, experiment_id: int, pid: int, code: int) -> bool:
        """The job's own ending if it left one on disk, else `lost` with its exit code."""
        try:
            experiment = get_experiment(self.store, experiment_id)
        except UnknownExperiment:
            return True  # removed with `rm --force` while it ran: nothing left to record
        if experiment.status != "running":
            return True  # it reported its own outcome
        if self.store.retrying(lambda: record_ending(self.store, experiment)):
            return True
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        reason = (
            f"Job process {pid} {how} before reporting an outcome; see "
            f"{self.store.run_dir(experiment_id) / 'log.txt'}."
        )

        def mark() -> None:
            if set_status(self.store, experiment_id, "lost", error=reason, expect=("running",)):
                append_event(
                    self.store,
                    experiment_id,
                    "lost",
                    reason,
                    {"exit_code": code, "pid": pid},
                )

        self.store.retrying(mark)
        return True

    def _gpu_of(self, experiment: Any) -> str | None:
        """The GPU a running local job was given: this scheduler's record, or (a job started
        by a scheduler since restarted) its process's own CUDA_VISIBLE_DEVICES; none for a job
        on another host (its pid here is some other process, its GPU another machine's)."""
        if experiment.id in self.children:
            return self.children[experiment.id][1]
        if not experiment.pid or experiment.host != self.host:
            return None
        with contextlib.suppress(OSError):
            environ = Path(f"/proc/{experiment.pid}/environ").read_bytes().split(b"\0")
            for entry in environ:
                if entry.startswith(b"CUDA_VISIBLE_DEVICES="):
                    return entry.partition(b"=")[2].decode() or None
        return None

    def _booking(self) -> Booking:
        """What the running rows hold, and the GPUs of job processes not reaped yet: a job's row
        says `done` before its process has let go of the GPU's memory (TensorFlow's teardown
        takes seconds), and a training started on it meanwhile would run out of memory."""
        running = [e for e in active_on(self.store, LOCAL) if e.status == "running"]
        booking = Booking(self.limits, running)
        booking.busy_gpus = {gpu for e in running for gpu in gpu_set(self._gpu_of(e))}
        booking.busy_gpus |= {gpu for _, gpus in self.children.values() for gpu in gpu_set(gpus)}
        return booking

    def _follow_slurm(self) -> None:
        """Hand ready Slurm rows to sbatch and bring their reports and states into the store.

        Slurm jobs never count against `max_parallel`: Slurm decides when they run."""
        from cnnlab.engine.runtime.slurm import BACKEND, SlurmFollower

        while (experiment := claim_next_on(self.store, BACKEND, host=self.host)) is not None:
            if self.slurm is None:
                self.slurm = SlurmFollower(self.store)
            self.slurm.submit(experiment)
        if self.slurm is None and any_on_backend(self.store, BACKEND):
            self.slurm = SlurmFollower(self.store)  # a restarted scheduler picks up their jobs
        if self.slurm is not None:
            self.slurm.step()

    def _start_queued(self) -> None:
        """Start every queued job whose resources are free, in queue order; say why the others
        wait. A job waiting for something blocks later jobs needing the same thing only. Only a
        phrase that changed is written (no write lock taken round after round for nothing); a
        job stopped while it waited gave up its hold and phrase then (`set_status`)."""
        booking = self._booking()
        statuses = {e.id: e.status for e in booking.running}
        reasons: dict[int, str | None] = {}
        for experiment in queued_in_order(self.store, LOCAL):
            if experiment.held:
                continue
            # A job waiting on a dependency holds no place in line for a resource.
            reason = self._dependency(experiment, statuses)
            if reason is None and (reason := booking.wait_reason(experiment)) is not None:
                booking.block(experiment)
            if reason is not None:
                if reason != experiment.waiting_for:
                    reasons[experiment.id] = reason
                continue
            needs = needs_of(experiment)
            gpu = booking.free_gpus(needs.gpus) if needs.gpu else None
            claimed = claim(self.store, experiment.id, host=self.host)
            if claimed is None:
                continue  # stopped, removed or held since it was read
            booking.take(claimed, gpu)
            try:
                self._spawn(claimed.id, gpu)
            except OSError as exc:  # its run folder or log cannot be made: fail it, go on
                why = (
                    f"Could not start the job: {exc.strerror or exc} ({exc.filename}); fix that "
                    f"folder, then `cnnlab resume {claimed.id}` or submit it again."
                )
                if set_status(self.store, claimed.id, "failed", error=why, expect=("running",)):
                    append_event(self.store, claimed.id, "failed", why)
        set_waiting(self.store, reasons)

    def _dependency(self, experiment: Any, statuses: dict[int, str]) -> str | None:
        """ "waiting for #N" while the job it waits for has not ended `done`."""
        if experiment.wait_for is None:
            return None
        status = statuses.get(experiment.wait_for)
        if status is None:
            try:
                status = get_experiment(self.store, experiment.wait_for).status
            except UnknownExperiment:
                return None  # removed: cancel_orphaned decides
            statuses[experiment.wait_for] = status
        return None if status == "done" else f"waiting for #{experiment.wait_for}"

    def _spawn(self, experiment_id: int, gpu: str | None) -> None:
        run_dir = self.store.run_dir(experiment_id)
        run_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        if gpu is not None:
            env["CUDA_VISIBLE_DEVICES"] = gpu
        elif self.gpus:  # a conversion or a bench must not take a GPU it never uses
            env["CUDA_VISIBLE_DEVICES"] = ""
        clear_ending(run_dir)  # a previous run's ending must not speak for this one
        with (run_dir / "log.txt").open("ab") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "cnnlab.engine.runtime.job",
                    str(self.store.path),
                    str(experiment_id),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
                env=env,
                cwd=self.store.path.parent,
            )
        self.children[experiment_id] = (process, gpu)
        set_status(
            self.store,
            experiment_id,
            "running",
            pid=process.pid,
            host=self.host,
            expect=("running",),
        )
        print(
            f"started job {experiment_id} as pid {process.pid}"
            + (f" on GPU {gpu}" if gpu is not None else ""),
            flush=True,
        )


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m cnnlab.engine.runtime.scheduler DATABASE", file=sys.stderr)
        return 2
    store = open_store(argv[0])
    try:
        warning = check_location(store)
    except NetworkFilesystem as exc:
        print(f"scheduler refused: {exc}", flush=True)
        return 2
    if warning:
        print(f"warning: {warning}", flush=True)
    store.runs_dir.mkdir(parents=True, exist_ok=True)
    lock = lock_path(store).open("a")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("another scheduler already serves this database", flush=True)
        return 0
    with contextlib.suppress(OSError):  # a full disk must not keep the scheduler from serving
        write_state(store, started_at=time.time())  # before anything slow: the pid is known
    print(f"scheduler {os.getpid()} serving {store.path}", flush=True)
    Scheduler(store, lock).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
