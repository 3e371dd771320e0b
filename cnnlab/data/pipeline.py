"""`tf.data` input pipelines: decode, resize to the model's input, cache, shuffle by seed, batch,
prefetch; and the loaders that turn a dataset path into train and validation pipelines.

Images leave as float32 in [0, 1], the input every model of `cnnlab.models` expects. The cache
holds resized uint8 images, four times smaller than floats, so later epochs never decode again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnlab.data.errors import DatasetError
from cnnlab.data.folders import FolderDataset, ImageFiles, SkippedFile, scan_folder_dataset

if TYPE_CHECKING:
    import numpy as np
    import tensorflow as tf

_SHUFFLE_BUFFER_MAX = 50_000


@dataclass(frozen=True)
class LoadedDataset:
    """Train and validation pipelines of one dataset, with what a run should record about it."""

    source: str
    class_names: tuple[str, ...]
    train: tf.data.Dataset
    validation: tf.data.Dataset
    train_count: int
    validation_count: int
    skipped: tuple[SkippedFile, ...]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def describe(self) -> str:
        """One line for a run's event log."""
        skipped = f", {len(self.skipped)} unreadable files skipped" if self.skipped else ""
        return (
            f"{self.source}: {self.num_classes} classes, {self.train_count} training and "
            f"{self.validation_count} validation images{skipped}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "classes": list(self.class_names),
            "train_images": self.train_count,
            "validation_images": self.validation_count,
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
        }


def _size(image_size: int | tuple[int, int]) -> tuple[int, int]:
    height, width = (image_size, image_size) if isinstance(image_size, int) else image_size
    if height < 1 or width < 1:
        raise DatasetError(f"Image size must be positive, got {image_size!r}.")
    return int(height), int(width)


def _check_batch(batch_size: int) -> None:
    if isinstance(batch_size, bool) or batch_size < 1:
        raise DatasetError(f"Batch size must be a positive integer, got {batch_size!r}.")


def _finish(
    dataset: tf.data.Dataset, count: int, *, batch_size: int, shuffle: bool, seed: int, cache: bool
) -> tf.data.Dataset:
    import tensorflow as tf

    if cache:
        dataset = dataset.cache()
    if shuffle and count > 1:
        dataset = dataset.shuffle(
            min(count, _SHUFFLE_BUFFER_MAX), seed=seed, reshuffle_each_iteration=True
        )
    dataset = dataset.map(
        lambda image, label: (tf.cast(image, tf.float32) / 255.0, label),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def file_pipeline(
    files: ImageFiles,
    *,
    image_size: int | tuple[int, int],
    batch_size: int = 32,
    shuffle: bool = True,
    seed: int = 0,
    cache: bool = True,
) -> tf.data.Dataset:
    """Batches of (image, label) from image files; files that fail to decode are dropped."""
    import tensorflow as tf

    height, width = _size(image_size)
    _check_batch(batch_size)

    def decode(path: tf.Tensor, label: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        image = tf.image.resize(image, (height, width), antialias=True)
        image = tf.cast(tf.clip_by_value(tf.round(image), 0.0, 255.0), tf.uint8)
        return image, label

    dataset = tf.data.Dataset.from_tensor_slices(
        (list(files.paths), tf.constant(list(files.labels), dtype=tf.int64))
    )
    # A file whose header looked fine but whose body does not decode is skipped, never fatal.
    dataset = dataset.map(decode, num_parallel_calls=tf.data.AUTOTUNE).ignore_errors()
    return _finish(
        dataset, len(files), batch_size=batch_size, shuffle=shuffle, seed=seed, cache=cache
    )


def array_pipeline(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    image_size: int | tuple[int, int],
    batch_size: int = 32,
    shuffle: bool = True,
    seed: int = 0,
) -> tf.data.Dataset:
    """Batches of (image, label) from uint8 arrays (N, H, W, 3), resized to `image_size`."""
    import tensorflow as tf

    height, width = _size(image_size)
    _check_batch(batch_size)
    dataset = tf.data.Dataset.from_tensor_slices((images, labels.astype("int64")))
    if tuple(images.shape[1:3]) != (height, width):

        def resize(image: tf.Tensor, label: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            resized = tf.image.resize(image, (height, width), antialias=True)
            return tf.cast(tf.clip_by_value(tf.round(resized), 0.0, 255.0), tf.uint8), label

        dataset = dataset.map(resize, num_parallel_calls=tf.data.AUTOTUNE)
    return _finish(
        dataset, len(labels), batch_size=batch_size, shuffle=shuffle, seed=seed, cache=True
    )


def folder_pipelines(
    dataset: FolderDataset,
    *,
    image_size: int | tuple[int, int],
    batch_size: int = 32,
    seed: int = 0,
) -> LoadedDataset:
    """Train (shuffled) and validation (in order) pipelines of a scanned folder dataset."""
    return LoadedDataset(
        source=str(dataset.root),
        class_names=dataset.class_names,
        train=file_pipeline(
            dataset.train, image_size=image_size, batch_size=batch_size, shuffle=True, seed=seed
        ),
        validation=file_pipeline(
            dataset.validation, image_size=image_size, batch_size=batch_size, shuffle=False
        ),
        train_count=len(dataset.train),
        validation_count=len(dataset.validation),
        skipped=dataset.skipped,
    )


def load_image_folder(
    root: Path | str,
    *,
    image_size: int | tuple[int, int],
    batch_size: int = 32,
    seed: int = 0,
    validation_fraction: float = 0.2,
    regroup: str | None = None,
    per_class: int | None = None,
) -> LoadedDataset:
    """Scan a Fruits360-layout or single folder, optionally regroup and balance its classes,
    and return its pipelines.
    """
    from cnnlab.data.regroup import regroup_dataset

    dataset = scan_folder_dataset(root, validation_fraction=validation_fraction, seed=seed)
    if regroup is not None:
        dataset = regroup_dataset(dataset, regroup, per_class=per_class, seed=seed)
    elif per_class is not None:
        raise DatasetError("Balancing to a number of images per class needs a regroup spec.")
    return folder_pipelines(dataset, image_size=image_size, batch_size=batch_size, seed=seed)


def load_cifar100_dataset(
    path: Path | str,
    *,
    image_size: int | tuple[int, int],
    label_mode: str = "fine",
    batch_size: int = 32,
    seed: int = 0,
) -> LoadedDataset:
    """CIFAR100's train and test sets as pipelines at `image_size`."""
    from cnnlab.data.cifar100 import load_cifar100

    cifar = load_cifar100(path, label_mode=label_mode)
    return LoadedDataset(
        source=str(cifar.source),
        class_names=cifar.class_names,
        train=array_pipeline(
            cifar.train_images,
            cifar.train_labels,
            image_size=image_size,
            batch_size=batch_size,
            seed=seed,
        ),
        validation=array_pipeline(
            cifar.test_images,
            cifar.test_labels,
            image_size=image_size,
            batch_size=batch_size,
            shuffle=False,
        ),
        train_count=len(cifar.train_labels),
        validation_count=len(cifar.test_labels),
        skipped=(),
    )
