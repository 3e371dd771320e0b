"""SqueezeNet 1.0 and 1.1 (Iandola et al. 2016), built here because keras.applications has none.

Fire modules squeeze to few channels with 1x1 convolutions, then expand with parallel 1x1 and
3x3 convolutions; the classifier is a 1x1 convolution and global average pooling, no dense layer.

The network has no normalisation, so it needs centred input, as the original had (its Caffe
model subtracts the ImageNet mean): fed the zoo's [0, 1] images as they are, every first-layer
response is positive and Adam's first updates at 1e-3 switch the ReLUs off for good. On 1,437
real 48 px digit scans validation stayed at 0.100 (chance for 10 classes) for 10 epochs; with
the input scaled to [-1, 1] in front (the layer `scale_to_minus1_1`, as in the MobileNets) the
same run reached 0.87 at 1e-3 and 0.93 at 3e-4 within 8 epochs.

The classifier `conv10` gives the softmax its logits without the original's ReLU. With it, a
class whose channel is negative on every image early on gets zero gradient and is never
predicted again: on 300 generated images of 3 classes two of the three conv10 channels were
zero on every validation image from epoch 1, and validation stayed at 0.667 for 10 epochs (the
one live class and the all-zero argmax). Linear, the same run reached 1.000 by epoch 7; on the
real digits 0.933 after 10 epochs. The activation has no weights, so the counts are unchanged.

The convolutions start from He initialisation (as torchvision's SqueezeNet does; the classifier
from N(0, 0.01), as in the original Caffe model and torchvision), not Keras' Glorot default.
Glorot halves the variance at every ReLU, and with no normalisation to restore it the signal
vanished: on a batch of 96 px digits the activations' standard deviation fell from 0.126 after
conv1 to 0.0048 at fire5 and 0.0002 at fire9, the loss stayed at ln(10) to four decimals and
validation at 0.100 for 5 epochs. With He: 0.58, 0.34, 0.39, and validation 0.80 by epoch 3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import keras

HE = "he_uniform"  # every ReLU convolution's initialiser (see the module docstring)

# (squeeze, expand) per Fire module; "pool" marks a 3x3/2 max-pooling.
_V1_0 = (
    "pool",
    (16, 64),
    (16, 64),
    (32, 128),
    "pool",
    (32, 128),
    (48, 192),
    (48, 192),
    (64, 256),
    "pool",
    (64, 256),
)
_V1_1 = (
    "pool",
    (16, 64),
    (16, 64),
    "pool",
    (32, 128),
    (32, 128),
    "pool",
    (48, 192),
    (48, 192),
    (64, 256),
    (64, 256),
)


def _fire(x: Any, index: int, squeeze: int, expand: int) -> Any:
    from keras import layers

    prefix = f"fire{index}"
    x = layers.Conv2D(
        squeeze, 1, activation="relu", kernel_initializer=HE, name=f"{prefix}_squeeze"
    )(x)
    left = layers.Conv2D(
        expand, 1, activation="relu", kernel_initializer=HE, name=f"{prefix}_expand1x1"
    )(x)
    right = layers.Conv2D(
        expand, 3, padding="same", activation="relu", kernel_initializer=HE,
        name=f"{prefix}_expand3x3",
    )(x)  # fmt: skip
    return layers.Concatenate(name=f"{prefix}_concat")([left, right])


def _build(
    input_shape: tuple[int, int, int],
    num_classes: int,
    width: float,
    *,
    stem: tuple[int, int],
    plan: tuple[Any, ...],
    name: str,
) -> keras.Model:
    import keras
    from keras import layers

    def scaled(units: int) -> int:
        return max(1, round(units * width))

    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Rescaling(2.0, offset=-1.0, name="scale_to_minus1_1")(inputs)
    stem_filters, stem_kernel = stem
    x = layers.Conv2D(
        scaled(stem_filters), stem_kernel, strides=2, activation="relu", kernel_initializer=HE,
        name="conv1",
    )(x)  # fmt: skip
    fire_index, pool_index = 2, 1
    for step in plan:
        if step == "pool":
            x = layers.MaxPooling2D(3, strides=2, name=f"pool{pool_index}")(x)
            pool_index += 1
        else:
            squeeze, expand = step
            x = _fire(x, fire_index, scaled(squeeze), scaled(expand))
            fire_index += 1
    x = layers.Dropout(0.5, name="dropout")(x)
    classifier_init = keras.initializers.RandomNormal(0.0, 0.01)
    # Linear, from N(0, 0.01): see the module docstring.
    x = layers.Conv2D(num_classes, 1, kernel_initializer=classifier_init, name="conv10")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    outputs = layers.Activation("softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name=name)


def build_squeezenet(
    input_shape: tuple[int, int, int], num_classes: int, *, width: float = 1.0
) -> keras.Model:
    """SqueezeNet 1.0: 96 filters 7x7/2 stem, pooling after fire4 and fire8."""
    return _build(input_shape, num_classes, width, stem=(96, 7), plan=_V1_0, name="squeezenet")


def build_squeezenet_1_1(
    input_shape: tuple[int, int, int], num_classes: int, *, width: float = 1.0
) -> keras.Model:
    """SqueezeNet 1.1: 64 filters 3x3/2 stem, pooling after fire3 and fire5."""
    return _build(input_shape, num_classes, width, stem=(64, 3), plan=_V1_1, name="squeezenet_1_1")
