"""Turn the TFLite converter's MLIR dump into one sentence naming each op that cannot convert.

Paper 003 lost time to layers with no TFLite kernel (ResizeBilinear in their build) or no
quantized one (Normalization): the converter reports them as hundreds of lines of MLIR. This
module finds the ops, the Keras layers they come from and the way past each, without TensorFlow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cnnlab.errors import CnnlabError
from cnnlab.layer_scopes import layer_from_scope

# `fused["Erf:", "functional_1/my_erf_1/Erf@__inference___call___814"]`: the op and its
# name scope, which holds the Keras layer's name (with Keras' call-count suffix `_1`).
_LOCATION = re.compile(r'fused\["(?P<op>[A-Za-z0-9_]+):", "(?P<scope>[^"@]+)@')
_NO_KERNEL = re.compile(r"'tf\.(?P<op>[A-Za-z0-9_]+)' op is neither a custom op nor a flex op")
_SUMMARY = re.compile(r"^(?P<what>Flex|Custom) ops: (?P<ops>.+)$", re.MULTILINE)


@dataclass(frozen=True)
class UnconvertibleOp:
    """An op the TFLite runtime cannot run as converted, and where it comes from."""

    op: str
    layer: str | None
    needs: str  # "flex": select TF ops would run it; "custom": no kernel anywhere in TFLite;
    # "int8": it runs only in float inside an int8 model


class ConversionError(CnnlabError):
    """A model the converter refused (or could not fully quantize), explained op by op."""

    def __init__(self, message: str, ops: Sequence[UnconvertibleOp]) -> None:
        super().__init__(message)
        self.ops = tuple(ops)


def unconvertible_ops(text: str, layer_names: Iterable[str] = ()) -> list[UnconvertibleOp]:
    """The ops a converter error names, each with its Keras layer when the scope shows it."""
    known = set(layer_names)
    scopes: dict[str, str] = {}
    needs: dict[str, str] = {}
    order: list[str] = []
    for line in text.splitlines():
        location = _LOCATION.search(line)
        if location:
            scopes.setdefault(location["op"], location["scope"])
        match = _NO_KERNEL.search(line)
        if match and match["op"] not in order:
            order.append(match["op"])
        if location and "ERROR_NEEDS_FLEX_OPS" in line:
            needs[location["op"]] = "flex"
        elif location and "ERROR_NEEDS_CUSTOM_OPS" in line:
            needs.setdefault(location["op"], "custom")
    for summary in _SUMMARY.finditer(text):
        for op in (o.strip() for o in summary["ops"].split(",")):
            if op and op not in order:
                order.append(op)
            needs.setdefault(op, "flex" if summary["what"] == "Flex" else "custom")
    return [
        UnconvertibleOp(op, layer_from_scope(scopes.get(op, ""), known), needs.get(op, "custom"))
        for op in order
    ]


def explain(ops: Sequence[UnconvertibleOp], *, mode: str) -> str:
    """One sentence (semicolon-separated per op) saying what fails and how to get past it."""
    parts = []
    for item in ops:
        where = f" in layer {item.layer!r}" if item.layer else ""
        if item.needs == "flex":
            way = "--select-tf-ops runs it through the Flex delegate (a bigger runtime)"
        elif item.needs == "int8":
            way = "--float-fallback keeps it in float inside the int8 model"
        else:
            way = "no TFLite or Flex kernel exists, so only a custom op would run it"
        parts.append(f"{item.op}{where}: {way}")
    quantized = bool(ops) and all(item.needs == "int8" for item in ops)
    kind = "no int8 kernel" if quantized else "no TFLite kernel"
    verb = "has" if len(ops) == 1 else "have"
    subject = "1 op" if len(ops) == 1 else f"{len(ops)} ops"
    return (
        f"The {mode} conversion failed: {subject} {verb} {kind} ({'; '.join(parts)}); "
        "otherwise remove or replace the layer and fine-tune again, as paper 003 did with "
        "Normalization and ResizeBilinear."
    )


def float_ops_in_int8(
    ops: Sequence[tuple[str, str | None]], layer_names: Iterable[str] = ()
) -> list[UnconvertibleOp]:
    """(op, output tensor name) pairs that stayed float in an int8 model, as UnconvertibleOps."""
    known = set(layer_names)
    seen: dict[str, UnconvertibleOp] = {}
    for op, tensor in ops:
        layer = layer_from_scope((tensor or "") + "/op", known) if tensor else None
        key = f"{op}:{layer}"
        seen.setdefault(key, UnconvertibleOp(op, layer, "int8"))
    return list(seen.values())
