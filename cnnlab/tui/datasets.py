"""A quick, TensorFlow-free check of a dataset path for the job form, run as the user types.

It only looks at folder names (Fruits360's Training/ + Test/ or one folder of class folders),
so it answers in milliseconds even for large datasets; the job itself scans every file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_SPLITS = ("Training", "training", "train", "Train")
_NAMED = ("cifar100", "cifar-100", "synthetic")


@dataclass(frozen=True)
class DatasetCheck:
    """What the form shows under the dataset field."""

    ok: bool
    message: str
    classes: int = 0


def check_dataset_path(text: str) -> DatasetCheck:
    text = text.strip()
    if not text:
        return DatasetCheck(False, "A dataset path is required.")
    if text.lower().split(":")[0] in _NAMED:
        return DatasetCheck(True, f"{text}: a built-in dataset.")
    path = Path(text).expanduser()
    if not path.exists():
        return DatasetCheck(False, f"{path} does not exist.")
    if not path.is_dir():
        return DatasetCheck(False, f"{path} is not a folder of class folders.")
    root = path
    for name in _SPLITS:
        if (path / name).is_dir():
            root = path / name
            break
    classes = [child.name for child in root.iterdir() if child.is_dir() and _has_file(child)]
    if len(classes) < 2:
        return DatasetCheck(
            False, f"{root} has {len(classes)} class folder(s) with images; at least 2 are needed."
        )
    layout = "Training/Test layout" if root is not path else "class folders"
    shown = ", ".join(sorted(classes)[:4]) + (", …" if len(classes) > 4 else "")
    return DatasetCheck(True, f"{len(classes)} classes ({layout}): {shown}", len(classes))


def _has_file(folder: Path) -> bool:
    return any(entry.is_file() for entry in folder.iterdir())
