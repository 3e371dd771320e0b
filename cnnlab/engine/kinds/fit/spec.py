"""The spec of a `fit` row: where a training that ran in the user's own code was recorded from.

Such a row is never queued: the Recorder creates it already running, an import already done.
Its spec says where it came from, so `show`, a report or a later reader can tell a live
recording from an imported log, and what cnnlab cannot do with it (resume or clone it: the code
that trained it is the user's). No TensorFlow here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

from cnnlab.engine.spec import SpecError

# Where a recorded fit's epochs came from.
FIT_SOURCES = ("recorder", "csvlogger", "tensorboard")


@dataclass(frozen=True)
class FitSpec:
    """A training recorded from outside cnnlab's own trainer (see the module docstring)."""

    kind: ClassVar[str] = "fit"

    source: str
    name: str = ""
    path: str | None = None  # the imported log (file or folder), or the script that ran the fit
    epochs: int | None = None  # the epochs the fit was asked for, when known
    dataset: str | None = None
    # The model's input side (square images), read by a transfer from this fit as a training's.
    input: int | None = None
    # The recording process's start (field 22 of /proc/PID/stat, beside the row's pid): how
    # liveness tells the user's live kernel from a pid reused after it died.
    process_start: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.source not in FIT_SOURCES:
            raise SpecError(
                f"Unknown fit source {self.source!r}; expected one of {', '.join(FIT_SOURCES)}."
            )

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **dataclasses.asdict(self)}
