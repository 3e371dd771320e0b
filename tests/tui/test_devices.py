"""The Devices screen: opened with `D`, the inventory read in a worker, and a phone that is not
ready (or an adb server that cannot be reached) shown with what to do about it.
"""

from __future__ import annotations

import socket
from pathlib import Path

from textual.widgets import DataTable

from cnnlab.store import Device, Store, list_devices, upsert_device
from cnnlab.tui.screens.devices import DevicesScreen

from .conftest import MakeApp
from .helpers import until


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.2", 0))
        return int(probe.getsockname()[1])


async def test_devices_screen_without_adb(
    make_app: MakeApp, lab_store: Store, db_path: Path
) -> None:
    # Nothing listens there (and a non-local host keeps cnnlab from starting an adb server):
    # the screen must say so and still list the host and the phones seen before.
    (db_path.parent / "cnnlab.toml").write_text(
        f'[devices]\nadb_host = "127.0.0.2"\nadb_port = {closed_port()}\n'
    )
    upsert_device(
        lab_store, Device(serial="ce0117", kind="adb", manufacturer="samsung", model="SM-G950F")
    )
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, DevicesScreen))
        screen = app.screen
        assert isinstance(screen, DevicesScreen)
        await until(pilot, lambda: screen.devices is not None, tries=500)
        table = screen.query_one("#devices-table", DataTable)
        rows = {str(table.get_row_at(i)[0]): str(table.get_row_at(i)[1]) for i in range(2)}
        assert rows == {"host": "device", "ce0117": "absent"}
        assert "adb" in str(screen.query_one("#advice").render())
    assert "host" in {d.serial for d in list_devices(lab_store)}  # recorded: first/last seen
