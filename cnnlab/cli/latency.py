"""`cnnlab latency [IDS...]`: what the Latency screen shows, for a shell, a script or a paper.

The rows are the screen's own (`cnnlab.report.latency.read_latency`: the newest bench per model
variant, device and warm/cold setting, the Pareto front per device), printed as a table with a
terminal histogram per row, or as JSON (every sample and the device's identity) or CSV.

`cnnlab latency import FILE TARGET --device NAME` records latency measured elsewhere (a saved
benchmark_model log, or an app's CSV or JSON of per-run times) as a bench of TARGET's model. The
group treats a first argument that names a subcommand as that subcommand and anything else as
the ids of the listing, so `cnnlab latency 3 4 --json` reads as it always did.
"""

from __future__ import annotations

import csv
import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cnnlab.cli.context import db_option, json_option, open_db, print_json
from cnnlab.delegates import DELEGATES

if TYPE_CHECKING:
    from cnnlab.report.latency import LatencyRow

# The table's columns and the CSV's, in one order.
COLUMNS = (
    "pareto",
    "model",
    "variant",
    "mode",
    "device",
    "ran_on",
    "n",
    "median_ms",
    "p90_ms",
    "p99_ms",
    "steady_ms",
    "steady_n",
    "bytes",
    "top1",
    "score",
)
HISTOGRAM_WIDTH = 60
HISTOGRAM_HEIGHT = 6


def row_values(row: LatencyRow) -> dict[str, Any]:
    """One row as the CSV and the table take it (numbers unrounded)."""
    return {
        "pareto": row.pareto,
        "model": row.model,
        "variant": row.variant,
        "mode": row.bench_mode,
        "device": row.device,
        "ran_on": row.ran_on or "",
        "n": len(row.samples_ms),
        "median_ms": row.median_ms,
        "p90_ms": row.p90_ms,
        "p99_ms": row.p99_ms,
        "steady_ms": row.steady_ms,
        "steady_n": row.steady_n,
        "bytes": row.bytes,
        "top1": row.top1,
        "score": row.score,
    }


class LatencyGroup(click.Group):
    """`cnnlab latency [IDS...]` and `cnnlab latency import ...` in one command.

    Click hands every positional argument to a variadic one, so a group cannot tell `import`
    from an id by itself: a first argument naming a subcommand runs it, anything else is parsed
    as the listing's own arguments and options (in any order, as a plain command's are).
    """

    allow_interspersed_args = True

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] in self.commands:
            click.Command.parse_args(self, ctx, [])  # the listing's defaults, unused
            # What Group.parse_args does with the rest (the attribute is private since 8.2).
            held = "_protected_args" if hasattr(ctx, "_protected_args") else "protected_args"
            setattr(ctx, held, args[:1])
            ctx.args = args[1:]
            return ctx.args
        return click.Command.parse_args(self, ctx, args)


class _ListingIds(click.Argument):
    """The listing's ids, left out of `cnnlab latency import`'s usage line."""

    def get_usage_pieces(self, ctx: click.Context) -> list[str]:
        return super().get_usage_pieces(ctx) if isinstance(ctx.command, LatencyGroup) else []


@click.group(
    "latency",
    cls=LatencyGroup,
    invoke_without_command=True,
    subcommand_metavar="| import FILE TARGET --device NAME",
)
@click.argument("experiment_ids", type=int, nargs=-1, cls=_ListingIds)
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV, one row per benchmark.")
@click.option("--no-histograms", is_flag=True, help="Print the table only.")
@json_option
@db_option
@click.pass_context
def latency_command(
    ctx: click.Context,
    experiment_ids: tuple[int, ...],
    as_csv: bool,
    no_histograms: bool,
    as_json: bool,
    db: Path | None,
) -> None:
    """Latency of the models of IDS (no ids: every benchmark in the database): model,
    variant, device, what ran on the delegate, the samples' n, median, p90 and p99, the tool's
    steady-state median apart, size, top-1, score and the Pareto front, with a histogram per
    row. `cnnlab latency import --help`: record a latency measured elsewhere."""
    if ctx.invoked_subcommand is not None:
        return
    from cnnlab.report.latency import read_latency
    from cnnlab.store import benchmarked_experiments, get_experiment, list_devices

    store = open_db(ctx, db)
    for experiment_id in experiment_ids:
        get_experiment(store, experiment_id)  # an unknown id is one clear error
    ids = list(experiment_ids) or benchmarked_experiments(store)
    rows = read_latency(store, ids).rows
    if as_json:
        devices = {d.id: d for d in list_devices(store)}
        print_json(
            {
                "rows": [
                    {
                        **row_values(row),
                        "bench_run_id": row.bench_run_id,
                        "experiment_id": row.experiment_id,
                        "mean_ms": row.mean_ms,
                        "top3": row.top3,
                        "samples_ms": list(row.samples_ms),
                        "device_identity": _identity(devices.get(row.device_id)),
                    }
                    for row in rows
                ]
            }
        )
        return
    if as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row_values(row))
        return
    if not rows:
        click.echo("No benchmarks yet: queue one with `cnnlab bench ID --device host`.")
        return
    _print_table(rows, histograms=not no_histograms)


def _identity(device: Any) -> dict[str, Any] | None:
    return dataclasses.asdict(device) if device is not None else None


def _print_table(rows: list[LatencyRow], *, histograms: bool) -> None:
    from rich.table import Table
    from rich.text import Text

    from cnnlab.cli.render import _console
    from cnnlab.tui import text as fmt
    from cnnlab.tui.histogram import LatencyHistogram, ms_text, render_histogram, shared_range

    console = _console()
    table = Table(box=None, header_style="bold", pad_edge=False)
    for name in ("", "model", "variant", "device", "ran on", "n", "median", "p90", "p99"):
        table.add_column(name, no_wrap=True, justify="right" if name in ("n",) else "left")
    table.add_column("steady (n)", no_wrap=True)
    for name in ("size", "top-1", "score"):
        table.add_column(name, no_wrap=True)

    def ms(value: float | None) -> str:
        return "" if value is None else f"{ms_text(value)} ms"

    for row in rows:
        table.add_row(
            Text("★", style="bold green") if row.pareto else "",
            row.model,
            row.variant if row.bench_mode == "warm" else f"{row.variant} {row.bench_mode}",
            row.device,
            row.ran_on or "",
            str(len(row.samples_ms)),
            ms(row.median_ms),
            ms(row.p90_ms),
            ms(row.p99_ms),
            "" if row.steady_ms is None else f"{ms(row.steady_ms)} ({row.steady_n})",
            "" if row.bytes is None else fmt.size_text(row.bytes),
            fmt.percent_text(row.top1),
            "" if row.score is None else f"{row.score:.2e}",
        )
    console.print(table)
    console.print(
        "n, median, p90, p99: one sample per fresh invocation (the histograms); steady: the "
        "tool's own median over one long invocation, with its run count. ★ on the "
        "accuracy-latency Pareto front of its device.",
        style="dim",
    )
    if not histograms:
        return
    shown = [LatencyHistogram(r.label, r.samples_ms, r.median_ms, r.p90_ms, r.p99_ms) for r in rows]
    span = shared_range(shown) or (0.0, 1.0)
    for histogram in shown:
        if histogram.samples_ms:
            console.print()
            console.print(
                render_histogram(histogram, span, HISTOGRAM_WIDTH, HISTOGRAM_HEIGHT),
                highlight=False,
            )


@latency_command.command(
    "import", short_help="Record latency measured elsewhere: a saved log, a CSV or a JSON."
)
@click.argument("file", type=click.Path(path_type=Path))
@click.argument("target")
@click.option(
    "--device",
    "device",
    required=True,
    metavar="NAME",
    help="The phone: a serial the database knows (or its recorded model), or a new name "
    "with --model (never the host, which `cnnlab bench` measures itself).",
)
@click.option("--model", "device_model", help='A new device\'s model, e.g. "Pixel 7".')
@click.option("--manufacturer", help="A new device's manufacturer, e.g. Google.")
@click.option("--soc", help='A new device\'s SoC, e.g. "Google Tensor G2".')
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["log", "csv", "json"]),
    help="What FILE is (default: from its extension, else its content).",
)
@click.option(
    "--unit",
    type=click.Choice(["ms", "us", "ns", "s"]),
    help="The unit of a CSV's or JSON's times, when the file does not name it.",
)
@click.option("--column", help="The CSV column or JSON key holding the per-run times.")
@click.option(
    "--delegate",
    type=click.Choice(DELEGATES),
    help="What ran the model (a log says it itself; a CSV or JSON needs it).",
)
@click.option("--threads", type=int, help="Interpreter threads, when the file does not say.")
@click.option("--cold", is_flag=True, help="Each time of a CSV or JSON is a cold start.")
@click.option(
    "--as-cpu",
    is_flag=True,
    help="Record a log whose delegate did not run (the tool says so) as the CPU bench it was.",
)
@click.option("--name", default="", help="The bench experiment's name.")
@json_option
@db_option
@click.pass_context
def latency_import_command(
    ctx: click.Context,
    /,
    file: Path,
    target: str,
    device: str,
    device_model: str | None,
    manufacturer: str | None,
    soc: str | None,
    file_format: str | None,
    unit: str | None,
    column: str | None,
    delegate: str | None,
    threads: int | None,
    cold: bool,
    as_cpu: bool,
    name: str,
    as_json: bool,
    db: Path | None,
) -> None:
    """Record latency measured elsewhere as a bench of TARGET (an experiment id or
    artifact:ID naming one TFLite model) on phone NAME.

    FILE is a saved benchmark_model log (stdout and stderr, any TFLite version, its iOS app or
    the LiteRT 2.x tool: its summary is kept, as the steady column, with no per-run samples),
    or a CSV or JSON of per-run times whose column or key names the unit (latency_ms, time_us,
    {"unit": "us", "samples": [...]}). Nothing is recorded unless the whole file is valid,
    and a file is imported once (the same bytes again are refused, naming the bench they
    became).
    """
    from cnnlab.engine import DeviceIdentity, import_latency

    store = open_db(ctx, db)
    recorded = import_latency(
        store,
        file,
        target,
        device=device,
        file_format=file_format,
        unit=unit,
        column=column,
        delegate=delegate,
        threads=threads,
        cold=cold,
        as_cpu=as_cpu,
        identity=DeviceIdentity(model=device_model, manufacturer=manufacturer, soc=soc),
        name=name,
    )
    if as_json:
        print_json({**dataclasses.asdict(recorded), "message": recorded.message})
        return
    click.echo(recorded.message)
