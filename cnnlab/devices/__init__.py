"""Where models are measured: the host through LiteRT, and Android phones over adb.

The engine, the CLI and the TUI call these plain functions and get frozen dataclasses back;
nothing here imports TensorFlow, and LiteRT is loaded only when the host runner runs.
"""

from __future__ import annotations

from cnnlab.delegates import DELEGATES
from cnnlab.devices.adb import AdbServerAddress, ShellResult, adb_client, device_states
from cnnlab.devices.elf import ElfArch, check_abi, read_elf_arch
from cnnlab.devices.errors import (
    AdbUnavailable,
    AllocationFailed,
    BenchmarkBinaryMissing,
    BinaryDoesNotRun,
    DelegateDidNotRun,
    DelegateFailed,
    DeviceDisconnected,
    DeviceError,
    DeviceNotReady,
    InvokeFailed,
    ModelFileMissing,
    ModelNotLoadable,
    NotAFlatbuffer,
    ToolAborted,
    UnknownDevice,
    UnparseableOutput,
    UnsupportedDelegate,
    UnsupportedOp,
    WrongAbi,
)
from cnnlab.devices.host import benchmark_host
from cnnlab.devices.inventory import (
    HOST_SERIAL,
    DeviceInfo,
    Inventory,
    device_info,
    host_info,
    list_inventory,
    record_device,
    record_inventory,
    remote_host_serial,
)
from cnnlab.devices.parse import BenchmarkOutput, RunStats, parse_benchmark_output
from cnnlab.devices.phone import benchmark_phone
from cnnlab.devices.prepare import PreparedPhone, PushedModel, prepare_phone
from cnnlab.devices.results import BenchResult, LatencySummary, summarize

__all__ = [
    "DELEGATES",
    "HOST_SERIAL",
    "AdbServerAddress",
    "AdbUnavailable",
    "AllocationFailed",
    "BenchResult",
    "BenchmarkBinaryMissing",
    "BenchmarkOutput",
    "BinaryDoesNotRun",
    "DelegateDidNotRun",
    "DelegateFailed",
    "DeviceDisconnected",
    "DeviceError",
    "DeviceInfo",
    "DeviceNotReady",
    "ElfArch",
    "Inventory",
    "InvokeFailed",
    "LatencySummary",
    "ModelFileMissing",
    "ModelNotLoadable",
    "NotAFlatbuffer",
    "PreparedPhone",
    "PushedModel",
    "RunStats",
    "ShellResult",
    "ToolAborted",
    "UnknownDevice",
    "UnparseableOutput",
    "UnsupportedDelegate",
    "UnsupportedOp",
    "WrongAbi",
    "adb_client",
    "benchmark_host",
    "benchmark_phone",
    "check_abi",
    "device_info",
    "device_states",
    "host_info",
    "list_inventory",
    "parse_benchmark_output",
    "prepare_phone",
    "read_elf_arch",
    "record_device",
    "record_inventory",
    "remote_host_serial",
    "summarize",
]
