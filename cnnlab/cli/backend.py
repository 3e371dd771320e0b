"""Where a submitted job runs: the `--backend` and Slurm options every job command shares.

Training, transfer, conversion and benchmark commands take the same flags and read them the
same way (`backend_from_options`), so a conversion goes to Slurm exactly as a training does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from cnnlab.engine import SlurmOptions
    from cnnlab.store import Store

F = TypeVar("F", bound=Callable[..., Any])

# (flag, option name): the options that only mean something on Slurm.
_SLURM_FLAGS = (
    ("--partition", "partition"),
    ("--gpus", "gpus"),
    ("--time", "time_limit"),
    ("--sbatch-arg", "sbatch_args"),
)


def backend_options(fn: F) -> F:
    """Add --backend and the Slurm options (partition, GPUs, time limit, extra sbatch args)."""
    options = [
        click.option(
            "--backend",
            type=click.Choice(["local", "slurm"]),
            default=None,
            help="Where the job runs (default: engine.backend in cnnlab.toml, else local).",
        ),
        click.option(
            "--partition", default=None, help="Slurm partition (default: slurm.partition)."
        ),
        click.option(
            "--gpus",
            type=click.IntRange(min=0),
            default=None,
            help="GPUs a Slurm job asks for (default: slurm.gpus_per_job).",
        ),
        click.option(
            "--time",
            "time_limit",
            default=None,
            help="Slurm time limit, e.g. 2:00:00 (default: slurm.time_limit); a job that hits "
            "it stops with a checkpoint and can be resumed.",
        ),
        click.option(
            "--sbatch-arg",
            "sbatch_args",
            multiple=True,
            help="Extra sbatch option, e.g. --sbatch-arg=--cpus-per-task=4 (repeat for more).",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def backend_from_options(
    store: Store, options: dict[str, Any]
) -> tuple[str | None, SlurmOptions | None]:
    """The backend asked for (None: engine.backend decides) and Slurm options when any was
    given; a Slurm option alone means Slurm, and one given for a local job is refused."""
    from cnnlab.config import load_config
    from cnnlab.engine import SlurmOptions
    from cnnlab.errors import CnnlabError

    given = [flag for flag, key in _SLURM_FLAGS if options[key] not in (None, ())]
    backend = options["backend"] or ("slurm" if given else None)
    config = load_config(store.path)
    if (backend or config.engine.backend) != "slurm":
        if given:
            raise CnnlabError(f"{', '.join(given)} only apply to --backend slurm.")
        return backend, None
    if not given and backend is None:
        return None, None  # engine.backend's own choice, with the [slurm] settings
    slurm = SlurmOptions.from_config(
        config.slurm,
        partition=options["partition"],
        gpus=options["gpus"],
        time_limit=options["time_limit"],
        sbatch_args=options["sbatch_args"],
    )
    return backend, slurm
