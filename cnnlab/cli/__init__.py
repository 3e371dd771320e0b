"""The `cnnlab` command: every operation of the TUI, scriptable, with `--json` where it reads.

Commands import their heavy parts (the store, Rich tables, later TensorFlow) inside the command
body, so that `cnnlab --help` and shell completion stay instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cnnlab import __version__
from cnnlab.cli.context import DB_HELP, run_guarded, state


class CnnlabGroup(click.Group):
    """A group whose commands report user errors as one line and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        return run_guarded(lambda: super(CnnlabGroup, self).invoke(ctx))


@click.group(
    cls=CnnlabGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="cnnlab")
@click.option("--db", type=click.Path(path_type=Path), default=None, help=DB_HELP)
@click.pass_context
def cli(ctx: click.Context, db: Path | None) -> None:
    """Run, watch and compare CNN experiments kept in one SQLite file.

    Every experiment, epoch, event, model file and latency sample lives in the database
    (./experiments.db unless --db or CNNLAB_DB says otherwise); each experiment's files go
    under runs/<id>/ next to it.
    """
    state(ctx).db_arg = db
    if ctx.invoked_subcommand is None:
        from cnnlab.cli.context import look_after_jobs, open_db
        from cnnlab.tui.app import run_app

        store = open_db(ctx, None)  # a bad database gives the one-line error, not a screen
        look_after_jobs(store)  # queued work and no scheduler (one was killed): restart it
        store.close()
        run_app(state(ctx).db_path(None))


def _register() -> None:
    from cnnlab.cli.bench import bench_command
    from cnnlab.cli.convert import convert_command, import_command, variants_command
    from cnnlab.cli.data import data_group
    from cnnlab.cli.db import config_command, db_group
    from cnnlab.cli.demo import demo_command
    from cnnlab.cli.devices import devices_group
    from cnnlab.cli.experiments import ls_command, rm_command, show_command
    from cnnlab.cli.jobs import (
        engine_group,
        logs_command,
        resume_command,
        stop_command,
        train_command,
        transfer_command,
    )
    from cnnlab.cli.latency import latency_command
    from cnnlab.cli.models import models_group
    from cnnlab.cli.pipeline import pipeline_group
    from cnnlab.cli.profile import profile_command
    from cnnlab.cli.queue import queue_group
    from cnnlab.cli.report import report_command
    from cnnlab.cli.run import run_command

    for command in (ls_command, show_command, rm_command, db_group, config_command):
        cli.add_command(command)
    for command in (models_group, data_group, devices_group):
        cli.add_command(command)
    for command in (convert_command, import_command, variants_command):
        cli.add_command(command)
    for command in (
        train_command,
        transfer_command,
        run_command,
        stop_command,
        resume_command,
        logs_command,
        engine_group,
        pipeline_group,
        report_command,
        bench_command,
        latency_command,
        profile_command,
        queue_group,
        demo_command,
    ):
        cli.add_command(command)


_register()


def main() -> None:
    import os

    # TensorFlow's C++ start-up chatter (CUDA probing, oneDNN notes) is noise in a CLI.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    cli(prog_name="cnnlab")
