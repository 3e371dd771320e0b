"""`cnnlab data synth` images: deterministic, in Fruits360 layout, and truly learnable."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnnlab.data import DatasetError, load_training_data, write_synthetic_dataset


def test_same_seed_same_bytes_other_seed_other_images(tmp_path: Path) -> None:
    a = write_synthetic_dataset(tmp_path / "a", classes=2, per_class=3, size=16, seed=1)
    write_synthetic_dataset(tmp_path / "b", classes=2, per_class=3, size=16, seed=1)
    write_synthetic_dataset(tmp_path / "c", classes=2, per_class=3, size=16, seed=2)

    files = sorted(p.relative_to(a.root) for p in a.root.rglob("*.jpg"))
    assert len(files) == 2 * (3 + 1)
    assert all((tmp_path / "b" / f).read_bytes() == (a.root / f).read_bytes() for f in files)
    assert any((tmp_path / "c" / f).read_bytes() != (a.root / f).read_bytes() for f in files)
    assert a.class_names == ("Apple Red", "Pear")
    assert (a.train_per_class, a.test_per_class) == (3, 1)


def test_more_classes_than_fruit_names_get_numbered(tmp_path: Path) -> None:
    report = write_synthetic_dataset(tmp_path / "many", classes=14, per_class=1, size=8)

    assert report.class_names[-2:] == ("Fruit 13", "Fruit 14")


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"classes": 1, "per_class": 5}, "at least 2 classes, got 1"),
        ({"classes": 3, "per_class": 0}, "positive integer, got 0"),
        ({"classes": 3, "per_class": 5, "size": 4}, "at least 8 pixels, got 4"),
    ],
)
def test_bad_arguments_quote_the_value(
    tmp_path: Path, kwargs: dict[str, int], fragment: str
) -> None:
    with pytest.raises(DatasetError, match=fragment):
        write_synthetic_dataset(tmp_path / "x", **kwargs)


def test_existing_folder_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")

    with pytest.raises(DatasetError, match="already exists and is not an empty folder"):
        write_synthetic_dataset(tmp_path, classes=2, per_class=1)


def test_accuracy_rises_while_training_on_synthetic_images(tmp_path: Path) -> None:
    import keras

    from cnnlab.models import build_model

    write_synthetic_dataset(tmp_path / "shapes", classes=4, per_class=40, size=32, seed=0)
    keras.utils.set_random_seed(0)
    data = load_training_data(str(tmp_path / "shapes"), input_size=32, batch=16, seed=0)
    model = build_model("alexnet_separable", 32, data.num_classes, width=0.5)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    history = model.fit(data.train, epochs=6, verbose=0).history["accuracy"]

    assert history[-1] > history[0] + 0.2
    assert history[-1] > 0.7
