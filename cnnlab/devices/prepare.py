"""Getting a phone ready to benchmark: TFLite's `benchmark_model` pushed and checked, models cached.

The binary's ABI is read from its ELF header before anything is pushed, then it is run once on
the phone; its version (or, when it prints none, its SHA-256) is written next to it on the phone
and in the store, so every result can say which binary measured it. Models are pushed once per
phone under a folder named after their SHA-256.
"""

from __future__ import annotations

import hashlib
import re
import shlex
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from cnnlab.devices.adb import AdbServerAddress, adb_client, ready_device, run_shell
from cnnlab.devices.elf import check_abi
from cnnlab.devices.errors import (
    BenchmarkBinaryMissing,
    BinaryDoesNotRun,
    DeviceDisconnected,
    DeviceError,
)
from cnnlab.devices.inventory import merge_device, phone_info
from cnnlab.store import list_devices, upsert_device

if TYPE_CHECKING:
    from adbutils import AdbDevice

    from cnnlab.store import Store

REMOTE_DIR = "/data/local/tmp/cnnlab"
BINARY_NAME = "benchmark_model"
_VERSION = re.compile(r"(?im)\bversion\b[^:\n]*:\s*\[?v?([0-9][\w.\-+]*)")
DOWNLOAD_HINT = (
    "download TFLite's android_aarch64 benchmark_model build and pass it with "
    "--benchmark-model PATH (or set devices.benchmark_model in cnnlab.toml)"
)


@dataclass(frozen=True)
class PreparedPhone:
    """A phone with a working `benchmark_model`, and which binary that is."""

    serial: str
    binary_path: str
    binary_sha256: str
    arch: str
    version: str
    device_id: int | None = None


@dataclass(frozen=True)
class PushedModel:
    """A model on the phone: where it is, its hash, and whether this call had to push it."""

    remote_path: str
    sha256: str
    pushed: bool


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def binary_path(remote_dir: str = REMOTE_DIR) -> str:
    return f"{remote_dir}/{BINARY_NAME}"


def prepare_phone(
    address: AdbServerAddress,
    serial: str,
    benchmark_model: Path | None,
    *,
    store: Store | None = None,
    remote_dir: str = REMOTE_DIR,
) -> PreparedPhone:
    """Push `benchmark_model` to `serial`, check that its ABI fits and that it runs."""
    if benchmark_model is None:
        raise BenchmarkBinaryMissing(f"No benchmark_model binary was named; {DOWNLOAD_HINT}.")
    if not benchmark_model.is_file():
        raise BenchmarkBinaryMissing(f"{benchmark_model} does not exist; {DOWNLOAD_HINT}.")
    device = ready_device(adb_client(address), serial)
    info = phone_info(device, serial)
    arch = check_abi(benchmark_model, info.abis, serial)
    sha = file_sha256(benchmark_model)
    remote = binary_path(remote_dir)
    _push(device, serial, benchmark_model, remote, 0o755)
    check = run_shell(device, f"{shlex.quote(remote)} --help", timeout_s=120)
    if check.exit_code is None:
        raise DeviceDisconnected(serial, 0, 0)
    output = check.output
    if check.exit_code in (126, 127) or "graph" not in output:
        last = (output.strip().splitlines() or ["no output"])[-1].strip()
        raise BinaryDoesNotRun(
            f"{benchmark_model} was pushed to device {serial} but does not run there ({last}); "
            f"{DOWNLOAD_HINT}."
        )
    found = _VERSION.search(output)
    version = found.group(1) if found else f"sha256:{sha[:12]}"
    marker = f"{sha} {version}"
    run_shell(
        device,
        f"echo {shlex.quote(marker)} > {shlex.quote(remote + '.version')}",
        timeout_s=30,
    )
    prepared = PreparedPhone(serial, remote, sha, arch.name, version)
    if store is None:
        return prepared
    stored = {d.serial: d for d in list_devices(store)}.get(serial)
    record = merge_device(stored, info)
    record = replace(
        record,
        info={
            **(record.info or {}),
            "benchmark_model": {
                "version": version,
                "sha256": sha,
                "arch": arch.name,
                "remote_path": remote,
                "source": str(benchmark_model),
            },
        },
    )
    return replace(prepared, device_id=upsert_device(store, record))


def binary_version(device: AdbDevice, remote_dir: str = REMOTE_DIR) -> str | None:
    """The version `prepare_phone` recorded on the phone, or None when it was never prepared."""
    result = run_shell(
        device, f"cat {shlex.quote(binary_path(remote_dir) + '.version')} 2>/dev/null"
    )
    parts = result.stdout.split(maxsplit=1)
    return parts[1].strip() if len(parts) == 2 else None


def binary_present(device: AdbDevice, remote_dir: str = REMOTE_DIR) -> bool:
    info = device.sync.stat(binary_path(remote_dir))
    return stat.S_ISREG(info.mode)


def push_model(
    device: AdbDevice, serial: str, model: Path, remote_dir: str = REMOTE_DIR
) -> PushedModel:
    """Put `model` on the phone once: a second call with the same bytes pushes nothing."""
    if not model.is_file():
        raise DeviceError(f"Model file {model} does not exist; check the artifact's path.")
    sha = file_sha256(model)
    remote = f"{remote_dir}/models/{sha[:16]}/{model.name}"
    present = device.sync.stat(remote)
    if stat.S_ISREG(present.mode) and present.size == model.stat().st_size:
        return PushedModel(remote, sha, pushed=False)
    _push(device, serial, model, remote, 0o644)
    return PushedModel(remote, sha, pushed=True)


def _push(device: AdbDevice, serial: str, local: Path, remote: str, mode: int) -> None:
    from adbutils import AdbError

    try:
        device.sync.push(local, remote, mode=mode)
    except (AdbError, OSError, EOFError) as exc:
        raise DeviceError(
            f"Could not push {local.name} to device {serial} ({exc}); check that it is still "
            "connected and has free space in /data/local/tmp."
        ) from exc
