"""`cnnlab models` and `cnnlab models show`: the zoo's architectures, their size and cost.

At each model's default settings the counts are recorded data (`cnnlab.models.zoo_counts`), so
`cnnlab models` answers at once without TensorFlow; other settings build the models, one by one
with a progress line on stderr. TensorFlow, when needed, is imported through
`import_tensorflow_quietly`, which keeps its C++ start-up chatter off the user's terminal.
"""

from __future__ import annotations

import fnmatch
import sys
from typing import TYPE_CHECKING, Any

import click

from cnnlab.cli.context import json_option, print_json

if TYPE_CHECKING:
    from cnnlab.models import LayerRow, ModelCounts, ZooEntry
    from cnnlab.models.defaults import TrainingDefaults


class _BuildProgress:
    """Says "counting 3/22: mobilenet_v2 at 96x96 ..." on stderr before each model is built.

    On a terminal the line is rewritten in place and cleared at the end; to a pipe or a file
    each step is its own line, as a log wants. TensorFlow is imported (quietly) at the first
    step, after the line is shown, since its start-up is the longest wait.
    """

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.shown = False

    def __call__(self, index: int, total: int, name: str, shape: tuple[int, int, int]) -> None:
        text = f"counting {index}/{total}: {name} at {shape[0]}x{shape[1]} ..."
        if self.tty:
            click.echo(f"\r{text}\x1b[K", nl=False, err=True)
        else:
            click.echo(text, err=True)
        if not self.shown:
            from cnnlab.models import import_tensorflow_quietly

            import_tensorflow_quietly()
        self.shown = True

    def clear(self) -> None:
        if self.tty and self.shown:
            click.echo("\r\x1b[K", nl=False, err=True)


def macs_text(macs: int) -> str:
    if macs >= 10**9:
        return f"{macs / 10**9:.2f} G"
    if macs >= 10**6:
        return f"{macs / 10**6:.1f} M"
    return f"{macs / 10**3:.1f} K"


def _counts_json(counts: ModelCounts) -> dict[str, int]:
    return {
        "total_params": counts.total_params,
        "trainable_params": counts.trainable_params,
        "non_trainable_params": counts.non_trainable_params,
        "macs": counts.macs,
    }


def _entry_json(entry: ZooEntry) -> dict[str, Any]:
    from cnnlab.models import model_spec

    spec = model_spec(entry.name)
    return {
        "name": entry.name,
        "family": spec.family,
        "summary": spec.summary,
        "input_shape": list(entry.input_shape),
        "classes": entry.num_classes,
        "has_width": spec.has_width,
        **_counts_json(entry.counts),
    }


def _print_zoo(entries: list[ZooEntry]) -> None:
    from rich.table import Table

    from cnnlab.cli.render import _console
    from cnnlab.models import model_spec

    table = Table(box=None, header_style="bold", pad_edge=False)
    for column, right in (
        ("name", False),
        ("from", False),
        ("input", True),
        ("classes", True),
        ("params", True),
        ("trainable", True),
        ("non-trainable", True),
        ("MACs", True),
    ):
        table.add_column(column, justify="right" if right else "left", no_wrap=True)
    for entry in entries:
        counts = entry.counts
        height, width, channels = entry.input_shape
        table.add_row(
            entry.name,
            model_spec(entry.name).family,
            f"{height}x{width}x{channels}",
            str(entry.num_classes),
            f"{counts.total_params:,}",
            f"{counts.trainable_params:,}",
            f"{counts.non_trainable_params:,}",
            macs_text(counts.macs),
        )
    _console().print(table)


def _print_layers(
    name: str, shape: tuple[int, int, int], classes: int, counts: ModelCounts, rows: list[LayerRow]
) -> None:
    from rich.table import Table

    from cnnlab.cli.render import _console

    console = _console()
    console.print(
        f"[bold]{name}[/bold]  input {shape[0]}x{shape[1]}x{shape[2]}, {classes} classes",
        highlight=False,
    )
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column, right in (
        ("layer", False),
        ("type", False),
        ("output shape", False),
        ("params", True),
        ("trainable", False),
    ):
        table.add_column(column, justify="right" if right else "left", no_wrap=True)
    for row in rows:
        trainable = "" if row.trainable is None else ("yes" if row.trainable else "frozen")
        output = "x".join("?" if d is None else str(d) for d in row.output_shape[1:])
        table.add_row(row.name, row.type, output, f"{row.params:,}", trainable)
    console.print(table)
    console.print(
        f"total {counts.total_params:,} params: {counts.trainable_params:,} trainable, "
        f"{counts.non_trainable_params:,} non-trainable; {macs_text(counts.macs)} MACs per image",
        highlight=False,
    )


def _print_training_defaults(defaults: TrainingDefaults) -> None:
    from cnnlab.cli.render import _console

    momentum = defaults.bn_momentum
    rows = (
        ("lr", f"{defaults.lr:g}"),
        ("batch", str(defaults.batch)),
        ("patience", "off" if defaults.patience is None else f"{defaults.patience} epochs"),
        ("BN momentum", "the architecture's own" if momentum is None else f"{momentum:g}"),
        (
            "BN recalibration",
            "off"
            if defaults.bn_recalibration is None
            else f"{defaults.bn_recalibration} batches before each validation",
        ),
        ("why", defaults.why),
    )
    console = _console()
    console.print()
    console.print("[bold]training defaults[/bold] (from scratch)", highlight=False)
    for key, value in rows:
        console.print(f"  {key:<12} {value}", highlight=False, markup=False)


input_option = click.option(
    "--input",
    "input_size",
    type=click.IntRange(min=1),
    default=None,
    help="Square input size in pixels (default: each model's own, e.g. 48 for alexnet).",
)
classes_option = click.option(
    "--classes",
    type=click.IntRange(min=1),
    default=None,
    help="Number of classes (default: each model's own: 3 for alexnet, 1000 for ImageNet).",
)


@click.group("models", invoke_without_command=True)
@input_option
@classes_option
@click.option("--name", "pattern", default="*", help="Only models matching this glob.")
@json_option
@click.pass_context
def models_group(
    ctx: click.Context,
    input_size: int | None,
    classes: int | None,
    pattern: str,
    as_json: bool,
) -> None:
    """List every model of the zoo with its parameters and MACs.

    The counts at each model's own input and classes are recorded; other settings build each
    model to count it, which takes a while.
    """
    if ctx.invoked_subcommand is not None:
        return
    from cnnlab.models import MODEL_NAMES, ModelError, count_zoo

    names = [name for name in MODEL_NAMES if fnmatch.fnmatchcase(name, pattern)]
    if not names:
        raise ModelError(f"No model matches {pattern!r}; the zoo has: {', '.join(MODEL_NAMES)}.")
    progress = _BuildProgress()
    try:
        entries = list(count_zoo(names, input_size, classes, before_build=progress))
    finally:
        progress.clear()
    if as_json:
        print_json({"models": [_entry_json(entry) for entry in entries]})
        return
    _print_zoo(entries)


@models_group.command("show")
@click.argument("name")
@input_option
@classes_option
@click.option(
    "--width",
    type=float,
    default=1.0,
    show_default=True,
    help="Width multiplier, for the models that have one.",
)
@json_option
def show_model_command(
    name: str, input_size: int | None, classes: int | None, width: float, as_json: bool
) -> None:
    """Print model NAME's layer table and the training defaults of its architecture.

    The table has each layer's name, type, output shape, parameters and whether it trains.
    """
    from cnnlab.models import (
        build_model,
        count_model,
        import_tensorflow_quietly,
        layer_table,
        model_spec,
        recorded_counts,
        resolve_input_shape,
    )
    from cnnlab.models.defaults import training_defaults

    spec = model_spec(name)
    shape = resolve_input_shape(spec, input_size)
    defaults = training_defaults(name)
    import_tensorflow_quietly()
    model = build_model(name, shape, classes, width=width)
    num_classes = spec.default_classes if classes is None else classes
    counts = recorded_counts(name, shape, num_classes, width) or count_model(model)
    rows = layer_table(model)
    if as_json:
        print_json(
            {
                "name": name,
                "input_shape": list(shape),
                "classes": num_classes,
                "width": width,
                **_counts_json(counts),
                "layers": [
                    {
                        "name": row.name,
                        "type": row.type,
                        "output_shape": list(row.output_shape),
                        "params": row.params,
                        "trainable": row.trainable,
                    }
                    for row in rows
                ],
                "training_defaults": defaults.to_json(),
            }
        )
        return
    _print_layers(name, shape, num_classes, counts, rows)
    _print_training_defaults(defaults)
