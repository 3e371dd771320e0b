"""Each way `benchmark_model` fails on a phone becomes its own sentence with what to do, read
from the tool's ERROR lines as its source prints them (tflite/converter/mmap_allocation.cc,
core/api/op_resolver.cc, tools/benchmark/benchmark_tflite_model.cc, benchmark_main.cc)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cnnlab.devices import (
    AdbServerAddress,
    AllocationFailed,
    BinaryDoesNotRun,
    DelegateFailed,
    DeviceError,
    InvokeFailed,
    ModelFileMissing,
    ModelNotLoadable,
    NotAFlatbuffer,
    ToolAborted,
    UnsupportedOp,
    benchmark_phone,
)
from cnnlab.devices.tool_failures import tool_failure as _failure

TAIL = "ERROR: Benchmarking failed.\n"


@pytest.mark.parametrize(
    ("said", "advice", "kind"),
    [
        (
            "ERROR: Could not open '/data/local/tmp/m.tflite'.\n"
            "ERROR: The model allocation is null/empty\n"
            "ERROR: Failed to load model /data/local/tmp/m.tflite\n",
            "run the benchmark again (it pushes the model)",
            ModelFileMissing,
        ),
        (
            "ERROR: The model is not a valid Flatbuffer buffer\n"
            "ERROR: Failed to load model m.tflite\n",
            "not a valid .tflite file; convert the model again",
            NotAFlatbuffer,
        ),
        (
            "ERROR: Didn't find op for builtin opcode 'GELU' version '1'. An older version of "
            "this builtin might be supported. Are you using an old TFLite binary with a newer "
            "model?\n\nERROR: Registration failed.\n\n"
            "ERROR: Failed to initialize the interpreter\n",
            "push a newer benchmark_model with `cnnlab devices prepare R58M41 --benchmark-model",
            UnsupportedOp,
        ),
        (
            "ERROR: Failed to apply GPU delegate.\n",
            "bench with --delegate cpu or xnnpack",
            DelegateFailed,
        ),
        (
            "ERROR: Disallowed CPU fallback detected.\n",
            "bench with --delegate cpu or xnnpack",
            DelegateFailed,
        ),
        (
            "ERROR: Failed to allocate tensors!\n",
            "could not allocate the model's tensors",
            AllocationFailed,
        ),
    ],
)
def test_each_failure_names_its_cause_and_what_to_do(
    said: str, advice: str, kind: type[ModelNotLoadable]
) -> None:
    error = _failure("R58M41", "m.tflite", 1, "INFO: STARTING!\n" + said + TAIL)
    assert type(error) is kind and isinstance(error, ModelNotLoadable)
    text = str(error)
    assert text.startswith("Device R58M41 could not run m.tflite (")
    assert advice in text
    assert "Benchmarking failed" not in text  # the tool's last word says nothing of the cause
    assert "\n" not in text


def test_an_abort_a_binary_that_cannot_run_and_an_unknown_exit() -> None:
    aborted = _failure("R58M41", "m.tflite", 134, "INFO: STARTING!\nFATAL: Failed to invoke!\n")
    assert type(aborted) is InvokeFailed
    assert "could not run m.tflite (Failed to invoke!)" in str(aborted)
    assert "--device host" in str(aborted)
    silent = _failure("R58M41", "m.tflite", 134, "INFO: STARTING!\n")
    assert type(silent) is ToolAborted and "aborted" in str(silent)
    fatal = _failure("R58M41", "m.tflite", 134, "FATAL: Check failed: tensor != nullptr\n")
    assert type(fatal) is ToolAborted and "Check failed: tensor != nullptr" in str(fatal)
    cannot = _failure(
        "R58M41",
        "m.tflite",
        126,
        "/data/local/tmp/cnnlab/benchmark_model: not executable: 64-bit ELF file\n",
    )
    assert isinstance(cannot, BinaryDoesNotRun)
    odd = _failure("R58M41", "m.tflite", 3, "something else\n")
    assert type(odd) is DeviceError and "exit code 3" in str(odd)


@pytest.mark.parametrize(
    ("failure", "kind"),
    [
        ("unsupported-op", UnsupportedOp),
        ("delegate", DelegateFailed),
        ("allocate", AllocationFailed),
        ("abort", InvokeFailed),
    ],
)
def test_each_failure_on_the_loopback_phone(
    prepared_phone: Any,
    address: AdbServerAddress,
    tflite_model: Path,
    failure: str,
    kind: type[DeviceError],
) -> None:
    """The stand-in prints what the real tool prints for each failure, to the same streams and
    with the same exit status; each reaches the user as its own error, warm and cold."""
    (prepared_phone.root / ".failure").write_text(failure)
    for cold in (False, True):
        with pytest.raises(kind) as failed:
            benchmark_phone(address, prepared_phone.serial, tflite_model, runs=2, cold=cold)
        assert "Benchmarking failed" not in str(failed.value)
        assert str(failed.value).startswith(f"Device {prepared_phone.serial} could not run ")
