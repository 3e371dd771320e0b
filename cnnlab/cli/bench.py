"""`cnnlab bench TARGET --device ...`: latency jobs, one per TFLite model and device."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from cnnlab.cli.backend import backend_from_options, backend_options
from cnnlab.cli.context import db_option, json_option, open_db, print_json
from cnnlab.cli.follow import follow
from cnnlab.cli.params import param_options
from cnnlab.engine import BenchSpec
from cnnlab.engine.params import BENCH_PARAMS, spec_values


@click.command("bench")
@click.argument("target")
@click.option(
    "--device",
    "devices",
    multiple=True,
    default=("host",),
    show_default=True,
    help="host, an adb serial, or all (repeat or comma-separate).",
)
@param_options(BENCH_PARAMS, BenchSpec)
@click.option("--wait", is_flag=True, help="Follow the jobs; exit 0 only if all end done.")
@backend_options
@json_option
@db_option
@click.pass_context
def bench_command(
    ctx: click.Context,
    /,
    target: str,
    devices: tuple[str, ...],
    wait: bool,
    as_json: bool,
    db: Path | None,
    **options: Any,
) -> None:
    """Measure the TFLite models of TARGET (an experiment id, or artifact:ID) on devices."""
    from cnnlab.engine import expand_devices, plan_bench, submit_bench

    store = open_db(ctx, db)
    serials = [part.strip() for value in devices for part in value.split(",") if part.strip()]
    serials = expand_devices(store, serials)
    plans = plan_bench(store, target, serials, **spec_values(BENCH_PARAMS, options))
    backend, slurm = backend_from_options(store, options)
    ids = submit_bench(store, plans, backend=backend, slurm=slurm)
    if as_json and not wait:
        print_json({"ids": ids, "status": "queued"})
        return
    for experiment_id, (spec, artifact) in zip(ids, plans, strict=True):
        click.echo(
            f"Queued experiment {experiment_id}: artifact {artifact.id} on {spec.device}", err=wait
        )
    if wait:
        statuses = [follow(store, experiment_id, follow=True) for experiment_id in ids]
        sys.exit(0 if all(s == "done" for s in statuses) else 1)
