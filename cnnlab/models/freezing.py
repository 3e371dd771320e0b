"""Transfer learning on a built model: freeze layers and replace the classification head.

Paper 002 freezes the first three convolution layers, then the fourth, and swaps the output layer
for a new class count; these functions do that by count, by name or up to a named layer, and
report what is left to train. Freeze before `compile`, as Keras requires.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cnnlab.models.errors import ModelError

if TYPE_CHECKING:
    import keras

CONV_LAYER_TYPES = ("Conv2D", "SeparableConv2D", "DepthwiseConv2D")


@dataclass(frozen=True)
class FreezeReport:
    """Which layers with weights still train, which are frozen, and how many parameters each."""

    trainable_layers: tuple[str, ...]
    frozen_layers: tuple[str, ...]
    trainable_params: int
    frozen_params: int
    total_params: int


def _size(weights: list[Any]) -> int:
    return sum(math.prod(int(d) for d in weight.shape) for weight in weights)


def conv_layer_names(model: keras.Model) -> list[str]:
    """Names of the convolution layers of `model`, in the order the model applies them."""
    return [layer.name for layer in model.layers if type(layer).__name__ in CONV_LAYER_TYPES]


def _unknown(model: keras.Model, names: Sequence[str]) -> list[str]:
    known = {layer.name for layer in model.layers}
    return [name for name in names if name not in known]


def freeze_report(model: keras.Model) -> FreezeReport:
    """The trainable and frozen layers (those with weights) of `model` and their parameters."""
    trainable: list[str] = []
    frozen: list[str] = []
    frozen_params = 0
    for layer in model.layers:
        if not layer.weights:
            continue
        if layer.trainable:
            trainable.append(layer.name)
        else:
            frozen.append(layer.name)
            frozen_params += _size(layer.weights)
    return FreezeReport(
        trainable_layers=tuple(trainable),
        frozen_layers=tuple(frozen),
        trainable_params=_size(model.trainable_weights),
        frozen_params=frozen_params,
        total_params=_size(model.weights),
    )


def freeze_layers(
    model: keras.Model,
    *,
    first_conv_blocks: int | None = None,
    names: Sequence[str] = (),
    up_to: str | None = None,
) -> FreezeReport:
    """Freeze part of `model` in place and report what is left to train.

    `first_conv_blocks=N` freezes every layer before the (N+1)-th convolution layer, that is the
    first N convolutions with the batch norm and pooling that follow them; `names` freezes those
    layers; `up_to` freezes every layer from the input up to and including that one. The three
    may be combined; at least one must be given.
    """
    if first_conv_blocks is None and not names and up_to is None:
        raise ModelError("Say what to freeze: first_conv_blocks, names or up_to.")
    layers = list(model.layers)
    to_freeze: set[str] = set()
    if first_conv_blocks is not None:
        convs = conv_layer_names(model)
        if (
            isinstance(first_conv_blocks, bool)
            or not isinstance(first_conv_blocks, int)
            or not 0 <= first_conv_blocks <= len(convs)
        ):
            raise ModelError(
                f"first_conv_blocks must be between 0 and {len(convs)} (the convolution layers "
                f"of {model.name}), got {first_conv_blocks!r}."
            )
        if first_conv_blocks == len(convs):
            stop = next(i for i, layer in enumerate(layers) if layer.name == convs[-1]) + 1
            # Also take the layers that directly follow the last convolution and belong to its
            # block (batch norm, activation, pooling), up to the first layer with new weights.
            while stop < len(layers) and type(layers[stop]).__name__ not in ("Dense",):
                stop += 1
        elif first_conv_blocks == 0:
            stop = 0
        else:
            stop = next(
                i for i, layer in enumerate(layers) if layer.name == convs[first_conv_blocks]
            )
        to_freeze.update(layer.name for layer in layers[:stop])
    if names:
        unknown = _unknown(model, names)
        if unknown:
            raise ModelError(
                f"No layer named {', '.join(map(repr, unknown))} in {model.name}; "
                f"see `cnnlab models show` for its layer names."
            )
        to_freeze.update(names)
    if up_to is not None:
        if _unknown(model, [up_to]):
            raise ModelError(
                f"No layer named {up_to!r} in {model.name}; "
                f"see `cnnlab models show` for its layer names."
            )
        stop = next(i for i, layer in enumerate(layers) if layer.name == up_to) + 1
        to_freeze.update(layer.name for layer in layers[:stop])
    for layer in layers:
        if layer.name in to_freeze:
            layer.trainable = False
    return freeze_report(model)


def replace_head(
    model: keras.Model,
    num_classes: int,
    *,
    drop_last: int = 1,
    name: str = "predictions",
) -> keras.Model:
    """A new model: `model` without its last `drop_last` layers, plus a softmax for
    `num_classes` classes. Kept layers are shared with `model`, frozen or not as they were.
    """
    import keras
    from keras import layers as keras_layers

    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ModelError(f"num_classes must be a positive integer, got {num_classes!r}.")
    layers = list(model.layers)
    max_drop = len(layers) - 2  # keep at least the input and one layer
    if (
        isinstance(drop_last, bool)
        or not isinstance(drop_last, int)
        or not 1 <= drop_last <= max_drop
    ):
        raise ModelError(
            f"drop_last must be between 1 and {max_drop} for {model.name}, got {drop_last!r}."
        )
    kept = layers[: len(layers) - drop_last]
    features = kept[-1].output
    kept_names = {layer.name for layer in kept}
    if len(features.shape) > 2:
        pool_name = "head_pool" if "head_pool" not in kept_names else "head_pool_new"
        features = keras_layers.GlobalAveragePooling2D(name=pool_name)(features)
    head_name = name
    while head_name in kept_names:
        head_name += "_new"
    outputs = keras_layers.Dense(num_classes, activation="softmax", name=head_name)(features)
    return keras.Model(model.inputs, outputs, name=model.name)
