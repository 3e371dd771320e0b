"""Errors a phone, a cable or a user's file can cause while listing, preparing or benchmarking.

Each says in one sentence what happened and what to do, so the CLI, the TUI and a failed job's
row can show it as is; `DeviceDisconnected` also carries the samples measured before the cable
went, so nothing measured is lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnnlab.errors import CnnlabError

if TYPE_CHECKING:
    from cnnlab.devices.results import BenchResult


class DeviceError(CnnlabError):
    """A device cannot be reached, prepared or benchmarked."""


class AdbUnavailable(DeviceError):
    """No adb server answers and none could be started."""


class UnknownDevice(DeviceError):
    """No device with this serial is attached to the adb server."""


class DeviceNotReady(DeviceError):
    """The phone is attached but unauthorized, offline or otherwise not usable yet."""

    def __init__(self, serial: str, state: str, advice: str) -> None:
        super().__init__(f"Device {serial} is {state}: {advice}")
        self.serial = serial
        self.state = state


class DeviceDisconnected(DeviceError):
    """The phone went away during a benchmark; `partial` holds what was measured before."""

    def __init__(
        self, serial: str, taken: int, total: int, partial: BenchResult | None = None
    ) -> None:
        super().__init__(
            f"device {serial} disconnected after {taken} of {total} runs; the samples taken are "
            "kept. Plug it back in and run the benchmark again."
        )
        self.serial = serial
        self.taken = taken
        self.total = total
        self.partial = partial


class BenchmarkBinaryMissing(DeviceError):
    """`benchmark_model` is not on the phone, or no local copy was named."""


class WrongAbi(DeviceError):
    """The `benchmark_model` binary was built for another CPU than the phone's."""


class BinaryDoesNotRun(DeviceError):
    """The `benchmark_model` binary was pushed but the phone cannot execute it."""


class ModelNotLoadable(DeviceError):
    """The device could not load or run the model; each cause has its own class below."""


class ModelFileMissing(ModelNotLoadable):
    """benchmark_model could not open the model file on the phone."""


class NotAFlatbuffer(ModelNotLoadable):
    """The file is not a valid .tflite flatbuffer."""


class UnsupportedOp(ModelNotLoadable):
    """This benchmark_model has no kernel for an op of the model (or a custom op)."""


class DelegateFailed(ModelNotLoadable):
    """The delegate asked for could not be applied (or refused a CPU fallback)."""


class AllocationFailed(ModelNotLoadable):
    """The tensors could not be allocated (memory, or shapes the delegate refuses)."""


class InvokeFailed(ModelNotLoadable):
    """The model loaded but failed while running."""


class ToolAborted(DeviceError):
    """benchmark_model aborted (a FATAL line, or SIGABRT's exit status 134)."""


class UnparseableOutput(DeviceError):
    """`benchmark_model` printed something without the timings cnnlab needs."""


class UnsupportedDelegate(DeviceError):
    """The delegate asked for does not exist on this device."""


class DelegateDidNotRun(UnsupportedDelegate):
    """The tool ran, but not on the delegate asked for (unsupported, ignored or no node)."""
