"""`cnnlab data synth` and `cnnlab data inspect`: make a learnable demo dataset, look inside one.

TensorFlow (for JPEG encoding and decoding) is imported only inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from cnnlab.cli.context import json_option, print_json

if TYPE_CHECKING:
    from cnnlab.data import DatasetReport


@click.group("data")
def data_group() -> None:
    """Datasets: write a synthetic one, inspect a folder or CIFAR100 files."""


@data_group.command("synth")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--classes", type=int, required=True, help="Number of classes (at least 2).")
@click.option("--per-class", type=int, required=True, help="Training images per class.")
@click.option("--size", type=int, default=100, show_default=True, help="Image side in pixels.")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same images.")
@json_option
def synth_command(
    directory: Path, classes: int, per_class: int, size: int, seed: int, as_json: bool
) -> None:
    """Write a Fruits360-layout folder of JPEG shapes whose class is learnable.

    DIRECTORY/Training/<class>/ gets PER_CLASS images per class and DIRECTORY/Test/<class>/ a
    quarter as many (at least one).
    """
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from cnnlab.data import write_synthetic_dataset

    report = write_synthetic_dataset(
        directory, classes=classes, per_class=per_class, size=size, seed=seed
    )
    if as_json:
        print_json(
            {
                "path": str(report.root),
                "classes": list(report.class_names),
                "train_per_class": report.train_per_class,
                "test_per_class": report.test_per_class,
                "image_size": report.image_size,
            }
        )
        return
    total = (report.train_per_class + report.test_per_class) * len(report.class_names)
    click.echo(
        f"Wrote {total} images of {report.image_size}x{report.image_size} in "
        f"{len(report.class_names)} classes to {report.root} "
        f"({report.train_per_class} training and {report.test_per_class} test per class)."
    )


def _print_report(report: DatasetReport) -> None:
    from rich.table import Table

    from cnnlab.cli.render import _console

    console = _console()
    console.print(
        f"[bold]{report.path}[/bold]  {report.kind}, {len(report.class_names)} classes",
        highlight=False,
    )
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("class", no_wrap=True)
    for split in report.splits:
        table.add_column(split, justify="right", no_wrap=True)
    for index, name in enumerate(report.class_names):
        table.add_row(name, *(str(counts[index]) for counts in report.splits.values()))
    table.add_row("[bold]total[/bold]", *(f"[bold]{sum(c)}[/bold]" for c in report.splits.values()))
    console.print(table)
    sizes = ", ".join(f"{size} ({count})" for size, count in report.image_sizes.items())
    console.print(f"image sizes: {sizes or 'none'}", highlight=False)
    console.print(f"unreadable files: {len(report.unreadable)}", highlight=False)
    for skipped in report.unreadable:
        console.print(f"  {skipped.path}: {skipped.reason}", highlight=False)


@data_group.command("inspect")
@click.argument("path", type=click.Path(path_type=Path))
@json_option
def inspect_command(path: Path, as_json: bool) -> None:
    """Classes, images per class and split, image sizes and unreadable files of PATH."""
    from cnnlab.data import inspect_dataset

    report = inspect_dataset(path)
    if as_json:
        print_json(report.to_json())
        return
    _print_report(report)
