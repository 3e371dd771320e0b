"""`cnnlab queue`: the local queue in the order jobs will start, and why each waits; `front`,
`hold` and `release` steer it. The same calls as the TUI's queue view (`cnnlab.engine.queue`).
"""

from __future__ import annotations

from pathlib import Path

import click

from cnnlab.cli.context import db_option, json_option, open_db, print_json


@click.group("queue", invoke_without_command=True)
@json_option
@db_option
@click.pass_context
def queue_group(ctx: click.Context, as_json: bool, db: Path | None) -> None:
    """Queued jobs in the order they will start, each with why it waits."""
    if ctx.invoked_subcommand is not None:
        return
    from cnnlab.cli.context import look_after_jobs
    from cnnlab.engine import read_queue

    store = open_db(ctx, db)
    look_after_jobs(store)  # as every reading command: a missing scheduler is started again
    jobs = read_queue(store)
    if as_json:
        print_json([job.to_json() for job in jobs])
        return
    if not jobs:
        click.echo("Nothing is queued.")
        return
    for job in jobs:
        e = job.experiment
        label = e.name or e.model or ""
        click.echo(f"{job.position:>3}. #{e.id:<5} {e.kind:<8} {label[:30]:<30} {job.waiting_for}")


def _steer(ctx: click.Context, experiment_id: int, db: Path | None, what: str) -> None:
    from cnnlab.engine import hold_job, look_after_jobs, to_front

    store = open_db(ctx, db)
    if what == "front":
        to_front(store, experiment_id)
        click.echo(f"Experiment {experiment_id} is first in the queue.")
    else:
        hold_job(store, experiment_id, held=what == "hold")
        click.echo(
            f"Experiment {experiment_id} is held: it keeps its place and does not start."
            if what == "hold"
            else f"Experiment {experiment_id} may start again."
        )
    look_after_jobs(store)


@queue_group.command("front")
@click.argument("experiment_id", type=int)
@db_option
@click.pass_context
def front_command(ctx: click.Context, experiment_id: int, db: Path | None) -> None:
    """Move a queued job to the front: it starts as soon as what it needs is free."""
    _steer(ctx, experiment_id, db, "front")


@queue_group.command("hold")
@click.argument("experiment_id", type=int)
@db_option
@click.pass_context
def hold_command(ctx: click.Context, experiment_id: int, db: Path | None) -> None:
    """Keep a queued job from starting; it keeps its place."""
    _steer(ctx, experiment_id, db, "hold")


@queue_group.command("release")
@click.argument("experiment_id", type=int)
@db_option
@click.pass_context
def release_command(ctx: click.Context, experiment_id: int, db: Path | None) -> None:
    """Let a held job start again."""
    _steer(ctx, experiment_id, db, "release")
