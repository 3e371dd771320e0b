"""CIFAR100 from the official python-version files, written here in miniature."""

from __future__ import annotations

import io
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest

from cnnlab.data import DatasetError, load_cifar100, load_cifar100_dataset, load_training_data


@pytest.fixture
def cifar_folder(cifar_archive: Path, tmp_path: Path) -> Path:
    """The archive unpacked as the official download unpacks: <parent>/cifar-100-python/."""
    with tarfile.open(cifar_archive) as archive:
        archive.extractall(tmp_path, filter="data")
    return tmp_path / "cifar-100-python"


def test_archive_loads_with_fine_labels(cifar_archive: Path) -> None:
    cifar = load_cifar100(cifar_archive)

    assert len(cifar.class_names) == 100
    assert cifar.class_names[7] == "fine_7"
    assert cifar.train_images.shape == (200, 32, 32, 3)
    assert cifar.train_images.dtype == np.uint8
    assert cifar.test_images.shape == (100, 32, 32, 3)
    assert np.bincount(cifar.train_labels).tolist() == [2] * 100


def test_folder_and_its_parent_load_the_same_with_coarse_labels(
    cifar_archive: Path, cifar_folder: Path
) -> None:
    from_archive = load_cifar100(cifar_archive, label_mode="coarse")
    from_folder = load_cifar100(cifar_folder, label_mode="coarse")
    from_parent = load_cifar100(cifar_folder.parent, label_mode="coarse")

    assert len(from_folder.class_names) == 20
    for loaded in (from_folder, from_parent):
        np.testing.assert_array_equal(loaded.train_images, from_archive.train_images)
        np.testing.assert_array_equal(loaded.train_labels, from_archive.train_labels)
    assert from_folder.train_labels.max() == 19


def test_pixels_keep_the_official_channel_layout(tmp_path: Path) -> None:
    # CIFAR stores 1024 red, then 1024 green, then 1024 blue values per image.
    from cnnlab.data import write_cifar100_archive

    path = write_cifar100_archive(tmp_path / "c.tar.gz", train_per_class=1, fine_classes=100)
    with tarfile.open(path) as archive:
        member = archive.extractfile("cifar-100-python/train")
        assert member is not None
        raw = pickle.load(io.BytesIO(member.read()), encoding="bytes")[b"data"][0]

    image = load_cifar100(path).train_images[0]

    assert image[0, 1, 0] == raw[1]
    assert image[0, 0, 1] == raw[1024]
    assert image[1, 0, 2] == raw[2048 + 32]


def test_pipelines_resize_to_the_model_input(cifar_archive: Path) -> None:
    data = load_cifar100_dataset(cifar_archive, image_size=48, batch_size=50)

    images, _ = next(iter(data.train))
    assert tuple(images.shape) == (50, 48, 48, 3)
    assert data.train_count == 200
    assert data.validation_count == 100
    via_spec = load_training_data(f"{cifar_archive}#labels=coarse", input_size=40, batch=10)
    assert via_spec.num_classes == 20


def test_missing_files_say_where_they_should_be(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as caught:
        load_cifar100(tmp_path / "cifar-100-python")

    message = str(caught.value)
    assert "cifar-100-python" in message
    assert "cifar-100-python.tar.gz" in message
    assert "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz" in message


def test_folder_missing_a_file_names_it(cifar_folder: Path) -> None:
    (cifar_folder / "meta").unlink()

    with pytest.raises(DatasetError, match=r"CIFAR100 file\(s\) meta missing in"):
        load_cifar100(cifar_folder)


def test_truncated_archive_is_a_clear_error(cifar_archive: Path, tmp_path: Path) -> None:
    truncated = tmp_path / "cifar-100-python.tar.gz"
    data = cifar_archive.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])

    with pytest.raises(DatasetError, match=r"truncated or damaged.*expected the cifar-100-python"):
        load_cifar100(truncated)


def test_truncated_pickle_in_folder_is_a_clear_error(cifar_folder: Path) -> None:
    train = cifar_folder / "train"
    train.write_bytes(train.read_bytes()[:1000])

    with pytest.raises(DatasetError, match="truncated or damaged"):
        load_cifar100(cifar_folder)


def test_a_pickle_that_would_run_code_is_refused(cifar_folder: Path) -> None:
    class Exploit:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            import os

            return (os.system, ("echo pwned",))

    (cifar_folder / "meta").write_bytes(pickle.dumps({b"fine_label_names": Exploit()}))

    with pytest.raises(DatasetError, match=r"unexpected object posix\.system"):
        load_cifar100(cifar_folder)


def test_unknown_label_mode_is_refused(cifar_archive: Path) -> None:
    with pytest.raises(DatasetError, match="'fine' or 'coarse', got 'medium'"):
        load_cifar100(cifar_archive, label_mode="medium")
