"""`cnnlab devices` and `cnnlab devices prepare`: where models can run, and readying phones.

The device layer (adbutils, the store) is imported inside the commands so that `cnnlab --help`
stays instant; the adb server's address and the `benchmark_model` path come from cnnlab.toml.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cnnlab.cli.context import config_for, db_option, json_option, open_db, print_json

if TYPE_CHECKING:
    from cnnlab.devices import DeviceInfo, Inventory


def clocks_text(khz: tuple[int, ...]) -> str:
    """`8 (4x2.31 + 4x1.69 GHz)`: cores grouped by their maximum clock, fastest first."""
    if not khz:
        return ""
    groups = Counter(k for k in khz if k)
    if not groups:
        return str(len(khz))
    parts = [f"{n}x{k / 1e6:.2f}" for k, n in sorted(groups.items(), reverse=True)]
    return f"{len(khz)} ({' + '.join(parts)} GHz)"


def _ram_text(ram: int | None) -> str:
    return f"{ram / 2**30:.1f} GiB" if ram else ""


def _android_text(info: DeviceInfo) -> str:
    if info.android_release is None and info.sdk is None:
        return ""
    return f"{info.android_release or '?'} (SDK {info.sdk if info.sdk is not None else '?'})"


def _inventory_json(inventory: Inventory) -> dict[str, Any]:
    return {
        "devices": [
            {**info.to_json(), "id": inventory.stored_ids.get(info.serial)}
            for info in inventory.devices
        ],
        "adb_problem": inventory.adb_problem,
    }


def _print_inventory(inventory: Inventory) -> None:
    from rich.table import Table

    from cnnlab.cli.render import _console

    console = _console()
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("serial", "state", "device", "SoC", "ABI", "Android", "RAM", "cores", "temp"):
        table.add_column(column, no_wrap=True)
    for info in inventory.devices:
        name = " ".join(part for part in (info.manufacturer, info.model) if part)
        table.add_row(
            info.serial,
            info.state,
            name,
            info.soc or "",
            info.abi or "",
            _android_text(info),
            _ram_text(info.ram_bytes),
            clocks_text(info.cpu_max_khz) or (str(info.cpu_cores) if info.cpu_cores else ""),
            f"{info.temperature_c:.1f} °C" if info.temperature_c is not None else "",
        )
    console.print(table)
    for info in inventory.devices:
        if info.advice:
            console.print(f"{info.serial}: {info.advice}", highlight=False)
    if inventory.adb_problem:
        console.print(f"Phones not listed: {inventory.adb_problem}", highlight=False)


@click.group("devices", invoke_without_command=True)
@json_option
@db_option
@click.pass_context
def devices_group(ctx: click.Context, as_json: bool, db: Path | None) -> None:
    """List the host and every adb device with its identity (and record them in the database).

    Unauthorized or offline phones are listed with what to do. The adb server is
    devices.adb_host:devices.adb_port from cnnlab.toml (default 127.0.0.1:5037).
    """
    if ctx.invoked_subcommand is not None:
        return
    from cnnlab.devices import AdbServerAddress, list_inventory, record_inventory

    config = config_for(ctx, db).devices
    store = open_db(ctx, db)
    inventory = list_inventory(AdbServerAddress(config.adb_host, config.adb_port))
    inventory = record_inventory(store, inventory)
    if as_json:
        print_json(_inventory_json(inventory))
        return
    _print_inventory(inventory)


@devices_group.command("prepare")
@click.argument("serial")
@click.option(
    "--benchmark-model",
    "benchmark_model",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="TFLite's android_aarch64 benchmark_model binary (default: devices.benchmark_model).",
)
@json_option
@db_option
@click.pass_context
def prepare_command(
    ctx: click.Context,
    serial: str,
    benchmark_model: Path | None,
    as_json: bool,
    db: Path | None,
) -> None:
    """Push benchmark_model to phone SERIAL, check its ABI and that it runs, record its version."""
    from cnnlab.devices import AdbServerAddress, prepare_phone

    config = config_for(ctx, db).devices
    if benchmark_model is None and config.benchmark_model:
        benchmark_model = Path(config.benchmark_model)
    store = open_db(ctx, db)
    prepared = prepare_phone(
        AdbServerAddress(config.adb_host, config.adb_port),
        serial,
        benchmark_model,
        store=store,
    )
    if as_json:
        print_json(
            {
                "serial": prepared.serial,
                "binary_path": prepared.binary_path,
                "binary_sha256": prepared.binary_sha256,
                "arch": prepared.arch,
                "version": prepared.version,
                "device_id": prepared.device_id,
            }
        )
        return
    click.echo(
        f"Device {prepared.serial} is ready: benchmark_model {prepared.version} "
        f"({prepared.arch}) at {prepared.binary_path}."
    )
