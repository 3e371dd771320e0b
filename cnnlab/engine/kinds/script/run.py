"""The script job's runner: start the user's command, wait for it, stop it when asked.

The job process stays cnnlab's own (its heartbeat, its row, its ending); the command is its
child, in a process group of its own, in the recorded folder, with the recorded program, its
output going straight into the job's log (runs/<id>/log.txt), and the environment that tells a
`cnnlab.keras.Recorder` inside which experiment it reports into (`attach`). The argument list
goes to the program as it is: no shell ever reads it.

On a stop (`cnnlab stop`, or SIGTERM to the job process, as Slurm's scancel sends) the whole
group gets SIGTERM, then SIGKILL after `engine.stop_grace_s`; the job ends `stopped` however
the script ends then. Otherwise exit 0 is `done`, anything else `failed` with one sentence.
Processes the script left behind in its group are ended the same way before the job ends, so
none keeps a GPU. If the job process itself is killed, the kernel kills the script
(PR_SET_PDEATHSIG), so a lost job leaves no script running unseen.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from cnnlab.config import load_config
from cnnlab.engine.kinds.script.attach import JOB_ENV, RESUMED_ENV, AttachedJob
from cnnlab.engine.kinds.script.command import check_command, script_folder
from cnnlab.engine.kinds.script.source import source_state
from cnnlab.engine.kinds.script.spec import ScriptSpec
from cnnlab.engine.runtime.outcome import JobContext, JobOutcome
from cnnlab.errors import CnnlabError

WAIT_S = 0.2  # how often the runner looks for a stop request while the script runs
STARTED_NAME = "script_started"  # in the run folder: the script ran before in this experiment
LAST_LINE_CHARS = 200  # a longer last line is left out of the failure sentence
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_PR_SET_PDEATHSIG = 1


class ScriptFailed(CnnlabError):
    """The script ended with a non-zero status or was killed by a signal."""

    traceback_in_log = False  # its own output, just above in the log, says why


def run_script(spec: ScriptSpec, job: JobContext) -> JobOutcome:
    cwd = Path(spec.cwd)
    program = check_command(spec.argv, cwd, program=spec.program)
    marker = job.run_dir / STARTED_NAME
    resumed = marker.exists()
    state = source_state(script_folder(spec.argv, cwd, program))
    data: dict[str, object] = {
        "argv": list(spec.argv),
        "command": spec.command_line,
        "cwd": spec.cwd,
        "program": program,
        "gpus": spec.gpus,
        "git_commit": state.commit,
        "git_dirty": state.dirty,
        "resumed": resumed,
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
    }
    changed = (state.commit, state.dirty) != (spec.git_commit, spec.git_dirty)
    if changed:
        data["submitted"] = {"git_commit": spec.git_commit, "git_dirty": spec.git_dirty}
    note = " (the code changed since it was submitted)" if changed else ""
    job.reporter.event("script", f"{spec.command_line} in {spec.cwd}{note}", data)
    environ = {k: v for k, v in os.environ.items() if k not in JOB_ENV}
    attached = AttachedJob(
        job.experiment.id,
        db=None if job.remote else job.store.path,
        run_dir=job.run_dir if job.remote else None,
    )
    environ.update(attached.environment())
    if resumed:
        environ[RESUMED_ENV] = "1"
    log = job.run_dir / "log.txt"
    start_offset = _size(log)
    marker.touch()
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
        sys.stderr.flush()
    process = subprocess.Popen(
        list(spec.argv),
        executable=program,
        cwd=cwd,
        env=environ,
        stdin=subprocess.DEVNULL,
        close_fds=True,
        process_group=0,
        # Only prctl and getppid run between fork and exec (no lock a heartbeat thread could
        # hold is taken), which is what makes a pre-exec step safe beside threads.
        preexec_fn=_dying_with_parent(),  # noqa: PLW1509
    )
    grace = load_config(job.store.path).engine.stop_grace_s
    code, how = _wait(process, job.reporter.stop_requested, grace)
    if how is not None:
        return JobOutcome(True, f"Stopped: {how}")
    where = f"its output is in {log}"
    if code == 0:
        return JobOutcome(False, "The script exited with status 0.")
    last = _last_line(log, start_offset)
    said = f' (its last line: "{last}")' if last else ""
    if code < 0:
        name = _signal_name(-code)
        hint = " (out of memory?)" if -code == signal.SIGKILL else ""
        raise ScriptFailed(f"The script was killed by {name}{hint}{said}; {where}.")
    raise ScriptFailed(f"The script exited with status {code}{said}; {where}.")


def _wait(
    process: subprocess.Popen[bytes], stop_requested: Callable[[], bool], grace: float
) -> tuple[int, str | None]:
    """Wait for the script's group to end; returns its exit code and, if it was stopped, how."""
    group = process.pid
    stopped_at: float | None = None
    killed = False
    while True:
        try:
            code = process.wait(timeout=WAIT_S)
            break
        except subprocess.TimeoutExpired:
            pass
        if stopped_at is None and stop_requested():
            _signal_group(group, signal.SIGTERM)
            stopped_at = time.monotonic()
        elif stopped_at is not None and not killed and time.monotonic() - stopped_at >= grace:
            _signal_group(group, signal.SIGKILL)
            killed = True
    # What the script left in its group (a data loader, a forked worker) ends with it.
    if _group_alive(group):
        if not killed:
            _signal_group(group, signal.SIGTERM)
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and _group_alive(group):
                time.sleep(WAIT_S / 2)
        _signal_group(group, signal.SIGKILL)
    if stopped_at is None:
        return code, None
    if killed:
        return code, f"the script ignored SIGTERM and was killed after {grace:g} s"
    return code, "the script ended on SIGTERM"


def _signal_group(group: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signum)


def _group_alive(group: int) -> bool:
    """Whether a live (not zombie) process is left in process group `group`."""
    proc = Path("/proc")
    if not (proc / "self").exists():
        try:
            os.killpg(group, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # After the command's name: state, ppid, pgrp.
        if len(fields) > 2 and fields[2] == str(group) and fields[0] not in ("Z", "X"):
            return True
    return False


def _dying_with_parent() -> Callable[[], None] | None:
    """A pre-exec step (Linux) that has the kernel SIGKILL the script if the job process dies,
    so a job killed from outside leaves no script running that nobody tracks."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def step() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the job died before the call: nobody would kill it
            os._exit(1)

    return step


def _signal_name(signum: int) -> str:
    try:
        return f"{signal.Signals(signum).name} (signal {signum})"
    except ValueError:
        return f"signal {signum}"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _last_line(log: Path, offset: int) -> str:
    """The last line the script wrote (after `offset`), cleaned of terminal escapes and
    progress-bar returns; empty if it wrote none or it is too long to quote."""
    try:
        with log.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(offset, size - 4096))
            tail = handle.read().decode(errors="replace")
    except OSError:
        return ""
    lines = [line for line in tail.splitlines() if line.strip()]
    if not lines:
        return ""
    line = _ANSI.sub("", lines[-1].rsplit("\r", 1)[-1]).strip()
    line = "".join(c for c in line if c.isprintable())
    return line if 0 < len(line) <= LAST_LINE_CHARS else ""
