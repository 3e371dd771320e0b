"""GPU readings through NVML (nvidia-ml-py), imported lazily: where there is no NVIDIA driver
the answer is None and the GPU strip takes no space.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class GpuReading:
    index: int
    name: str
    utilization: int  # percent
    memory_used: int  # bytes
    memory_total: int
    pids: tuple[int, ...]


def read_gpus() -> list[GpuReading] | None:
    """Every visible GPU's utilisation, memory and compute processes; None without NVML."""
    try:
        import pynvml
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except Exception:  # NVMLError_LibraryNotFound, DriverNotLoaded, ...: no GPUs here
        return None
    try:
        return [_reading(pynvml, i) for i in range(pynvml.nvmlDeviceGetCount())]
    except Exception:
        return None
    finally:
        pynvml.nvmlShutdown()


def _reading(nvml: Any, index: int) -> GpuReading:
    handle = nvml.nvmlDeviceGetHandleByIndex(index)
    name = nvml.nvmlDeviceGetName(handle)
    memory = nvml.nvmlDeviceGetMemoryInfo(handle)
    utilization = nvml.nvmlDeviceGetUtilizationRates(handle)
    try:
        processes = nvml.nvmlDeviceGetComputeRunningProcesses(handle)
    except Exception:
        processes = []
    return GpuReading(
        index,
        name.decode() if isinstance(name, bytes) else str(name),
        int(utilization.gpu),
        int(memory.used),
        int(memory.total),
        tuple(int(p.pid) for p in processes),
    )
