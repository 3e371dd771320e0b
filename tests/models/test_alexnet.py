"""Paper 002's AlexNet layer by layer, and paper 001's separable twin."""

from __future__ import annotations

import pytest

from cnnlab.models import InputTooSmallError, build_model, count_model, layer_table

# Paper 002, table 1: (layer, output shape, parameters) at 48x48x3 input and 3 classes.
PAPER_002_TABLE_1 = [
    ("conv1", (48, 48, 16), 1216),
    ("bn1", (48, 48, 16), 64),
    ("pool1", (24, 24, 16), 0),
    ("conv2", (22, 22, 32), 4640),
    ("bn2", (22, 22, 32), 128),
    ("pool2", (11, 11, 32), 0),
    ("conv3", (9, 9, 64), 18496),
    ("conv4", (7, 7, 128), 73856),
    ("pool3", (3, 3, 128), 0),
    ("fc1", (512,), 590336),
    ("fc2", (512,), 262656),
    ("predictions", (3,), 1539),
]


def test_alexnet_matches_paper_002_table_1_layer_by_layer() -> None:
    model = build_model("alexnet", (48, 48, 3), 3)

    rows = [
        (row.name, row.output_shape[1:], row.params)
        for row in layer_table(model)
        # The paper's table leaves out the input and the (parameter-free) flatten step.
        if row.type not in ("InputLayer", "Flatten")
    ]

    assert rows == PAPER_002_TABLE_1
    counts = count_model(model)
    assert counts.total_params == sum(params for _, _, params in PAPER_002_TABLE_1) == 952_931
    # Paper 001 reports AlexNet's 952,835 trainable parameters: all but batch norm's moving stats.
    assert counts.trainable_params == 952_835
    assert counts.non_trainable_params == 96


def test_alexnet_is_the_default_for_its_name() -> None:
    model = build_model("alexnet")

    assert tuple(model.input.shape[1:]) == (48, 48, 3)
    assert tuple(model.output.shape[1:]) == (3,)


def test_alexnet_separable_replaces_every_conv2d() -> None:
    plain = build_model("alexnet", (48, 48, 3), 3)
    separable = build_model("alexnet_separable", (48, 48, 3), 3)

    plain_rows = layer_table(plain)
    separable_rows = layer_table(separable)
    assert [r.name for r in plain_rows] == [r.name for r in separable_rows]
    assert [r.output_shape for r in plain_rows] == [r.output_shape for r in separable_rows]
    for before, after in zip(plain_rows, separable_rows, strict=True):
        if before.type == "Conv2D":
            assert after.type == "SeparableConv2D", before.name
        else:
            assert after.type == before.type
    assert not any(row.type == "Conv2D" for row in separable_rows)
    # Paper 001 reports 866,750 trainable parameters for AlexNet Separable.
    assert count_model(separable).trainable_params == 866_750
    assert count_model(separable).macs < count_model(plain).macs / 4


def test_alexnet_width_scales_filters_and_units() -> None:
    model = build_model("alexnet", (48, 48, 3), 3, width=0.5)

    assert model.get_layer("conv1").filters == 8
    assert model.get_layer("conv4").filters == 64
    assert model.get_layer("fc1").units == 256


@pytest.mark.parametrize("name", ["alexnet", "alexnet_separable"])
def test_alexnet_smallest_input_builds_and_one_less_says_the_minimum(name: str) -> None:
    model = build_model(name, 28, 3)
    assert tuple(model.get_layer("pool3").output.shape[1:3]) == (1, 1)

    with pytest.raises(InputTooSmallError, match=r"minimum is 28x28"):
        build_model(name, 27, 3)
