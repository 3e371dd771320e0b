"""The adb server as cnnlab uses it: one explicit client, device states with advice, shell v2.

adbutils reads `ANDROID_ADB_SERVER_PORT` at import and starts a server on its own default port
when none answers, so the client is always built with an explicit host and port, and a missing
local server is started here with `adb -P PORT start-server` (Debian's adb first, adbutils'
bundled binary as fallback). Shell commands use the shell v2 protocol so exit codes survive.
"""

from __future__ import annotations

import codecs
import shutil
import socket
import struct
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cnnlab.devices.errors import AdbUnavailable, DeviceNotReady, UnknownDevice

if TYPE_CHECKING:
    from adbutils import AdbClient, AdbDevice

ADVICE = {
    "unauthorized": (
        "unlock the phone and accept the 'Allow USB debugging?' prompt (tick 'Always allow from "
        "this computer'), then run `cnnlab devices` again."
    ),
    "offline": (
        "it is attached but not answering; unplug and replug the cable (or run `adb reconnect "
        "offline`), then run `cnnlab devices` again."
    ),
    "no permissions": (
        "this user may not open the USB device; add a udev rule for the phone (Debian: "
        "`apt install android-sdk-platform-tools-common`) and replug it."
    ),
    "authorizing": "the phone is checking this computer's key; wait a few seconds and retry.",
    "connecting": "adb is still connecting to it; wait a few seconds and retry.",
}
DEFAULT_ADVICE = "it cannot run benchmarks in this state; reboot it into Android and retry."
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class AdbServerAddress:
    """Where the adb server listens (`devices.adb_host` and `devices.adb_port` in cnnlab.toml)."""

    host: str = "127.0.0.1"
    port: int = 5037


@dataclass(frozen=True)
class ShellResult:
    """A finished shell command; `exit_code` is None when the stream broke off (device gone)."""

    exit_code: int | None
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def advice_for(state: str) -> str:
    return ADVICE.get(state, DEFAULT_ADVICE)


def adb_binary() -> str | None:
    """Debian's `adb` on PATH, else the binary bundled with adbutils, else None."""
    found = shutil.which("adb")
    if found:
        return found
    try:
        from adbutils._utils import adb_path

        return str(adb_path())
    except Exception:  # adbutils raises a bare error when it bundles no binary for this OS
        return None


def _answers(address: AdbServerAddress) -> bool:
    try:
        with socket.create_connection((address.host, address.port), timeout=2):
            return True
    except OSError:
        return False


def adb_client(address: AdbServerAddress, *, start: bool = True) -> AdbClient:
    """A client bound to `address`; a local server that is not running is started first."""
    if not _answers(address):
        binary = adb_binary()
        if not start or address.host not in LOCAL_HOSTS:
            raise AdbUnavailable(
                f"No adb server answers at {address.host}:{address.port}; start it with "
                f"`adb -P {address.port} start-server` or fix devices.adb_host/adb_port."
            )
        if binary is None:
            raise AdbUnavailable(
                "adb is not installed; install Debian's `adb` package (apt install adb) to use "
                "phones."
            )
        subprocess.run(
            [binary, "-P", str(address.port), "start-server"],
            capture_output=True,
            timeout=60,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if not _answers(address):
            raise AdbUnavailable(
                f"Could not start an adb server on port {address.port} with {binary}; run "
                f"`{binary} -P {address.port} start-server` to see why."
            )
    from adbutils import AdbClient

    return AdbClient(host=address.host, port=address.port, socket_timeout=30)


def device_states(client: AdbClient) -> dict[str, str]:
    """Serial -> state for every device the server knows, including unusable ones."""
    return {info.serial: info.state for info in client.list()}


def ready_device(client: AdbClient, serial: str) -> AdbDevice:
    """The device `serial`, or a one-sentence error when it is absent or not usable."""
    states = device_states(client)
    state = states.get(serial)
    if state is None:
        known = ", ".join(sorted(states)) or "none"
        raise UnknownDevice(
            f"No device {serial} is attached to adb (attached: {known}); `cnnlab devices` lists "
            "them."
        )
    if state != "device":
        raise DeviceNotReady(serial, state, advice_for(state))
    return client.device(serial)


def run_shell(
    device: AdbDevice,
    command: str,
    *,
    on_stdout: Callable[[str], None] | None = None,
    timeout_s: float | None = 600,
) -> ShellResult:
    """Run `command` with shell v2, handing stdout to `on_stdout` as it arrives.

    A stream that ends without an exit frame (cable pulled, adb server gone) gives
    `exit_code=None` instead of raising, so callers can keep what arrived before.
    """
    from adbutils import AdbError

    stdout: list[str] = []
    stderr: list[str] = []
    out_decoder = codecs.getincrementaldecoder("utf-8")("replace")
    err_decoder = codecs.getincrementaldecoder("utf-8")("replace")
    exit_code: int | None = None
    try:
        connection = device.open_transport(timeout=timeout_s)
    except (AdbError, OSError):
        return ShellResult(None, "", "")
    try:
        connection.send_command(f"shell,v2:{command}")
        connection.check_okay()
        while True:
            header = connection.read_exact(5)
            frame_id, length = struct.unpack("<BI", header)
            payload = connection.read_exact(length) if length else b""
            if frame_id == 1:
                text = out_decoder.decode(payload)
                stdout.append(text)
                if on_stdout is not None and text:
                    on_stdout(text)
            elif frame_id == 2:
                stderr.append(err_decoder.decode(payload))
            elif frame_id == 3:
                exit_code = payload[0] if payload else 0
                break
    except (AdbError, EOFError, OSError):
        exit_code = None
    finally:
        connection.close()
    return ShellResult(exit_code, "".join(stdout), "".join(stderr))
