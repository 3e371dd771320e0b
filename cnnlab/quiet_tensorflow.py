"""Import TensorFlow without its C++ start-up chatter on stderr, for commands that talk to people.

TensorFlow 2.21 logs through absl before absl's logging is initialised, and such lines ignore
TF_CPP_MIN_LOG_LEVEL: on a machine without a GPU `import tensorflow` prints the "All log
messages before absl::InitializeLog()" banner and cudart_stub's "Could not find cuda drivers"
(twice), and the first device lookup an error-level "failed call to cuInit". They go from C++
straight to file descriptor 2, past Python's `sys.stderr`, so the only way to keep them off the
terminal is to point fd 2 at a file while TensorFlow starts and finds its devices.

What that window captures is filtered, not thrown away: absl-format lines below
TF_CPP_MIN_LOG_LEVEL are dropped (the level TensorFlow itself would have honoured: "2", info and
warnings out, unless the user set another), the banner and the errors that only mean "no GPU
here" count as info, and every other line is written back to stderr. TF_CPP_MIN_LOG_LEVEL=0
shows everything, as TensorFlow would. Nothing here changes what TensorFlow computes.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from types import ModuleType

# "I0000 00:00:1796118130.342581   28125 cudart_stub.cc:31] Could not find cuda drivers ..."
_ABSL_LINE = re.compile(r"([IWEF])\d{4} [\d:.]+\s+\d+ \S+:\d+\] ")
_SEVERITY = {"I": 0, "W": 1, "E": 2, "F": 3}
_BANNER = "WARNING: All log messages before absl::InitializeLog() is called"
# Error-level lines that only say there is no usable GPU (cudart_stub's info line says the same)
# or that a CUDA plugin registered twice, a known TensorFlow start-up bug: both are info to a user.
_INFO_ERRORS = (
    "failed call to cuInit",
    "Unable to register cuDNN factory",
    "Unable to register cuFFT factory",
    "Unable to register cuBLAS factory",
)


def min_log_level() -> int:
    """TF_CPP_MIN_LOG_LEVEL in effect, "2" unless set (TensorFlow reads it when it starts)."""
    value = os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        return int(value)
    except ValueError:
        return 0


def _severity(record: str) -> int | None:
    """absl severity of a log record (the banner counts as info), None for anything else."""
    if record.startswith(_BANNER):
        return _SEVERITY["I"]
    match = _ABSL_LINE.match(record)
    if match is None:
        return None
    if match[1] == "E" and any(text in record for text in _INFO_ERRORS):
        return _SEVERITY["I"]
    return _SEVERITY[match[1]]


def drop_start_up_noise(text: str, min_level: int) -> str:
    """`text` captured from fd 2 less the log records TensorFlow would hide at `min_level`.

    A record is an absl line and the lines after it that are not records themselves (some
    messages span lines, e.g. cpu_feature_guard's "To enable the following instructions");
    lines before the first record are kept.
    """
    kept: list[str] = []
    dropping = False
    for line in text.splitlines(keepends=True):
        severity = _severity(line)
        if severity is not None:
            dropping = severity < min_level
        if not dropping:
            kept.append(line)
    return "".join(kept)


@contextlib.contextmanager
def _fd2_filtered(min_level: int) -> Iterator[None]:
    """Send fd 2 to a file for the block, then write back what is not start-up noise."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 at all: nothing to keep quiet
        yield
        return
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(ValueError, OSError):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = drop_start_up_noise(captured.read().decode(errors="replace"), min_level)
            if kept:
                os.write(2, kept.encode())


@functools.cache
def import_tensorflow_quietly() -> ModuleType:
    """`import tensorflow` and find its devices, keeping the start-up chatter off stderr.

    Call it before the first thing that imports TensorFlow or Keras (building a model does);
    later calls return the module at once.
    """
    min_level = min_log_level()
    with contextlib.nullcontext() if min_level <= 0 else _fd2_filtered(min_level):
        tensorflow = importlib.import_module("tensorflow")
        tensorflow.config.list_physical_devices()  # CUDA probing logs here, not at import
    return tensorflow
