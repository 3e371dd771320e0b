"""`cnnlab bench TARGET --device ...`: latency jobs, one per TFLite model and device."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cnnlab.cli.context import db_option, json_option, open_db, print_json
from cnnlab.cli.follow import follow


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
@click.option("--runs", type=int, default=100, show_default=True, help="Timed runs (samples).")
@click.option("--warmup", type=int, default=10, show_default=True, help="Discarded runs first.")
@click.option("--threads", type=int, default=None, help="Interpreter threads.")
@click.option(
    "--delegate",
    type=click.Choice(["cpu", "xnnpack", "gpu", "nnapi"]),
    default="cpu",
    show_default=True,
)
@click.option("--cpu-mask", default=None, help="Pin to these cores (hex, e.g. f0; phones).")
@click.option(
    "--cold",
    is_flag=True,
    help="Each sample a fresh process, model loading included (as paper 001).",
)
@click.option("--wait", is_flag=True, help="Follow the jobs; exit 0 only if all end done.")
@json_option
@db_option
@click.pass_context
def bench_command(
    ctx: click.Context,
    target: str,
    devices: tuple[str, ...],
    runs: int,
    warmup: int,
    threads: int | None,
    delegate: str,
    cpu_mask: str | None,
    cold: bool,
    wait: bool,
    as_json: bool,
    db: Path | None,
) -> None:
    """Measure the TFLite models of TARGET (an experiment id, or artifact:ID) on devices."""
    from cnnlab.engine.bench import expand_devices, plan_bench, submit_bench

    store = open_db(ctx, db)
    serials = [part.strip() for value in devices for part in value.split(",") if part.strip()]
    serials = expand_devices(store, serials)
    plans = plan_bench(
        store,
        target,
        serials,
        runs=runs,
        warmup=warmup,
        threads=threads,
        delegate=delegate,
        cpu_mask=cpu_mask,
        cold=cold,
    )
    ids = submit_bench(store, plans)
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
