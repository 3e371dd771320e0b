"""The Devices screen: the host and every adb phone with its live state, polled in a worker.

Talking to adb can take seconds (a phone waking up, a server starting), so the inventory is
read in a thread worker and re-armed only after each read returns; phones seen before but not
plugged in now stay listed from the store, with when they were last seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Static

from cnnlab.devices import AdbServerAddress, DeviceInfo, Inventory
from cnnlab.store import Device, Store
from cnnlab.tui import text as fmt
from cnnlab.tui.screens.base import LabScreen, WorkerResult

REFRESH_S = 5.0
STATE_STYLES = {
    "device": "bold green",
    "unauthorized": "bold yellow",
    "offline": "bold red",
    "absent": "dim",
}
COLUMNS = (
    ("serial", 18),
    ("state", 12),
    ("model", 20),
    ("SoC", 10),
    ("ABI", 11),
    ("Android", 8),
    ("RAM", 9),
    ("CPU", 14),
    ("temp", 6),
    ("last seen", 11),
)


@dataclass(frozen=True)
class DeviceList:
    """What the screen shows: the live inventory and devices only the store remembers."""

    inventory: Inventory
    known: list[Device]
    address: AdbServerAddress

    @property
    def absent(self) -> list[Device]:
        seen = {d.serial for d in self.inventory.devices}
        return [d for d in self.known if d.serial not in seen]

    def last_seen(self, serial: str) -> float | None:
        return next((d.last_seen for d in self.known if d.serial == serial), None)


def read_devices(store: Store, address: AdbServerAddress) -> DeviceList:
    """List devices over adb, record them (first and last seen) and read back the known ones."""
    from cnnlab.devices import list_inventory, record_inventory
    from cnnlab.store import list_devices

    inventory = record_inventory(store, list_inventory(address))
    return DeviceList(inventory, list_devices(store), address)


def cpu_text(cores: int | None, khz: tuple[int, ...] | list[int] | None) -> str:
    if not cores:
        return ""
    clocks = sorted(set(khz or ()), reverse=True)
    if not clocks:
        return f"{cores} cores"
    return f"{cores} x " + "/".join(f"{k / 1e6:.1f}" for k in clocks[:3]) + " GHz"


def live_cells(info: DeviceInfo, last_seen: float | None) -> list[str | Text]:
    maker = " ".join(p for p in (info.manufacturer, info.model) if p)
    android = f"{info.android_release or ''} ({info.sdk})" if info.sdk else ""
    return [
        Text(info.serial, style="bold"),
        Text(info.state, style=STATE_STYLES.get(info.state, "bold red")),
        maker,
        info.soc or info.board or "",
        info.abi or "",
        android,
        "" if info.ram_bytes is None else fmt.size_text(info.ram_bytes),
        cpu_text(info.cpu_cores, info.cpu_max_khz),
        "" if info.temperature_c is None else f"{info.temperature_c:.0f}°C",
        fmt.timestamp_text(last_seen),
    ]


def absent_cells(device: Device) -> list[str | Text]:
    maker = " ".join(p for p in (device.manufacturer, device.model) if p)
    android = f"{device.android_release or ''} ({device.sdk})" if device.sdk else ""
    return [
        Text(device.serial, style="dim"),
        Text("absent", style=STATE_STYLES["absent"]),
        Text(maker, style="dim"),
        Text(device.soc or "", style="dim"),
        Text(device.abi or "", style="dim"),
        Text(android, style="dim"),
        "" if device.ram_bytes is None else Text(fmt.size_text(device.ram_bytes), style="dim"),
        Text(cpu_text(device.cpu_cores, device.cpu_max_khz), style="dim"),
        "",
        fmt.timestamp_text(device.last_seen),
    ]


def advice_text(devices: DeviceList) -> Text:
    """One line per device that cannot run benchmarks now, saying what to do about it."""
    lines = []
    if devices.inventory.adb_problem:
        where = f"{devices.address.host}:{devices.address.port}"
        lines.append(
            Text.assemble(("adb ", "bold red"), f"({where}): {devices.inventory.adb_problem}")
        )
    for info in devices.inventory.devices:
        if info.kind != "host" and not info.ready:
            advice = info.advice or "it cannot run benchmarks in this state."
            lines.append(
                Text.assemble(
                    (info.serial, "bold"),
                    " is ",
                    (info.state, STATE_STYLES.get(info.state, "bold red")),
                    f": {advice}",
                )
            )
    if not lines:
        ready = sum(1 for d in devices.inventory.devices if d.ready and d.kind != "host")
        lines.append(Text(f"host and {ready} phone(s) ready for benchmarks.", style="green"))
    return Text("\n").join(lines)


@dataclass
class DevicesRead(WorkerResult, bubble=False):
    """What adb and the store say about the phones."""

    devices: DeviceList


class DevicesScreen(LabScreen):
    """The benchmark devices: identity, live state and what to do about those not ready."""

    CSS_PATH = "devices.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("r", "refresh_now", "Refresh"),
    ]

    def __init__(self, refresh_s: float = REFRESH_S) -> None:
        super().__init__()
        self.refresh_s = refresh_s
        self.devices: DeviceList | None = None

    def compose(self) -> ComposeResult:
        yield Static("Devices: asking adb…", id="head", classes="bar")
        yield DataTable(id="devices-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="advice")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#devices-table", DataTable)
        for label, width in COLUMNS:
            table.add_column(label, key=label, width=width)
        self.poll()

    def read_now(self) -> None:
        self.read_inventory()

    def poll_every(self) -> float:
        return self.refresh_s

    def action_refresh_now(self) -> None:
        self.query_one("#head", Static).update("Devices: asking adb…")
        self.poll()

    @work(thread=True, exclusive=True, exit_on_error=False, group="devices", description="adb")
    def read_inventory(self) -> DevicesRead:
        from cnnlab.config import load_config

        settings = load_config(self.lab.store.path).devices
        address = AdbServerAddress(settings.adb_host, settings.adb_port)
        return DevicesRead(read_devices(self.lab.store, address))

    @on(DevicesRead)
    def devices_read(self, message: DevicesRead) -> None:
        self.show(message.devices)
        self.schedule_poll()

    def show(self, devices: DeviceList) -> None:
        self.devices = devices
        table = self.query_one("#devices-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        for info in devices.inventory.devices:
            table.add_row(*live_cells(info, devices.last_seen(info.serial)), key=info.serial)
        for device in devices.absent:
            table.add_row(*absent_cells(device), key=device.serial)
        if table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1))
        phones = [d for d in devices.inventory.devices if d.kind != "host"]
        ready = sum(1 for d in phones if d.ready)
        head = Text.assemble(
            ("Devices ", "bold"),
            f"host + {len(phones)} phone(s), {ready} ready",
            (f", {len(devices.absent)} seen before" if devices.absent else "", "dim"),
            (f"   refreshed every {self.refresh_s:g} s (r now)", "dim"),
        )
        self.query_one("#head", Static).update(head)
        self.query_one("#advice", Static).update(advice_text(devices))
