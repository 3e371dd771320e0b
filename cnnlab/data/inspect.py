"""What a dataset holds, before any training: classes, images per class and split, image sizes,
and the files that cannot be read (each decoded once, so corrupt bodies are found too).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnnlab.data.cifar100 import is_cifar100_path
from cnnlab.data.errors import DatasetError
from cnnlab.data.folders import ImageFiles, SkippedFile, scan_folder_dataset


@dataclass(frozen=True)
class DatasetReport:
    """A dataset's shape: classes, counts per split and class, image sizes, unreadable files."""

    path: str
    kind: str  # "fruits360", "single" or "cifar100"
    class_names: tuple[str, ...]
    splits: dict[str, list[int]]  # split name -> images per class, in class order
    image_sizes: dict[str, int]  # "WxH" -> images
    unreadable: tuple[SkippedFile, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "classes": list(self.class_names),
            "splits": {
                split: {
                    "images": sum(counts),
                    "per_class": dict(zip(self.class_names, counts, strict=True)),
                }
                for split, counts in self.splits.items()
            },
            "image_sizes": self.image_sizes,
            "unreadable": [{"path": s.path, "reason": s.reason} for s in self.unreadable],
        }


def _inspect_cifar(path: Path) -> DatasetReport:
    from cnnlab.data.cifar100 import load_cifar100

    cifar = load_cifar100(path)
    classes = len(cifar.class_names)
    splits = {
        "train": [int(c) for c in _bincount(cifar.train_labels, classes)],
        "test": [int(c) for c in _bincount(cifar.test_labels, classes)],
    }
    total = len(cifar.train_labels) + len(cifar.test_labels)
    return DatasetReport(
        str(cifar.source), "cifar100", cifar.class_names, splits, {"32x32": total}, ()
    )


def _bincount(labels: Any, classes: int) -> list[int]:
    import numpy as np

    return [int(c) for c in np.bincount(labels, minlength=classes)]


def inspect_dataset(path: Path | str) -> DatasetReport:
    """Inspect an image folder (Fruits360 layout or single) or CIFAR100 files at `path`."""

    path = Path(path).expanduser().absolute()
    if not path.exists():
        raise DatasetError(f"Dataset path {path} does not exist.")
    if is_cifar100_path(path):
        return _inspect_cifar(path)
    dataset = scan_folder_dataset(path)
    from cnnlab.quiet_tensorflow import import_tensorflow_quietly

    tf = import_tensorflow_quietly()  # only images need decoding; CIFAR100 and a bad path do not
    unreadable = list(dataset.skipped)
    sizes: Counter[str] = Counter()
    if dataset.layout == "fruits360":
        splits_files = {"train": dataset.train, "test": dataset.validation}
    else:
        # A single folder has no split of its own: report every image under "all".
        merged = sorted(
            zip(
                dataset.train.paths + dataset.validation.paths,
                dataset.train.labels + dataset.validation.labels,
                strict=True,
            )
        )
        paths = tuple(p for p, _ in merged)
        splits_files = {"all": ImageFiles(paths, tuple(label for _, label in merged))}
    splits: dict[str, list[int]] = {}
    for split, files in splits_files.items():
        counts = [0] * len(dataset.class_names)
        for file_path, label in zip(files.paths, files.labels, strict=True):
            try:
                image = tf.io.decode_image(
                    tf.io.read_file(file_path), channels=3, expand_animations=False
                )
            except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError) as exc:
                message = exc.message.strip().splitlines()[0] if exc.message else "cannot decode"
                unreadable.append(SkippedFile(file_path, f"cannot decode ({message})"))
                continue
            height, width = int(image.shape[0]), int(image.shape[1])
            sizes[f"{width}x{height}"] += 1
            counts[label] += 1
        splits[split] = counts
    return DatasetReport(
        str(dataset.root),
        dataset.layout,
        dataset.class_names,
        splits,
        dict(sizes.most_common()),
        tuple(sorted(unreadable, key=lambda skipped: skipped.path)),
    )
