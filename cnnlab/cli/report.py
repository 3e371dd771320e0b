"""`cnnlab report GROUP...`: paper-style tables of repeated runs, and figures for papers.

The figure options are checked before the table is printed, so a --plots folder that cannot be
written or an unknown --figure-format is one error line with nothing printed or written.
"""

from __future__ import annotations

from pathlib import Path

import click

from cnnlab.cli.context import db_option, open_db


@click.command("report")
@click.argument("groups", type=int, nargs=-1, required=True)
@click.option(
    "--format", "fmt", type=click.Choice(["md", "csv", "json"]), default="md", show_default=True
)
@click.option(
    "--plots",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write figures (training curves, latency histograms, accuracy-latency "
    "with its Pareto front) into this folder.",
)
@click.option(
    "--figure-format",
    "figure_formats",
    default="png,svg",
    show_default=True,
    help="Figure formats, comma-separated: png, svg, pdf.",
)
@db_option
@click.pass_context
def report_command(
    ctx: click.Context,
    groups: tuple[int, ...],
    fmt: str,
    plots: Path | None,
    figure_formats: str,
    db: Path | None,
) -> None:
    """One row per run (minutes, accuracy), then mean, std, min and max, for each GROUP (a
    group's id or any member's id); with two groups, how much faster and how much more
    accurate the second is, as in paper 002."""
    from cnnlab.report.tables import group_members, group_report, render

    formats = [f.strip() for f in figure_formats.split(",") if f.strip()]
    if plots is not None:
        _check_figure_options(plots, formats)  # before the table: a refusal prints nothing
    store = open_db(ctx, db)
    reports = [group_report(store, group) for group in groups]
    click.echo(render(reports, fmt), nl=False)
    if plots is not None:
        from cnnlab.report.plots import write_figures

        ids = [e.id for group in groups for e in group_members(store, group)]
        written = write_figures(store, ids, plots, formats)
        for path in written:
            click.echo(f"wrote {path}", err=True)
        if not written:
            click.echo("No figure: these experiments have no epochs or benchmarks yet.", err=True)


def _check_figure_options(folder: Path, formats: list[str]) -> None:
    from cnnlab.data.writable import folder_write_problem
    from cnnlab.errors import CnnlabError
    from cnnlab.report.plots import FORMATS

    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise CnnlabError(f"Unknown figure format {unknown[0]!r}; use {', '.join(FORMATS)}.")
    problem = folder_write_problem(folder)
    if problem is not None:
        raise CnnlabError(
            f"Cannot write figures to {folder}: {problem}; choose another --plots folder."
        )
