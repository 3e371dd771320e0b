"""Real, tiny image folders for tests that submit jobs without training them.

Submitting counts the training images a job would get (a batch larger than them is refused),
reading each file's header, so a folder of fake bytes no longer passes; these are real JPEGs
and PNGs that PIL writes, a few hundred bytes each.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

SUBMITTABLE_PER_CLASS = 11  # three classes of 11: one batch at the default 32 and more


def write_images(
    root: Path,
    classes: Sequence[str] = ("a", "b", "c"),
    *,
    per_class: int = SUBMITTABLE_PER_CLASS,
    fruits360: bool = True,
    suffix: str = ".jpg",
) -> Path:
    """`root` with `per_class` 8x8 images per class: under Training/ (and one each under Test/)
    when `fruits360`, else in class folders straight under `root`."""
    from PIL import Image

    splits = (("Training", per_class), ("Test", 1)) if fruits360 else (("", per_class),)
    for split, count in splits:
        for shade, name in enumerate(classes):
            folder = root / split / name
            folder.mkdir(parents=True)
            for index in range(count):
                Image.new("RGB", (8, 8), (40 * shade, 3 * index, 0)).save(
                    folder / f"{index}{suffix}"
                )
    return root
