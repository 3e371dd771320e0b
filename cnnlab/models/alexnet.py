"""The AlexNet-style network of paper 002 (table 1) and its separable twin from paper 001.

At 48x48x3 and 3 classes every layer matches the paper's table; `width` scales the filters and
dense units for the "shrink by hand" experiments of paper 001.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras

_FILTERS = (16, 32, 64, 128)
_DENSE_UNITS = 512


def _scaled(units: int, width: float) -> int:
    return max(1, round(units * width))


def _build(
    input_shape: tuple[int, int, int],
    num_classes: int,
    width: float,
    *,
    separable: bool,
    name: str,
) -> keras.Model:
    import keras
    from keras import layers

    conv = layers.SeparableConv2D if separable else layers.Conv2D
    f1, f2, f3, f4 = (_scaled(filters, width) for filters in _FILTERS)
    dense_units = _scaled(_DENSE_UNITS, width)

    inputs = keras.Input(shape=input_shape, name="image")
    x = conv(f1, 5, padding="same", activation="relu", name="conv1")(inputs)
    x = layers.BatchNormalization(name="bn1")(x)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = conv(f2, 3, padding="valid", activation="relu", name="conv2")(x)
    x = layers.BatchNormalization(name="bn2")(x)
    x = layers.MaxPooling2D(2, name="pool2")(x)
    x = conv(f3, 3, padding="valid", activation="relu", name="conv3")(x)
    x = conv(f4, 3, padding="valid", activation="relu", name="conv4")(x)
    x = layers.MaxPooling2D(2, name="pool3")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(dense_units, activation="relu", name="fc1")(x)
    x = layers.Dense(dense_units, activation="relu", name="fc2")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name=name)


def build_alexnet(
    input_shape: tuple[int, int, int], num_classes: int, *, width: float = 1.0
) -> keras.Model:
    """Paper 002's AlexNet: three conv blocks with batch norm and pooling, two 512-unit layers."""
    return _build(input_shape, num_classes, width, separable=False, name="alexnet")


def build_alexnet_separable(
    input_shape: tuple[int, int, int], num_classes: int, *, width: float = 1.0
) -> keras.Model:
    """Paper 001's AlexNet Separable: the same network with SeparableConv2D for every Conv2D."""
    return _build(input_shape, num_classes, width, separable=True, name="alexnet_separable")
