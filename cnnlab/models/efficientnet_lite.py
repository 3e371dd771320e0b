"""EfficientNet-Lite0..4, built here because keras.applications has none.

Following the EfficientNet-Lite release (TensorFlow blog, March 2020; `efficientnet_lite_builder`
in tensorflow/tpu): the B0 block plan without squeeze-and-excitation, ReLU6 instead of swish, and
the stem (32 filters), head (1280 filters) and the first and last stages kept fixed while scaling.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import keras

# (repeats, kernel, stride, expand ratio, input filters, output filters) of EfficientNet-B0.
_B0_STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
# (width coefficient, depth coefficient, native resolution, dropout) per Lite variant.
LITE_SCALING = {
    0: (1.0, 1.0, 224, 0.2),
    1: (1.0, 1.1, 240, 0.2),
    2: (1.1, 1.2, 260, 0.3),
    3: (1.2, 1.4, 280, 0.3),
    4: (1.4, 1.8, 300, 0.3),
}
_STEM_FILTERS = 32
_HEAD_FILTERS = 1280
_DROP_CONNECT_RATE = 0.2


def round_filters(filters: int, width: float, divisor: int = 8) -> int:
    """Scale `filters` by `width` and round to a multiple of `divisor`, never down by over 10%."""
    scaled = filters * width
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * scaled:
        rounded += divisor
    return int(rounded)


def _block(
    x: Any,
    prefix: str,
    *,
    kernel: int,
    stride: int,
    expand_ratio: int,
    filters_in: int,
    filters_out: int,
    drop_rate: float,
) -> Any:
    from keras import layers

    inputs = x
    expanded = filters_in * expand_ratio
    if expand_ratio != 1:
        x = layers.Conv2D(expanded, 1, padding="same", use_bias=False, name=f"{prefix}expand_conv")(
            x
        )
        x = layers.BatchNormalization(name=f"{prefix}expand_bn")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu6")(x)
    x = layers.DepthwiseConv2D(
        kernel, strides=stride, padding="same", use_bias=False, name=f"{prefix}dwconv"
    )(x)
    x = layers.BatchNormalization(name=f"{prefix}bn")(x)
    x = layers.ReLU(6.0, name=f"{prefix}relu6")(x)
    x = layers.Conv2D(filters_out, 1, padding="same", use_bias=False, name=f"{prefix}project_conv")(
        x
    )
    x = layers.BatchNormalization(name=f"{prefix}project_bn")(x)
    if stride == 1 and filters_in == filters_out:
        if drop_rate > 0:
            x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{prefix}drop")(x)
        x = layers.Add(name=f"{prefix}add")([x, inputs])
    return x


def build_efficientnet_lite(
    variant: int,
    input_shape: tuple[int, int, int],
    num_classes: int,
    *,
    width: float = 1.0,
) -> keras.Model:
    """EfficientNet-Lite`variant`; `width` multiplies the variant's own width coefficient."""
    import keras
    from keras import layers

    width_coefficient, depth_coefficient, _, dropout = LITE_SCALING[variant]
    width_coefficient *= width

    stages = []
    for index, (repeats, kernel, stride, expand, f_in, f_out) in enumerate(_B0_STAGES):
        fixed = index in (0, len(_B0_STAGES) - 1)
        scaled_repeats = repeats if fixed else math.ceil(depth_coefficient * repeats)
        stages.append(
            (
                scaled_repeats,
                kernel,
                stride,
                expand,
                round_filters(f_in, width_coefficient),
                round_filters(f_out, width_coefficient),
            )
        )
    total_blocks = sum(stage[0] for stage in stages)

    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Conv2D(
        _STEM_FILTERS, 3, strides=2, padding="same", use_bias=False, name="stem_conv"
    )(inputs)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.ReLU(6.0, name="stem_relu6")(x)

    block_number = 0
    filters_in = _STEM_FILTERS
    for stage_index, (repeats, kernel, stride, expand, _, f_out) in enumerate(stages):
        for repeat in range(repeats):
            x = _block(
                x,
                f"block{stage_index + 1}{chr(ord('a') + repeat)}_",
                kernel=kernel,
                stride=stride if repeat == 0 else 1,
                expand_ratio=expand,
                filters_in=filters_in,
                filters_out=f_out,
                drop_rate=_DROP_CONNECT_RATE * block_number / total_blocks,
            )
            filters_in = f_out
            block_number += 1

    x = layers.Conv2D(_HEAD_FILTERS, 1, padding="same", use_bias=False, name="top_conv")(x)
    x = layers.BatchNormalization(name="top_bn")(x)
    x = layers.ReLU(6.0, name="top_relu6")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.Dropout(dropout, name="top_dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name=f"efficientnet_lite{variant}")


def build_efficientnet_lite0(
    input_shape: tuple[int, int, int], num_classes: int, *, width: float = 1.0
) -> keras.Model:
    return build_efficientnet_lite(0, input_shape, num_classes, width=width)


def build_efficientnet_lite1(
    input_shape: tuple[int, int, int], num_classes: int, *, width: float = 1.0
) -> keras.Model:
    return build_efficientnet_lite(1, input_shape, num_classes, width=width)


def build_efficientnet_lite2(
    input_shape: tuple[int, int, int], num_classes: int, *, width: float = 1.0
) -> keras.Model:
    return build_efficientnet_lite(2, input_shape, num_classes, width=width)


def build_efficientnet_lite3(
    input_shape: tuple[int, int, int], num_classes: int, *, width: float = 1.0
) -> keras.Model:
    return build_efficientnet_lite(3, input_shape, num_classes, width=width)


def build_efficientnet_lite4(
    input_shape: tuple[int, int, int], num_classes: int, *, width: float = 1.0
) -> keras.Model:
    return build_efficientnet_lite(4, input_shape, num_classes, width=width)
