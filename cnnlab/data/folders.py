"""Image folders as datasets: Fruits360's `Training/<class>/` + `Test/<class>/` layout, or one
folder of class subfolders split into train and validation by fraction and seed.

Scanning is plain Python (no TensorFlow): it lists files, checks each one's header, and sets
aside non-image, empty and truncated files with the reason, so that training never meets them.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cnnlab.data.errors import DatasetError

TRAIN_FOLDER_NAMES = ("Training", "training", "train", "Train")
TEST_FOLDER_NAMES = ("Test", "test", "validation", "Validation")
_JPEG = b"\xff\xd8\xff"
_SIGNATURES = ((_JPEG, "jpeg"), (b"\x89PNG\r\n\x1a\n", "png"), (b"GIF8", "gif"), (b"BM", "bmp"))
_JPEG_END = b"\xff\xd9"


@dataclass(frozen=True)
class SkippedFile:
    """A file inside a dataset that is not used, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class ImageFiles:
    """One split of a dataset: image paths and their class indices, in a stable order."""

    paths: tuple[str, ...]
    labels: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.paths)

    def per_class(self, num_classes: int) -> list[int]:
        counts = [0] * num_classes
        for label in self.labels:
            counts[label] += 1
        return counts


@dataclass(frozen=True)
class FolderDataset:
    """Readable image files of a folder dataset, by split, with the files set aside."""

    root: Path
    layout: str  # "fruits360" or "single"
    class_names: tuple[str, ...]
    train: ImageFiles
    validation: ImageFiles
    skipped: tuple[SkippedFile, ...]


def image_problem(path: Path) -> str | None:
    """Why `path` cannot be used as an image (None when its header looks like one)."""
    try:
        with path.open("rb") as file:
            head = file.read(16)
            if not head:
                return "empty file"
            kind = next((name for magic, name in _SIGNATURES if head.startswith(magic)), None)
            if kind is None:
                return "not an image (no JPEG, PNG, GIF or BMP header)"
            if kind == "jpeg":
                size = file.seek(0, 2)
                file.seek(max(0, size - 64))
                if _JPEG_END not in file.read():
                    return "truncated JPEG (no end-of-image marker)"
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    return None


def _class_folders(folder: Path) -> list[Path]:
    try:
        children = [c for c in folder.iterdir() if c.is_dir() and not c.name.startswith(".")]
    except OSError as exc:  # a folder that may not be listed or searched
        raise DatasetError(
            f"Cannot list dataset folder {folder} ({exc.strerror or exc}); check its permissions."
        ) from exc
    return sorted(children, key=lambda child: child.name)


def _files(folder: Path) -> Iterable[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def _scan_classes(folder: Path, skipped: list[SkippedFile]) -> dict[str, list[str]]:
    """Readable image paths per class folder of `folder`; other files go to `skipped`."""
    classes: dict[str, list[str]] = {}
    for class_folder in _class_folders(folder):
        readable = []
        for path in _files(class_folder):
            problem = image_problem(path)
            if problem is None:
                readable.append(str(path))
            else:
                skipped.append(SkippedFile(str(path), problem))
        classes[class_folder.name] = readable
    return classes


def _check_classes(folder: Path, classes: dict[str, list[str]]) -> None:
    if not classes:
        raise DatasetError(
            f"Dataset folder {folder} has no class folders; expected {folder}/<class>/*.jpg, "
            f"or Training/<class>/ and Test/<class>/ inside it."
        )
    empty = [name for name, paths in classes.items() if not paths]
    if empty:
        raise DatasetError(
            f"Class folder {folder / empty[0]} has no readable images"
            + (f" (nor have {len(empty) - 1} other classes)." if len(empty) > 1 else ".")
        )
    if len(classes) == 1:
        raise DatasetError(
            f"Dataset folder {folder} has only one class ({next(iter(classes))}); "
            "a classifier needs at least two."
        )


def _find(root: Path, names: tuple[str, ...]) -> Path | None:
    return next((root / name for name in names if (root / name).is_dir()), None)


def _as_files(classes: dict[str, list[str]], names: tuple[str, ...]) -> ImageFiles:
    paths: list[str] = []
    labels: list[int] = []
    for label, name in enumerate(names):
        paths.extend(classes[name])
        labels.extend([label] * len(classes[name]))
    return ImageFiles(tuple(paths), tuple(labels))


def _split_folders(root: Path) -> tuple[Path, Path] | None:
    """Training and test folders of a Fruits360-layout `root`, None for a single folder."""
    train_folder = _find(root, TRAIN_FOLDER_NAMES)
    test_folder = _find(root, TEST_FOLDER_NAMES)
    if train_folder is not None and test_folder is not None:
        return train_folder, test_folder
    if train_folder is not None and len(_class_folders(root)) == 1:
        raise DatasetError(
            f"Dataset folder {root} has {train_folder.name}/ but no Test/ folder beside it."
        )
    return None


def _check_same_classes(
    root: Path,
    train_folder: Path,
    test_folder: Path,
    train_classes: Iterable[str],
    test_classes: Iterable[str],
) -> None:
    train_set, test_set = set(train_classes), set(test_classes)
    if train_set == test_set:
        return
    differences = []
    if train_set - test_set:
        differences.append(
            f"only in {train_folder.name}: {', '.join(sorted(train_set - test_set))}"
        )
    if test_set - train_set:
        differences.append(f"only in {test_folder.name}: {', '.join(sorted(test_set - train_set))}")
    raise DatasetError(
        f"Dataset folder {root} has different classes in {train_folder.name} and "
        f"{test_folder.name} ({'; '.join(differences)})."
    )


def _check_root(root: Path | str) -> Path:
    root = Path(root).expanduser().absolute()
    if not root.exists():
        raise DatasetError(f"Dataset folder {root} does not exist.")
    if not root.is_dir():
        raise DatasetError(f"Dataset path {root} is not a folder.")
    return root


def scan_class_names(root: Path | str) -> tuple[str, ...]:
    """The class names of a folder dataset, checked without reading any image: the quick test
    a job submission makes before queuing.
    """
    root = _check_root(root)
    split_folders = _split_folders(root)
    if split_folders is None:
        names = {folder.name: ["?"] for folder in _class_folders(root)}
        _check_classes(root, names)
        return tuple(names)
    train_folder, test_folder = split_folders
    train = {folder.name: ["?"] for folder in _class_folders(train_folder)}
    test = {folder.name: ["?"] for folder in _class_folders(test_folder)}
    _check_classes(train_folder, train)
    _check_classes(test_folder, test)
    _check_same_classes(root, train_folder, test_folder, train, test)
    return tuple(train)


def scan_folder_dataset(
    root: Path | str, *, validation_fraction: float = 0.2, seed: int = 0
) -> FolderDataset:
    """Scan `root`: Fruits360 layout if it has Training/ and Test/ folders, else one folder of
    class subfolders whose images are split per class into train and validation by `seed`.
    """
    root = _check_root(root)
    skipped: list[SkippedFile] = []
    split_folders = _split_folders(root)
    if split_folders is not None:
        train_folder, test_folder = split_folders
        train_classes = _scan_classes(train_folder, skipped)
        test_classes = _scan_classes(test_folder, skipped)
        _check_classes(train_folder, train_classes)
        _check_classes(test_folder, test_classes)
        _check_same_classes(root, train_folder, test_folder, train_classes, test_classes)
        names = tuple(train_classes)
        return FolderDataset(
            root,
            "fruits360",
            names,
            _as_files(train_classes, names),
            _as_files(test_classes, names),
            tuple(skipped),
        )
    check_fraction(validation_fraction)
    classes = _scan_classes(root, skipped)
    _check_classes(root, classes)
    names = tuple(classes)
    train: dict[str, list[str]] = {}
    validation: dict[str, list[str]] = {}
    for name in names:
        paths = list(classes[name])
        random.Random(f"{seed}:{name}").shuffle(paths)
        held_out = round(len(paths) * validation_fraction) if len(paths) > 1 else 0
        held_out = min(max(held_out, 1 if len(paths) > 1 else 0), len(paths) - 1)
        validation[name] = sorted(paths[:held_out])
        train[name] = sorted(paths[held_out:])
    return FolderDataset(
        root,
        "single",
        names,
        _as_files(train, names),
        _as_files(validation, names),
        tuple(skipped),
    )


def training_files_bound(root: Path | str, *, validation_fraction: float = 0.2) -> int:
    """At least as many as the training images `scan_folder_dataset` would find, counted from
    the folder listings alone (no file is opened): every file is taken for an image, and a
    single folder's per-class split is applied to those counts. Cheap where a full scan of a
    Fruits360-sized folder (80,000 files) reads every header for seconds."""
    root = _check_root(root)
    split_folders = _split_folders(root)
    folder = split_folders[0] if split_folders is not None else root
    total = 0
    for class_folder in _class_folders(folder):
        count = sum(len(files) for _dir, _subdirs, files in os.walk(class_folder))
        if split_folders is None and count > 1:
            held_out = min(max(round(count * validation_fraction), 1), count - 1)
            count -= held_out
        total += count
    return total


def check_fraction(validation_fraction: float) -> None:
    if not 0.0 < validation_fraction < 1.0:
        raise DatasetError(
            f"Validation fraction must be between 0 and 1 (exclusive), got {validation_fraction!r}."
        )
