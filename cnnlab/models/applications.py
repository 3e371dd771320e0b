"""MobileNet v1/v2/v3, EfficientNet-B0..B7 and ResNet50 from `keras.applications`.

Each model takes images in [0, 1] like the rest of the zoo: a preprocessing layer in front maps
them to what the architecture was trained on. ImageNet weights are read from Keras' own cache
folder and downloaded only when the caller allows it, so a job never blocks on the network.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnlab.models.errors import ModelError, WeightsNotFoundError
from cnnlab.models.weights import check_weights_file

if TYPE_CHECKING:
    import keras

_KERAS_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/"
_EFFICIENTNET_BASE = "https://storage.googleapis.com/keras-applications/"
# Caffe-style ImageNet means (RGB order) that ResNet50's weights were trained with.
_CAFFE_MEAN_RGB = (123.68, 116.779, 103.939)


@dataclass(frozen=True)
class Application:
    """How to build one `keras.applications` model and where its ImageNet weights live."""

    constructor: str
    preprocessing: str  # "minus_one_to_one" | "zero_to_255" | "caffe"
    widths_with_weights: tuple[float, ...]
    weights_file: Callable[[float, int, bool], str]
    weights_url: str


def _mobilenet_v1_file(width: float, rows: int, top: bool) -> str:
    text = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}[width]
    rows = rows if rows in (128, 160, 192, 224) else 224
    return f"mobilenet_{text}_{rows}_tf{'' if top else '_no_top'}.h5"


def _mobilenet_v2_file(width: float, rows: int, top: bool) -> str:
    rows = rows if rows in (96, 128, 160, 192, 224) else 224
    suffix = "" if top else "_no_top"
    return f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(width)}_{rows}{suffix}.h5"


def _mobilenet_v3_file(kind: str) -> Callable[[float, int, bool], str]:
    def file_name(width: float, rows: int, top: bool) -> str:
        stem = f"weights_mobilenet_v3_{kind}_224_{width}_float"
        return f"{stem}.h5" if top else f"{stem}_no_top_v2.h5"

    return file_name


def _efficientnet_file(index: int) -> Callable[[float, int, bool], str]:
    def file_name(width: float, rows: int, top: bool) -> str:
        return f"efficientnetb{index}{'' if top else '_notop'}.h5"

    return file_name


def _resnet50_file(width: float, rows: int, top: bool) -> str:
    return f"resnet50_weights_tf_dim_ordering_tf_kernels{'' if top else '_notop'}.h5"


APPLICATIONS: dict[str, Application] = {
    "mobilenet_v1": Application(
        "MobileNet",
        "minus_one_to_one",
        (0.25, 0.5, 0.75, 1.0),
        _mobilenet_v1_file,
        _KERAS_BASE + "mobilenet/",
    ),
    "mobilenet_v2": Application(
        "MobileNetV2",
        "minus_one_to_one",
        (0.35, 0.5, 0.75, 1.0, 1.3, 1.4),
        _mobilenet_v2_file,
        _KERAS_BASE + "mobilenet_v2/",
    ),
    "mobilenet_v3_small": Application(
        "MobileNetV3Small",
        "minus_one_to_one",
        (0.75, 1.0),
        _mobilenet_v3_file("small"),
        _KERAS_BASE + "mobilenet_v3/",
    ),
    "mobilenet_v3_large": Application(
        "MobileNetV3Large",
        "minus_one_to_one",
        (0.75, 1.0),
        _mobilenet_v3_file("large"),
        _KERAS_BASE + "mobilenet_v3/",
    ),
    **{
        f"efficientnet_b{index}": Application(
            f"EfficientNetB{index}",
            "zero_to_255",
            (1.0,),
            _efficientnet_file(index),
            _EFFICIENTNET_BASE,
        )
        for index in range(8)
    },
    "resnet50": Application("ResNet50", "caffe", (1.0,), _resnet50_file, _KERAS_BASE + "resnet/"),
}


def keras_models_dir() -> Path:
    """Where Keras looks for (and caches) downloaded application weights."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "models"


def imagenet_weights_path(name: str, width: float, rows: int, *, top: bool) -> Path:
    """The file Keras would load for `name`'s ImageNet weights (it may not exist)."""
    app = APPLICATIONS[name]
    if width not in app.widths_with_weights:
        allowed = ", ".join(str(w) for w in app.widths_with_weights)
        raise ModelError(
            f"ImageNet weights for {name} exist only for width {allowed}, got {width!r}."
        )
    return keras_models_dir() / app.weights_file(width, rows, top)


def _preprocessing(kind: str, inputs: Any) -> Any:
    from keras import layers

    if kind == "minus_one_to_one":
        return layers.Rescaling(2.0, offset=-1.0, name="scale_to_minus1_1")(inputs)
    x = layers.Rescaling(255.0, name="scale_to_0_255")(inputs)
    if kind == "caffe":
        x = layers.Normalization(
            mean=list(_CAFFE_MEAN_RGB), variance=[1.0, 1.0, 1.0], name="subtract_imagenet_mean"
        )(x)
    return x


def _build_application(
    name: str,
    input_shape: tuple[int, int, int],
    num_classes: int,
    *,
    width: float,
    weights: str | Path | None,
    allow_download: bool,
) -> keras.Model:
    import keras
    from keras import layers

    app = APPLICATIONS[name]
    constructor: Any = getattr(keras.applications, app.constructor)
    keras_weights: str | None = None
    top = True
    official_file = False
    if weights is not None and str(weights) == "imagenet":
        top = num_classes == 1000
        path = imagenet_weights_path(name, width, input_shape[0], top=top)
        if not path.is_file() and not allow_download:
            raise WeightsNotFoundError(
                f"ImageNet weights for {name} are not on disk: put {path.name} "
                f"(from {app.weights_url}{path.name}) in {path.parent}/, "
                "or allow the download explicitly."
            )
        keras_weights = "imagenet"
        official_file = True
    elif weights is not None:
        path = check_weights_file(Path(weights))
        top = "notop" not in path.name and "no_top" not in path.name
        keras_weights = str(path)
        official_file = path.name == app.weights_file(width, input_shape[0], top)

    inputs = keras.Input(shape=input_shape, name="image")
    options: dict[str, Any] = {
        "input_tensor": _preprocessing(app.preprocessing, inputs),
        "input_shape": input_shape,
        "include_top": top,
        "weights": keras_weights,
    }
    if top:
        options["classes"] = num_classes
    else:
        options["pooling"] = "avg"
    if name.startswith("mobilenet"):
        options["alpha"] = width
    if name.startswith("mobilenet_v3"):
        options["include_preprocessing"] = False
    try:
        base = constructor(**options)
    except ValueError as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise ModelError(f"Keras cannot build {name} as asked: {first_line}") from exc
    outputs = base.output
    if not top:
        outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(outputs)
    model = keras.Model(inputs, outputs, name=name)
    if name == "resnet50" and official_file:
        # Keras' ResNet50 weights expect BGR input; flipping the first kernel's input channels
        # lets the model take RGB like every other model in the zoo.
        conv = model.get_layer("conv1_conv")
        kernel, bias = conv.get_weights()
        conv.set_weights([kernel[:, :, ::-1, :], bias])
    return model


def _builder(name: str) -> Callable[..., keras.Model]:
    def build(
        input_shape: tuple[int, int, int],
        num_classes: int,
        *,
        width: float = 1.0,
        weights: str | Path | None = None,
        allow_download: bool = False,
    ) -> keras.Model:
        return _build_application(
            name,
            input_shape,
            num_classes,
            width=width,
            weights=weights,
            allow_download=allow_download,
        )

    build.__name__ = f"build_{name}"
    build.__doc__ = f"{name} from keras.applications (see `cnnlab.models.build_model`)."
    return build


build_mobilenet_v1 = _builder("mobilenet_v1")
build_mobilenet_v2 = _builder("mobilenet_v2")
build_mobilenet_v3_small = _builder("mobilenet_v3_small")
build_mobilenet_v3_large = _builder("mobilenet_v3_large")
build_efficientnet_b0 = _builder("efficientnet_b0")
build_efficientnet_b1 = _builder("efficientnet_b1")
build_efficientnet_b2 = _builder("efficientnet_b2")
build_efficientnet_b3 = _builder("efficientnet_b3")
build_efficientnet_b4 = _builder("efficientnet_b4")
build_efficientnet_b5 = _builder("efficientnet_b5")
build_efficientnet_b6 = _builder("efficientnet_b6")
build_efficientnet_b7 = _builder("efficientnet_b7")
build_resnet50 = _builder("resnet50")
