"""Inventory through a real adb server: the phone's identity, unusable phones, the store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cnnlab.devices import (
    AdbServerAddress,
    DeviceNotReady,
    UnknownDevice,
    benchmark_phone,
    device_info,
    list_inventory,
    record_device,
    record_inventory,
)
from cnnlab.devices.inventory import parse_thermal
from cnnlab.store import Store, list_devices


def test_inventory_lists_host_and_phone_with_identity(
    phone: Any, address: AdbServerAddress
) -> None:
    inventory = list_inventory(address)
    assert inventory.adb_problem is None
    by_serial = {d.serial: d for d in inventory.devices}
    assert by_serial["host"].kind == "host" and by_serial["host"].cpu_cores
    info = by_serial[phone.serial]
    assert (info.kind, info.state, info.manufacturer, info.model) == (
        "adb",
        "device",
        "samsung",
        "SM-G950F",
    )
    assert (info.soc, info.board, info.abi) == ("exynos8895", "universal8895", "arm64-v8a")
    assert info.abis == ("arm64-v8a", "armeabi-v7a", "armeabi")
    assert (info.android_release, info.sdk) == ("9", 28)
    assert info.ram_bytes == 3735552 * 1024
    assert info.cpu_cores == 8
    assert info.cpu_max_khz == (1690000,) * 4 + (2314000,) * 4
    assert info.temperature_c == 36.0  # the hottest CPU zone (BIG), not the battery
    assert info.fingerprint and info.fingerprint.startswith("samsung/dreamltexx")
    assert info.advice is None


def test_unauthorized_and_offline_phones_are_listed_with_what_to_do(
    start_phone: Any, address: AdbServerAddress
) -> None:
    locked = start_phone("unauthorized")
    silent = start_phone("offline")
    by_serial = {d.serial: d for d in list_inventory(address).devices}
    assert by_serial[locked.serial].state == "unauthorized"
    assert "Allow USB debugging" in (by_serial[locked.serial].advice or "")
    assert by_serial[silent.serial].state == "offline"
    assert "replug" in (by_serial[silent.serial].advice or "")
    with pytest.raises(DeviceNotReady, match=rf"Device {locked.serial} is unauthorized: unlock"):
        benchmark_phone(address, locked.serial, Path("x.tflite"))
    with pytest.raises(DeviceNotReady, match="is offline"):
        benchmark_phone(address, silent.serial, Path("x.tflite"))
    with pytest.raises(UnknownDevice, match=r"No device 10\.0\.0\.9:5555 is attached"):
        benchmark_phone(address, "10.0.0.9:5555", Path("x.tflite"))


def test_inventory_is_recorded_with_first_and_last_seen(
    phone: Any, address: AdbServerAddress, store: Store
) -> None:
    first = record_inventory(store, list_inventory(address))
    again = record_inventory(store, list_inventory(address))
    assert first.stored_ids == again.stored_ids
    stored = {d.serial: d for d in list_devices(store)}
    device = stored[phone.serial]
    assert (device.kind, device.model, device.soc, device.sdk) == (
        "adb",
        "SM-G950F",
        "exynos8895",
        28,
    )
    assert device.cpu_max_khz == [1690000] * 4 + [2314000] * 4
    assert device.info is not None and device.info["state"] == "device"
    assert device.first_seen is not None and device.last_seen is not None
    assert device.first_seen <= device.last_seen
    assert stored["host"].kind == "host"


def test_a_phone_seen_unplugged_keeps_its_stored_identity(
    phone: Any, address: AdbServerAddress, store: Store
) -> None:
    record_inventory(store, list_inventory(address))
    phone.unplug()
    phone.server.wait_for_state(phone.serial, ("offline",))
    record_inventory(store, list_inventory(address))
    device = {d.serial: d for d in list_devices(store)}[phone.serial]
    assert device.model == "SM-G950F"
    assert device.info is not None and device.info["state"] == "offline"


def test_cli_devices_json_and_table(
    phone: Any, adb_server: Any, db_path: Path, invoke: Any
) -> None:
    (db_path.parent / "cnnlab.toml").write_text(f"[devices]\nadb_port = {adb_server.port}\n")
    result = invoke("--db", str(db_path), "devices", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    by_serial = {d["serial"]: d for d in data["devices"]}
    assert by_serial[phone.serial]["model"] == "SM-G950F"
    assert by_serial[phone.serial]["cpu_max_khz"][-1] == 2314000
    assert by_serial[phone.serial]["id"] is not None
    assert data["adb_problem"] is None
    table = invoke("devices", "--db", str(db_path))
    assert table.exit_code == 0
    assert "SM-G950F" in table.stdout and "8 (4x2.31 + 4x1.69 GHz)" in table.stdout
    assert "36.0 °C" in table.stdout


def test_thermal_zone_parsing() -> None:
    assert parse_thermal("battery|29000\nBIG|41500\nLITTLE|39000\n") == 41.5
    assert parse_thermal("gpu|45\n") == 45
    assert parse_thermal("x|\n|garbage\n") is None


def test_one_device_by_serial_is_recorded_for_a_bench_job(
    phone: Any, address: AdbServerAddress, store: Store
) -> None:
    info = device_info(address, phone.serial)
    assert (info.model, info.state) == ("SM-G950F", "device")
    phone_id = record_device(store, info)
    host_id = record_device(store, device_info(address, "host"))
    assert phone_id != host_id
    assert record_device(store, info) == phone_id
    with pytest.raises(UnknownDevice, match=r"No device nope:1 is attached"):
        device_info(address, "nope:1")
