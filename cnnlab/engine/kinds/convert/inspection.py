"""What a .tflite file holds: inputs, outputs, quantization and ops, read with LiteRT.

Recorded with every TFLite artifact so a benchmark or a comparison can tell variants apart
without reopening the file, and used to catch ops that stayed float inside an int8 model.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cnnlab.errors import CnnlabError

_CONVERSION_OPS = ("QUANTIZE", "DEQUANTIZE")


@dataclass(frozen=True)
class TfliteContents:
    """A .tflite model's interface and ops."""

    inputs: list[dict[str, Any]]
    outputs: list[dict[str, Any]]
    ops: list[str]  # in execution order
    float_ops: list[tuple[str, str | None]]  # (op, output tensor name) computed in float32

    @property
    def op_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(self.ops).items()))

    def to_meta(self) -> dict[str, Any]:
        return {
            "inputs": self.inputs,
            "outputs": self.outputs,
            "ops": sorted(set(self.ops)),
            "op_counts": self.op_counts,
        }


def inspect_tflite(model: bytes | Path) -> TfliteContents:
    """Read a TFLite flatbuffer; a file that is not one gives a clear error."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    # Without XNNPACK, which would replace the ops it takes over by one DELEGATE node.
    plain = OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    try:
        if isinstance(model, Path):
            interpreter = Interpreter(model_path=str(model), experimental_op_resolver_type=plain)
        else:
            interpreter = Interpreter(model_content=model, experimental_op_resolver_type=plain)
        interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        where = f"{model}" if isinstance(model, Path) else "The converted model"
        first = (str(exc).strip().splitlines() or [""])[0]
        raise CnnlabError(f"{where} is not a TFLite model LiteRT can load ({first}).") from None
    tensors = {d["index"]: d for d in interpreter.get_tensor_details()}
    ops: list[str] = []
    float_ops: list[tuple[str, str | None]] = []
    for op in interpreter._get_ops_details():
        name = str(op["op_name"])
        ops.append(name)
        if name in _CONVERSION_OPS:
            continue
        outputs = [tensors[i] for i in op["outputs"] if i in tensors]
        if any(np.dtype(t["dtype"]) == np.float32 for t in outputs):
            float_ops.append((name, str(outputs[0]["name"]) if outputs else None))
    return TfliteContents(
        inputs=[_tensor(d) for d in interpreter.get_input_details()],
        outputs=[_tensor(d) for d in interpreter.get_output_details()],
        ops=ops,
        float_ops=float_ops,
    )


def _tensor(detail: dict[str, Any]) -> dict[str, Any]:
    scale, zero_point = detail["quantization"]
    return {
        "name": str(detail["name"]),
        "shape": [int(s) for s in detail["shape_signature"]],
        "dtype": np.dtype(detail["dtype"]).name,
        "quantization": {"scale": float(scale), "zero_point": int(zero_point)},
    }
