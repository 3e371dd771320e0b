"""`cnnlab demo`: a first look at cnnlab in one command (issue 5, item 7).

It writes a small synthetic dataset next to the database, queues real background training of
paper 001's four architectures (one stopping early) and opens the TUI, so a new user watches
live jobs within seconds. Re-running reuses the dataset, and the jobs while they still run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cnnlab.cli.context import UserError, db_option, json_option, open_db, print_json, state

if TYPE_CHECKING:
    from cnnlab.engine import TrainSpec
    from cnnlab.store import Store

DATA_FOLDER = "demo-data"
CLASSES = 3
PER_CLASS = 120  # 360 training images of 48x48: an epoch takes seconds on a laptop CPU
IMAGE_SIZE = 48
INPUT = 48
EPOCHS = 6
NAME_PREFIX = "demo-"
# Paper 001's architectures; MobileNet V2 runs longer and stops early on val_loss.
MODELS = ("alexnet", "alexnet_separable", "mobilenet_v1", "mobilenet_v2")


def demo_specs(data: str) -> list[TrainSpec]:
    """The four demo jobs on `data` (an absolute dataset path)."""
    from cnnlab.engine.spec import train_spec

    specs = []
    for model in MODELS:
        early = model == "mobilenet_v2"
        specs.append(  # the model's own training defaults (lr, BN momentum) otherwise
            train_spec(
                model=model,
                data=data,
                epochs=12 if early else EPOCHS,
                batch=32,
                patience=1 if early else None,
                monitor="val_loss" if early else "val_accuracy",
                input=INPUT,
                name=f"{NAME_PREFIX}{model}",
            )
        )
    return specs


def ensure_dataset(folder: Path) -> bool:
    """Write the synthetic dataset into `folder` unless it is already there; True if written.

    It is written by a child process into a temporary sibling and renamed into place, so the
    CLI (and the TUI that follows) never loads TensorFlow and an interrupted run leaves no
    half-written dataset to be reused.
    """
    if (folder / "Training").is_dir() and (folder / "Test").is_dir():
        return False
    partial = folder.with_name(f".{folder.name}.partial")
    if partial.exists():
        import shutil

        shutil.rmtree(partial)
    code = (
        "import sys; from cnnlab.data import write_synthetic_dataset; "
        "write_synthetic_dataset(sys.argv[1], classes=int(sys.argv[2]), "
        "per_class=int(sys.argv[3]), size=int(sys.argv[4]), seed=0)"
    )
    args = [str(partial), str(CLASSES), str(PER_CLASS), str(IMAGE_SIZE)]
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise UserError(f"Could not write the demo dataset in {partial}: {detail}")
    partial.rename(folder)
    return True


def running_demo(store: Store) -> list[int]:
    """Ids of demo jobs still queued or running (one per model), oldest first, else []."""
    from cnnlab.store import ACTIVE_STATUSES, ExperimentQuery, list_experiments

    live = list_experiments(
        store,
        ExperimentQuery(status=ACTIVE_STATUSES, name_contains=NAME_PREFIX, sort="id", limit=100),
    )
    by_model = {e.model: e.id for e in live if e.name == f"{NAME_PREFIX}{e.model}"}
    return [by_model[m] for m in MODELS] if set(MODELS) <= set(by_model) else []


@click.command("demo")
@click.option("--no-tui", is_flag=True, help="Queue the jobs and return without opening the TUI.")
@db_option
@json_option
@click.pass_context
def demo_command(ctx: click.Context, /, no_tui: bool, db: Path | None, as_json: bool) -> None:
    """Train paper 001's four CNNs on generated data in the background and watch them live."""
    from cnnlab.data import validate_data_spec
    from cnnlab.engine import submit

    path = state(ctx).db_path(db)
    store = open_db(ctx, db)
    folder = path.parent / DATA_FOLDER
    if not as_json:
        click.echo(f"Dataset: {folder} ", nl=False)
    written = ensure_dataset(folder)
    if not as_json:
        click.echo("(written)" if written else "(reused)")
    data = validate_data_spec(str(folder))
    ids = running_demo(store)
    reused_jobs = bool(ids)
    if not ids:
        ids = [submit(store, spec) for spec in demo_specs(data)]
    result: dict[str, Any] = {
        "dataset": str(folder),
        "dataset_written": written,
        "experiments": ids,
        "jobs_reused": reused_jobs,
    }
    if as_json:
        print_json(result)
        return
    verb = "Still running" if reused_jobs else "Queued"
    click.echo(f"{verb}: experiments {', '.join(map(str, ids))} ({', '.join(MODELS)}).")
    if no_tui:
        click.echo(f"Watch them with `cnnlab --db {path}` or `cnnlab ls`.")
        return
    from cnnlab.tui.app import run_app

    store.close()
    run_app(path)
