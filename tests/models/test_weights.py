"""Pretrained weights: local files load, missing ImageNet files say which file goes where."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cnnlab.models import ModelError, WeightsNotFoundError, build_model


@pytest.fixture
def keras_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    return tmp_path / "keras-home"


@pytest.mark.parametrize(
    ("name", "classes", "file_name"),
    [
        ("mobilenet_v2", 1000, "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5"),
        ("efficientnet_b0", 3, "efficientnetb0_notop.h5"),
        ("resnet50", 1000, "resnet50_weights_tf_dim_ordering_tf_kernels.h5"),
        ("mobilenet_v3_small", 5, "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5"),
    ],
)
def test_missing_imagenet_weights_name_the_file_and_the_folder(
    keras_home: Path, name: str, classes: int, file_name: str
) -> None:
    with pytest.raises(WeightsNotFoundError) as caught:
        build_model(name, 224, classes, weights="imagenet")

    message = str(caught.value)
    assert file_name in message
    assert str(keras_home / "models") in message
    assert "https://storage.googleapis.com/" in message


def test_imagenet_weights_do_not_exist_for_models_built_here() -> None:
    with pytest.raises(ModelError, match="no ImageNet weights for squeezenet"):
        build_model("squeezenet", 64, 3, weights="imagenet")


def test_imagenet_width_without_published_weights_is_refused(keras_home: Path) -> None:
    with pytest.raises(ModelError, match=r"only for width 0\.75, 1\.0, got 0\.5"):
        build_model("mobilenet_v3_small", 224, 1000, width=0.5, weights="imagenet")


@pytest.mark.parametrize("name", ["mobilenet_v3_small", "alexnet"])
def test_local_weights_file_loads_into_a_fresh_model(tmp_path: Path, name: str) -> None:
    trained = build_model(name, 32, 4)
    path = tmp_path / "trained.weights.h5"
    trained.save_weights(path)

    loaded = build_model(name, 32, 4, weights=path)

    for saved, restored in zip(trained.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(saved, restored)


def test_missing_local_weights_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(WeightsNotFoundError, match=r"nowhere\.weights\.h5 does not exist"):
        build_model("mobilenet_v2", 32, 3, weights=tmp_path / "nowhere.weights.h5")


def test_weights_of_another_shape_are_refused_with_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "ten.weights.h5"
    build_model("alexnet", 48, 10).save_weights(path)

    with pytest.raises(ModelError, match=r"ten\.weights\.h5 does not fit model alexnet"):
        build_model("alexnet", 48, 3, weights=path)
