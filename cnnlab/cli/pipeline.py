"""`cnnlab pipeline run FILE` and `cnnlab pipeline status ID`: chains of stages as one plan."""

from __future__ import annotations

from pathlib import Path

import click

from cnnlab.cli.context import config_for, db_option, json_option, open_db, print_json
from cnnlab.cli.render import duration, number


@click.group("pipeline")
def pipeline_group() -> None:
    """Chains of training and transfer stages (pretrain -> fine-tune -> final, with repeats)."""


@pipeline_group.command("run")
@click.argument("file", type=click.Path(path_type=Path))
@json_option
@db_option
@click.pass_context
def pipeline_run_command(ctx: click.Context, file: Path, as_json: bool, db: Path | None) -> None:
    """Check every stage of FILE, then queue them all; each starts when its parent is done."""
    from cnnlab.engine.pipeline import load_pipeline, run_pipeline

    pipeline = load_pipeline(file, config_for(ctx, db).models)
    store = open_db(ctx, db)
    ids = run_pipeline(store, pipeline)
    root = next(iter(ids.values()))[0]
    if as_json:
        print_json({"pipeline": pipeline.name, "root": root, "stages": ids})
        return
    for stage, stage_ids in ids.items():
        runs = ", ".join(map(str, stage_ids))
        click.echo(f"{stage:<24} experiment{'s' if len(stage_ids) > 1 else ''} {runs}")
    click.echo(f"Queued pipeline {pipeline.name!r}; `cnnlab pipeline status {root}` follows it.")


@pipeline_group.command("status")
@click.argument("root_id", type=int)
@json_option
@db_option
@click.pass_context
def pipeline_status_command(
    ctx: click.Context, root_id: int, as_json: bool, db: Path | None
) -> None:
    """The chain that starts at ROOT_ID: every stage's status, epochs, accuracy and time."""
    from cnnlab.cli.context import look_after_jobs
    from cnnlab.engine.pipeline import pipeline_members

    store = open_db(ctx, db)
    look_after_jobs(store)
    members = pipeline_members(store, root_id)
    if as_json:
        print_json({"root": root_id, "experiments": [e.to_json() for e in members]})
        return
    depth = {root_id: 0}
    for e in members:
        if e.parent_id in depth:
            depth[e.id] = depth[e.parent_id] + 1
        indent = "  " * depth.get(e.id, 0)
        stage = e.spec.get("extra", {}).get("stage", e.kind)
        click.echo(
            f"{indent}{e.id:>4} {stage:<20} {e.status:<8} epochs {e.epochs_run:>3}"
            f"  val acc {number(e.best_val_accuracy):>6}  {duration(e.train_seconds):>7}"
            + (f"  {e.error}" if e.error else "")
        )
