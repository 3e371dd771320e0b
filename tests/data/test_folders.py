"""Image folders: Fruits360 layout, single folder split by seed, bad folders, unreadable files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cnnlab.data import DatasetError, file_pipeline, scan_class_names, scan_folder_dataset

CLASSES = ("Apple Golden", "Apple Red", "Banana", "Pear")


def test_fruits360_layout_gives_training_and_test_splits(fruits: Path) -> None:
    dataset = scan_folder_dataset(fruits)

    assert dataset.layout == "fruits360"
    assert dataset.class_names == CLASSES
    assert dataset.train.per_class(4) == [12, 12, 12, 12]
    assert dataset.validation.per_class(4) == [3, 3, 3, 3]
    assert all("/Training/" in path for path in dataset.train.paths)
    assert all("/Test/" in path for path in dataset.validation.paths)
    assert dataset.skipped == ()
    assert scan_class_names(fruits) == CLASSES


def test_single_folder_is_split_per_class_by_fraction_and_seed(fruits: Path) -> None:
    single = fruits / "Training"

    first = scan_folder_dataset(single, validation_fraction=0.25, seed=1)
    again = scan_folder_dataset(single, validation_fraction=0.25, seed=1)
    other = scan_folder_dataset(single, validation_fraction=0.25, seed=2)

    assert first.layout == "single"
    assert first.train.per_class(4) == [9, 9, 9, 9]
    assert first.validation.per_class(4) == [3, 3, 3, 3]
    assert set(first.train.paths).isdisjoint(first.validation.paths)
    assert first == again
    assert first.validation.paths != other.validation.paths


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_validation_fraction_outside_0_1_is_refused(fruits: Path, fraction: float) -> None:
    with pytest.raises(DatasetError, match=rf"between 0 and 1 \(exclusive\), got {fraction}"):
        scan_folder_dataset(fruits / "Training", validation_fraction=fraction)


def test_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=rf"Dataset folder {tmp_path / 'nope'} does not exist"):
        scan_folder_dataset(tmp_path / "nope")


def test_empty_folder_says_what_layout_is_expected(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=rf"{tmp_path} has no class folders; expected"):
        scan_folder_dataset(tmp_path)


def test_one_class_is_refused_with_its_name(fruits: Path) -> None:
    for name in CLASSES[1:]:
        shutil.rmtree(fruits / "Training" / name)

    with pytest.raises(DatasetError, match=r"has only one class \(Apple Golden\)"):
        scan_folder_dataset(fruits / "Training")


def test_train_and_test_class_lists_must_match(fruits: Path) -> None:
    shutil.rmtree(fruits / "Test" / "Pear")
    (fruits / "Test" / "Quince").mkdir()
    shutil.copy(next((fruits / "Test" / "Banana").iterdir()), fruits / "Test" / "Quince" / "q.jpg")

    for scan in (scan_folder_dataset, scan_class_names):
        with pytest.raises(DatasetError) as caught:
            scan(fruits)
        message = str(caught.value)
        assert str(fruits) in message
        assert "only in Training: Pear; only in Test: Quince" in message


def test_training_without_test_folder_is_refused(fruits: Path) -> None:
    shutil.rmtree(fruits / "Test")

    with pytest.raises(DatasetError, match="has Training/ but no Test/ folder"):
        scan_folder_dataset(fruits)


def test_class_without_readable_images_is_named(fruits: Path) -> None:
    for image in (fruits / "Test" / "Banana").iterdir():
        image.write_bytes(b"")

    with pytest.raises(DatasetError, match=r"Test/Banana has no readable images"):
        scan_folder_dataset(fruits)


def _damage(fruits: Path) -> dict[str, str]:
    """Drop four kinds of bad file into the training set; return name -> expected reason."""
    folder = fruits / "Training" / "Pear"
    good = next(folder.iterdir()).read_bytes()
    (folder / "notes.txt").write_text("picked on Tuesday")
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "cut.jpg").write_bytes(good[: len(good) // 2])
    return {"notes.txt": "not an image", "empty.jpg": "empty file", "cut.jpg": "truncated JPEG"}


def test_non_image_empty_and_truncated_files_are_skipped_with_reasons(fruits: Path) -> None:
    expected = _damage(fruits)

    dataset = scan_folder_dataset(fruits)

    reasons = {Path(s.path).name: s.reason for s in dataset.skipped}
    assert set(reasons) == set(expected)
    for name, reason in expected.items():
        assert reasons[name].startswith(reason)
    assert dataset.train.per_class(4) == [12, 12, 12, 12]


def test_pipeline_drops_a_file_whose_body_does_not_decode(fruits: Path) -> None:
    _damage(fruits)
    # A JPEG header and end marker around garbage passes the header check but cannot decode.
    (fruits / "Training" / "Pear" / "garbage.jpg").write_bytes(
        b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4 + b"\xff\xd9"
    )
    dataset = scan_folder_dataset(fruits)
    assert len(dataset.train) == 49

    images = sum(
        int(batch[0].shape[0])
        for batch in file_pipeline(dataset.train, image_size=16, batch_size=10, seed=0)
    )

    assert images == 48


def test_the_training_files_bound_is_never_below_the_scanned_count(tmp_path: Path) -> None:
    """The listing-only bound that lets submit skip reading every header on a large folder."""
    from support.images import write_images

    from cnnlab.data.folders import scan_folder_dataset, training_files_bound

    fruits = write_images(tmp_path / "fruits", per_class=5)
    (fruits / "Training" / "a" / "notes.txt").write_text("not an image")
    single = write_images(tmp_path / "single", per_class=7, fruits360=False)
    for root, fraction in ((fruits, 0.2), (single, 0.2), (single, 0.5)):
        scanned = len(scan_folder_dataset(root, validation_fraction=fraction).train)
        bound = training_files_bound(root, validation_fraction=fraction)
        assert bound >= scanned
    assert training_files_bound(fruits) == 16  # 15 images and the text file
    assert training_files_bound(single, validation_fraction=0.5) == len(
        scan_folder_dataset(single, validation_fraction=0.5).train
    )
