"""The spec of TFLite conversion jobs, validated before anything is queued.

They hold every converter option, so two TFLite variants of one model can always be told apart
and a conversion can be repeated exactly; every number is bounded here, at submit, and like
every spec module this one never imports TensorFlow.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from cnnlab.engine.spec import MAX_BATCH, SpecError

# float: no optimisation; dynamic: int8 weights, float activations; float16: half-precision
# weights; int8: full integer quantization calibrated on training images.
CONVERT_MODES = ("float", "dynamic", "float16", "int8")
# Paper 001's three choices. In TensorFlow 2 "latency" and "size" are deprecated aliases of
# "default" (all three quantize weights), but the choice is recorded as the user made it.
OPTIMIZATIONS = ("default", "latency", "size")
# int8 calibration images are held in memory at once (10,000 at 224 px are 6 GB); TensorFlow's
# guidance is a few hundred.
MAX_CALIBRATION = 10_000


@dataclass(frozen=True)
class ConvertSpec:
    """Convert one experiment's model to TFLite in one mode, then evaluate it."""

    kind: ClassVar[str] = "convert"

    source_id: int
    mode: str = "float"
    optimize: str | None = None
    calibration: int = 100
    int8_io: bool = False
    select_tf_ops: bool = False
    float_fallback: bool = False
    data: str | None = None  # None: the source experiment's own dataset
    model: str | None = None  # the source's model name, so the row says what was converted
    batch: int = 16
    name: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.source_id, bool) or not isinstance(self.source_id, int):
            raise SpecError(f"The experiment to convert must be an id, got {self.source_id!r}.")
        if self.mode not in CONVERT_MODES:
            hint = (
                " A .tflite file is already converted: import it with `cnnlab import` instead."
                if str(self.mode).endswith(".tflite")
                else ""
            )
            raise SpecError(
                f"Unknown conversion mode {self.mode!r}; choose one of "
                f"{', '.join(CONVERT_MODES)}.{hint}"
            )
        if self.optimize is not None and self.optimize not in OPTIMIZATIONS:
            raise SpecError(
                f"Unknown optimisation {self.optimize!r}; choose one of {', '.join(OPTIMIZATIONS)}."
            )
        if self.mode == "float" and self.optimize is not None:
            raise SpecError(
                f"--optimize {self.optimize} quantizes the weights, which float mode never does; "
                "use --mode dynamic (or float16, int8) with it."
            )
        if isinstance(self.calibration, bool) or not isinstance(self.calibration, int):
            raise SpecError(f"Calibration must be a number of images, got {self.calibration!r}.")
        if self.calibration < 1:
            raise SpecError(
                f"Calibration needs at least 1 image, got {self.calibration!r}; 100-500 is usual."
            )
        if self.calibration > MAX_CALIBRATION:
            raise SpecError(
                f"Calibration takes at most {MAX_CALIBRATION:,} images, got "
                f"{self.calibration!r}; 100-500 is usual."
            )
        if self.int8_io and self.mode != "int8":
            raise SpecError(f"--int8-io needs --mode int8 (got {self.mode!r}).")
        if self.float_fallback and self.mode != "int8":
            raise SpecError(f"--float-fallback only applies to --mode int8 (got {self.mode!r}).")
        if isinstance(self.batch, bool) or not isinstance(self.batch, int) or self.batch < 1:
            raise SpecError(f"The batch size must be a positive whole number, got {self.batch!r}.")
        if self.batch > MAX_BATCH:
            raise SpecError(f"The batch size must be at most {MAX_BATCH:,}, got {self.batch!r}.")

    @property
    def optimization(self) -> str | None:
        """The optimisation the converter gets: none for float, "default" unless chosen."""
        if self.mode == "float":
            return None
        return self.optimize or "default"

    def describe(self) -> str:
        """One line such as `int8 (default, 100 calibration images, int8 I/O)`."""
        parts = [p for p in (self.optimization,) if p]
        if self.mode == "int8":
            parts.append(f"{self.calibration} calibration images")
            if self.int8_io:
                parts.append("int8 I/O")
            if self.float_fallback:
                parts.append("float fallback")
        if self.select_tf_ops:
            parts.append("select TF ops")
        return self.mode + (f" ({', '.join(parts)})" if parts else "")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **dataclasses.asdict(self)}
