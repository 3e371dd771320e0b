"""`cnnlab convert`, `cnnlab import` and `cnnlab variants`: TFLite models from the shell."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from cnnlab.cli.backend import backend_from_options, backend_options
from cnnlab.cli.context import db_option, json_option, open_db, print_json
from cnnlab.cli.follow import follow
from cnnlab.cli.params import param_options
from cnnlab.engine import ConvertSpec, ImportSpec
from cnnlab.engine.params import CONVERT_PARAMS, IMPORT_PARAMS, spec_values
from cnnlab.errors import CnnlabError

MB = 1_000_000


@click.command("convert")
@click.argument("experiment_id", type=int)
@click.option(
    "--mode",
    default="float",
    show_default=True,
    help="float, dynamic, float16 or int8; comma-separated gives one job per mode.",
)
@param_options(CONVERT_PARAMS, ConvertSpec)
@click.option("--wait", is_flag=True, help="Follow the jobs and exit 0 only if all end done.")
@backend_options
@json_option
@db_option
@click.pass_context
def convert_command(
    ctx: click.Context,
    /,
    experiment_id: int,
    mode: str,
    wait: bool,
    as_json: bool,
    db: Path | None,
    **options: Any,
) -> None:
    """Queue TFLite conversions of an experiment's model; each is evaluated on its data."""
    from cnnlab.engine import submit_conversions

    store = open_db(ctx, db)
    modes = [m.strip() for m in mode.split(",") if m.strip()]
    backend, slurm = backend_from_options(store, options)
    ids = submit_conversions(
        store,
        experiment_id,
        modes,
        backend=backend,
        slurm=slurm,
        **spec_values(CONVERT_PARAMS, options),
    )
    statuses = {}
    if not as_json or wait:
        for job_id, job_mode in zip(ids, dict.fromkeys(modes), strict=True):
            click.echo(
                f"Queued conversion {job_id}: experiment {experiment_id} to {job_mode}.",
                err=wait or as_json,
            )
    if wait:
        for job_id in ids:
            statuses[job_id] = follow(store, job_id, follow=True, events=not as_json)
            click.echo(f"Conversion {job_id} ended {statuses[job_id]}.", err=True)
    if as_json:
        from cnnlab.store import get_experiment

        print_json(
            [
                {
                    "id": job_id,
                    "status": get_experiment(store, job_id).status,
                    "error": get_experiment(store, job_id).error,
                }
                for job_id in ids
            ]
        )
    if wait and any(status != "done" for status in statuses.values()):
        sys.exit(1)


@click.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@param_options(IMPORT_PARAMS, ImportSpec)
@click.option(
    "--model",
    "model_label",
    default=None,
    help="For a training log: the architecture it trained (a label for the table).",
)
@click.option(
    "--format",
    "log_format",
    type=click.Choice(["csvlogger", "tensorboard"]),
    default=None,
    help="Read PATH as this kind of training log (found from the path when left out).",
)
@json_option
@db_option
@click.pass_context
def import_command(
    ctx: click.Context,
    /,
    path: Path,
    model_label: str | None,
    log_format: str | None,
    as_json: bool,
    db: Path | None,
    **options: Any,
) -> None:
    """Bring in a .keras, .h5, .tflite file or a SavedModel folder as an experiment, or past
    trainings: a Keras CSVLogger file or a TensorBoard log folder (each run in it) becomes a
    finished fit with its epochs. With --json: a model's experiment; for a log, every run
    recorded ({"id", "ids", "runs", "skipped"})."""
    from cnnlab.engine.history_import import log_format as history_format

    values = spec_values(IMPORT_PARAMS, options)
    chosen = history_format(path.expanduser(), log_format)
    if chosen is not None:
        _import_history(ctx, path, chosen, model_label, as_json, db, values)
        return
    if model_label is not None:
        raise CnnlabError(
            "--model labels a training log; a model file names its own model, so leave it out."
        )
    from cnnlab.engine import import_model
    from cnnlab.store import list_artifacts

    store = open_db(ctx, db)
    experiment_id = import_model(store, path, **values)
    if as_json:
        print_json(
            {
                "id": experiment_id,
                "status": "done",
                "artifacts": [a.to_json() for a in list_artifacts(store, experiment_id)],
            }
        )
        return
    click.echo(
        f"Imported {path} as experiment {experiment_id}; convert it with "
        f"`cnnlab convert {experiment_id} --mode float,int8`."
    )


def _import_history(
    ctx: click.Context,
    path: Path,
    chosen: str,
    model_label: str | None,
    as_json: bool,
    db: Path | None,
    values: dict[str, Any],
) -> None:
    """A training log: each run it holds becomes a finished fit experiment."""
    from cnnlab.engine.history_import import import_history

    store = open_db(ctx, db)
    skipped: list[dict[str, Any]] = []

    def skip(run: str, earlier: int, title: str) -> None:
        skipped.append({"run": run, "experiment_id": earlier})
        click.echo(f"Skipped {run}: imported already, as fit {earlier} ({title}).", err=True)

    recorded = import_history(
        store,
        path,
        name=values.get("name") or "",
        model=model_label,
        data=values.get("data"),
        file_format=chosen,
        on_skip=skip,
    )
    if as_json:  # one shape for one run or many (as train's --json: id, ids)
        ids = [run.experiment_id for run in recorded]
        runs = [run.to_json() for run in recorded]
        print_json({"id": ids[0], "ids": ids, "runs": runs, "skipped": skipped})
        return
    for run in recorded:
        best = f"; best {run.best}" if run.best else ""
        click.echo(
            f"Imported {run.name} as experiment {run.experiment_id}: {run.epochs} epoch(s){best}."
        )
        for note in run.notes:
            click.echo(f"Note: {note}", err=True)
        if run.error:
            click.echo(f"Marked failed: {run.error}", err=True)


@click.command("variants")
@click.argument("experiment_id", type=int)
@json_option
@db_option
@click.pass_context
def variants_command(
    ctx: click.Context, experiment_id: int, as_json: bool, db: Path | None
) -> None:
    """List an experiment's TFLite variants: size, accuracy and change from Keras."""
    from cnnlab.engine import list_variants
    from cnnlab.store import get_experiment

    store = open_db(ctx, db)
    get_experiment(store, experiment_id)
    variants = list_variants(store, experiment_id)
    if as_json:
        print_json([v.to_json() for v in variants])
        return
    if not variants:
        click.echo(f"Experiment {experiment_id} has no TFLite variants yet (`cnnlab convert`).")
        return
    click.echo(
        f"{'artifact':>8}  {'mode':<8} {'optimize':<8} {'MB':>7} {'top-1':>7} "
        f"{'top-3':>7} {'Δ top-1':>8} {'score':>8}"
    )
    for v in variants:
        click.echo(
            f"{v.artifact_id:>8}  {v.mode:<8} {v.optimize or '-':<8} {v.bytes / MB:>7.2f} "
            f"{_pct(v.top1):>7} {_pct(v.top3):>7} {_points(v.delta_top1):>8} "
            f"{'-' if v.score is None else f'{v.score:.4g}':>8}"
        )


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _points(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:+.2f}"
