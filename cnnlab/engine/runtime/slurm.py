"""The Slurm backend: `sbatch` a job running `python -m cnnlab.engine.runtime.job`, then follow it.

Slurm is the scheduler here; cnnlab only submits, asks (`squeue -t all` while Slurm remembers
the job, then `sacct`, or `sacct -c` where only job completion is logged), cancels (`scancel`,
whose SIGTERM makes the job checkpoint and end `stopped` within KillWait) and brings the job's
file reports into the store.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cnnlab.config import SlurmConfig
from cnnlab.engine.runtime.file_reporter import report_path, stop_path
from cnnlab.engine.runtime.ingest import ingest_report
from cnnlab.errors import CnnlabError
from cnnlab.store import (
    ACTIVE_STATUSES,
    Backend,
    Experiment,
    Store,
    append_event,
    get_experiment,
    set_status,
)
from cnnlab.store.backends import (
    SUBMITTING,
    active_on,
    set_backend_job,
    write_job_context,
)

BACKEND = Backend.SLURM.value
SCRIPT_NAME = "slurm.sh"
CONTEXT_NAME = "context.db"
COMMAND_TIMEOUT_S = 60.0
# Slurm states after which the job's processes are gone (sacct may append "by UID").
FINAL_STATES = frozenset(
    {
        "COMPLETED",
        "FAILED",
        "CANCELLED",
        "TIMEOUT",
        "NODE_FAIL",
        "OUT_OF_MEMORY",
        "PREEMPTED",
        "BOOT_FAIL",
        "DEADLINE",
        "REVOKED",
        "SPECIAL_EXIT",
    }
)
# Kinds a Slurm node can run: each reports only through the Reporter and reads its parent's
# rows from the job's private copy. An import runs where its file is.
SLURM_KINDS = ("train", "transfer", "convert", "bench", "script")
# What `engine.backend = "slurm"` sends there when a submission names no backend: a benchmark's
# `host` means this machine unless the user asks for a node with --backend slurm.
DEFAULT_SLURM_KINDS = ("train", "transfer", "convert", "script")


def slurm_refusal(kind: str, device: str | None = None) -> str | None:
    """Why a job of `kind` (on `device`, for a benchmark) cannot run on Slurm; None if it can."""
    if kind not in SLURM_KINDS:
        return (
            f"{kind} jobs run on the database's host only; only "
            f"{', '.join(SLURM_KINDS)} jobs can go to Slurm."
        )
    if kind == "bench" and device not in (None, "host"):
        return (
            f"Phone {device} is plugged into this machine, which a Slurm node cannot reach; "
            "benchmark it with --backend local (host benchmarks can run on a node)."
        )
    return None


class SlurmError(CnnlabError):
    """A Slurm command failed (not installed, controller down, option refused)."""


@dataclass(frozen=True)
class SlurmOptions:
    """What one job asks Slurm for; unset values fall back to `[slurm]` in cnnlab.toml."""

    partition: str | None = None
    account: str | None = None
    time_limit: str | None = None
    gpus: int = 0
    sbatch_args: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_config(
        cls,
        config: SlurmConfig,
        *,
        partition: str | None = None,
        gpus: int | None = None,
        time_limit: str | None = None,
        sbatch_args: Iterable[str] = (),
    ) -> SlurmOptions:
        if gpus is not None and gpus < 0:
            raise CnnlabError(f"--gpus must be 0 or more, got {gpus}.")
        return cls(
            partition=partition or config.partition,
            account=config.account,
            time_limit=time_limit or config.time_limit,
            gpus=config.gpus_per_job if gpus is None else gpus,
            sbatch_args=(*config.sbatch_args, *sbatch_args),
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SlurmOptions:
        return cls(
            partition=data.get("partition"),
            account=data.get("account"),
            time_limit=data.get("time_limit"),
            gpus=int(data.get("gpus") or 0),
            sbatch_args=tuple(data.get("sbatch_args") or ()),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "partition": self.partition,
            "account": self.account,
            "time_limit": self.time_limit,
            "gpus": self.gpus,
            "sbatch_args": list(self.sbatch_args),
        }

    def sbatch_options(self) -> list[str]:
        options = []
        if self.partition:
            options.append(f"--partition={self.partition}")
        if self.account:
            options.append(f"--account={self.account}")
        if self.time_limit:
            options.append(f"--time={self.time_limit}")
        if self.gpus:
            options.append(f"--gpus={self.gpus}")
        return [*options, *self.sbatch_args]


@dataclass(frozen=True)
class SlurmJob:
    """What Slurm says about one job."""

    job_id: str
    state: str
    reason: str | None
    node: str | None

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            args,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError:
        raise SlurmError(
            f"`{args[0]}` is not installed here; the Slurm backend needs Slurm's client "
            "commands on the submitting host."
        ) from None
    except subprocess.TimeoutExpired:
        raise SlurmError(f"`{args[0]}` did not answer in {COMMAND_TIMEOUT_S:.0f} s.") from None


def job_script(store: Store, experiment_id: int) -> str:
    """The batch script: `exec` so that Slurm's SIGTERM reaches Python, not a dying shell."""
    run_dir = store.run_dir(experiment_id)
    command = [
        sys.executable,
        "-m",
        "cnnlab.engine.runtime.job",
        "--files",
        str(run_dir),
        str(run_dir / CONTEXT_NAME),
        str(experiment_id),
    ]
    return (
        "#!/bin/sh\n"
        f"# cnnlab experiment {experiment_id}: reports go to {report_path(run_dir).name}\n"
        f"cd {shlex.quote(str(store.path.parent))} || exit 1\n"
        f"exec {shlex.join(command)}\n"
    )


def submit_job(store: Store, experiment: Experiment) -> str:
    """Hand a claimed experiment to `sbatch`; records and returns the Slurm job id."""
    run_dir = store.run_dir(experiment.id)
    run_dir.mkdir(parents=True, exist_ok=True)
    stop_path(run_dir).unlink(missing_ok=True)
    related = {experiment.id}
    for other in (experiment.parent_id, experiment.spec.get("source")):
        if isinstance(other, int):
            related.add(other)
    # and every ancestor, whose kept custom-model file a node needs to load a saved model
    # (`cnnlab.engine.kinds.lineage`)
    ancestor = get_experiment(store, experiment.parent_id) if experiment.parent_id else None
    while ancestor is not None and ancestor.parent_id and ancestor.parent_id not in related:
        related.add(ancestor.parent_id)
        ancestor = get_experiment(store, ancestor.parent_id)
    write_job_context(store, related, run_dir / CONTEXT_NAME)
    script = run_dir / SCRIPT_NAME
    script.write_text(job_script(store, experiment.id))
    script.chmod(0o755)
    options = SlurmOptions.from_dict(experiment.backend_options)
    command = [
        "sbatch",
        "--parsable",
        f"--job-name=cnnlab-{experiment.id}",
        f"--output={run_dir / 'log.txt'}",
        "--open-mode=append",
        f"--chdir={store.path.parent}",
        *options.sbatch_options(),
        str(script),
    ]
    result = _run(command)
    if result.returncode != 0:
        message = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise SlurmError(f"sbatch refused the job: {message}")
    job_id = result.stdout.strip().split(";")[0]
    set_backend_job(store, experiment.id, job_id=job_id, state="PENDING")
    append_event(
        store,
        experiment.id,
        "submitted",
        f"Slurm job {job_id}",
        {"job_id": job_id, "command": shlex.join(command)},
    )
    return job_id


def query_jobs(job_ids: Iterable[str]) -> dict[str, SlurmJob]:
    """States of the given jobs: squeue while Slurm remembers them, then sacct; the ids Slurm
    has forgotten entirely are missing from the answer."""
    wanted = set(job_ids)
    if not wanted:
        return {}
    found: dict[str, SlurmJob] = {}
    result = _run(["squeue", "-h", "-t", "all", "-o", "%i|%T|%r|%N"])
    if result.returncode != 0:
        raise SlurmError(f"squeue failed: {result.stderr.strip()}")
    for line in result.stdout.splitlines():
        parts = line.split("|")
        if len(parts) == 4 and parts[0] in wanted:
            found[parts[0]] = SlurmJob(parts[0], parts[1], _none(parts[2]), _none(parts[3]))
    missing = sorted(wanted - set(found))
    if missing:
        found.update(_sacct(missing))
    return found


def _sacct(job_ids: list[str]) -> dict[str, SlurmJob]:
    """From accounting, or from the job-completion log (`-c`) where accounting is off."""
    fields = ["-n", "-P", "-X", "-o", "JobID,State,NodeList", "-j", ",".join(job_ids)]
    result = _run(["sacct", *fields])
    if result.returncode != 0:
        result = _run(["sacct", "-c", *[f for f in fields if f != "-X"]])
    if result.returncode != 0:
        return {}
    jobs = {}
    for line in result.stdout.splitlines():
        parts = line.split("|")
        if len(parts) >= 3 and parts[0] in job_ids:
            state = (parts[1].split() or ["UNKNOWN"])[0]
            jobs[parts[0]] = SlurmJob(parts[0], state, None, _none(parts[2]))
    return jobs


def _none(text: str) -> str | None:
    text = text.strip()
    return None if text in ("", "(null)", "None", "None assigned") else text


def cancel(store: Store, experiment: Experiment) -> None:
    """Ask a Slurm job to stop: a stop file the job polls, and `scancel` (SIGTERM, KillWait)."""
    stop_path(store.run_dir(experiment.id)).touch()
    if experiment.backend_job_id:
        result = _run(["scancel", experiment.backend_job_id])
        if result.returncode != 0:
            raise SlurmError(f"scancel {experiment.backend_job_id} failed: {result.stderr.strip()}")


class SlurmFollower:
    """Keeps the store in step with Slurm for the scheduler: submit, ingest, poll, finalise."""

    POLL_S = 2.0
    FINAL_GRACE_S = 3.0  # a finished job's last lines may reach a network filesystem late

    def __init__(self, store: Store) -> None:
        self.store = store
        self.last_poll = 0.0
        self.final_since: dict[int, float] = {}
        self._recover_submitting()

    def _recover_submitting(self) -> None:
        # A scheduler killed between claim and sbatch's answer left these half-claimed.
        for experiment in active_on(self.store, BACKEND):
            if experiment.backend_state == SUBMITTING and not experiment.backend_job_id:
                set_backend_job(self.store, experiment.id, job_id=None, state=None)

    def submit(self, experiment: Experiment) -> None:
        try:
            job_id = submit_job(self.store, experiment)
        except CnnlabError as exc:
            reason = str(exc)
            set_backend_job(self.store, experiment.id, job_id=None, state="SUBMIT_FAILED")
            if set_status(self.store, experiment.id, "failed", error=reason, expect=("queued",)):
                append_event(self.store, experiment.id, "failed", reason)
            return
        print(f"submitted job {experiment.id} as Slurm job {job_id}", flush=True)
        current = get_experiment(self.store, experiment.id)
        if current.status != "queued":  # stopped while sbatch ran: do not let it start
            cancel(self.store, current)

    def step(self, *, force: bool = False) -> None:
        """Ingest every active Slurm job's reports; every POLL_S also ask Slurm."""
        active = active_on(self.store, BACKEND)
        for experiment in active:
            ingest_report(self.store, experiment.id)
        if not force and time.monotonic() - self.last_poll < self.POLL_S:
            return
        self.last_poll = time.monotonic()
        submitted = [e for e in active_on(self.store, BACKEND) if e.backend_job_id is not None]
        if not submitted:
            return
        try:
            jobs = query_jobs(e.backend_job_id for e in submitted if e.backend_job_id)
        except SlurmError as exc:  # the controller is down: judge nothing this round
            print(f"cannot ask Slurm: {exc}", file=sys.stderr, flush=True)
            return
        for experiment in submitted:
            assert experiment.backend_job_id is not None
            job = jobs.get(experiment.backend_job_id)
            self._follow(experiment, job)

    def _follow(self, experiment: Experiment, job: SlurmJob | None) -> None:
        if job is not None and (job.state, job.reason, job.node) != (
            experiment.backend_state,
            experiment.backend_reason,
            experiment.backend_node,
        ):
            set_backend_job(
                self.store,
                experiment.id,
                job_id=job.job_id,
                state=job.state,
                reason=job.reason,
                node=job.node,
            )
        if job is not None and not job.is_final:
            self.final_since.pop(experiment.id, None)
            return
        first = self.final_since.setdefault(experiment.id, time.monotonic())
        if time.monotonic() - first < self.FINAL_GRACE_S:
            return
        del self.final_since[experiment.id]
        ingest_report(self.store, experiment.id)  # its very last lines
        current = get_experiment(self.store, experiment.id)
        if current.status not in ACTIVE_STATUSES:
            return
        if job is None:
            why = f"Slurm no longer knows job {experiment.backend_job_id}"
        else:
            why = f"Slurm job {job.job_id} ended {job.state} before the job reported an outcome"
        error = (
            f"Job lost: {why}; `cnnlab resume {experiment.id}` continues from the last checkpoint."
        )
        if set_status(self.store, experiment.id, "lost", error=error, expect=ACTIVE_STATUSES):
            append_event(
                self.store,
                experiment.id,
                "lost",
                why,
                {"job_id": experiment.backend_job_id, "state": job.state if job else None},
            )
