"""Preparing a phone through real adb: ELF/ABI checks, a binary that runs, models cached."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from cnnlab.devices import (
    AdbServerAddress,
    BenchmarkBinaryMissing,
    BinaryDoesNotRun,
    WrongAbi,
    adb_client,
    check_abi,
    prepare_phone,
    read_elf_arch,
)
from cnnlab.devices.prepare import file_sha256, push_model
from cnnlab.store import Store, list_devices

EM_AARCH64, EM_ARM, EM_X86_64 = 183, 40, 62  # ELF e_machine values


def test_elf_header_is_read(tmp_path: Path, make_elf: Any) -> None:
    arm64 = read_elf_arch(make_elf(tmp_path / "a", EM_AARCH64))
    assert (arm64.name, arm64.abis) == ("aarch64 (64-bit)", ("arm64-v8a",))
    assert read_elf_arch(make_elf(tmp_path / "b", EM_ARM, bits=32)).abis[0] == "armeabi-v7a"
    assert read_elf_arch(make_elf(tmp_path / "c", EM_X86_64)).name == "x86_64 (64-bit)"
    script = tmp_path / "script"
    script.write_text("#!/bin/sh\necho hi\n")
    with pytest.raises(WrongAbi, match="is not an ELF executable"):
        read_elf_arch(script)
    with pytest.raises(WrongAbi, match=r"built for x86_64 .* runs arm64-v8a"):
        check_abi(tmp_path / "c", ("arm64-v8a",), "SERIAL")


def test_prepare_pushes_checks_and_records_the_binary(
    phone: Any, address: AdbServerAddress, aarch64_binary: Path, store: Store
) -> None:
    prepared = prepare_phone(address, phone.serial, aarch64_binary, store=store)
    sha = file_sha256(aarch64_binary)
    assert prepared.binary_path == "/data/local/tmp/cnnlab/benchmark_model"
    assert prepared.arch == "aarch64 (64-bit)"
    assert prepared.version == f"sha256:{sha[:12]}"  # the stand-in prints no version line
    assert (phone.root / ".pushed/data/local/tmp/cnnlab/benchmark_model").read_bytes() == (
        aarch64_binary.read_bytes()
    )
    assert (phone.tmp / "cnnlab/benchmark_model.version").read_text().split() == [
        sha,
        prepared.version,
    ]
    device = {d.serial: d for d in list_devices(store)}[phone.serial]
    assert prepared.device_id == device.id
    assert device.model == "SM-G950F"
    assert device.info is not None
    assert device.info["benchmark_model"]["version"] == prepared.version
    assert device.info["benchmark_model"]["sha256"] == sha


def test_wrong_abi_is_refused_before_anything_is_pushed(
    phone: Any, address: AdbServerAddress, tmp_path: Path, make_elf: Any
) -> None:
    x86 = make_elf(tmp_path / "benchmark_model", EM_X86_64)
    with pytest.raises(WrongAbi, match=rf"built for x86_64 \(64-bit\), but device {phone.serial}"):
        prepare_phone(address, phone.serial, x86)
    assert not (phone.tmp / "cnnlab/benchmark_model").exists()


def test_a_binary_the_phone_cannot_execute_is_caught(
    phone: Any, address: AdbServerAddress, tmp_path: Path, make_elf: Any
) -> None:
    # armeabi-v7a is in the phone's ABI list, but this is only a header: it cannot execute.
    arm32 = make_elf(tmp_path / "benchmark_model", EM_ARM, bits=32)
    with pytest.raises(BinaryDoesNotRun, match=rf"was pushed to device {phone.serial} but does"):
        prepare_phone(address, phone.serial, arm32)


def test_missing_binary_is_one_sentence(
    phone: Any, address: AdbServerAddress, tmp_path: Path
) -> None:
    with pytest.raises(BenchmarkBinaryMissing, match="does not exist; download TFLite's"):
        prepare_phone(address, phone.serial, tmp_path / "nowhere" / "benchmark_model")
    with pytest.raises(BenchmarkBinaryMissing, match="No benchmark_model binary was named"):
        prepare_phone(address, phone.serial, None)


def test_models_are_pushed_once_per_phone_by_hash(
    phone: Any, address: AdbServerAddress, tflite_model: Path, tmp_path: Path
) -> None:
    device = adb_client(address).device(phone.serial)
    first = push_model(device, phone.serial, tflite_model)
    again = push_model(device, phone.serial, tflite_model)
    assert first.pushed and not again.pushed
    assert first.remote_path == again.remote_path
    assert first.remote_path == f"/data/local/tmp/cnnlab/models/{first.sha256[:16]}/tiny.tflite"
    changed = tmp_path / "tiny.tflite"
    shutil.copy(tflite_model, changed)
    with changed.open("ab") as handle:
        handle.write(b"\0")
    assert push_model(device, phone.serial, changed).pushed


def test_cli_prepare(
    phone: Any,
    adb_server: Any,
    aarch64_binary: Path,
    db_path: Path,
    invoke: Any,
    tmp_path: Path,
    make_elf: Any,
) -> None:
    (db_path.parent / "cnnlab.toml").write_text(f"[devices]\nadb_port = {adb_server.port}\n")
    result = invoke(
        "devices",
        "prepare",
        phone.serial,
        "--benchmark-model",
        str(aarch64_binary),
        "--json",
        "--db",
        str(db_path),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["serial"] == phone.serial and data["version"].startswith("sha256:")
    text = invoke(
        "--db",
        str(db_path),
        "devices",
        "prepare",
        phone.serial,
        "--benchmark-model",
        str(aarch64_binary),
    )
    assert f"Device {phone.serial} is ready" in text.stdout
    x86 = make_elf(tmp_path / "benchmark_model", EM_X86_64)
    wrong = invoke(
        "--db", str(db_path), "devices", "prepare", phone.serial, "--benchmark-model", str(x86)
    )
    assert wrong.exit_code == 2
    assert "built for x86_64" in wrong.stderr and "Traceback" not in wrong.stderr
