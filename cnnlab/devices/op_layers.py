"""Maps a `benchmark_model` op profile back to the Keras layers of the model that was measured.

A profile names TFLite nodes (`[alexnet_1/conv1_1/Relu;...]:1`); a researcher thinks in
layers. Each node's output tensor names carry the layer (`cnnlab.layer_scopes`); a node whose
outputs carry none (the model's final `StatefulPartitionedCall:0`) takes its input's layer,
read from the .tflite file itself with LiteRT (no TensorFlow). A delegate kernel (one node
standing for a whole partition of the graph) cannot be split by layer: it is kept as one entry
that lists the layers it covers, the original nodes the profile no longer shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnnlab.devices.op_profile import OpProfile, OpTime
from cnnlab.layer_scopes import layer_of_tensor
from cnnlab.layer_times import LayerTime

# Delegate kernels by the registration name the profile shows as the node type
# (tflite/delegates/*/: "TfLiteXNNPackDelegate", "TfLiteGpuDelegateV2", "TfLiteNnapiDelegate").
_DELEGATE_KERNELS = {
    "tflitexnnpackdelegate": "XNNPACK",
    "tflitegpudelegatev2": "GPU",
    "tflitegpudelegate": "GPU",
    "tflitennapidelegate": "NNAPI",
    "tflitehexagondelegate": "Hexagon",
    "tflitecoremldelegate": "CoreML",
    "tflitemetaldelegate": "GPU",
}


@dataclass(frozen=True)
class GraphNode:
    """One node of the model file as converted: its op, output and input tensor names."""

    index: int
    op: str
    outputs: tuple[str, ...]
    inputs: tuple[str, ...]


def read_graph(model: Path) -> list[GraphNode]:
    """The nodes of a .tflite file's main graph in execution order, as LiteRT reads them."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(
        model_path=str(model),
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    names = {d["index"]: str(d["name"]) for d in interpreter.get_tensor_details()}
    nodes = []
    for op in interpreter._get_ops_details():
        nodes.append(
            GraphNode(
                index=int(op["index"]),
                op=str(op["op_name"]),
                outputs=tuple(names.get(int(i), "") for i in op["outputs"] if int(i) >= 0),
                inputs=tuple(names.get(int(i), "") for i in op["inputs"] if int(i) >= 0),
            )
        )
    return nodes


def delegate_of(node_type: str) -> str | None:
    """The delegate a profile row's node type names, or None for a CPU kernel."""
    base = node_type.partition("/")[0].lower()
    if base in _DELEGATE_KERNELS:
        return _DELEGATE_KERNELS[base]
    return "delegate" if "delegate" in base else None


def layer_times(
    profile: OpProfile, graph: list[GraphNode] | None = None, layer_names: list[str] | None = None
) -> list[LayerTime]:
    """The profile's time per Keras layer of the main graph, in run order."""
    known = list(layer_names or [])
    graph = graph or []
    node_layers = _node_layers(graph, known)
    by_tensor = {name: node.index for node in graph for name in node.outputs}
    rows = [op for op in profile.ops if op.subgraph == 0]
    total = sum(op.avg_ms * op.times_called for op in rows) or 1.0
    seen = {op.node_index for op in rows if delegate_of(op.node_type) is None}
    partitions = [(i, op) for i, op in enumerate(rows) if delegate_of(op.node_type) is not None]
    covered = _covered(graph, seen, partitions, by_tensor, node_layers)
    entries: dict[str, dict[str, Any]] = {}
    for position, op in enumerate(rows):
        delegate = delegate_of(op.node_type)
        layers: tuple[str, ...]
        if delegate is None:
            found = node_layers.get(op.node_index) if op.node_index is not None else None
            found = found or layers_of_outputs(op.outputs, known, op.node_type)
            key, layers = found or ("(unnamed ops)", ())
            ran_on = "CPU"
        else:
            layers = tuple(dict.fromkeys(covered.get(position, ())))
            count = f"{len(layers)} layer{'s' if len(layers) != 1 else ''}" if layers else "?"
            key = f"{delegate} delegate #{op.node_index} ({count})"
            ran_on = delegate
        entry = entries.setdefault(
            key,
            {"ms": 0.0, "ran_on": ran_on, "ops": [], "layers": layers, "first": position},
        )
        entry["ms"] += op.avg_ms * op.times_called
        entry["ops"].append(op.node_type.partition("/")[0])
        entry["layers"] = tuple(dict.fromkeys((*entry["layers"], *layers)))
    return [
        LayerTime(
            layer=key,
            ms=value["ms"],
            percent=100.0 * value["ms"] / total,
            ran_on=value["ran_on"],
            ops=tuple(dict.fromkeys(value["ops"])),
            layers=value["layers"],
            first_index=value["first"],
        )
        for key, value in entries.items()
    ]


# The op a fused node is named for, by node type: TFLite fuses a layer's activation and batch
# norm into the convolution before it, and names the fused node after all of them
# (`block_1_expand_relu_1/Relu6;block_1_expand_BN_1/...;block_1_expand_1/convolution`); the
# layer that owns the arithmetic is the one whose own op is the convolution.
_MAIN_OPS = {
    "CONV_2D": ("convolution", "conv2d", "separable_conv2d", "biasadd"),
    "DEPTHWISE_CONV_2D": ("depthwise", "separable_conv2d"),
    "FULLY_CONNECTED": ("matmul", "biasadd", "tensordot"),
    "TRANSPOSE_CONV": ("conv2d_transpose", "conv_transpose"),
}
_TRAILING_DIGITS = re.compile(r"\d+$")


def layers_of_outputs(
    outputs: tuple[str, ...], known: list[str], node_type: str = ""
) -> tuple[str, tuple[str, ...]] | None:
    """The layer a node is counted under, and every layer fused into it, from its outputs."""
    main_ops = _MAIN_OPS.get(node_type.partition("/")[0], ())
    fused: list[str] = []
    primary: str | None = None
    for name in outputs:
        for part in name.split(";"):
            layer = layer_of_tensor(part, known)
            if layer is None:
                continue
            fused.append(layer)
            op = _TRAILING_DIGITS.sub("", part.rsplit("/", 1)[-1]).lower()
            if primary is None and op.startswith(main_ops):
                primary = layer
    if not fused:
        return None
    return primary or fused[-1], tuple(dict.fromkeys(fused))


def _node_layers(
    graph: list[GraphNode], known: list[str]
) -> dict[int, tuple[str, tuple[str, ...]]]:
    """Each node's layers: its outputs', else those of the node that produced its input."""
    producer = {name: node for node in graph for name in node.outputs}
    layers: dict[int, tuple[str, tuple[str, ...]]] = {}
    for node in graph:
        found = layers_of_outputs(node.outputs, known, node.op)
        if found is None:
            for name in node.inputs:
                source = producer.get(name)
                if source is not None and source.index in layers:
                    primary = layers[source.index][0]
                    found = primary, (primary,)
                    break
        if found is not None:
            layers[node.index] = found
    return layers


def _covered(
    graph: list[GraphNode],
    seen: set[int | None],
    partitions: list[tuple[int, OpTime]],
    by_tensor: dict[str, int],
    node_layers: dict[int, tuple[str, tuple[str, ...]]],
) -> dict[int, list[str]]:
    """The layers of the original nodes each delegate row stands for (keyed by row position).

    The nodes the profile does not show ran inside a delegate kernel. With one kernel, all of
    them are its; with several, a node belongs to the first kernel (in graph order) whose
    outputs are produced at or after it, since a partition ends with the outputs it hands on.
    """
    if not partitions or not graph:
        return {}
    hidden = [node for node in graph if node.index not in seen]
    ends: list[tuple[int, int]] = []  # (last original node it produces, row position)
    for position, row in partitions:
        produced = [by_tensor[name] for name in row.outputs if name in by_tensor]
        ends.append((max(produced) if produced else len(graph), position))
    ends.sort()
    covered: dict[int, list[str]] = {}
    for node in hidden:
        owner = next((pos for end, pos in ends if end >= node.index), ends[-1][1])
        found = node_layers.get(node.index)
        if found is not None:
            covered.setdefault(owner, []).extend(found[1])
    return covered
