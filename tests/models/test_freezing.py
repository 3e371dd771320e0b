"""Freezing layers and replacing the head, as in paper 002's transfer stages."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab.models import ModelError, build_model, freeze_layers, freeze_report, replace_head


def _train_one_step(model: object, classes: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    images = rng.random((8, 48, 48, 3), dtype=np.float32)
    labels = rng.integers(0, classes, size=8)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")  # type: ignore[attr-defined]
    model.train_on_batch(images, labels)  # type: ignore[attr-defined]


def test_first_three_conv_blocks_stay_bit_identical_after_training() -> None:
    model = build_model("alexnet", 48, 3)

    report = freeze_layers(model, first_conv_blocks=3)

    assert report.frozen_layers == ("conv1", "bn1", "conv2", "bn2", "conv3")
    assert report.trainable_layers == ("conv4", "fc1", "fc2", "predictions")
    assert report.frozen_params == 1216 + 64 + 4640 + 128 + 18496
    assert report.trainable_params == 73856 + 590336 + 262656 + 1539
    frozen = {
        name: [w.copy() for w in model.get_layer(name).get_weights()]
        for name in report.frozen_layers
    }
    trainable_before = model.get_layer("conv4").get_weights()[0].copy()

    _train_one_step(model, 3)

    for name, weights in frozen.items():
        for before, after in zip(weights, model.get_layer(name).get_weights(), strict=True):
            assert np.array_equal(before, after), name
    assert not np.array_equal(trainable_before, model.get_layer("conv4").get_weights()[0])


def test_paper_002_third_stage_freezes_four_convs_and_replaces_the_output() -> None:
    model = build_model("alexnet", 48, 100)
    freeze_layers(model, first_conv_blocks=4)

    new_model = replace_head(model, 3)
    report = freeze_report(new_model)

    assert tuple(new_model.output.shape) == (None, 3)
    assert new_model.layers[-1].name == "predictions"
    assert new_model.layers[-2].name == "fc2"
    assert report.frozen_layers == ("conv1", "bn1", "conv2", "bn2", "conv3", "conv4")
    assert report.trainable_layers == ("fc1", "fc2", "predictions")
    conv4 = [w.copy() for w in new_model.get_layer("conv4").get_weights()]
    _train_one_step(new_model, 3)
    for before, after in zip(conv4, new_model.get_layer("conv4").get_weights(), strict=True):
        assert np.array_equal(before, after)


def test_freeze_by_names_and_up_to_a_layer() -> None:
    model = build_model("alexnet", 48, 3)

    report = freeze_layers(model, names=["fc1"], up_to="bn2")

    assert report.frozen_layers == ("conv1", "bn1", "conv2", "bn2", "fc1")
    assert "conv3" in report.trainable_layers


def test_replace_head_dropping_more_layers_adds_pooling_when_needed() -> None:
    model = build_model("squeezenet_1_1", 64, 10)
    freeze_layers(model, up_to="fire9_concat")

    new_model = replace_head(model, 4, drop_last=4)

    assert [layer.name for layer in new_model.layers[-2:]] == ["head_pool", "predictions"]
    assert tuple(new_model.output.shape) == (None, 4)
    assert freeze_report(new_model).trainable_layers == ("predictions",)


def test_replace_head_on_a_keras_application() -> None:
    model = build_model("mobilenet_v3_small", 32, 1000)

    new_model = replace_head(model, 7, drop_last=3)

    assert tuple(new_model.output.shape) == (None, 7)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({}, "Say what to freeze"),
        ({"first_conv_blocks": 5}, "between 0 and 4 (the convolution layers of alexnet), got 5"),
        ({"first_conv_blocks": -1}, "got -1"),
        ({"names": ["conv1", "conv9"]}, "No layer named 'conv9' in alexnet"),
        ({"up_to": "fc9"}, "No layer named 'fc9' in alexnet"),
    ],
)
def test_bad_freeze_arguments_quote_the_bad_value(kwargs: dict[str, object], fragment: str) -> None:
    model = build_model("alexnet", 48, 3)

    with pytest.raises(ModelError) as caught:
        freeze_layers(model, **kwargs)  # type: ignore[arg-type]

    assert fragment in str(caught.value)
    assert freeze_report(model).frozen_layers == ()


@pytest.mark.parametrize(
    ("classes", "drop_last", "fragment"),
    [
        (0, 1, "num_classes must be a positive integer, got 0"),
        (3, 0, "drop_last must be between 1 and"),
    ],
)
def test_bad_head_arguments_quote_the_bad_value(
    classes: int, drop_last: int, fragment: str
) -> None:
    model = build_model("alexnet", 48, 3)

    with pytest.raises(ModelError, match=fragment):
        replace_head(model, classes, drop_last=drop_last)
