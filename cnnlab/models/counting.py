"""Parameter counts, multiply-accumulate operations and the layer table of a built model.

MACs count the multiplications of convolutions and dense layers for one image, the usual
convention of the MobileNet and EfficientNet papers; batch norm, activations and pooling are left
out because they are a rounding error next to them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cnnlab.models.zoo_counts import DEFAULT_COUNTS

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True)
class ModelCounts:
    """How big a model is and how much work one image costs."""

    total_params: int
    trainable_params: int
    non_trainable_params: int
    macs: int


@dataclass(frozen=True)
class LayerRow:
    """One line of a model's layer table."""

    name: str
    type: str
    output_shape: tuple[int | None, ...]
    params: int
    trainable: bool | None  # None for layers without weights


def _size(weights: list[Any]) -> int:
    return sum(math.prod(int(d) for d in weight.shape) for weight in weights)


def _shape(tensor: Any) -> tuple[int | None, ...]:
    if isinstance(tensor, list | tuple):
        tensor = tensor[0]
    return tuple(None if d is None else int(d) for d in tensor.shape)


def _flat_layers(model: Any) -> Iterator[Any]:
    """Every layer, looking inside nested models so their layers are counted too."""
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.__class__.__name__ in ("Functional", "Sequential"):
            yield from _flat_layers(layer)
        else:
            yield layer


def layer_macs(layer: Any) -> int:
    """Multiply-accumulates of one call of `layer` on one image (0 for layers that do none)."""
    from keras import layers

    if not layer.weights:
        return 0
    try:
        in_shape = _shape(layer.input)
        out_shape = _shape(layer.output)
    except (AttributeError, ValueError):
        return 0
    out_positions = math.prod(d or 1 for d in out_shape[1:-1])
    in_channels = in_shape[-1] or 1
    if isinstance(layer, layers.SeparableConv2D):
        kh, kw = (int(k) for k in layer.kernel_size)
        depth = in_channels * int(layer.depth_multiplier)
        return out_positions * depth * (kh * kw + int(layer.filters))
    if isinstance(layer, layers.DepthwiseConv2D):
        kh, kw = (int(k) for k in layer.kernel_size)
        return out_positions * in_channels * int(layer.depth_multiplier) * kh * kw
    if isinstance(layer, layers.Conv2D):
        kh, kw = (int(k) for k in layer.kernel_size)
        groups = int(getattr(layer, "groups", 1) or 1)
        return out_positions * int(layer.filters) * kh * kw * in_channels // groups
    if isinstance(layer, layers.Dense):
        return out_positions * in_channels * int(layer.units)
    return 0


def count_model(model: keras.Model) -> ModelCounts:
    """Total, trainable and non-trainable parameters, and MACs per image, of `model`."""
    trainable = _size(model.trainable_weights)
    non_trainable = _size(model.non_trainable_weights)
    macs = sum(layer_macs(layer) for layer in _flat_layers(model))
    return ModelCounts(
        total_params=trainable + non_trainable,
        trainable_params=trainable,
        non_trainable_params=non_trainable,
        macs=macs,
    )


def layer_table(model: keras.Model) -> list[LayerRow]:
    """Name, type, output shape, parameters and trainability of every layer, in order."""
    rows = []
    for layer in _flat_layers(model):
        try:
            output_shape = _shape(layer.output)
        except (AttributeError, ValueError):
            output_shape = ()
        rows.append(
            LayerRow(
                name=layer.name,
                type=layer.__class__.__name__,
                output_shape=output_shape,
                params=_size(layer.weights),
                trainable=bool(layer.trainable_weights) if layer.weights else None,
            )
        )
    return rows


@dataclass(frozen=True)
class ZooEntry:
    """One model of the zoo built at given settings, with its counts."""

    name: str
    input_shape: tuple[int, int, int]
    num_classes: int
    counts: ModelCounts


def recorded_counts(
    name: str, input_shape: tuple[int, int, int], num_classes: int, width: float = 1.0
) -> ModelCounts | None:
    """The counts of `zoo_counts` when these are model `name`'s default settings, else None."""
    from cnnlab.models.registry import model_spec

    spec = model_spec(name)
    side = spec.default_input
    if input_shape != (side, side, 3) or num_classes != spec.default_classes or width != 1.0:
        return None
    recorded = DEFAULT_COUNTS.get(name)
    return None if recorded is None else ModelCounts(*recorded)


# before_build(index, total, name, input_shape): index counts from 1 over the models built.
BeforeBuild = Callable[[int, int, str, tuple[int, int, int]], None]


def count_zoo(
    names: list[str],
    input_size: int | None = None,
    num_classes: int | None = None,
    *,
    before_build: BeforeBuild | None = None,
) -> Iterator[ZooEntry]:
    """The counts of each named model, at its paper's settings unless overridden.

    At a model's default settings they are the recorded ones (no TensorFlow needed); otherwise
    the model is built, counted and freed before the next, so listing the whole zoo stays within
    memory. `before_build` is called before each build, e.g. to show progress.
    """
    from cnnlab.models.registry import model_spec, resolve_input_shape

    plan = []
    for name in names:
        spec = model_spec(name)
        shape = resolve_input_shape(spec, input_size)
        classes = spec.default_classes if num_classes is None else num_classes
        plan.append((name, shape, classes, recorded_counts(name, shape, classes)))
    to_build = sum(1 for *_, counts in plan if counts is None)
    built = 0
    for name, shape, classes, recorded in plan:
        counts = recorded
        if counts is None:
            built += 1
            if before_build is not None:
                before_build(built, to_build, name, shape)
            counts = _build_and_count(name, shape, classes)
        yield ZooEntry(name, shape, classes, counts)


def _build_and_count(name: str, shape: tuple[int, int, int], classes: int) -> ModelCounts:
    import keras

    from cnnlab.models.registry import build_model

    model = build_model(name, shape, classes)
    counts = count_model(model)
    del model
    keras.backend.clear_session(free_memory=True)
    return counts
