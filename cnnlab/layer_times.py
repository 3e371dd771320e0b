"""Time per Keras layer on one device: what an op profile says, in the terms of the model.

Declared once for the device code that measures it (`cnnlab.devices.op_layers`) and the reports
and screens that show it (`cnnlab.report.op_profile`); it is stored as a dict in the bench run
(`layer_profile`), so it imports nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class LayerTime:
    """Time per run spent for one Keras layer (or one delegate partition) on one device."""

    layer: str  # the layer, or "GPU delegate (3 layers)" for a partition
    ms: float
    percent: float
    ran_on: str  # "CPU" or the delegate that ran it
    ops: tuple[str, ...]  # the TFLite ops (for a partition: the delegate kernel)
    layers: tuple[str, ...]  # the Keras layers this entry covers
    first_index: int  # where it starts in run order

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ops": list(self.ops), "layers": list(self.layers)}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> LayerTime:
        return cls(
            **{
                **values,
                "ops": tuple(values.get("ops") or ()),
                "layers": tuple(values.get("layers") or ()),
            }
        )
