"""The spec of an import job: a model made elsewhere, brought in as it is; no TensorFlow here."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from cnnlab.engine.spec import SpecError

IMPORT_FORMATS = ("keras", "h5", "saved_model", "tflite")


@dataclass(frozen=True)
class ImportSpec:
    """A model made elsewhere (.keras, .h5, SavedModel folder, .tflite), brought in as is."""

    kind: ClassVar[str] = "import"

    path: str
    format: str
    data: str | None = None  # the dataset to convert, evaluate and calibrate it with
    model: str | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if not self.path:
            raise SpecError("A model file or SavedModel folder to import is required.")
        if self.format not in IMPORT_FORMATS:
            raise SpecError(
                f"Cannot import {self.path!r} as {self.format!r}; cnnlab imports "
                ".keras, .h5, .tflite files and SavedModel folders."
            )

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **dataclasses.asdict(self)}
