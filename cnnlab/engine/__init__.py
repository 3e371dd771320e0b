"""Jobs: specs, the queue and scheduler, backends, job kinds and the Keras callbacks that report.

Importing this package does not import TensorFlow; only a job process running a model does.
The names below are loaded when first used (PEP 562), so that importing one light module of the
engine (`cnnlab.engine.params`, which every `cnnlab` command's options come from) does not also
load the scheduler, the liveness checks and the transfer code: that tripled `cnnlab --help`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cnnlab.engine.control import (
        CONFIRM_REPEATS,
        MAX_REPEATS,
        check_repeat,
        look_after_jobs,
        resume,
        stop,
        submit,
        submit_repeats,
    )
    from cnnlab.engine.liveness import mark_lost
    from cnnlab.engine.scheduler import (
        SchedulerStatus,
        ensure_scheduler,
        scheduler_status,
        stop_scheduler,
    )
    from cnnlab.engine.spec import SpecError, TrainSpec, spec_from_dict
    from cnnlab.engine.transfer import prepare_transfer
    from cnnlab.engine.transfer_spec import TransferSpec

# Each public name and the module that defines it.
_HOMES = {
    **dict.fromkeys(
        (
            "CONFIRM_REPEATS",
            "MAX_REPEATS",
            "check_repeat",
            "look_after_jobs",
            "resume",
            "stop",
            "submit",
            "submit_repeats",
        ),
        "cnnlab.engine.control",
    ),
    "mark_lost": "cnnlab.engine.liveness",
    **dict.fromkeys(
        ("SchedulerStatus", "ensure_scheduler", "scheduler_status", "stop_scheduler"),
        "cnnlab.engine.scheduler",
    ),
    **dict.fromkeys(("SpecError", "TrainSpec", "spec_from_dict"), "cnnlab.engine.spec"),
    "TransferSpec": "cnnlab.engine.transfer_spec",
    "prepare_transfer": "cnnlab.engine.transfer",
}

__all__ = [
    "CONFIRM_REPEATS",
    "MAX_REPEATS",
    "SchedulerStatus",
    "SpecError",
    "TrainSpec",
    "TransferSpec",
    "check_repeat",
    "ensure_scheduler",
    "look_after_jobs",
    "mark_lost",
    "prepare_transfer",
    "resume",
    "scheduler_status",
    "spec_from_dict",
    "stop",
    "stop_scheduler",
    "submit",
    "submit_repeats",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'cnnlab.engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
