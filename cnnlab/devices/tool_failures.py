"""Which failure a `benchmark_model` run that exited non-zero is, and what the user can do.

The tool says why in its own ERROR lines (tflite/tools/benchmark/, tflite/core/,
tflite/converter/mmap_allocation.cc in google-ai-edge/LiteRT); each cause gets its own error
class and a sentence naming the way out, so a phone bench and an imported log fail alike.
"""

from __future__ import annotations

from cnnlab.devices.errors import (
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
)
from cnnlab.devices.parse import parse_benchmark_output

# Each failure the tool reports, by the words of its own ERROR lines (tflite/tools/benchmark/,
# tflite/core/, tflite/converter/mmap_allocation.cc), and what the user can do about it.
_FAILURES: tuple[tuple[type[ModelNotLoadable], tuple[str, ...], str], ...] = (
    # Most specific first: "Failed to load model" follows both a missing file and a bad one.
    (
        NotAFlatbuffer,
        ("not a valid flatbuffer",),
        "it is not a valid .tflite file; convert the model again",
    ),
    (
        UnsupportedOp,
        ("didn't find op", "unresolved custom op", "registration failed"),
        "this benchmark_model lacks an op the model uses; push a newer benchmark_model with "
        "`cnnlab devices prepare SERIAL --benchmark-model PATH`, or convert without that op",
    ),
    (
        ModelFileMissing,
        ("could not open", "model allocation is null", "failed to load model"),
        "the model file could not be opened on the phone; run the benchmark again (it pushes "
        "the model) and check that /data/local/tmp has free space",
    ),
    (
        DelegateFailed,
        ("failed to apply", "disallowed cpu fallback"),
        "the delegate could not take the model; bench with --delegate cpu or xnnpack",
    ),
    (
        AllocationFailed,
        ("failed to allocate tensors",),
        "the phone could not allocate the model's tensors (memory, or a shape the delegate "
        "refuses); try --delegate cpu or a smaller input",
    ),
    (
        InvokeFailed,
        ("failed to invoke",),
        "the model failed while running; check it on the host with --device host",
    ),
)


def tool_failure(serial: str, model_name: str, code: int, text: str) -> DeviceError:
    """The error for a run that exited with `code` after printing `text`."""
    output = parse_benchmark_output(text)
    errors = [e for e in output.errors if e.lower() != "benchmarking failed."]
    last = (text.strip().splitlines() or ["no output"])[-1].strip()
    if code in (126, 127):
        return BinaryDoesNotRun(
            f"benchmark_model cannot be executed on device {serial} ({last}); run `cnnlab "
            f"devices prepare {serial} --benchmark-model PATH` again."
        )
    said = "; ".join(errors[:2]) if errors else last
    lowered = " ".join(errors).lower()
    for error_class, needles, advice in _FAILURES:
        if any(needle in lowered for needle in needles):
            return error_class(
                f"Device {serial} could not run {model_name} ({said}): "
                f"{advice.replace('SERIAL', serial)}."
            )
    if output.fatal or code == 134:
        return ToolAborted(
            f"benchmark_model aborted on device {serial} while running {model_name} ({said}); "
            "benchmark the same model with --device host to see whether the model or the "
            "binary is at fault."
        )
    if errors:
        return ModelNotLoadable(
            f"Device {serial} could not run {model_name} ({said}); check that the model is "
            "a valid .tflite file whose ops and delegate the phone supports."
        )
    return DeviceError(f"benchmark_model failed on device {serial} with exit code {code} ({last}).")
