"""The job process: `python -m cnnlab.engine.runtime.job DB ID` runs one experiment to its end.

It runs in its own session (started by the scheduler, or by Slurm with `--files`, reporting into
its run folder instead of SQLite), so closing the TUI or the SSH connection never reaches it.
Whatever happens, it leaves the row in a final state with a one-line reason: `done`, `stopped`,
or `failed` (the traceback goes to runs/<id>/log.txt).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from cnnlab.engine.runtime.ending import Ending, clear_ending, write_ending
from cnnlab.engine.runtime.environment import environment
from cnnlab.engine.runtime.file_reporter import FileReporter
from cnnlab.engine.runtime.liveness import HEARTBEAT_S
from cnnlab.engine.runtime.outcome import JobContext, JobOutcome
from cnnlab.engine.runtime.reporter import StoreReporter
from cnnlab.engine.spec import KINDS, load_attribute, spec_from_dict
from cnnlab.errors import CnnlabError
from cnnlab.store import (
    RESUMABLE_KINDS,
    DiskFull,
    Store,
    get_experiment,
    heartbeat,
    open_store,
)
from cnnlab.store.locks import holds_lock


def run_job(store: Store, experiment_id: int) -> str:
    """Run one experiment in this process, reporting into `store`; returns its final status."""
    reporter = StoreReporter(store, experiment_id)
    return _run(
        store,
        experiment_id,
        store.run_dir(experiment_id),
        reporter,
        lambda: _start_heartbeat(store.path, experiment_id, reporter),
    )


def run_job_with_files(context: Store, run_dir: Path, experiment_id: int) -> str:
    """Run one experiment on a node without the shared database (Slurm): it reads its row and
    its parent's artifacts from `context` (a private copy) and reports into `run_dir`."""
    reporter = FileReporter(run_dir, experiment_id)
    beat = functools.partial(_start_file_heartbeat, reporter)
    return _run(context, experiment_id, run_dir, reporter, beat, remote=True)


def _run(
    store: Store,
    experiment_id: int,
    run_dir: Path,
    reporter: StoreReporter | FileReporter,
    start_heartbeat: Callable[[], threading.Event],
    *,
    remote: bool = False,
) -> str:
    experiment = get_experiment(store, experiment_id)
    run_dir.mkdir(parents=True, exist_ok=True)
    clear_ending(run_dir)

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        reporter.stop_signalled = True

    signal.signal(signal.SIGTERM, on_sigterm)
    reporter.status("running", pid=os.getpid())
    beating = start_heartbeat()
    try:
        spec = spec_from_dict(experiment.spec)
        (run_dir / "spec.json").write_text(_json(experiment.spec))
        runner = load_attribute(KINDS[spec.kind][1])
        reporter.event(
            "started",
            f"pid {os.getpid()} on {os.uname().nodename}",
            # a script job touches no model itself: its versions are the script's to load
            environment(Path.cwd(), tensorflow=spec.kind != "script"),
        )
        context = JobContext(store, experiment, reporter, run_dir, remote=remote)
        outcome: JobOutcome = runner(spec, context)
    except BaseException as exc:  # the row must always say why the job ended
        reason = failure_reason(exc, experiment_id)
        if getattr(exc, "traceback_in_log", True):
            _log(traceback.format_exc().rstrip())
        else:
            _log(f"cnnlab: {reason}")
        _end(
            run_dir,
            reporter,
            Ending("failed", reason, reason, os.getpid(), time.time()),
            {"exception": type(exc).__name__, "log": str(run_dir / "log.txt")},
        )
        if not isinstance(exc, Exception):
            raise
        return "failed"
    finally:
        beating.set()
    if outcome.stopped_by_user:
        later = (
            f"; `cnnlab resume {experiment_id}` continues"
            if spec.kind in RESUMABLE_KINDS
            else "; submit it again to redo it"
        )
        message = outcome.message + later + "."
        _end(run_dir, reporter, Ending("stopped", message, None, os.getpid(), time.time()))
        return "stopped"
    _end(run_dir, reporter, Ending("done", outcome.message, None, os.getpid(), time.time()))
    return "done"


def _end(
    run_dir: Path,
    reporter: StoreReporter | FileReporter,
    ending: Ending,
    data: dict[str, str] | None = None,
) -> None:
    """Tell the folder, then the store, how the job ended.

    The file comes first: if the store cannot take the last write (disk full, locked), the
    scheduler records the row from it rather than calling the job lost. A failure to write
    either is printed to the log and the process exits non-zero, never silently.
    """
    if not write_ending(run_dir, ending):
        _log(f"could not write {run_dir / 'ending.json'} (disk full?)")
    try:
        if ending.status == "failed":
            reporter.event("failed", ending.message, data)
            reporter.status("failed", error=ending.error)
        else:
            reporter.status(ending.status, error=None)
            reporter.event(ending.status, ending.message)
    except CnnlabError as exc:
        _log(f"the job ended {ending.status} but the store did not take it: {exc}")
        raise SystemExit(EXIT_UNRECORDED) from exc


def _log(line: str) -> None:
    """A line for runs/<id>/log.txt that can never be the job's undoing (a full disk fails the
    write, and the job must still go on to record why it ended)."""
    with contextlib.suppress(OSError, ValueError):
        print(line, file=sys.stderr, flush=True)


# A job whose last write did not reach the store exits with this code; its ending.json says
# how it ended, and the scheduler records the row from it.
EXIT_UNRECORDED = 3


def failure_reason(exc: BaseException, experiment_id: int | None = None) -> str:
    """One line that says what went wrong, for the row and the TUI."""
    resume = f"`cnnlab resume {experiment_id}`" if experiment_id is not None else "resume"
    if is_disk_full(exc):
        where = getattr(exc, "filename", None)
        on = f" while writing {where}" if where else ""
        return (
            f"Disk full: no space left on the disk{on}; every epoch written so far is kept. "
            f"Free some space (`cnnlab rm` old runs), then {resume} continues from the last "
            "checkpoint."
        )
    if isinstance(exc, CnnlabError):
        return str(exc)
    name = type(exc).__name__
    if isinstance(exc, MemoryError) or name == "ResourceExhaustedError":
        return (
            f"Out of memory ({name}); lower --batch or the input size, or free the GPU, "
            "then resume or resubmit."
        )
    if isinstance(exc, KeyboardInterrupt):
        return "Interrupted (SIGINT)."
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    return f"{name}: {first}" if first else name


def is_disk_full(exc: BaseException) -> bool:
    """ENOSPC however it arrives: an OSError, SQLite's "disk is full", or wrapped by TF/h5py."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DiskFull):
            return True
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        text = str(current)
        if "No space left on device" in text or "Disk quota exceeded" in text:
            return True
        current = current.__cause__ or current.__context__
    return False


def _start_heartbeat(db_path: Path, experiment_id: int, reporter: StoreReporter) -> threading.Event:
    """Beat from a thread with its own connection, so long epochs never look dead.

    Each beat also asks the kernel whether this process still holds its lock on the database
    (`cnnlab.store.locks`): without it, another process closing its connection would delete
    the write-ahead log this job writes to, so the job stops writing and fails loudly instead.
    """
    done = threading.Event()

    def beat() -> None:
        with open_store(db_path) as own:
            while not done.wait(HEARTBEAT_S):
                if holds_lock(db_path) is False:
                    reporter.fault = (
                        f"This job lost its lock on {db_path} (something opened and closed the "
                        "file outside SQLite), so its later writes could vanish; it stopped "
                        f"writing. `cnnlab resume {experiment_id}` continues from the last "
                        "checkpoint."
                    )
                    _log(reporter.fault)
                    return
                try:
                    heartbeat(own, experiment_id)
                except CnnlabError as exc:  # a busy moment must not kill the job
                    _log(f"heartbeat skipped: {exc}")

    threading.Thread(target=beat, name="heartbeat", daemon=True).start()
    return done


def _start_file_heartbeat(reporter: FileReporter) -> threading.Event:
    done = threading.Event()

    def beat() -> None:
        while not done.wait(HEARTBEAT_S):
            try:
                reporter.heartbeat()
            except OSError as exc:  # a full or flaky shared filesystem must not kill the job
                _log(f"heartbeat skipped: {exc}")

    threading.Thread(target=beat, name="heartbeat", daemon=True).start()
    return done


def _json(value: object) -> str:
    import json

    return json.dumps(value, indent=2, sort_keys=True)


USAGE = (
    "usage: python -m cnnlab.engine.runtime.job DATABASE EXPERIMENT_ID\n"
    "       python -m cnnlab.engine.runtime.job --files RUN_DIR CONTEXT_DATABASE EXPERIMENT_ID"
)


def main(argv: list[str]) -> int:
    if len(argv) == 4 and argv[0] == "--files" and argv[3].isdigit():
        with open_store(argv[2]) as context:
            status = run_job_with_files(context, Path(argv[1]), int(argv[3]))
        return 0 if status in ("done", "stopped") else 1
    if len(argv) != 2 or not argv[1].isdigit():
        print(USAGE, file=sys.stderr)
        return 2
    with open_store(argv[0]) as store:
        return 0 if run_job(store, int(argv[1])) in ("done", "stopped") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
