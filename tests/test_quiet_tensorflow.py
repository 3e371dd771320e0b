"""What `import_tensorflow_quietly` keeps of TensorFlow's start-up output, at each log level."""

from __future__ import annotations

import pytest

from cnnlab.quiet_tensorflow import drop_start_up_noise

# fd 2 of `import tensorflow; tf.config.list_physical_devices()` on a machine without a GPU
# (TensorFlow 2.21, TF_CPP_MIN_LOG_LEVEL=0), with a Python warning and a real error mixed in.
BANNER = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
NO_DRIVERS = (
    "I0000 00:00:1796118296.626981   30828 cudart_stub.cc:31] Could not find cuda drivers on "
    "your machine, GPU will not be used.\n"
)
CPU_GUARD = (
    "I0000 00:00:1796118296.801744   30828 cpu_feature_guard.cc:227] This TensorFlow binary is "
    "optimized to use available CPU instructions in performance-critical operations.\n"
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow "
    "with the appropriate compiler flags.\n"
)
NO_CUINIT = (
    "E0000 00:00:1796118308.876601   30828 cuda_platform.cc:52] failed call to cuInit: INTERNAL: "
    "CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)\n"
)
PLUGIN_WARNING = "W0000 00:00:1796118308.9   30828 plugin.cc:12] a plugin warned\n"
REAL_ERROR = "E0000 00:00:1796118309.1   30828 op_kernel.cc:1857] OP_REQUIRES failed\n"
PYTHON_WARNING = "/x/site.py:3: UserWarning: something Python said\n  warnings.warn(msg)\n"
CAPTURED = (
    PYTHON_WARNING
    + BANNER
    + NO_DRIVERS
    + CPU_GUARD
    + BANNER
    + NO_DRIVERS
    + NO_CUINIT
    + PLUGIN_WARNING
    + REAL_ERROR
)


@pytest.mark.parametrize(
    ("level", "kept"),
    [
        (0, CAPTURED),
        (1, PYTHON_WARNING + PLUGIN_WARNING + REAL_ERROR),
        (2, PYTHON_WARNING + REAL_ERROR),
        (3, PYTHON_WARNING),
    ],
)
def test_what_tensorflow_would_hide_at_the_level_is_dropped(level: int, kept: str) -> None:
    assert drop_start_up_noise(CAPTURED, level) == kept


def test_text_that_is_not_a_log_record_is_kept() -> None:
    text = "Traceback (most recent call last):\n  File 'x.py', line 1\nImportError: no\n"

    assert drop_start_up_noise(text, 3) == text
