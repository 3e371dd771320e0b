"""What the Recorder reads off the user's model and process: counts, shapes, where the fit runs
from, its learning rate; each tolerant of models cnnlab did not build (a custom layer the MAC
counter does not know still gets Keras' parameter count)."""

from __future__ import annotations

import contextlib
import math
import os
import sys
from pathlib import Path
from typing import Any

import keras


def source_path() -> str | None:
    """The notebook or script running the fit, when Python or Jupyter says."""
    session = os.environ.get("JPY_SESSION_NAME")  # Jupyter Server 2: the notebook's path
    if session:
        return session
    main = sys.modules.get("__main__")
    for name in ("__vsc_ipynb_file__", "__file__"):
        value = getattr(main, name, None)
        if isinstance(value, str) and "ipykernel" not in value:
            return str(Path(value).absolute())
    return None


def model_counts(model: Any) -> dict[str, int]:
    """Parameters (total, trainable) and MACs, as a training's artifacts carry them."""
    from cnnlab.models import count_model

    try:
        counts = count_model(model)
    except Exception:  # a custom layer the counter does not know: parameters from Keras
        total = int(model.count_params())
        trainable = sum(int(math.prod(w.shape)) for w in model.trainable_weights)
        return {"params": total, "trainable_params": trainable}
    return {
        "params": counts.total_params,
        "trainable_params": counts.trainable_params,
        "macs": counts.macs,
    }


def model_shapes(model: Any) -> dict[str, Any]:
    """The input shape and class count convert and transfer read from a model's artifact."""
    shapes: dict[str, Any] = {}
    with contextlib.suppress(AttributeError, TypeError, ValueError):
        shapes["input_shape"] = [int(d) if d is not None else None for d in model.input_shape[1:]]
    with contextlib.suppress(AttributeError, TypeError, ValueError, IndexError):
        shapes["classes"] = int(model.output_shape[-1])
    return shapes


def square_side(model: Any) -> int | None:
    """The side of the square images the model takes (as a training's `input`), or None."""
    side = model_shapes(model).get("input_shape") or []
    return side[0] if len(side) == 3 and side[0] and side[0] == side[1] else None


def number(value: Any) -> float:
    return float(keras.ops.convert_to_numpy(value)) if not isinstance(value, float) else value


def learning_rate(model: Any) -> float | None:
    try:
        return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    except (AttributeError, TypeError, ValueError):
        return None


def first_line(error: BaseException | None) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else ""
