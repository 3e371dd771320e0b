"""Models that make LiteRT's XNNPACK delegate abort in native code, built in the test.

ai-edge-litert 2.3's XNNPACK declines a convolution whose requantization scale (input scale x
weight scale / output scale) is 256 or more; alone that is a Python RuntimeError, but when two
binary ops with a constant operand come before it in the same partition, the clean-up frees
twice and the process dies with SIGABRT ("free(): double free detected in tcache 2") inside
`allocate_tensors`. A MobileNetV2 trained two epochs and quantized to int8 hit it through its
`Rescaling` layer (a MUL and an ADD on int8 scalars) and a BatchNorm-folded near-dead channel
(scale 1524). Both builders reproduce that; the builtin kernels run both files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def double_free_tflite() -> bytes:
    """int8 x -> ADD(constant) -> ADD(constant) -> CONV_2D with one channel's requantization
    scale about 6700: a 1.3 KB flatbuffer written with LiteRT's own schema, no TensorFlow."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT()
    model.version = 3
    model.buffers = [schema.BufferT()]
    model.operatorCodes = []
    graph = schema.SubGraphT()
    graph.tensors, graph.operators = [], []
    model.subgraphs = [graph]

    def tensor(shape: list[int], kind: int, scales: list[float], data: Any = None) -> int:
        entry = schema.TensorT()
        entry.shape, entry.type, entry.name = shape, kind, f"t{len(graph.tensors)}"
        quantization = schema.QuantizationParametersT()
        quantization.scale, quantization.zeroPoint = list(scales), [0] * len(scales)
        entry.quantization = quantization
        buffer = schema.BufferT()
        if data is not None:
            buffer.data = np.frombuffer(data.tobytes(), np.uint8)
        model.buffers.append(buffer)
        entry.buffer = len(model.buffers) - 1
        graph.tensors.append(entry)
        return len(graph.tensors) - 1

    def operator(code: int, inputs: list[int], output: int, kind: int, options: Any) -> None:
        opcode = schema.OperatorCodeT()
        opcode.builtinCode = opcode.deprecatedBuiltinCode = code
        opcode.version = 1
        model.operatorCodes.append(opcode)
        entry = schema.OperatorT()
        entry.opcodeIndex = len(model.operatorCodes) - 1
        entry.inputs, entry.outputs = inputs, [output]
        entry.builtinOptionsType, entry.builtinOptions = kind, options
        graph.operators.append(entry)

    int8, shape, scale = schema.TensorType.INT8, [1, 4, 4, 3], 1 / 255
    first = current = tensor(shape, int8, [scale])
    for _ in range(2):  # two binary ops with a constant scalar operand, as Rescaling gives
        constant = tensor([], int8, [scale], np.array([1], np.int8))
        added = tensor(shape, int8, [2 * scale])
        add = schema.AddOptionsT()
        operator(
            schema.BuiltinOperator.ADD,
            [current, constant],
            added,
            schema.BuiltinOptions.AddOptions,
            add,
        )
        current, scale = added, 2 * scale
    weight_scales = [0.01, 1e4, 0.01]  # channel 1: 4/255 * 1e4 / (6/255), about 6700 >= 256
    weights = tensor([3, 1, 1, 3], int8, weight_scales, np.full((3, 1, 1, 3), 100, np.int8))
    bias = tensor(
        [3], schema.TensorType.INT32, [scale * s for s in weight_scales], np.zeros(3, np.int32)
    )
    output = tensor(shape, int8, [6 / 255])
    conv = schema.Conv2DOptionsT()
    conv.padding, conv.strideW, conv.strideH = schema.Padding.SAME, 1, 1
    operator(
        schema.BuiltinOperator.CONV_2D,
        [current, weights, bias],
        output,
        schema.BuiltinOptions.Conv2DOptions,
        conv,
    )
    graph.inputs, graph.outputs = [first], [output]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def double_free_keras_model(path: Path, *, size: int, classes: int) -> Path:
    """A classifier whose int8 conversion (cnnlab's own converter path) gives such a file:
    Rescaling to [-1, 1] (MUL and ADD), then a 3x3 ReLU6 convolution with one channel's weights
    at 1e6 (a 1x1 one would have the Rescaling folded into it), pooling and a softmax."""
    import keras

    inputs = keras.Input((size, size, 3))
    scaled = keras.layers.Rescaling(2.0, offset=-1.0)(inputs)
    conv = keras.layers.Conv2D(2, 3, padding="same", activation="relu6")
    pooled = keras.layers.GlobalAveragePooling2D()(conv(scaled))
    outputs = keras.layers.Dense(classes, activation="softmax")(pooled)
    model = keras.Model(inputs, outputs)
    weights = np.ones((3, 3, 3, 2), np.float32)
    weights[..., 1] = 1e6
    conv.set_weights([weights, np.zeros(2, np.float32)])
    model.save(path)
    return path
