"""Jobs: the engine's public API, the one door the CLI, the TUI and reports go through.

Behind it the engine has two halves: `runtime/` (the scheduler, the job process, liveness, the
reporters and their ingest, the Slurm backend) and `kinds/` (train, transfer, convert, bench,
import: each kind's spec, submit-time checks and job code in one folder). Beside them sit the
front modules the UIs may use directly: `params` (every job parameter, declared once), `plan`,
`spec`, `control` and `pipeline`. import-linter contracts (pyproject.toml) keep the UIs out of
the two halves and the kinds away from the scheduler.

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
        how_it_stops,
        look_after_jobs,
        resume,
        stop,
        submit,
        submit_repeats,
    )
    from cnnlab.engine.kinds.bench.run import expand_devices, plan_bench, submit_bench
    from cnnlab.engine.kinds.bench.spec import BenchSpec, options_for
    from cnnlab.engine.kinds.convert.spec import CONVERT_MODES, ConvertSpec
    from cnnlab.engine.kinds.convert.submit import conversion_specs, submit_conversions
    from cnnlab.engine.kinds.convert.variants import TfliteVariant, list_variants
    from cnnlab.engine.kinds.importing.run import import_model
    from cnnlab.engine.kinds.importing.spec import ImportSpec
    from cnnlab.engine.kinds.script.spec import ScriptSpec
    from cnnlab.engine.kinds.script.submit import plan_script, submit_script
    from cnnlab.engine.kinds.transfer.run import prepare_transfer
    from cnnlab.engine.kinds.transfer.spec import TransferSpec
    from cnnlab.engine.queue import QueuedJob, hold_job, read_queue, to_front
    from cnnlab.engine.runtime.ingest import ingest_reports
    from cnnlab.engine.runtime.liveness import mark_lost
    from cnnlab.engine.runtime.scheduler import (
        SchedulerStatus,
        ensure_scheduler,
        scheduler_status,
        stop_scheduler,
    )
    from cnnlab.engine.runtime.slurm import SlurmOptions
    from cnnlab.engine.spec import SpecError, TrainSpec, spec_from_dict

# Each public name and the module that defines it.
_HOMES = {
    **dict.fromkeys(
        (
            "CONFIRM_REPEATS",
            "MAX_REPEATS",
            "check_repeat",
            "how_it_stops",
            "look_after_jobs",
            "resume",
            "stop",
            "submit",
            "submit_repeats",
        ),
        "cnnlab.engine.control",
    ),
    "mark_lost": "cnnlab.engine.runtime.liveness",
    **dict.fromkeys(
        ("SchedulerStatus", "ensure_scheduler", "scheduler_status", "stop_scheduler"),
        "cnnlab.engine.runtime.scheduler",
    ),
    **dict.fromkeys(("SpecError", "TrainSpec", "spec_from_dict"), "cnnlab.engine.spec"),
    "TransferSpec": "cnnlab.engine.kinds.transfer.spec",
    "prepare_transfer": "cnnlab.engine.kinds.transfer.run",
    **dict.fromkeys(("BenchSpec", "options_for"), "cnnlab.engine.kinds.bench.spec"),
    **dict.fromkeys(
        ("expand_devices", "plan_bench", "submit_bench"), "cnnlab.engine.kinds.bench.run"
    ),
    **dict.fromkeys(("CONVERT_MODES", "ConvertSpec"), "cnnlab.engine.kinds.convert.spec"),
    **dict.fromkeys(
        ("conversion_specs", "submit_conversions"), "cnnlab.engine.kinds.convert.submit"
    ),
    **dict.fromkeys(("TfliteVariant", "list_variants"), "cnnlab.engine.kinds.convert.variants"),
    "import_model": "cnnlab.engine.kinds.importing.run",
    **dict.fromkeys(("DeviceIdentity", "import_latency"), "cnnlab.engine.latency_import"),
    "ImportSpec": "cnnlab.engine.kinds.importing.spec",
    "ScriptSpec": "cnnlab.engine.kinds.script.spec",
    **dict.fromkeys(("plan_script", "submit_script"), "cnnlab.engine.kinds.script.submit"),
    "ingest_reports": "cnnlab.engine.runtime.ingest",
    **dict.fromkeys(("QueuedJob", "hold_job", "read_queue", "to_front"), "cnnlab.engine.queue"),
    "SlurmOptions": "cnnlab.engine.runtime.slurm",
}

__all__ = [
    "CONFIRM_REPEATS",
    "CONVERT_MODES",
    "MAX_REPEATS",
    "BenchSpec",
    "ConvertSpec",
    "ImportSpec",
    "QueuedJob",
    "SchedulerStatus",
    "ScriptSpec",
    "SlurmOptions",
    "SpecError",
    "TfliteVariant",
    "TrainSpec",
    "TransferSpec",
    "check_repeat",
    "conversion_specs",
    "ensure_scheduler",
    "expand_devices",
    "hold_job",
    "how_it_stops",
    "import_model",
    "ingest_reports",
    "list_variants",
    "look_after_jobs",
    "mark_lost",
    "options_for",
    "plan_bench",
    "plan_script",
    "prepare_transfer",
    "read_queue",
    "resume",
    "scheduler_status",
    "spec_from_dict",
    "stop",
    "stop_scheduler",
    "submit",
    "submit_bench",
    "submit_conversions",
    "submit_repeats",
    "submit_script",
    "to_front",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'cnnlab.engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
