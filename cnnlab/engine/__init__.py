"""Jobs: specs, the queue and scheduler, backends, job kinds and the Keras callbacks that report.

Importing this package does not import TensorFlow; only a job process running a model does.
"""

from __future__ import annotations

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
from cnnlab.engine.transfer import TransferSpec, prepare_transfer

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
