"""`cnnlab models` and `cnnlab models show`: the zoo's architectures, their size and cost.

At each model's default settings the counts are recorded data (`cnnlab.models.zoo_counts`), so
`cnnlab models` answers at once without TensorFlow; other settings build the models, one by one
with a progress line on stderr. TensorFlow, when needed, is imported through
`import_tensorflow_quietly`, which keeps its C++ start-up chatter off the user's terminal.
"""

from __future__ import annotations

import fnmatch
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cnnlab.cli.context import config_for, json_option, print_json

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
        at = f"{shape[0]}x{shape[1]}" if shape[0] else "its own input"
        text = f"counting {index}/{total}: {name} at {at} ..."
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


def _layers_json(rows: list[LayerRow]) -> list[dict[str, Any]]:
    return [
        {
            "name": row.name,
            "type": row.type,
            "output_shape": list(row.output_shape),
            "params": row.params,
            "trainable": row.trainable,
        }
        for row in rows
    ]


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


def _print_zoo(entries: list[ZooEntry], lab: set[str]) -> None:
    """The zoo's entries and the lab's (`lab`: their names), one table."""
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
            "lab" if entry.name in lab else model_spec(entry.name).family,
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

    lab = config_for(ctx, None).models
    names = [name for name in MODEL_NAMES if fnmatch.fnmatchcase(name, pattern)]
    lab_names = [n for n in lab if fnmatch.fnmatchcase(n, pattern) and n not in MODEL_NAMES]
    for name in set(lab) & set(MODEL_NAMES):
        click.echo(f"Warning: lab model {name} is the zoo's name too; rename it.", err=True)
    if not names and not lab_names:
        known = ", ".join((*MODEL_NAMES, *lab))
        raise ModelError(f"No model matches {pattern!r}; there are: {known}.")
    progress = _BuildProgress()
    try:
        entries = list(count_zoo(names, input_size, classes, before_build=progress))
        built, failed = _count_lab(lab, lab_names, input_size, classes, progress)
    finally:
        progress.clear()
    if as_json:
        print_json(
            {
                "models": [_entry_json(entry) for entry in entries]
                + [_lab_json(name, lab[name], entry) for name, entry in built.items()],
                "errors": failed,
            }
        )
        return
    _print_zoo(entries + list(built.values()), set(built))
    for name, error in failed.items():
        click.echo(f"Warning: lab model {name} ({lab[name]}): {error}", err=True)


def _count_lab(
    lab: dict[str, str],
    names: list[str],
    input_size: int | None,
    classes: int | None,
    progress: _BuildProgress,
) -> tuple[dict[str, ZooEntry], dict[str, str]]:
    """The lab's models (cnnlab.toml [models]) built and counted here, one by one; those that
    do not build are returned with their one sentence instead."""
    from cnnlab.models import ModelCounts, ModelError, ZooEntry
    from cnnlab.models.custom import source_of
    from cnnlab.models.custom_probe import build_and_count

    built: dict[str, ZooEntry] = {}
    failed: dict[str, str] = {}
    for index, name in enumerate(names, start=1):
        side = input_size or 0
        progress(index, len(names), name, (side, side, 3))
        try:
            probed = build_and_count(
                {"source": source_of(lab[name]).to_json(), "input": input_size, "classes": classes}
            )
        except ModelError as exc:
            failed[name] = str(exc)
            continue
        counts = ModelCounts(
            probed.params,
            probed.trainable_params,
            probed.params - probed.trainable_params,
            probed.macs,
        )
        built[name] = ZooEntry(name, probed.input_shape, probed.classes, counts)
    return built, failed


def _lab_json(name: str, reference: str, entry: ZooEntry) -> dict[str, Any]:
    return {
        "name": name,
        "family": "lab",
        "summary": reference,
        "input_shape": list(entry.input_shape),
        "classes": entry.num_classes,
        "has_width": None,
        **_counts_json(entry.counts),
    }


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
@click.pass_context
def show_model_command(
    ctx: click.Context,
    name: str,
    input_size: int | None,
    classes: int | None,
    width: float,
    as_json: bool,
) -> None:
    """Print model NAME's layer table and the training defaults of its architecture.

    NAME is a zoo name, a lab name (cnnlab.toml [models]), path/to/file.py:function or
    path/to/model.keras. The table has each layer's name, type, output shape, parameters and
    whether it trains.
    """
    from cnnlab.models import MODEL_NAMES

    if name not in MODEL_NAMES:
        _show_custom(name, config_for(ctx, None).models, input_size, classes, width, as_json)
        return
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
                "layers": _layers_json(rows),
                "training_defaults": defaults.to_json(),
            }
        )
        return
    _print_layers(name, shape, num_classes, counts, rows)
    _print_training_defaults(defaults)


def _show_custom(
    name: str,
    lab: dict[str, str],
    input_size: int | None,
    classes: int | None,
    width: float,
    as_json: bool,
) -> None:
    """`models show` of a custom architecture: built here from its file (TensorFlow is loaded
    for the layer table anyway), at its own input and classes unless given."""
    from cnnlab.models import count_model, import_tensorflow_quietly, layer_table
    from cnnlab.models.custom import resolve_model_name, source_of
    from cnnlab.models.custom_build import build_custom, default_input_shape, model_input_shape

    source = source_of(resolve_model_name(name, lab))
    file = Path(source.path)
    import_tensorflow_quietly()
    if input_size is not None:
        shape = (input_size, input_size, 3)
    else:
        own = default_input_shape(source, file) or model_input_shape(source, file)
        shape = (int(own[0]), int(own[1]), int(own[2]))
    model = build_custom(source, file, shape, classes, width=width)
    counts = count_model(model)
    rows = layer_table(model)
    num_classes = int(model.output_shape[-1])
    if as_json:
        print_json(
            {
                "name": name,
                "source": source.to_json(),
                "input_shape": list(shape),
                "classes": num_classes,
                "width": width,
                **_counts_json(counts),
                "layers": _layers_json(rows),
            }
        )
        return
    _print_layers(name, shape, num_classes, counts, rows)
    click.echo(f"\nbuilt from {source.reference} (SHA-256 {source.sha256[:12]})")
