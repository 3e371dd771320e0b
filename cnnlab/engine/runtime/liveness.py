"""Is a `running` job really running? pid plus heartbeat, so a reused pid cannot fool us.

A job on this host is alive only if its pid exists *and* that process is our job process for
that experiment (its command line says so); a job on another host is judged by its heartbeat
alone. A `fit` row recorded by `cnnlab.keras.Recorder` runs in the user's own Python (a script,
a notebook kernel), whose command line says nothing of cnnlab: it is alive while its pid lives
with the start time the Recorder wrote beside it (`process_start`, field 22 of /proc/PID/stat),
so a pid reused by another process after the kernel died does not pass for it. Whoever looks
(scheduler, CLI, TUI) marks the dead ones `lost`. Jobs of another backend (Slurm) are judged by
that backend's own answer instead.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Collection
from pathlib import Path

from cnnlab.engine.runtime.ending import record_ending
from cnnlab.store import (
    ExperimentQuery,
    Store,
    append_event,
    list_experiments,
    set_status,
)
from cnnlab.store.records import Experiment, Kind

JOB_MODULE = "cnnlab.engine.runtime.job"
# The job module's path before the engine was split into runtime/ and kinds/: a job started by
# that cnnlab, still running after an upgrade, is still a job.
JOB_MODULES = (JOB_MODULE, "cnnlab.engine.job")
# A job writes a heartbeat at least this often (a thread, independent of epoch length).
HEARTBEAT_S = 10.0
# Without a heartbeat for this long, a job on another host (or one just claimed and not yet
# started) is presumed dead.
STALE_S = 120.0


def job_process_alive(pid: int, experiment_id: int) -> bool:
    """True if `pid` is a live cnnlab job process for `experiment_id` on this host."""
    if not Path("/proc/self").exists():  # no procfs (macOS): existence is all we can check
        return _exists(pid)
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    args = [part.decode(errors="replace") for part in cmdline if part]
    if not any(module in args for module in JOB_MODULES) or str(experiment_id) not in args:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie has finished; its parent just has not reaped it


def process_start(pid: int) -> int | None:
    """When process `pid` started, in clock ticks since boot (field 22 of /proc/PID/stat), or
    None without procfs or once the process is gone: with the pid, an identity no reuse fakes."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # After the ")" closing the command name, field 3 (state) is index 0, so field 22 is 19.
    return int(fields[19]) if len(fields) > 19 and fields[19].isdigit() else None


def recorder_process_alive(pid: int, started: int | None) -> bool:
    """True if `pid` is still the live process that started at `started` (`process_start`)."""
    if not Path("/proc/self").exists() or started is None:
        return _exists(pid)  # no procfs (macOS), or a row that wrote no start: the pid alone
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z" and process_start(pid) == started


def _recorded_start(experiment: Experiment) -> int | None:
    value = experiment.spec.get("process_start")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def find_job_process(experiment_id: int, db_path: Path) -> int | None:
    """The pid of a live job process running `experiment_id` of `db_path` on this host, if any."""
    proc = Path("/proc")
    if not (proc / "self").exists():
        return None
    for cmdline in proc.glob("[0-9]*/cmdline"):
        try:
            args = [a.decode(errors="replace") for a in cmdline.read_bytes().split(b"\0") if a]
        except OSError:
            continue
        is_job = any(module in args for module in JOB_MODULES)
        if is_job and str(db_path) in args and str(experiment_id) in args:
            pid = int(cmdline.parent.name)
            if job_process_alive(pid, experiment_id):
                return pid
    return None


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def why_dead(experiment: Experiment, now: float | None = None) -> str | None:
    """A reason if a `running` experiment's process is gone, None if it may be alive."""
    now = time.time() if now is None else now
    beat = experiment.heartbeat_at or experiment.started_at or experiment.created_at
    if experiment.host == socket.gethostname() and experiment.pid:
        if experiment.kind == Kind.FIT:
            alive = recorder_process_alive(experiment.pid, _recorded_start(experiment))
        else:
            alive = job_process_alive(experiment.pid, experiment.id)
        if not alive:
            return (
                f"its process {experiment.pid} on {experiment.host} is gone "
                "(killed, out of memory or rebooted)"
            )
        return None
    if now - beat > STALE_S:
        return f"no heartbeat for {now - beat:.0f} s"
    return None


def mark_lost(store: Store, *, skip: Collection[int] = ()) -> list[int]:
    """Mark every running experiment whose process died as `lost`; returns their ids.

    A job that left its ending in its run folder (`runtime.ending`) is recorded from it
    instead: its process ended before the store heard how, but it did end.

    `skip` names jobs someone else accounts for: the scheduler reaps its own children and
    records their exit code or signal, which says more than "its process is gone".
    """
    lost = []
    running = list_experiments(store, ExperimentQuery(status=("running",), limit=10_000))
    for experiment in running:
        if experiment.id in skip:
            continue
        if experiment.backend != "local":
            continue  # Slurm says whether its jobs live (runtime.slurm), not pid or beat
        reason = why_dead(experiment)
        if reason is None:
            continue
        if record_ending(store, experiment):  # it ended and said how, in its run folder
            continue
        if experiment.kind == Kind.FIT:  # the user's own code: nothing of cnnlab's to resume
            error = (
                f"Job lost: {reason}; the {experiment.epochs_run} epoch(s) recorded are kept, "
                "run your code again to train on."
            )
        else:
            error = (
                f"Job lost: {reason}; `cnnlab resume {experiment.id}` continues from the last "
                "checkpoint."
            )
        # Only if nobody changed it meanwhile: the job may have just finished on its own.
        if set_status(
            store,
            experiment.id,
            "lost",
            error=error,
            expect=("running",),
            expect_heartbeat=experiment.heartbeat_at,
        ):
            append_event(store, experiment.id, "lost", reason)
            lost.append(experiment.id)
    return lost
