"""`cnnlab profile [IDS...]`: where the time goes, per Keras layer, for benches made with
`--profile-ops`; two profiles are also shown side by side (two models, or two devices).

The profiles are the Latency screen's own (`cnnlab.report.op_profile`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from cnnlab.cli.context import db_option, json_option, open_db, print_json

if TYPE_CHECKING:
    from cnnlab.report.op_profile import LayerProfile

BAR_WIDTH = 30
LAYER_WIDTH = 28


@click.command("profile")
@click.argument("ids", nargs=-1, type=int)
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True,
              help="The slowest layers shown per benchmark.")  # fmt: skip
@json_option
@db_option
@click.pass_context
def profile_command(
    ctx: click.Context, ids: tuple[int, ...], top: int, as_json: bool, db: Path | None
) -> None:
    """Time per Keras layer of the benchmarks of IDS (default: every benchmark)."""
    from cnnlab.report.op_profile import read_profiles
    from cnnlab.store import UnknownExperiment, benchmarked_experiments, experiments_by_ids

    store = open_db(ctx, db)
    wanted = list(ids) or benchmarked_experiments(store)
    missing = sorted(set(ids) - {e.id for e in experiments_by_ids(store, list(ids))})
    if missing:
        raise UnknownExperiment(missing[0])
    profiles = read_profiles(store, wanted)
    if as_json:
        print_json([_as_json(profile) for profile in profiles])
        return
    if not profiles:
        click.echo(
            "No op profiles yet: bench a model on a phone with `cnnlab bench ID --device SERIAL "
            "--profile-ops`."
        )
        return
    for profile in profiles:
        _print_profile(profile, top)
    if len(profiles) == 2:
        _print_side_by_side(*profiles)


def _as_json(profile: LayerProfile) -> dict[str, object]:
    return {
        "bench_run_id": profile.bench_run_id,
        "label": profile.label,
        "device": profile.device,
        "delegate": profile.delegate,
        "runs": profile.runs,
        "total_ms": profile.total_ms,
        "layers": [layer.to_dict() for layer in profile.layers],
        "delegate_ops": [{"op": op, "ms": ms} for op, ms in profile.delegate_ops],
    }


def _name(text: str) -> str:
    return text if len(text) <= LAYER_WIDTH else text[: LAYER_WIDTH - 1] + "…"


def _print_profile(profile: LayerProfile, top: int) -> None:
    from cnnlab.report.op_profile import bar

    shown = profile.slowest(top)
    click.echo(
        f"{profile.label}: {profile.total_ms:.3f} ms per run over {profile.runs} profiled runs, "
        f"{len(profile.layers)} layers (slowest {len(shown)})"
    )
    peak = shown[0].ms if shown else 1.0
    for layer in shown:
        covers = f"  [{', '.join(layer.layers)}]" if layer.ran_on != "CPU" and layer.layers else ""
        click.echo(
            f"  {_name(layer.layer):<{LAYER_WIDTH}} {layer.ms:9.3f} ms {layer.percent:5.1f}%  "
            f"{bar(layer.ms / peak if peak else 0.0, BAR_WIDTH)} {layer.ran_on}{covers}"
        )
    if any(layer.ran_on != "CPU" for layer in shown):
        click.echo(
            "  A delegate kernel runs its partition as one node, so its layers share one time; "
            "bench with --delegate cpu to time each layer."
        )
        for op, ms in profile.delegate_ops[:5]:
            click.echo(f"    inside the delegate: {_name(op):<{LAYER_WIDTH}} {ms:9.3f} ms")
    click.echo("")


def _print_side_by_side(first: LayerProfile, second: LayerProfile) -> None:
    from cnnlab.report.op_profile import side_by_side

    click.echo(f"Side by side: A = {first.label}\n              B = {second.label}")
    click.echo(f"  {'layer':<{LAYER_WIDTH}} {'A ms':>9} {'B ms':>9} {'B/A':>6}")
    for entry in side_by_side(first, second):
        a = "" if entry.first_ms is None else f"{entry.first_ms:9.3f}"
        b = "" if entry.second_ms is None else f"{entry.second_ms:9.3f}"
        ratio = "" if entry.ratio is None else f"{entry.ratio:6.2f}"
        click.echo(f"  {_name(entry.layer):<{LAYER_WIDTH}} {a:>9} {b:>9} {ratio:>6}")
    click.echo(f"  {'total':<{LAYER_WIDTH}} {first.total_ms:9.3f} {second.total_ms:9.3f}")
