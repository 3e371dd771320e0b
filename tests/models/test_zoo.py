"""Every builder of the zoo: ImageNet parameter counts, smallest input, one real training step."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cnnlab.models import (
    MODEL_NAMES,
    InputTooSmallError,
    ModelError,
    UnknownModelError,
    build_model,
    count_model,
    model_spec,
)

# Total parameters of the keras.applications models at ImageNet settings (1000 classes), as
# Keras itself reports them; they do not depend on the input size because of global pooling.
KERAS_IMAGENET_PARAMS = {
    "mobilenet_v1": 4_253_864,
    "mobilenet_v2": 3_538_984,
    "mobilenet_v3_small": 2_554_968,
    "mobilenet_v3_large": 5_507_432,
    "efficientnet_b0": 5_330_571,
    "efficientnet_b1": 7_856_239,
    "efficientnet_b2": 9_177_569,
    "efficientnet_b3": 12_320_535,
    "efficientnet_b4": 19_466_823,
    "efficientnet_b5": 30_562_527,
    "efficientnet_b6": 43_265_143,
    "efficientnet_b7": 66_658_687,
    "resnet50": 25_636_712,
}
# Paper 004's tables (millions of parameters at ImageNet settings) for the models built here.
PAPER_004_MILLIONS = {
    "squeezenet": 1.25,
    "squeezenet_1_1": 1.25,
    "efficientnet_lite0": 4.7,
    "efficientnet_lite1": 5.4,
    "efficientnet_lite2": 6.1,
    "efficientnet_lite3": 8.2,
    "efficientnet_lite4": 13.0,
}


def test_every_name_has_an_expected_figure_or_a_paper_table() -> None:
    own = {"alexnet", "alexnet_separable"}
    assert set(MODEL_NAMES) == own | set(KERAS_IMAGENET_PARAMS) | set(PAPER_004_MILLIONS)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_builder_at_its_smallest_input_counts_right_and_trains_one_step(name: str) -> None:
    spec = model_spec(name)
    side = spec.min_input
    model = build_model(name, side, 1000)

    counts = count_model(model)
    assert counts.total_params == counts.trainable_params + counts.non_trainable_params
    assert counts.macs > 0
    if name in KERAS_IMAGENET_PARAMS:
        assert counts.total_params == KERAS_IMAGENET_PARAMS[name]
    elif name in PAPER_004_MILLIONS:
        paper = PAPER_004_MILLIONS[name] * 1e6
        assert abs(counts.total_params - paper) / paper < 0.03, counts.total_params
    assert tuple(model.output.shape) == (None, 1000)

    # Eager mode keeps this test fast on two CPU cores: tracing EfficientNet-B7's training
    # graph alone takes a minute there, and eager runs the very same layers and gradients.
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", run_eagerly=True)
    images = np.random.default_rng(0).random((2, side, side, 3), dtype=np.float32)
    labels = np.array([3, 999])
    before = [w.copy() for w in model.get_weights()]
    loss = model.train_on_batch(images, labels)
    assert math.isfinite(float(np.ravel(loss)[0]))
    after = model.get_weights()
    assert any(not np.array_equal(b, a) for b, a in zip(before, after, strict=True))

    with pytest.raises(InputTooSmallError, match=rf"minimum is {side}x{side}"):
        build_model(name, side - 1, 1000)


def test_unknown_model_lists_the_valid_names() -> None:
    with pytest.raises(UnknownModelError) as caught:
        build_model("alexnett")

    message = str(caught.value)
    assert "'alexnett'" in message
    for name in MODEL_NAMES:
        assert name in message


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"num_classes": 0}, "positive integer, got 0"),
        ({"width": 0.0}, "positive, got 0.0"),
        ({"input_shape": (48, 48)}, "(height, width, channels)"),
    ],
)
def test_bad_arguments_quote_the_bad_value(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(ModelError) as caught:
        build_model("alexnet", **kwargs)  # type: ignore[arg-type]

    assert fragment in str(caught.value)


def test_width_is_refused_where_the_architecture_has_none() -> None:
    with pytest.raises(ModelError, match=r"efficientnet_b0 has no width multiplier.*0\.5"):
        build_model("efficientnet_b0", 32, 3, width=0.5)


def test_width_multiplier_shrinks_keras_mobilenets() -> None:
    full = count_model(build_model("mobilenet_v2", 32, 10)).total_params
    half = count_model(build_model("mobilenet_v2", 32, 10, width=0.5)).total_params

    assert half < full / 2


def test_macs_follow_the_published_figures_at_224() -> None:
    # MobileNet v1 1.0-224: 569 M multiply-adds (Howard et al. 2017, table 8).
    macs = count_model(build_model("mobilenet_v1", 224, 1000)).macs
    assert abs(macs - 569e6) / 569e6 < 0.01
