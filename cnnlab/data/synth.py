"""Synthetic image datasets in Fruits360 layout, drawn procedurally, for demos and tests.

Each class is a coloured shape (its own hue and form) on a noisy background, with position,
size, colour and lighting jittered per image: easy enough that accuracy rises within a few
epochs on a CPU, hard enough that the first epoch is not already perfect.

A folder that cannot be written is refused before the first image, and a write that fails
midway (a full disk) removes what it wrote: a failed `cnnlab data synth` leaves nothing behind.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cnnlab.data.errors import DatasetError

if TYPE_CHECKING:
    import numpy as np

# Fruits360-like names, so regroup specs such as 'apple=*apple*,pear=*pear*,noise=*' work.
FRUIT_NAMES = (
    "Apple Red",
    "Pear",
    "Banana",
    "Apple Golden",
    "Pear Williams",
    "Kiwi",
    "Lemon",
    "Cherry",
    "Apple Granny Smith",
    "Plum",
    "Mango",
    "Pear Abate",
)
SHAPES = ("disc", "square", "triangle", "ring")


@dataclass(frozen=True)
class SynthReport:
    """What `write_synthetic_dataset` wrote."""

    root: Path
    class_names: tuple[str, ...]
    train_per_class: int
    test_per_class: int
    image_size: int


def synthetic_class_names(classes: int) -> tuple[str, ...]:
    names = list(FRUIT_NAMES[:classes])
    names.extend(f"Fruit {index + 1}" for index in range(len(names), classes))
    return tuple(names)


def _hsv_to_rgb(hue: float, saturation: float, value: float) -> tuple[float, float, float]:
    sector = int(hue * 6) % 6
    fraction = hue * 6 - math.floor(hue * 6)
    p = value * (1 - saturation)
    q = value * (1 - fraction * saturation)
    t = value * (1 - (1 - fraction) * saturation)
    return [
        (value, t, p),
        (q, value, p),
        (p, value, t),
        (p, q, value),
        (t, p, value),
        (value, p, q),
    ][sector]


def draw_image(label: int, classes: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """One (size, size, 3) uint8 image of class `label` out of `classes`."""
    import numpy as np

    background = rng.uniform(0.25, 0.75) + rng.normal(0.0, 0.08, size=(size, size, 1))
    image = np.repeat(background, 3, axis=2) + rng.normal(0.0, 0.05, size=(size, size, 3))
    hue = (label / classes + rng.normal(0.0, 0.15 / classes)) % 1.0
    colour = np.array(_hsv_to_rgb(hue, rng.uniform(0.6, 1.0), rng.uniform(0.6, 1.0)))
    radius = size * rng.uniform(0.18, 0.32)
    cy, cx = rng.uniform(radius, size - radius, size=2)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    dy, dx = yy - cy, xx - cx
    shape = SHAPES[(label // max(1, math.ceil(classes / len(SHAPES)))) % len(SHAPES)]
    if shape == "disc":
        mask = dy**2 + dx**2 <= radius**2
    elif shape == "square":
        mask = (np.abs(dy) <= radius * 0.85) & (np.abs(dx) <= radius * 0.85)
    elif shape == "triangle":
        mask = (dy <= radius * 0.8) & (np.abs(dx) * 1.6 <= dy + radius)
    else:
        distance = np.sqrt(dy**2 + dx**2)
        mask = (distance <= radius) & (distance >= radius * 0.55)
    shading = 1.0 - 0.25 * (dy + dx) / (2 * radius)
    image[mask] = colour * shading[mask, None] + rng.normal(0.0, 0.04, size=(int(mask.sum()), 3))
    return np.clip(image * 255.0, 0, 255).astype(np.uint8)


def write_synthetic_dataset(
    root: Path | str,
    *,
    classes: int,
    per_class: int,
    size: int = 100,
    seed: int = 0,
) -> SynthReport:
    """Write `root`/Training/<class>/*.jpg (`per_class` each) and `root`/Test/<class>/*.jpg
    (a quarter as many, at least one), deterministic for a given seed.
    """
    if isinstance(classes, bool) or classes < 2:
        raise DatasetError(f"A dataset needs at least 2 classes, got {classes!r}.")
    if isinstance(per_class, bool) or per_class < 1:
        raise DatasetError(f"Images per class must be a positive integer, got {per_class!r}.")
    if isinstance(size, bool) or size < 8:
        raise DatasetError(f"Image size must be at least 8 pixels, got {size!r}.")
    root = Path(root).expanduser().absolute()
    created = _check_target(root)
    import numpy as np

    from cnnlab.quiet_tensorflow import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    names = synthetic_class_names(classes)
    test_per_class = max(1, per_class // 4)
    rng = np.random.default_rng(seed)
    try:
        for split, count in (("Training", per_class), ("Test", test_per_class)):
            for label, name in enumerate(names):
                folder = root / split / name
                folder.mkdir(parents=True, exist_ok=True)
                for index in range(count):
                    pixels = draw_image(label, classes, size, rng)
                    jpeg = tf.io.encode_jpeg(pixels, quality=92).numpy()
                    (folder / f"{index:05d}_{size}.jpg").write_bytes(jpeg)
    except OSError as exc:  # the disk filled up, or the folder changed under us
        _remove_written(root, created)
        raise DatasetError(
            f"Could not write the dataset to {root} ({exc.strerror or exc}); nothing was left "
            "there. Free some space or choose another folder."
        ) from exc
    return SynthReport(root, names, per_class, test_per_class, size)


def _check_target(root: Path) -> Path | None:
    """Refuse a `root` that cannot become the dataset, before anything is written; returns the
    first folder that writing will create (None when `root` is an empty folder already).
    """
    from cnnlab.data.writable import folder_write_problem

    try:
        occupied = root.exists() and (not root.is_dir() or any(root.iterdir()))
    except OSError:
        occupied = False  # a folder that cannot be searched: the check below names it
    if occupied:
        raise DatasetError(f"{root} already exists and is not an empty folder; choose a new one.")
    problem = folder_write_problem(root)
    if problem is not None:
        raise DatasetError(
            f"Cannot write a dataset to {root}: {problem}; choose a folder you can write."
        )
    created = None
    for folder in (root, *root.parents):
        if folder.exists():
            return created
        created = folder
    return created


def _remove_written(root: Path, created: Path | None) -> None:
    """Remove what a failed write left: the folders made here, else the content of `root`."""
    import shutil

    if created is not None:
        shutil.rmtree(created, ignore_errors=True)
        return
    for split in ("Training", "Test"):
        shutil.rmtree(root / split, ignore_errors=True)
