"""What cnnlab can measure on: the host and every adb device, with the identity a latency needs.

A phone's figures mean little without its model, SoC, clocks and temperature, so one shell
call per phone gathers them; phones that cannot be used yet (unauthorized, offline) are listed
with what to do. `record_inventory` keeps the list in the store (first and last seen).
"""

from __future__ import annotations

import os
import platform
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnlab.devices.adb import AdbServerAddress, adb_client, advice_for, run_shell
from cnnlab.devices.errors import AdbUnavailable, UnknownDevice
from cnnlab.store import Device, list_devices, upsert_device
from cnnlab.store.devices import DEVICE_IDENTITY

if TYPE_CHECKING:
    from adbutils import AdbDevice

    from cnnlab.store import Store

HOST_SERIAL = "host"


def remote_host_serial() -> str:
    """The device a host benchmark measured on a node without the database (Slurm): that node,
    by name, so its numbers are never merged with the database host's `host`."""
    return f"{HOST_SERIAL}:{os.uname().nodename}"


THERMAL_SCRIPT = (
    "for z in /sys/class/thermal/thermal_zone*; do "
    'echo "$(cat "$z/type" 2>/dev/null)|$(cat "$z/temp" 2>/dev/null)"; done'
)
_IDENTITY_SCRIPT = (
    "getprop; echo @@meminfo; cat /proc/meminfo; echo @@cpus; "
    "for c in /sys/devices/system/cpu/cpu[0-9]*; do "
    'echo "${c##*/} $(cat "$c/cpufreq/cpuinfo_max_freq" 2>/dev/null)"; done; '
    f"echo @@thermal; {THERMAL_SCRIPT}"
)
_CPU_ZONES = ("cpu", "big", "little", "soc", "tsens", "ap")
_GETPROP = re.compile(r"^\[([^\]]+)\]: \[(.*)\]$")


@dataclass(frozen=True)
class DeviceInfo:
    """One device as seen now; identity fields are None when the device cannot be queried."""

    serial: str
    kind: str
    state: str
    manufacturer: str | None = None
    model: str | None = None
    soc: str | None = None
    board: str | None = None
    abi: str | None = None
    abis: tuple[str, ...] = ()
    android_release: str | None = None
    sdk: int | None = None
    ram_bytes: int | None = None
    cpu_cores: int | None = None
    cpu_max_khz: tuple[int, ...] = ()
    temperature_c: float | None = None
    fingerprint: str | None = None
    advice: str | None = None

    @property
    def ready(self) -> bool:
        return self.state == "device"

    def to_device(self) -> Device:
        """The store's record (state, ABIs, board and temperature go in `info`)."""
        return Device(
            serial=self.serial,
            kind=self.kind,
            manufacturer=self.manufacturer,
            model=self.model,
            soc=self.soc,
            abi=self.abi,
            cpu_cores=self.cpu_cores,
            cpu_max_khz=list(self.cpu_max_khz) or None,
            ram_bytes=self.ram_bytes,
            android_release=self.android_release,
            sdk=self.sdk,
            fingerprint=self.fingerprint,
            info={
                "state": self.state,
                "abis": list(self.abis),
                "board": self.board,
                "temperature_c": self.temperature_c,
            },
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["abis"] = list(self.abis)
        data["cpu_max_khz"] = list(self.cpu_max_khz)
        return data


@dataclass(frozen=True)
class Inventory:
    """The host and the adb devices; `adb_problem` says why phones could not be listed."""

    devices: tuple[DeviceInfo, ...]
    adb_problem: str | None = None
    stored_ids: dict[str, int] = field(default_factory=dict)


def parse_getprop(text: str) -> dict[str, str]:
    """`getprop`'s `[key]: [value]` lines as a dict."""
    props = {}
    for line in text.splitlines():
        match = _GETPROP.match(line.strip())
        if match:
            props[match.group(1)] = match.group(2)
    return props


def parse_meminfo_bytes(text: str) -> int | None:
    match = re.search(r"^MemTotal:\s+(\d+)\s*kB", text, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else None


def parse_cpu_max_khz(text: str) -> tuple[int, ...]:
    """`cpuN KHZ` lines, ordered by N; cores without a readable clock count as 0."""
    cores: dict[int, int] = {}
    for line in text.splitlines():
        match = re.match(r"^cpu(\d+)\s*(\d*)", line.strip())
        if match:
            cores[int(match.group(1))] = int(match.group(2) or 0)
    return tuple(cores[index] for index in sorted(cores))


def parse_thermal(text: str) -> float | None:
    """The hottest CPU/SoC zone in °C from `type|temp` lines (millidegrees or degrees)."""
    readings: list[tuple[str, float]] = []
    for line in text.splitlines():
        kind, _, value = line.strip().partition("|")
        try:
            raw = float(value)
        except ValueError:
            continue
        celsius = raw / 1000 if abs(raw) >= 1000 else raw
        if -30 < celsius < 150:
            readings.append((kind.lower(), celsius))
    preferred = [c for kind, c in readings if any(k in kind for k in _CPU_ZONES)]
    if preferred:
        return max(preferred)
    return readings[0][1] if readings else None


def _sections(text: str) -> dict[str, str]:
    parts = re.split(r"^@@(\w+)$", text, flags=re.MULTILINE)
    sections = {"getprop": parts[0]}
    for name, body in zip(parts[1::2], parts[2::2], strict=False):
        sections[name] = body
    return sections


def phone_info(device: AdbDevice, serial: str) -> DeviceInfo:
    """Query a ready phone's identity in one shell call."""
    result = run_shell(device, _IDENTITY_SCRIPT, timeout_s=30)
    sections = _sections(result.stdout)
    props = parse_getprop(sections["getprop"])
    clocks = parse_cpu_max_khz(sections.get("cpus", ""))
    abis = tuple(a for a in props.get("ro.product.cpu.abilist", "").split(",") if a)
    sdk = props.get("ro.build.version.sdk", "")
    state = "device" if result.exit_code is not None else "offline"
    return DeviceInfo(
        serial=serial,
        kind="adb",
        state=state,
        manufacturer=props.get("ro.product.manufacturer") or None,
        model=props.get("ro.product.model") or None,
        soc=_first(props, "ro.soc.model", "ro.hardware.chipname", "ro.board.platform"),
        board=_first(props, "ro.product.board", "ro.hardware"),
        abi=props.get("ro.product.cpu.abi") or (abis[0] if abis else None),
        abis=abis or tuple(filter(None, [props.get("ro.product.cpu.abi")])),
        android_release=props.get("ro.build.version.release") or None,
        sdk=int(sdk) if sdk.isdigit() else None,
        ram_bytes=parse_meminfo_bytes(sections.get("meminfo", "")),
        cpu_cores=len(clocks) or None,
        cpu_max_khz=clocks,
        temperature_c=parse_thermal(sections.get("thermal", "")),
        fingerprint=props.get("ro.build.fingerprint") or None,
        advice=None if state == "device" else advice_for(state),
    )


def _first(props: dict[str, str], *keys: str) -> str | None:
    for key in keys:
        if props.get(key):
            return props[key]
    return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None


def host_info() -> DeviceInfo:
    """The machine cnnlab runs on, measured through LiteRT in-process."""
    cpuinfo = _read(Path("/proc/cpuinfo")) or ""
    cpu_model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    cpu_dir = Path("/sys/devices/system/cpu")
    clocks = parse_cpu_max_khz(
        "\n".join(
            f"{c.name} {_read(c / 'cpufreq/cpuinfo_max_freq') or ''}"
            for c in cpu_dir.glob("cpu[0-9]*")
        )
    )
    thermal = "\n".join(
        f"{_read(z / 'type') or ''}|{_read(z / 'temp') or ''}"
        for z in sorted(Path("/sys/class/thermal").glob("thermal_zone*"))
    )
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (OSError, ValueError):
        ram = None
    machine = platform.machine()
    return DeviceInfo(
        serial=HOST_SERIAL,
        kind="host",
        state="device",
        manufacturer=_read(Path("/sys/class/dmi/id/sys_vendor")),
        model=_read(Path("/sys/class/dmi/id/product_name")) or platform.node(),
        soc=cpu_model.group(1).strip() if cpu_model else platform.processor() or None,
        abi=machine or None,
        abis=(machine,) if machine else (),
        ram_bytes=ram,
        cpu_cores=os.cpu_count(),
        cpu_max_khz=tuple(k for k in clocks if k) if any(clocks) else (),
        temperature_c=parse_thermal(thermal),
        fingerprint=f"{platform.system()} {platform.release()}",
    )


def list_phones(address: AdbServerAddress) -> list[DeviceInfo]:
    """Every adb device: ready ones with their identity, the others with advice."""
    client = adb_client(address)
    phones = []
    for entry in client.list():
        if entry.state == "device":
            phones.append(phone_info(client.device(entry.serial), entry.serial))
        else:
            phones.append(
                DeviceInfo(
                    serial=entry.serial,
                    kind="adb",
                    state=entry.state,
                    advice=advice_for(entry.state),
                )
            )
    return sorted(phones, key=lambda p: p.serial)


def list_inventory(address: AdbServerAddress | None = None) -> Inventory:
    """The host plus every adb device; without adb, the host alone and why."""
    host = host_info()
    if address is None:
        return Inventory(devices=(host,))
    try:
        phones = list_phones(address)
    except AdbUnavailable as exc:
        return Inventory(devices=(host,), adb_problem=str(exc))
    return Inventory(devices=(host, *phones))


def record_inventory(store: Store, inventory: Inventory) -> Inventory:
    """Store every device seen; fields a phone could not report now keep their stored value."""
    known = {device.serial: device for device in list_devices(store)}
    ids = {}
    for info in inventory.devices:
        ids[info.serial] = upsert_device(store, merge_device(known.get(info.serial), info))
    return replace(inventory, stored_ids=ids)


def merge_device(stored: Device | None, info: DeviceInfo) -> Device:
    """`info` as a store record, filling what it lacks from `stored` (info dicts merged)."""
    fresh = info.to_device()
    if stored is None:
        return fresh
    values: dict[str, Any] = {}
    for name in DEVICE_IDENTITY:
        new = getattr(fresh, name)
        values[name] = new if new is not None else getattr(stored, name)
    old_info = dict(stored.info or {})
    new_info = {k: v for k, v in (fresh.info or {}).items() if v not in (None, [])}
    values["info"] = {**old_info, **new_info, "state": info.state}
    return replace(fresh, **values)


def device_info(address: AdbServerAddress | None, serial: str) -> DeviceInfo:
    """One device by serial (`host` or an adb serial), ready or not, for a bench job's record."""
    if serial == HOST_SERIAL:
        return host_info()
    if address is None:
        raise AdbUnavailable(f"Device {serial} is a phone, but no adb server was configured.")
    client = adb_client(address)
    state = {entry.serial: entry.state for entry in client.list()}.get(serial)
    if state == "device":
        return phone_info(client.device(serial), serial)
    if state is None:
        raise UnknownDevice(
            f"No device {serial} is attached to adb; `cnnlab devices` lists the ones that are."
        )
    return DeviceInfo(serial=serial, kind="adb", state=state, advice=advice_for(state))


def record_device(store: Store, info: DeviceInfo) -> int:
    """Store one device seen now (merged with what is known of it); returns its id."""
    known = {device.serial: device for device in list_devices(store)}
    return upsert_device(store, merge_device(known.get(info.serial), info))
