"""tf.data pipelines and data specs: decode, resize, scale, shuffle by seed, batch, load by spec."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cnnlab.data import (
    DatasetError,
    file_pipeline,
    load_training_data,
    scan_folder_dataset,
    validate_data_spec,
)


def _labels(dataset: object) -> list[int]:
    return [int(label) for _, labels in dataset for label in labels.numpy()]  # type: ignore[attr-defined]


def test_file_pipeline_resizes_scales_and_batches(fruits: Path) -> None:
    files = scan_folder_dataset(fruits).train

    batches = list(file_pipeline(files, image_size=(16, 20), batch_size=32, seed=0))

    assert [int(images.shape[0]) for images, _ in batches] == [32, 16]
    images, labels = batches[0]
    assert tuple(images.shape[1:]) == (16, 20, 3)
    assert images.dtype.name == "float32"
    assert float(np.min(images)) >= 0.0
    assert float(np.max(images)) <= 1.0
    assert float(np.max(images)) > 0.5
    assert labels.dtype.name == "int64"


def test_shuffle_is_deterministic_by_seed_and_reshuffles_each_epoch(fruits: Path) -> None:
    files = scan_folder_dataset(fruits).train

    first = file_pipeline(files, image_size=8, batch_size=48, seed=5)
    again = file_pipeline(files, image_size=8, batch_size=48, seed=5)
    other = file_pipeline(files, image_size=8, batch_size=48, seed=6)

    epoch1, epoch2 = _labels(first), _labels(first)
    assert epoch1 == _labels(again)
    assert epoch1 != epoch2
    assert epoch1 != _labels(other)
    assert sorted(epoch1) == sorted(files.labels)
    ordered = file_pipeline(files, image_size=8, batch_size=48, shuffle=False)
    assert _labels(ordered) == list(files.labels)


def test_load_training_data_by_spec(fruits: Path) -> None:
    data = load_training_data(str(fruits), input_size=16, batch=8, seed=0)

    assert data.num_classes == 4
    assert (data.train_count, data.validation_count) == (48, 12)
    assert "4 classes, 48 training and 12 validation images" in data.describe()
    assert data.to_json()["classes"] == ["Apple Golden", "Apple Red", "Banana", "Pear"]
    images, _ = next(iter(data.validation))
    assert tuple(images.shape) == (8, 16, 16, 3)


def test_load_training_data_regroups_by_spec_options(fruits: Path) -> None:
    spec = f"{fruits}#regroup=apple=*apple*,other=*;per_class=6"

    data = load_training_data(spec, input_size=16, batch=4, seed=0)

    assert data.class_names == ("apple", "other")
    assert data.train_count == 12


def test_batch_larger_than_the_training_set_is_refused(fruits: Path) -> None:
    with pytest.raises(DatasetError, match=r"Batch size 4096 is larger than the 48 training"):
        load_training_data(str(fruits), input_size=16, batch=4096)


def test_validate_data_spec_checks_cheaply_and_returns_an_absolute_spec(
    fruits: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(fruits.parent)

    assert validate_data_spec("fruits") == str(fruits)
    assert validate_data_spec("fruits#regroup=a=*apple*,b=*") == f"{fruits}#regroup=a=*apple*,b=*"


@pytest.mark.parametrize(
    ("suffix", "fragment"),
    [
        ("/missing", "does not exist"),
        ("#colour=red", "Unknown data option 'colour=red'"),
        ("#per_class=5", "add a regroup= option"),
        ("#regroup=apple", "is not name=pattern"),
        ("#regroup=a=*,b=*;per_class=x", "per_class must be a positive integer, got 'x'"),
        ("#labels=coarse", "labels= applies to CIFAR100 only"),
    ],
)
def test_bad_data_specs_are_one_sentence(fruits: Path, suffix: str, fragment: str) -> None:
    with pytest.raises(DatasetError, match=fragment):
        validate_data_spec(f"{fruits}{suffix}")


def test_validate_data_spec_refuses_a_bad_validation_split(fruits: Path) -> None:
    with pytest.raises(DatasetError, match=r"got 1\.5"):
        validate_data_spec(str(fruits), val_split=1.5)
