"""Which delegate a saved log's run was asked for, and what the log shows ran on it.

Read from what the log itself says, in this order: a delegate flag the tool echoed or a pasted
command line gave (`Use gpu: [1]`, `--use_nnapi=true`), the tool's own delegation line
(`Explicitly applied GPU delegate, and the model graph will be ...`), the runtime's default
XNNPACK (`Created TensorFlow Lite XNNPACK delegate for CPU.` with its "Replacing N out of M"
line), and, for a log whose start is there, the absence of any delegate flag (the plain CPU).
The LiteRT 2.x tool says nothing of what its accelerator ran, except that a run with
`--require_full_delegation=true` that finished ran whole on it. A delegate cnnlab does not
bench (Hexagon, Core ML, an NPU, an external one) is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnnlab.delegates import DELEGATES
from cnnlab.devices.parse import Delegation
from cnnlab.devices.saved_text import SavedFileError

if TYPE_CHECKING:
    from cnnlab.devices.saved_log import LogRun

# Delegates the tool can be asked for that cnnlab does not record (its benches are `DELEGATES`).
_OTHER_DELEGATES = {
    "use_hexagon": "Hexagon",
    "use_coreml": "Core ML",
    "use_npu": "NPU",
    "external_delegate_path": "external",
    "stable_delegate_settings_file": "stable",
}
_TRUE = ("1", "true", "yes")
_FALSE = ("0", "false", "no")


def flag_bool(value: str | None) -> bool | None:
    """A flag's or an echoed param's truth value; None when unset or not a boolean."""
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


def requested(run: LogRun, name: str) -> tuple[str | None, str]:
    """The delegate the run was asked for, and how the log says so (None: it does not)."""
    settings = run.settings
    for key, label in _OTHER_DELEGATES.items():
        value = settings.get(key)
        if value and (flag_bool(value) or key.endswith(("path", "file"))):
            raise SavedFileError(
                f"{name} is a run of the {label} delegate; cnnlab records the "
                f"{', '.join(DELEGATES)} delegates only."
            )
    asked = [d for d in ("gpu", "nnapi") if flag_bool(settings.get(f"use_{d}"))]
    if len(asked) > 1:
        raise SavedFileError(
            f"{name} asks for the gpu and nnapi delegates together; cnnlab records one "
            "delegate per bench, so run the tool with one of them."
        )
    if asked:
        return asked[0], f"--use_{asked[0]} in the log"
    xnnpack = flag_bool(settings.get("use_xnnpack"))
    if xnnpack:
        return "xnnpack", "--use_xnnpack in the log"
    said = run.output.delegation
    if said is not None and said.delegate.lower() in DELEGATES:
        return said.delegate.lower(), f"the log's line '{said.describe()}'"
    if run.xnnpack_created:
        return "xnnpack", "the runtime's 'Created TensorFlow Lite XNNPACK delegate' line"
    if xnnpack is False:
        return "cpu", "--use_xnnpack=false in the log"
    if run.has_start and run.tool == "benchmark_model":
        # The tool echoes every flag that was set: none of a delegate's means none was asked.
        return "cpu", "no delegate flag among the flags the log echoes"
    return None, ""


def default_delegation(run: LogRun) -> Delegation | None:
    """What the log shows ran on a delegate: the tool's own line, else XNNPACK when the
    runtime applied it by default (the tool prints 'Explicitly applied' only for delegates it
    was asked for), else the LiteRT 2.x accelerator a run that required full delegation used."""
    if run.output.delegation is not None:
        return run.output.delegation
    if run.tool == "LiteRT 2.x":
        return _litert_delegation(run)
    if not run.xnnpack_created:
        return None
    replaced = run.replaced
    if replaced is None or "xnnpack" not in str(replaced["kernel"]).lower():
        return Delegation("XNNPACK", "applied")
    if replaced["nodes"] == replaced["of"] and replaced["partitions"] == 1:
        return Delegation("XNNPACK", "full")
    return Delegation("XNNPACK", "partial", int(replaced["partitions"]))


def _litert_delegation(run: LogRun) -> Delegation | None:
    """LiteRT 2.x fails a run that required full delegation and fell back to the CPU
    (`Disallowed CPU fallback detected.`, an error): one that finished ran whole on it."""
    if not flag_bool(run.settings.get("require_full_delegation")):
        return None
    if flag_bool(run.settings.get("use_gpu")):
        return Delegation("GPU", "full")
    return None
