"""What the CLI and the TUI ask of the engine: submit, stop, resume. Plain typed functions.

Each validates first and changes nothing when the request makes no sense (stopping a finished
job, resuming a running one), so a wrong keypress never costs a run.
"""

from __future__ import annotations

import contextlib
import dataclasses

from cnnlab.config import load_config
from cnnlab.engine import model_files
from cnnlab.engine.runtime.liveness import mark_lost
from cnnlab.engine.runtime.runs_folder import check_runs_folder
from cnnlab.engine.runtime.scheduler import check_location, ensure_scheduler, is_running
from cnnlab.engine.runtime.slurm import BACKEND as SLURM
from cnnlab.engine.runtime.slurm import (
    DEFAULT_SLURM_KINDS,
    SlurmOptions,
    cancel,
    slurm_refusal,
)
from cnnlab.engine.spec import JobSpec
from cnnlab.errors import CnnlabError
from cnnlab.store import (
    RESUMABLE_KINDS,
    ExperimentQuery,
    NetworkFilesystem,
    Store,
    StoreError,
    append_event,
    count_experiments,
    create_experiment,
    get_experiment,
    request_stop,
    set_group,
    set_status,
)
from cnnlab.store.backends import LOCAL, clear_backend_job


def submit(
    store: Store,
    spec: JobSpec,
    *,
    parent_id: int | None = None,
    group_id: int | None = None,
    wait_for: int | None = None,
    start_scheduler: bool = True,
    backend: str | None = None,
    slurm: SlurmOptions | None = None,
) -> int:
    """Queue a job and make sure a scheduler will run it; returns the experiment id.

    With `wait_for`, the job starts only once that experiment ends `done`, and is cancelled if
    it ends any other way. `backend` ('local' or 'slurm') defaults to `engine.backend` in
    cnnlab.toml; a Slurm job asks for `slurm` (default: the `[slurm]` settings).
    """
    check_runs_folder(store)
    config = load_config(store.path)
    check_location(store, config)  # a database on NFS is refused before its row is written
    asked = backend is not None or slurm is not None
    backend = backend or config.engine.backend
    if backend not in (LOCAL, SLURM):
        raise CnnlabError(f"Unknown backend {backend!r}; choose local or slurm.")
    stays = ""
    if backend == SLURM:
        refusal = slurm_refusal(spec.kind, getattr(spec, "device", None))
        if refusal is not None and asked:
            raise CnnlabError(refusal)
        if refusal is not None or (not asked and spec.kind not in DEFAULT_SLURM_KINDS):
            backend = LOCAL  # engine.backend is for what can and should leave this machine
            stays = f" here (engine.backend sends {', '.join(DEFAULT_SLURM_KINDS)} to Slurm)"
    model: str | None = getattr(spec, "model", None)
    dataset: str | None = getattr(spec, "data", None)
    model_source = getattr(spec, "model_source", None)
    kept = model_files.read_checked(model_source) if model_source else None
    experiment_id = create_experiment(
        store,
        spec.kind,
        name=spec.name,
        spec=spec.to_dict(),
        model=model,
        dataset=dataset,
        parent_id=parent_id,
        group_id=group_id,
        wait_for=wait_for,
        backend=backend,
        backend_options=None
        if backend == LOCAL
        else (slurm or SlurmOptions.from_config(config.slurm)).to_dict(),
    )
    if kept is not None:
        try:
            model_files.keep(*kept, store.run_dir(experiment_id))
        except OSError as exc:
            set_status(store, experiment_id, "failed", error=f"Cannot keep the model file: {exc}.")
            raise CnnlabError(
                f"Cannot copy {kept[0].path} into the run folder ({exc.strerror}); "
                "free some space and submit again."
            ) from exc
    what = " ".join(part for part in (spec.kind, model, dataset and f"on {dataset}") if part)
    after = f", after experiment {wait_for} is done" if wait_for is not None else ""
    where = " on Slurm" if backend != LOCAL else stays
    append_event(store, experiment_id, "queued", what + after + where)
    if start_scheduler:
        ensure_scheduler(store)
    return experiment_id


# Repeats of one submission: above CONFIRM_REPEATS the CLI asks first (or wants --yes); more
# than MAX_REPEATS is refused outright, from the CLI, the TUI and pipelines alike (a paper's
# table has 5 to 30 runs; 100,000 rows queued by a typo take hours to cancel).
CONFIRM_REPEATS = 20
MAX_REPEATS = 1000


def check_repeat(repeat: object) -> int:
    """`repeat` if it is a number of runs that may be queued, else a one-line refusal."""
    if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
        raise CnnlabError(f"--repeat must be a positive whole number, got {repeat!r}.")
    if repeat > MAX_REPEATS:
        raise CnnlabError(
            f"--repeat must be at most {MAX_REPEATS:,}, got {repeat:,}; queue the runs in "
            "several groups if you really mean that many."
        )
    return repeat


def submit_repeats(
    store: Store,
    spec: JobSpec,
    repeat: int,
    *,
    parent_id: int | None = None,
    wait_for: int | None = None,
    start_scheduler: bool = True,
    backend: str | None = None,
    slurm: SlurmOptions | None = None,
) -> list[int]:
    """Queue `repeat` runs of `spec` as one group, seeds `seed`, `seed + 1`, ... ; their ids.

    The group's id is the first run's id, so `cnnlab report ID` finds the whole group. Every
    run's spec is built (and so checked: the last seed must still be valid) before any is queued.
    """
    check_repeat(repeat)
    if repeat == 1:
        return [
            submit(
                store,
                spec,
                parent_id=parent_id,
                wait_for=wait_for,
                start_scheduler=start_scheduler,
                backend=backend,
                slurm=slurm,
            )
        ]
    seed: int = getattr(spec, "seed", 0)
    try:
        runs = [
            dataclasses.replace(  # type: ignore[type-var]
                spec,
                seed=seed + index,
                name=f"{spec.name} #{index + 1}" if spec.name else f"repeat {index + 1}",
            )
            for index in range(repeat)
        ]
    except CnnlabError as exc:
        last = seed + repeat - 1
        raise CnnlabError(f"--repeat {repeat} uses seeds {seed} to {last}: {exc}") from None
    ids: list[int] = []
    for index, run in enumerate(runs):
        ids.append(
            submit(
                store,
                run,
                parent_id=parent_id,
                group_id=ids[0] if ids else None,
                wait_for=wait_for,
                start_scheduler=start_scheduler and index == repeat - 1,
                backend=backend,
                slurm=slurm,
            )
        )
        if index == 0:
            set_group(store, ids[0], ids[0])
    return ids


def how_it_stops(kind: str) -> str:
    """What a stop does to a running job of `kind`, for the event and the CLI's answer."""
    if kind == "script":
        return "the script gets SIGTERM, and SIGKILL after engine.stop_grace_s"
    return "the job ends after its current batch (a checkpoint is written)"


def stop(store: Store, experiment_id: int) -> str:
    """Stop a job: a running one after its current batch, a queued one at once."""
    mark_lost(store)
    experiment = get_experiment(store, experiment_id)
    if experiment.status == "queued":
        if set_status(store, experiment_id, "stopped", expect=("queued",)):
            if experiment.backend == SLURM and experiment.backend_job_id:
                cancel(store, experiment)  # pending in Slurm: take it out of Slurm's queue
            append_event(store, experiment_id, "stopped", "Cancelled before it started.")
            return "stopped"
        experiment = get_experiment(store, experiment_id)
    if experiment.status == "running":
        request_stop(store, experiment_id)
        if experiment.backend == SLURM:
            cancel(store, experiment)  # scancel: SIGTERM, then SIGKILL after KillWait
        how = how_it_stops(experiment.kind)
        append_event(store, experiment_id, "stop_requested", f"Stop requested; {how}.")
        return "stopping"
    raise CnnlabError(
        f"Experiment {experiment_id} is {experiment.status}; only queued or running jobs can "
        "be stopped."
    )


def look_after_jobs(store: Store) -> list[str]:
    """What every command that reads does first: settle the jobs whose process died (lost, or
    recorded from the ending they left), and restart the scheduler when work is queued and no
    scheduler serves it (one killed, or stopped with `engine stop`).

    Never fails a read: on a full disk, a locked database or a database on a network
    filesystem it returns the sentences to show as warnings instead.
    """
    warnings: list[str] = []
    waiting = 0
    try:
        unsafe = check_location(store)
    except NetworkFilesystem as exc:
        return [f"{exc} Until then no scheduler starts for it."]
    if unsafe:
        warnings.append(unsafe)
    try:
        mark_lost(store)
    except StoreError as exc:
        warnings.append(f"Could not check running jobs: {exc}")
    try:
        waiting = count_experiments(store, ExperimentQuery(status=("queued",)))
        if waiting and not is_running(store):
            ensure_scheduler(store)
    except (StoreError, OSError) as exc:
        warnings.append(f"{waiting} queued job(s) wait for a scheduler, which cannot start: {exc}")
    return warnings


def end_before_removal(store: Store, experiment_ids: list[int], timeout_s: float = 15.0) -> None:
    """Stop the running local jobs among `experiment_ids` before their rows and folders go
    (`rm --force`): SIGTERM (the job ends after its batch), SIGKILL after `timeout_s`. A job
    left running would keep the GPU and write into a folder that no longer exists."""
    import os
    import signal
    import socket
    import time

    from cnnlab.engine.runtime.liveness import job_process_alive

    here = socket.gethostname()
    pids = {
        e.id: e.pid
        for e in (get_experiment(store, i) for i in experiment_ids)
        if e.status == "running"
        and e.backend == LOCAL
        and e.host == here
        and e.pid
        and e.kind != "fit"  # a recorded fit's pid is the user's own kernel or script
    }
    for pid in pids.values():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and any(job_process_alive(p, i) for i, p in pids.items()):
        time.sleep(0.1)
    for experiment_id, pid in pids.items():
        if job_process_alive(pid, experiment_id):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


RESUMABLE = ("stopped", "lost", "failed")


def rerun_refusal(experiment_id: int, what: str) -> str:
    """The one sentence refusing to resume or clone (`what`) a `fit` row: its training ran in
    the user's own code (`cnnlab.keras.Recorder`, or an imported log)."""
    return (
        f"Experiment {experiment_id} is a fit recorded from your own code, which cnnlab cannot "
        f"{what}; run that code again (a Recorder with parent={experiment_id} chains from it), "
        "or `cnnlab transfer` from its model."
    )


def resume(store: Store, experiment_id: int) -> None:
    """Queue a stopped, lost or failed job again; it continues from its last checkpoint."""
    mark_lost(store)
    experiment = get_experiment(store, experiment_id)
    if experiment.kind == "fit":
        raise CnnlabError(rerun_refusal(experiment_id, "resume"))
    if experiment.status not in RESUMABLE:
        raise CnnlabError(
            f"Experiment {experiment_id} is {experiment.status}; only stopped, lost or failed "
            "jobs can be resumed."
        )
    if experiment.kind not in RESUMABLE_KINDS:
        raise CnnlabError(f"{experiment.kind} jobs cannot be resumed; submit them again.")
    if experiment.kind == "transfer":
        from cnnlab.engine.kinds.transfer.run import source_model

        source_model(store, int(experiment.spec["source"]))  # its parent's model is read again
    if experiment.kind == "script":  # its folder and program may have gone since it ran
        from pathlib import Path

        from cnnlab.engine.kinds.script.command import check_command

        spec = experiment.spec
        check_command(spec["argv"], Path(spec["cwd"]), program=spec.get("program"))
    check_runs_folder(store)
    if not set_status(store, experiment_id, "queued", expect=RESUMABLE):
        raise CnnlabError(f"Experiment {experiment_id} changed state meanwhile; try again.")
    if experiment.backend != LOCAL:
        clear_backend_job(store, experiment_id)  # only now may the scheduler sbatch it again
    append_event(
        store, experiment_id, "resume_requested", f"Resume requested (was {experiment.status})."
    )
    ensure_scheduler(store)
