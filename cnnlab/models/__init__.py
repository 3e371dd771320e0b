"""The model zoo: builders by name, freezing and head replacement, parameter and MAC counts.

Importing this package does not import TensorFlow; building a model does.
"""

from __future__ import annotations

from cnnlab.models.counting import (
    LayerRow,
    ModelCounts,
    ZooEntry,
    count_model,
    count_zoo,
    layer_table,
    recorded_counts,
)
from cnnlab.models.errors import (
    InputTooSmallError,
    ModelError,
    UnknownModelError,
    WeightsNotFoundError,
)
from cnnlab.models.freezing import FreezeReport, freeze_layers, freeze_report, replace_head
from cnnlab.models.registry import (
    MODEL_NAMES,
    MODEL_SPECS,
    ModelSpec,
    build_model,
    model_spec,
    resolve_input_shape,
)
from cnnlab.quiet_tensorflow import import_tensorflow_quietly

__all__ = [
    "MODEL_NAMES",
    "MODEL_SPECS",
    "FreezeReport",
    "InputTooSmallError",
    "LayerRow",
    "ModelCounts",
    "ModelError",
    "ModelSpec",
    "UnknownModelError",
    "WeightsNotFoundError",
    "ZooEntry",
    "build_model",
    "count_model",
    "count_zoo",
    "freeze_layers",
    "freeze_report",
    "import_tensorflow_quietly",
    "layer_table",
    "model_spec",
    "recorded_counts",
    "replace_head",
    "resolve_input_shape",
]
