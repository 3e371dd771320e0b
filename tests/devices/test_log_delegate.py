"""Which delegate a saved log was asked for and what ran on it: the tool's own lines, the
runtime's default XNNPACK, and LiteRT 2.x's full delegation when it was required."""

from __future__ import annotations

import pytest
from support import saved_logs

from cnnlab.devices.log_delegate import default_delegation
from cnnlab.devices.saved_log import read_log
from cnnlab.devices.saved_text import SavedFileError


def test_default_xnnpack_is_named_with_its_extent() -> None:
    run = read_log(saved_logs.CPU_DEFAULT_XNNPACK, "cpu.log")
    assert run.delegate == "xnnpack" and run.xnnpack_created
    said = default_delegation(run)
    assert said is not None and said.describe() == "XNNPACK full"


def test_the_tools_own_line_is_what_ran() -> None:
    said = default_delegation(read_log(saved_logs.GPU_PARTIAL, "gpu.log"))
    assert said is not None and (said.extent, said.kernels) == ("partial", 3)
    unsupported = default_delegation(read_log(saved_logs.GPU_UNSUPPORTED, "nogpu.log"))
    assert unsupported is not None and not unsupported.ran_on_it


def test_litert_says_nothing_of_its_accelerator_unless_full_delegation_was_required() -> None:
    asked = "$ benchmark_litert_model --graph=m.tflite --use_gpu=true"
    assert default_delegation(read_log(f"{asked}\n{saved_logs.LITERT}", "l.log")) is None
    required = read_log(f"{asked} --require_full_delegation=true\n{saved_logs.LITERT}", "l.log")
    said = default_delegation(required)
    assert required.delegate == "gpu" and said is not None and said.describe() == "GPU full"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ("--use_hexagon=true", "Hexagon delegate"),
        ("--external_delegate_path=/x.so", "external delegate"),
        ("--use_gpu=true --use_nnapi=true", "gpu and nnapi delegates together"),
    ],
)
def test_delegates_cnnlab_does_not_bench_are_refused(flags: str, message: str) -> None:
    command = f"$ benchmark_model --graph=m.tflite {flags}\n"
    with pytest.raises(SavedFileError, match=message):
        read_log(command + saved_logs.TF23, "x.log")
