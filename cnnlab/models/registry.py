"""The names in the model zoo as plain data, so listing them (for errors, pickers, --help) needs no
TensorFlow; `build_model` imports the right builder module only when a model is actually built.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnlab.models.errors import InputTooSmallError, ModelError, UnknownModelError

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True)
class ModelSpec:
    """What the zoo knows about one architecture before building it."""

    name: str
    family: str
    summary: str
    default_input: int
    default_classes: int
    min_input: int
    has_width: bool
    module: str
    builder: str


_OWN = "cnnlab.models"
_EFFICIENTNET_INPUTS = (224, 240, 260, 300, 380, 456, 528, 600)
_LITE_INPUTS = (224, 240, 260, 280, 300)


def _specs() -> tuple[ModelSpec, ...]:
    specs = [
        ModelSpec(
            "alexnet",
            "paper 002",
            "AlexNet-style CNN of paper 002, table 1 (48x48x3 input)",
            48,
            3,
            28,
            True,
            f"{_OWN}.alexnet",
            "build_alexnet",
        ),
        ModelSpec(
            "alexnet_separable",
            "paper 001",
            "the same AlexNet with every Conv2D replaced by SeparableConv2D",
            48,
            3,
            28,
            True,
            f"{_OWN}.alexnet",
            "build_alexnet_separable",
        ),
        ModelSpec(
            "squeezenet",
            "built here",
            "SqueezeNet 1.0: 7x7 stem and eight Fire modules",
            224,
            1000,
            35,
            True,
            f"{_OWN}.squeezenet",
            "build_squeezenet",
        ),
        ModelSpec(
            "squeezenet_1_1",
            "built here",
            "SqueezeNet 1.1: 3x3 stem, earlier pooling, same accuracy at 2.4x less compute",
            224,
            1000,
            31,
            True,
            f"{_OWN}.squeezenet",
            "build_squeezenet_1_1",
        ),
        ModelSpec(
            "mobilenet_v1",
            "keras",
            "MobileNet v1 (depthwise separable convolutions)",
            224,
            1000,
            32,
            True,
            f"{_OWN}.applications",
            "build_mobilenet_v1",
        ),
        ModelSpec(
            "mobilenet_v2",
            "keras",
            "MobileNet v2 (inverted residual bottlenecks)",
            224,
            1000,
            32,
            True,
            f"{_OWN}.applications",
            "build_mobilenet_v2",
        ),
        ModelSpec(
            "mobilenet_v3_small",
            "keras",
            "MobileNet v3 small (NAS, squeeze-and-excitation, hard-swish)",
            224,
            1000,
            32,
            True,
            f"{_OWN}.applications",
            "build_mobilenet_v3_small",
        ),
        ModelSpec(
            "mobilenet_v3_large",
            "keras",
            "MobileNet v3 large (NAS, squeeze-and-excitation, hard-swish)",
            224,
            1000,
            32,
            True,
            f"{_OWN}.applications",
            "build_mobilenet_v3_large",
        ),
    ]
    for index, size in enumerate(_EFFICIENTNET_INPUTS):
        specs.append(
            ModelSpec(
                f"efficientnet_b{index}",
                "keras",
                f"EfficientNet-B{index} (compound scaling, native input {size})",
                size,
                1000,
                32,
                False,
                f"{_OWN}.applications",
                f"build_efficientnet_b{index}",
            )
        )
    for index, size in enumerate(_LITE_INPUTS):
        specs.append(
            ModelSpec(
                f"efficientnet_lite{index}",
                "built here",
                f"EfficientNet-Lite{index} (no squeeze-excitation, ReLU6, native input {size})",
                size,
                1000,
                32,
                True,
                f"{_OWN}.efficientnet_lite",
                f"build_efficientnet_lite{index}",
            )
        )
    specs.append(
        ModelSpec(
            "resnet50",
            "keras",
            "ResNet50 (bottleneck residual blocks)",
            224,
            1000,
            32,
            False,
            f"{_OWN}.applications",
            "build_resnet50",
        )
    )
    return tuple(specs)


MODEL_SPECS: tuple[ModelSpec, ...] = _specs()
MODEL_NAMES: tuple[str, ...] = tuple(spec.name for spec in MODEL_SPECS)
_BY_NAME = {spec.name: spec for spec in MODEL_SPECS}


def model_spec(name: str) -> ModelSpec:
    """The zoo's entry for `name`, or an error that lists every valid name."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownModelError(
            f"Unknown model {name!r}; choose one of: {', '.join(MODEL_NAMES)}; or give your "
            "own as path/to/file.py:function or path/to/model.keras."
        ) from None


def resolve_input_shape(
    spec: ModelSpec, input_shape: Sequence[int] | int | None
) -> tuple[int, int, int]:
    """Turn `None`, `N` or `(H, W, C)` into a checked `(H, W, C)` for `spec`."""
    if input_shape is None:
        shape: tuple[int, ...] = (spec.default_input, spec.default_input, 3)
    elif isinstance(input_shape, int):
        shape = (input_shape, input_shape, 3)
    else:
        shape = tuple(int(side) for side in input_shape)
    if len(shape) != 3 or any(side < 1 for side in shape):
        raise ModelError(
            f"Input shape must be (height, width, channels) of positive sizes, got {shape!r}."
        )
    if min(shape[0], shape[1]) < spec.min_input:
        raise InputTooSmallError(
            f"Input {shape[0]}x{shape[1]} is too small for {spec.name}: "
            f"the minimum is {spec.min_input}x{spec.min_input}."
        )
    return (shape[0], shape[1], shape[2])


def build_model(
    name: str,
    input_shape: Sequence[int] | int | None = None,
    num_classes: int | None = None,
    *,
    width: float = 1.0,
    weights: str | Path | None = None,
    allow_download: bool = False,
    bn_momentum: float | None = None,
) -> keras.Model:
    """Build the uncompiled Keras model `name` for `input_shape` and `num_classes`.

    `bn_momentum` replaces the momentum of every BatchNormalization layer (None keeps the
    architecture's own): from scratch on small data the moving statistics of a deep network
    must keep up with few steps per epoch (`cnnlab.models.defaults` says which need it).

    Models take float images scaled to [0, 1] (what `cnnlab.data` pipelines yield); those from
    `keras.applications` carry their own preprocessing layer. `weights` is None (random), a
    local weights file, or "imagenet" for the Keras application models, which must then be on
    disk unless `allow_download` is true.
    """
    spec = model_spec(name)
    shape = resolve_input_shape(spec, input_shape)
    classes = spec.default_classes if num_classes is None else num_classes
    if isinstance(classes, bool) or not isinstance(classes, int) or classes < 1:
        raise ModelError(f"Number of classes must be a positive integer, got {classes!r}.")
    if not width > 0:
        raise ModelError(f"Width multiplier must be positive, got {width!r}.")
    if width != 1.0 and not spec.has_width:
        raise ModelError(
            f"{spec.name} has no width multiplier; leave width at 1.0 (got {width!r})."
        )
    builder: Any = getattr(importlib.import_module(spec.module), spec.builder)
    if spec.family == "keras":
        model = builder(shape, classes, width=width, weights=weights, allow_download=allow_download)
        return with_bn_momentum(model, bn_momentum)
    if weights is not None and str(weights) == "imagenet":
        raise ModelError(
            f"There are no ImageNet weights for {spec.name}; pass a local weights file or none."
        )
    model = builder(shape, classes, width=width)
    if weights is not None:
        from cnnlab.models.weights import load_local_weights

        load_local_weights(model, Path(weights))
    return with_bn_momentum(model, bn_momentum)


def with_bn_momentum(model: keras.Model, momentum: float | None) -> keras.Model:
    """Set every BatchNormalization layer's momentum (read at each call, and saved in the
    model's config, so a checkpoint or `model.keras` keeps it)."""
    if momentum is None:
        return model
    import keras

    for layer in all_layers(model):
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = float(momentum)
    return model


def all_layers(model: Any) -> Iterator[Any]:
    """Every layer of `model`, inside nested models too."""
    for layer in getattr(model, "layers", ()):
        yield layer
        yield from all_layers(layer)
