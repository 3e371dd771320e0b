"""`cnnlab run [OPTIONS] -- COMMAND...`: any script as a background job.

The command is queued like any job (detached, its slot and GPUs, its output in
runs/<id>/log.txt, `stop` and `resume`), and a `cnnlab.keras.Recorder` inside it reports into
that experiment. Everything after `--` (or after the first argument that is not an option of
`run`) is the command, passed to the program exactly as typed, never through a shell.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from cnnlab.cli.context import db_option, json_option, open_db, print_json
from cnnlab.cli.follow import follow, tail_log


@click.command(
    "run",
    context_settings={"allow_interspersed_args": False},
)
@click.option("--name", default="", help="A name to find the run by (default: the script's).")
@click.option(
    "--gpus",
    type=int,
    default=None,
    help="GPUs the script gets (CUDA_VISIBLE_DEVICES); 0 (the default here): none. On Slurm "
    "the GPUs the job asks for (default: slurm.gpus_per_job).",
)
@click.option(
    "--cwd",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="The folder the command runs in (default: this one).",
)
@click.option("--wait", is_flag=True, help="Follow its events and exit 0 only if it ends done.")
@click.option(
    "--follow",
    "-f",
    "follow_log",
    is_flag=True,
    help="Print its output as it runs and exit 0 only if it ends done.",
)
@click.option(
    "--backend",
    type=click.Choice(["local", "slurm"]),
    default=None,
    help="Where the job runs (default: engine.backend in cnnlab.toml, else local).",
)
@click.option("--partition", default=None, help="Slurm partition (default: slurm.partition).")
@click.option(
    "--time",
    "time_limit",
    default=None,
    help="Slurm time limit, e.g. 2:00:00 (default: slurm.time_limit).",
)
@click.option(
    "--sbatch-arg",
    "sbatch_args",
    multiple=True,
    help="Extra sbatch option, e.g. --sbatch-arg=--cpus-per-task=4 (repeat for more).",
)
@json_option
@db_option
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def run_command(ctx: click.Context, /, command: tuple[str, ...], **options: Any) -> None:
    """Queue COMMAND (after --) as a background job: `cnnlab run -- python train.py --lr 0.01`.

    It runs detached in the given folder, with its output in runs/<id>/log.txt (`cnnlab logs
    ID --raw`); `cnnlab stop ID` sends it SIGTERM, then SIGKILL after engine.stop_grace_s, and
    `cnnlab resume ID` runs it again with CNNLAB_RESUMED=1. A cnnlab.keras.Recorder in it
    reports into this experiment. The git commit and a hash of uncommitted changes are kept.
    """
    import os

    from cnnlab.cli.backend import backend_from_options
    from cnnlab.engine import submit_script
    from cnnlab.errors import CnnlabError

    if not command:
        raise CnnlabError(
            "No command to run: give it after --, e.g. `cnnlab run -- python train.py`."
        )
    store = open_db(ctx, options["db"])
    backend, slurm = backend_from_options(store, {**options, "gpus": None})
    experiment_id = submit_script(
        store,
        list(command),
        cwd=options["cwd"] or os.getcwd(),
        gpus=options["gpus"],
        name=options["name"],
        backend=backend,
        slurm=slurm,
    )
    wait, follow_log, as_json = options["wait"], options["follow_log"], options["as_json"]
    if as_json and not (wait or follow_log):
        print_json({"id": experiment_id, "status": "queued"})
        return
    from cnnlab.store import get_experiment

    shown = get_experiment(store, experiment_id).spec.get("name") or command[0]
    click.echo(
        f"Queued experiment {experiment_id}: script {shown}"
        + ("" if wait or follow_log else f". Follow with `cnnlab logs {experiment_id} --raw -f`."),
        err=bool(wait or follow_log),
    )
    if follow_log:
        status = tail_log(store, experiment_id, keep_following=True)
    else:
        status = follow(store, experiment_id, follow=True, err=as_json) if wait else "queued"
    if wait or follow_log:
        click.echo(f"Experiment {experiment_id} ended {status}.", err=True)
        if as_json:
            print_json({"id": experiment_id, "status": status})
        sys.exit(0 if status == "done" else 1)
