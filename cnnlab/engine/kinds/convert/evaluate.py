"""Accuracy of a Keras model and of its TFLite variants on the same validation images.

The TFLite side runs in the LiteRT interpreter the phones use, so a drop after quantization is
measured, not assumed. TensorFlow and LiteRT are
imported inside the functions that need them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

TOP_K = 3


@dataclass(frozen=True)
class Accuracy:
    """Top-1 and top-3 accuracy (fractions) over `images` validation images."""

    top1: float
    top3: float
    images: int

    def to_json(self) -> dict[str, Any]:
        return {"top1": self.top1, "top3": self.top3, "images": self.images}


class _Counter:
    def __init__(self) -> None:
        self.top1 = 0
        self.top3 = 0
        self.images = 0

    def add(self, scores: Any, labels: Any) -> None:
        scores = np.asarray(scores, dtype=np.float32).reshape(len(labels), -1)
        labels = np.asarray(labels).reshape(-1).astype(np.int64)
        k = min(TOP_K, scores.shape[1])
        best = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        self.top1 += int(np.sum(best[:, 0] == labels))
        self.top3 += int(np.sum(np.any(best == labels[:, None], axis=1)))
        self.images += len(labels)

    def result(self) -> Accuracy:
        if self.images == 0:
            return Accuracy(0.0, 0.0, 0)
        return Accuracy(self.top1 / self.images, self.top3 / self.images, self.images)


def evaluate_keras(predict: Any, batches: Iterable[tuple[Any, Any]]) -> Accuracy:
    """Accuracy of a Keras model (or any callable returning class scores) over (x, y) batches."""
    counter = _Counter()
    for images, labels in batches:
        counter.add(np.asarray(predict(images)), np.asarray(labels))
    return counter.result()


def evaluate_tflite(
    model: bytes | Path, batches: Iterable[tuple[Any, Any]], *, xnnpack: bool = True
) -> Accuracy:
    """Accuracy of a TFLite model in the LiteRT interpreter; int8 inputs are quantized with the
    input tensor's own scale and zero point. `xnnpack=False` runs the builtin kernels only, for
    a model the XNNPACK delegate crashes on (`cnnlab.devices.litert_probe`)."""
    interpreter = _interpreter(model, xnnpack=xnnpack)
    input_detail = interpreter.get_input_details()[0]
    output_index = interpreter.get_output_details()[0]["index"]
    batch_size = 0
    counter = _Counter()
    for batch, labels in batches:
        images = np.asarray(batch, dtype=np.float32)
        if images.shape[0] != batch_size:
            batch_size = images.shape[0]
            interpreter.resize_tensor_input(
                input_detail["index"], [batch_size, *images.shape[1:]], strict=False
            )
            interpreter.allocate_tensors()
            output_detail = next(
                d for d in interpreter.get_output_details() if d["index"] == output_index
            )
        interpreter.set_tensor(input_detail["index"], quantize(images, input_detail))
        interpreter.invoke()
        counter.add(dequantize(interpreter.get_tensor(output_index), output_detail), labels)
    return counter.result()


def quantize(values: Any, detail: dict[str, Any]) -> Any:
    """Float values as the tensor's dtype: `round(x / scale + zero_point)` for integer tensors."""
    dtype = np.dtype(detail["dtype"])
    if not np.issubdtype(dtype, np.integer):
        return np.asarray(values, dtype=dtype)
    scale, zero_point = detail["quantization"]
    info = np.iinfo(dtype)
    quantized = np.round(np.asarray(values, dtype=np.float32) / scale + zero_point)
    return np.clip(quantized, info.min, info.max).astype(dtype)


def dequantize(values: Any, detail: dict[str, Any]) -> Any:
    dtype = np.dtype(detail["dtype"])
    if not np.issubdtype(dtype, np.integer):
        return np.asarray(values, dtype=np.float32)
    scale, zero_point = detail["quantization"]
    return (np.asarray(values, dtype=np.float32) - zero_point) * scale


def _interpreter(model: bytes | Path, *, xnnpack: bool) -> Any:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    resolver = OpResolverType.AUTO if xnnpack else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    if isinstance(model, Path):
        interpreter = Interpreter(model_path=str(model), experimental_op_resolver_type=resolver)
    else:
        interpreter = Interpreter(model_content=model, experimental_op_resolver_type=resolver)
    interpreter.allocate_tensors()
    return interpreter
