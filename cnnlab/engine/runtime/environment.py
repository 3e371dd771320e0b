"""What makes a run reproducible, recorded with it: versions, host, GPUs, git commit."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from cnnlab import __version__


def gpu_names() -> list[str]:
    """Names of the NVIDIA GPUs visible through NVML (empty without a driver)."""
    try:
        import pynvml  # nvidia-ml-py
    except ImportError:
        return []
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        return []
    try:
        names = []
        for index in range(pynvml.nvmlDeviceGetCount()):
            name = pynvml.nvmlDeviceGetName(pynvml.nvmlDeviceGetHandleByIndex(index))
            names.append(name.decode() if isinstance(name, bytes) else str(name))
        return names
    finally:
        pynvml.nvmlShutdown()


def git_commit(folder: Path) -> str | None:
    """The commit of the git checkout holding `folder` (with '-dirty' if modified), if any."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}-dirty" if dirty else commit


def environment(workdir: Path, *, tensorflow: bool = True) -> dict[str, Any]:
    """Versions and machine facts for the `started` event of a job that touches models."""
    if tensorflow:
        import keras  # noqa: F401 - the job is about to use both; record their versions
        import tensorflow as tf  # noqa: F401

    versions: dict[str, Any] = {
        "cnnlab": __version__,
        "python": platform.python_version(),
    }
    for module in ("tensorflow", "keras", "numpy"):
        loaded = sys.modules.get(module)
        if loaded is not None:
            versions[module] = getattr(loaded, "__version__", None)
    return {
        "versions": versions,
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "gpus": gpu_names(),
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
        "git_commit": git_commit(workdir),
        "workdir": str(workdir),
    }
