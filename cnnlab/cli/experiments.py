"""`cnnlab ls`, `show` and `rm`: browse and prune the experiments in the database."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from cnnlab.cli.context import db_option, json_option, open_db, print_json
from cnnlab.cli.render import print_detail, print_experiments

# The store's SORTABLE, spelled here so that `cnnlab --help` does not load the store (70 ms);
# tests/cli/test_experiments.py checks that the two agree.
SORT_CHOICES = (
    "id",
    "name",
    "kind",
    "model",
    "status",
    "created_at",
    "started_at",
    "finished_at",
    "best_val_accuracy",
    "best_value",
    "epochs_run",
    "train_seconds",
    "params",
)


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    """Accept both `--status a --status b` and `--status a,b`."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


@click.command("ls")
@click.option(
    "--status", "-s", multiple=True, help="Only these statuses (repeat or comma-separate)."
)
@click.option("--kind", "-k", multiple=True, help="Only these kinds: train, transfer, convert, ...")
@click.option(
    "--model", "-m", default=None, help="Only models matching this glob, e.g. 'mobilenet*'."
)
@click.option("--name", default=None, help="Only names containing this text.")
@click.option(
    "--limit",
    "-n",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Rows per page.",
)
@click.option("--offset", type=click.IntRange(min=0), default=0, help="Rows to skip (paging).")
@click.option("--sort", type=click.Choice(SORT_CHOICES), default="created_at", show_default=True)
@click.option("--asc", is_flag=True, help="Ascending order (default: descending, newest first).")
@json_option
@db_option
@click.pass_context
def ls_command(
    ctx: click.Context,
    status: tuple[str, ...],
    kind: tuple[str, ...],
    model: str | None,
    name: str | None,
    limit: int,
    offset: int,
    sort: str,
    asc: bool,
    as_json: bool,
    db: Path | None,
) -> None:
    """List experiments, newest first, one page at a time."""
    from cnnlab.cli.context import look_after_jobs
    from cnnlab.engine import ingest_reports
    from cnnlab.store import ExperimentQuery, count_experiments, list_experiments

    store = open_db(ctx, db)
    look_after_jobs(store)  # a job whose process vanished is shown as lost, not running
    ingest_reports(store)  # Slurm jobs' latest epochs, from their run folders
    query = ExperimentQuery(
        status=_split(status),
        kind=_split(kind),
        model=model,
        name_contains=name,
        sort=sort,
        descending=not asc,
        limit=limit,
        offset=offset,
    )
    experiments = list_experiments(store, query)
    total = count_experiments(store, query)
    if as_json:
        print_json(
            {
                "database": str(store.path),
                "total": total,
                "offset": offset,
                "limit": limit,
                "experiments": [e.to_json() for e in experiments],
            }
        )
        return
    # A Slurm job waiting in Slurm's queue reads `pending (Resources)` rather than `queued`, a
    # local one why it waits, cut to a column's width (`show` and `cnnlab queue` say it whole).
    shown = [dataclasses.replace(e, status=_cut(e.display_status)) for e in experiments]
    print_experiments(shown, total=total, offset=offset)


STATUS_WIDTH = 40


def _cut(status: str) -> str:
    return status if len(status) <= STATUS_WIDTH else status[: STATUS_WIDTH - 1] + "…"


@click.command("show")
@click.argument("experiment_id", type=int)
@json_option
@db_option
@click.pass_context
def show_command(ctx: click.Context, experiment_id: int, as_json: bool, db: Path | None) -> None:
    """Show one experiment: spec, summary, epochs, events and artifacts."""
    from cnnlab.cli.context import look_after_jobs
    from cnnlab.store import get_detail

    store = open_db(ctx, db)
    look_after_jobs(store)
    detail = get_detail(store, experiment_id)
    if as_json:
        print_json({**detail.to_json(), "run_dir": str(store.run_dir(experiment_id))})
        return
    print_detail(detail, run_dir=store.run_dir(experiment_id))
    if detail.experiment.kind == "script":
        _print_script(detail.experiment.spec)


def _print_script(spec: dict[str, object]) -> None:
    """What a `cnnlab run` job ran: its command as typed, where, and from which code."""
    import shlex

    argv = spec.get("argv")
    commit, dirty = spec.get("git_commit"), spec.get("git_dirty")
    code = f"{commit}" if commit else "not in a git checkout"
    if commit and dirty:
        code += f" with uncommitted changes (sha256 {str(dirty)[:12]})"
    elif commit:
        code += " (clean)"
    click.echo("script")
    for key, value in (
        ("command", shlex.join(map(str, argv)) if isinstance(argv, list) else argv),
        ("folder", spec.get("cwd")),
        ("program", spec.get("program")),
        ("GPUs", spec.get("gpus")),
        ("code", code),
    ):
        click.echo(f"  {key:<14} {value}")


@click.command("rm")
@click.argument("experiment_ids", type=int, nargs=-1, required=True)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True, help="Also remove experiments that are still running.")
@db_option
@click.pass_context
def rm_command(
    ctx: click.Context, experiment_ids: tuple[int, ...], yes: bool, force: bool, db: Path | None
) -> None:
    """Remove experiments: rows (epochs, events, artifacts, samples) and runs/<id>/ folders."""
    from cnnlab.errors import CnnlabError
    from cnnlab.store import Status, delete_experiments, get_experiment

    store = open_db(ctx, db)
    experiments = [get_experiment(store, i) for i in dict.fromkeys(experiment_ids)]
    active = [e.id for e in experiments if e.status == Status.RUNNING]
    if active and not force:
        raise CnnlabError(
            f"Experiment(s) {', '.join(map(str, active))} still running; stop them first, "
            "or pass --force to remove them anyway."
        )
    ids = ", ".join(str(e.id) for e in experiments)
    if not yes:
        click.confirm(
            f"Remove {len(experiments)} experiment(s) ({ids}) and their run folders?", abort=True
        )
    if active:
        from cnnlab.engine.control import end_before_removal

        end_before_removal(store, active)  # --force: the jobs stop first, then their rows go
    removed = delete_experiments(store, [e.id for e in experiments])
    click.echo(f"Removed {len(removed)} experiment(s): {', '.join(map(str, removed))}.")
