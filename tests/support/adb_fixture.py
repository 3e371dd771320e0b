"""Start Debian's adb server on a private port and plug loopback phones into it.

Used by the device tests (through `tests/devices/conftest.py`) and by `bench/devices_bench.py`.
The server gets its own HOME (its key and state stay out of the user's ~/.android) and a port
away from 5037 and from 5555-5585, which any adb server scans on its own.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

DEVICE_SCRIPT = Path(__file__).with_name("adb_device.py")


def adb_binary() -> str | None:
    return shutil.which("adb")


def free_port() -> int:
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if not 5555 <= port <= 5585 and port != 5037:
            return port


@dataclass
class AdbServer:
    """A private adb server: `adb -P port ...` with its own HOME."""

    port: int
    home: Path
    binary: str

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANDROID_", "ADB_"))}
        env["HOME"] = str(self.home)
        return env

    def adb(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.binary, "-P", str(self.port), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )

    def state_of(self, serial: str) -> str | None:
        for line in self.adb("devices").stdout.splitlines()[1:]:
            parts = line.split("\t")
            if len(parts) == 2 and parts[0] == serial:
                return parts[1].strip()
        return None

    def wait_for_state(self, serial: str, states: tuple[str, ...], timeout: float = 15) -> str:
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            state = self.state_of(serial)
            if state in states:
                return state
            time.sleep(0.05)
        raise TimeoutError(f"{serial} stayed {state!r}, expected one of {states}")


@dataclass
class LoopbackPhone:
    """A running `adb_device.py` process connected to an adb server."""

    root: Path
    port: int
    process: subprocess.Popen[str]
    server: AdbServer
    mode: str = "device"
    connected: bool = field(default=False)
    helpers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def serial(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def tmp(self) -> Path:
        """The folder that stands for the phone's /data/local/tmp."""
        return self.root / "data/local/tmp"

    def runs_done(self) -> int:
        path = self.root / ".runs"
        return len(path.read_text().splitlines()) if path.exists() else 0

    def unplug(self) -> None:
        """Pull the cable: the device process dies without a goodbye."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.connected:
            self.server.adb("disconnect", self.serial)
            self.connected = False
        for helper in self.helpers:
            if helper.poll() is None:
                helper.kill()
            helper.wait(timeout=10)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@contextmanager
def adb_server(home: Path) -> Iterator[AdbServer]:
    binary = adb_binary()
    if binary is None:
        raise RuntimeError("adb is not installed")
    home.mkdir(parents=True, exist_ok=True)
    server = AdbServer(port=free_port(), home=home, binary=binary)
    started = server.adb("start-server", timeout=60)
    if started.returncode != 0:
        raise RuntimeError(f"adb start-server failed: {started.stderr}")
    try:
        yield server
    finally:
        server.adb("kill-server")


def start_phone(server: AdbServer, root: Path, mode: str = "device") -> LoopbackPhone:
    """Start a loopback phone and `adb connect` it; waits until the server sees its state."""
    root.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, str(DEVICE_SCRIPT), "--root", str(root), "--mode", mode],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("PORT "):
        process.kill()
        raise RuntimeError(f"loopback phone did not start: {line!r}")
    phone = LoopbackPhone(
        root=root.resolve(), port=int(line.split()[1]), process=process, server=server, mode=mode
    )
    if mode == "offline":
        # adb connect waits ~10 s for a handshake that never comes; the state shows at once.
        connecting = subprocess.Popen(
            [server.binary, "-P", str(server.port), "connect", phone.serial],
            env=server.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        phone.helpers.append(connecting)
        result = subprocess.CompletedProcess(connecting.args, 0, "", "")
    else:
        result = server.adb("connect", phone.serial)
    phone.connected = True
    expected = {"device": ("device",), "unauthorized": ("unauthorized",), "offline": ("offline",)}
    try:
        server.wait_for_state(phone.serial, expected[mode])
    except TimeoutError as exc:
        phone.stop()
        raise RuntimeError(f"{exc}; adb connect said {result.stdout!r} {result.stderr!r}") from exc
    return phone


def elf_header(machine: int, *, bits: int = 64) -> bytes:
    """A minimal ELF file header (64 bytes) for a given e_machine: enough for ABI checks."""
    ident = b"\x7fELF" + bytes([2 if bits == 64 else 1, 1, 1, 0]) + bytes(8)
    body = (2).to_bytes(2, "little") + machine.to_bytes(2, "little") + (1).to_bytes(4, "little")
    return (ident + body).ljust(64, b"\0")
