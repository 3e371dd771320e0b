"""`cnnlab train`, `stop`, `resume`, `logs` and `engine status|stop`: jobs from the shell."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from cnnlab.cli.backend import backend_from_options, backend_options
from cnnlab.cli.context import config_for, db_option, json_option, open_db, print_json
from cnnlab.cli.follow import follow, tail_log
from cnnlab.cli.params import param_options
from cnnlab.engine import TransferSpec
from cnnlab.engine.params import MODEL_AND_DATA, SHARED_TRAINING_PARAMS, TRANSFER_OWN_PARAMS
from cnnlab.engine.spec import TrainSpec

if TYPE_CHECKING:
    from cnnlab.store import Store

F = TypeVar("F", bound=Callable[..., Any])
WAITING_SHOWN = 10  # queued jobs `engine status` lists, each with why it waits


def training_options(fn: F) -> F:
    """The options `train` and `transfer` share: the training parameters (declared once, in
    `cnnlab.engine.params`) and how to submit (repeats, waiting, the backend)."""
    options = [
        click.option(
            "--repeat",
            type=int,
            default=1,
            show_default=True,
            help="Queue N runs with seeds seed..seed+N-1 as one group.",
        ),
        click.option(
            "--yes",
            "-y",
            is_flag=True,
            help="Do not ask before queueing many repeats.",
        ),
        click.option(
            "--wait", is_flag=True, help="Follow the run(s) and exit 0 only if all end done."
        ),
        json_option,
        db_option,
    ]
    for option in reversed(options):
        fn = option(fn)
    return param_options(SHARED_TRAINING_PARAMS, TrainSpec)(backend_options(fn))


def _confirm_repeats(spec: Any, repeat: int, yes: bool) -> None:
    """Refuse more repeats than the engine allows; above its threshold, ask as `rm` does.

    Nobody can answer without a terminal (CI, cron, a pipe), so there --yes is required.
    """
    from cnnlab.engine import CONFIRM_REPEATS, check_repeat
    from cnnlab.errors import CnnlabError

    check_repeat(repeat)
    if repeat <= CONFIRM_REPEATS or yes:
        return
    if not _can_ask():
        raise CnnlabError(
            f"--repeat {repeat} queues {repeat} runs, more than {CONFIRM_REPEATS}; pass --yes "
            "to queue them without being asked (there is no terminal to ask on)."
        )
    click.confirm(
        f"Queue {repeat} {spec.kind} runs of {spec.model} (seeds {spec.seed}-"
        f"{spec.seed + repeat - 1})?",
        abort=True,
        err=True,  # stdout stays clean for --json
    )


def _can_ask() -> bool:
    """Whether someone at a terminal can answer a question on stdin."""
    return sys.stdin.isatty()


def _queue_and_report(
    ctx: click.Context, store: Store, spec: Any, options: dict[str, Any], **where: Any
) -> None:
    from cnnlab.engine import submit_repeats

    _confirm_repeats(spec, options["repeat"], options["yes"])
    backend, slurm = backend_from_options(store, options)
    ids = submit_repeats(store, spec, options["repeat"], backend=backend, slurm=slurm, **where)
    wait, as_json = options["wait"], options["as_json"]
    if as_json and not wait:
        print_json(
            {
                "id": ids[0],
                "ids": ids,
                "group_id": ids[0] if len(ids) > 1 else None,
                "status": "queued",
            }
        )
        return
    runs = (
        f"experiment {ids[0]}"
        if len(ids) == 1
        else (f"{len(ids)} experiments {ids[0]}-{ids[-1]} (group {ids[0]})")
    )
    click.echo(
        f"Queued {runs}: {spec.kind} {spec.model} on {spec.data}"
        + ("" if wait else f". Follow with `cnnlab logs {ids[0]} -f`."),
        err=wait,
    )
    if wait:
        # With --json, stdout stays one JSON document: the progress lines go to stderr.
        statuses = [follow(store, i, follow=True, err=as_json) for i in ids]
        for experiment_id, status in zip(ids, statuses, strict=True):
            click.echo(f"Experiment {experiment_id} ended {status}.", err=True)
        if as_json:
            print_json({"ids": ids, "statuses": dict(zip(map(str, ids), statuses, strict=True))})
        sys.exit(0 if all(status == "done" for status in statuses) else 1)


def train_spec_from_options(
    options: dict[str, Any], lab_models: Mapping[str, str] | None = None
) -> TrainSpec:
    """What `cnnlab train` queues for its parsed options (the TUI's form plans the same way),
    with the lab's model names (cnnlab.toml's [models])."""
    from cnnlab.engine.params import TRAINING_PARAMS, spec_values
    from cnnlab.engine.plan import plan_train

    return plan_train(lab_models=lab_models, **spec_values(TRAINING_PARAMS, options))


@click.command("train")
@param_options(MODEL_AND_DATA, TrainSpec)
@training_options
@click.pass_context
def train_command(ctx: click.Context, /, **options: Any) -> None:
    """Queue a training run; it runs in the background and survives logging out."""
    spec = train_spec_from_options(options, config_for(ctx, options["db"]).models)
    _queue_and_report(ctx, open_db(ctx, options["db"]), spec, options)


@click.command("transfer")
@click.argument("parent_id", type=int)
@param_options(TRANSFER_OWN_PARAMS, TransferSpec)
@click.option(
    "--wait-for-parent",
    is_flag=True,
    help="If the parent is still queued or running, queue until it is done.",
)
@training_options
@click.pass_context
def transfer_command(
    ctx: click.Context, /, parent_id: int, wait_for_parent: bool, **options: Any
) -> None:
    """Train a child of PARENT_ID from its best model, with layers frozen (paper 002)."""
    from cnnlab.engine import prepare_transfer
    from cnnlab.engine.params import TRANSFER_PARAMS, spec_values

    store = open_db(ctx, options["db"])
    values = spec_values(TRANSFER_PARAMS, options)
    spec, wait_for = prepare_transfer(
        store,
        parent_id,
        freeze=values.pop("freeze"),
        replace_head=values.pop("replace_head"),
        data=values.pop("data") or None,
        wait_for_source=wait_for_parent,
        **values,
    )
    _queue_and_report(ctx, store, spec, options, parent_id=parent_id, wait_for=wait_for)


@click.command("stop")
@click.argument("experiment_id", type=int)
@db_option
@click.pass_context
def stop_command(ctx: click.Context, experiment_id: int, db: Path | None) -> None:
    """Stop a job after its current batch (a checkpoint is written), or cancel a queued one."""
    from cnnlab.engine import how_it_stops, stop
    from cnnlab.store import get_experiment

    store = open_db(ctx, db)
    outcome = stop(store, experiment_id)
    if outcome == "stopping":
        how = how_it_stops(get_experiment(store, experiment_id).kind)
        click.echo(f"Experiment {experiment_id} is stopping: {how}.")
    else:
        click.echo(f"Experiment {experiment_id} cancelled.")


@click.command("resume")
@click.argument("experiment_id", type=int)
@click.option("--wait", is_flag=True, help="Follow the run and exit 0 only if it ends done.")
@db_option
@click.pass_context
def resume_command(ctx: click.Context, experiment_id: int, wait: bool, db: Path | None) -> None:
    """Continue a stopped, lost or failed run from its last checkpoint."""
    from cnnlab.engine import resume

    store = open_db(ctx, db)
    resume(store, experiment_id)
    click.echo(f"Experiment {experiment_id} queued to resume from its last checkpoint.", err=wait)
    if wait:
        status = follow(store, experiment_id, follow=True)
        sys.exit(0 if status == "done" else 1)


@click.command("logs")
@click.argument("experiment_id", type=int)
@click.option("--follow", "-f", "follow_", is_flag=True, help="Keep following until it ends.")
@click.option("--raw", is_flag=True, help="The job's own log file (stdout and stderr).")
@db_option
@click.pass_context
def logs_command(
    ctx: click.Context, experiment_id: int, follow_: bool, raw: bool, db: Path | None
) -> None:
    """Print a job's epochs and events, or its raw log; -f follows until it ends."""
    from cnnlab.store import get_experiment

    store = open_db(ctx, db)
    get_experiment(store, experiment_id)
    if raw:
        tail_log(store, experiment_id, follow_)
        return
    follow(store, experiment_id, follow=follow_)


@click.group("engine")
def engine_group() -> None:
    """The background scheduler that starts queued jobs."""


@engine_group.command("status")
@json_option
@db_option
@click.pass_context
def engine_status_command(ctx: click.Context, as_json: bool, db: Path | None) -> None:
    """Whether the scheduler runs, its limits, and the jobs it manages."""
    from cnnlab.cli.context import look_after_jobs
    from cnnlab.engine import ingest_reports, scheduler_status

    store = open_db(ctx, db)
    look_after_jobs(store)  # also restarts the scheduler when jobs wait and nobody serves them
    ingest_reports(store)
    status = scheduler_status(store)
    if as_json:
        print_json(status.to_json())
        return
    state = f"running (pid {status.pid})" if status.running else "not running"
    click.echo(f"scheduler   {state}")
    if status.running and not status.slots:  # just started: its limits are not published yet
        click.echo("slots       not known yet (the scheduler is starting; ask again)")
    elif status.running:
        slots = ", ".join(f"{name} {count}" for name, count in status.slots.items())
        click.echo(f"slots       {slots}; one job per phone")
        if status.max_parallel is not None:
            click.echo(f"parallel    at most {status.max_parallel} (max_parallel)")
        click.echo(f"gpus        {', '.join(status.gpus) or 'none'}")
    click.echo(f"running     {', '.join(map(str, status.running_jobs)) or 'none'}")
    click.echo(f"queued      {status.queued_jobs}")
    for job in status.waiting[:WAITING_SHOWN]:
        click.echo(f"  #{job['id']} {job['kind']}: {job['waiting_for'] or 'starting'}")
    if len(status.waiting) > WAITING_SHOWN:  # a sweep of 200 repeats: the first ones tell enough
        more = len(status.waiting) - WAITING_SHOWN
        click.echo(f"  ... and {more} more in the local queue (`cnnlab queue` lists them all)")
    for job in status.backend_jobs:
        where = f" on {job['node']}" if job["node"] else ""
        slurm_id = job["job_id"] or "not submitted yet"
        click.echo(f"slurm       {job['id']}: job {slurm_id}, {job['status']}{where}")


@engine_group.command("stop")
@db_option
@click.pass_context
def engine_stop_command(ctx: click.Context, db: Path | None) -> None:
    """Stop the scheduler; running jobs go on, queued ones wait for the next one.

    Any cnnlab command that later finds queued jobs and no scheduler starts one again, so a
    queue is never stranded: cancel the queued jobs (`cnnlab stop ID`) to keep them from running.
    """
    from cnnlab.engine import stop_scheduler
    from cnnlab.store import ExperimentQuery, count_experiments

    store = open_db(ctx, db)
    if stop_scheduler(store):
        click.echo("Scheduler stopped; running jobs continue.")
    else:
        click.echo("No scheduler was running.")
    queued = count_experiments(store, ExperimentQuery(status=("queued",)))
    if queued:
        click.echo(
            f"{queued} queued job(s) start when the next cnnlab command finds them waiting; "
            "`cnnlab stop ID` cancels one."
        )
