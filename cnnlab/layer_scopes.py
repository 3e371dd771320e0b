"""Which Keras layer a TensorFlow name scope or a TFLite tensor name comes from.

The converter's errors (`functional_1/my_erf_1/Erf`) and a TFLite model's tensor names
(`alexnet_1/conv1_1/Relu;alexnet_1/conv1_1/convolution`, fused ops joined by `;`) both carry
the layer's name with Keras' call-count suffix (`_1`) among scopes of the model and of the op
itself; a conversion error and an op profile name their layer through this one reading.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_CALL_SUFFIX = re.compile(r"_\d+$")
_WRAPPERS = ("functional", "sequential", "StatefulPartitionedCall")


def layer_from_scope(scope: str, layer_names: Iterable[str] = ()) -> str | None:
    """The Keras layer in a name scope such as `functional_1/my_erf_1/Erf` (here `my_erf`).

    With the model's layer names, the deepest scope that names one of them; without, the
    deepest scope that carries a call suffix (op scopes such as `separable_conv2d` carry none).
    """
    known = set(layer_names)
    parts = [p for p in scope.split("/") if p][:-1]  # the last part is the op itself
    candidates = [p for p in parts if not p.startswith(_WRAPPERS)]
    for part in reversed(candidates):
        for name in (part, _CALL_SUFFIX.sub("", part)):
            if name in known:
                return name
    if not candidates:
        return None
    if known:
        return candidates[-1]
    called = [p for p in candidates if _CALL_SUFFIX.search(p)] or [candidates[-1]]
    return _CALL_SUFFIX.sub("", called[-1])


def layer_of_tensor(name: str, layer_names: Iterable[str] = ()) -> str | None:
    """The Keras layer a TFLite tensor comes from; a fused op's name lists its parts with `;`."""
    known = list(layer_names)
    for part in name.split(";"):
        layer = layer_from_scope(part, known)
        if layer is not None and (not known or layer in known):
            return layer
    return None
