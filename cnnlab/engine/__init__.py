"""Jobs: specs, the queue and scheduler, backends, job kinds and the Keras callbacks that report.

Importing this package does not import TensorFlow; only a job process running a model does.
"""

from __future__ import annotations

from cnnlab.engine.control import resume, stop, submit
from cnnlab.engine.liveness import mark_lost
from cnnlab.engine.scheduler import (
    SchedulerStatus,
    ensure_scheduler,
    scheduler_status,
    stop_scheduler,
)
from cnnlab.engine.spec import SpecError, TrainSpec, spec_from_dict

__all__ = [
    "SchedulerStatus",
    "SpecError",
    "TrainSpec",
    "ensure_scheduler",
    "mark_lost",
    "resume",
    "scheduler_status",
    "spec_from_dict",
    "stop",
    "stop_scheduler",
    "submit",
]
