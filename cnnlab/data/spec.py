"""Data specs: the one string a training job records to say which data it trains on.

A spec is a path, optionally followed by `#` and `;`-separated options: `regroup=` (a regroup
spec), `per_class=N` (balance regrouped classes) and `labels=fine|coarse` (CIFAR100), e.g.
`/data/fruits-360#regroup=apple=*apple*,pear=*pear*,noise=*;per_class=400`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cnnlab.data.cifar100 import is_cifar100_path
from cnnlab.data.errors import DatasetError
from cnnlab.data.pipeline import LoadedDataset

_OPTIONS = ("regroup", "per_class", "labels")
DEFAULT_VALIDATION_FRACTION = 0.2


@dataclass(frozen=True)
class DataSpec:
    """A parsed data spec."""

    path: Path
    regroup: str | None = None
    per_class: int | None = None
    labels: str = "fine"

    def __str__(self) -> str:
        options = []
        if self.regroup is not None:
            options.append(f"regroup={self.regroup}")
        if self.per_class is not None:
            options.append(f"per_class={self.per_class}")
        if self.labels != "fine":
            options.append(f"labels={self.labels}")
        return str(self.path) + ("#" + ";".join(options) if options else "")


def parse_data_spec(text: str) -> DataSpec:
    """Split `text` into its path and options, checking the options (not the files)."""
    path_text, _, options_text = text.partition("#")
    if not path_text.strip():
        raise DatasetError(f"Data spec {text!r} has no path.")
    values: dict[str, str] = {}
    for item in (part.strip() for part in options_text.split(";")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in _OPTIONS:
            raise DatasetError(
                f"Unknown data option {item!r} in {text!r}; use {', '.join(_OPTIONS)}."
            )
        values[key.strip()] = value.strip()
    per_class = None
    if "per_class" in values:
        try:
            per_class = int(values["per_class"])
        except ValueError:
            per_class = 0
        if per_class < 1:
            raise DatasetError(
                f"per_class must be a positive integer, got {values['per_class']!r}."
            )
        if "regroup" not in values:
            raise DatasetError("per_class balances regrouped classes; add a regroup= option.")
    labels = values.get("labels", "fine")
    if labels not in ("fine", "coarse"):
        raise DatasetError(f"labels must be 'fine' or 'coarse', got {labels!r}.")
    if "regroup" in values:
        from cnnlab.data.regroup import parse_regroup_spec

        parse_regroup_spec(values["regroup"])
    return DataSpec(
        Path(path_text).expanduser().absolute(), values.get("regroup"), per_class, labels
    )


def validate_data_spec(text: str, *, val_split: float | None = None) -> str:
    """Check a data spec before a job is queued and return it with an absolute path.

    An image folder is checked cheaply (its class folders, no image is read); CIFAR100 files are
    read through once (`check_cifar100`), because a damaged archive is only found by reading it
    to its end and would otherwise fail the job after it was queued.
    """
    from cnnlab.data.cifar100 import check_cifar100
    from cnnlab.data.folders import check_fraction, scan_class_names

    spec = parse_data_spec(text)
    if val_split is not None:
        check_fraction(val_split)
    if not spec.path.exists():
        raise DatasetError(f"Dataset path {spec.path} does not exist.")
    if not is_cifar100_path(spec.path):
        if spec.labels != "fine":
            raise DatasetError("labels= applies to CIFAR100 only.")
        scan_class_names(spec.path)
    elif spec.regroup is not None:
        raise DatasetError("regroup= applies to image folders, not to CIFAR100.")
    else:
        check_cifar100(spec.path)
    return str(spec)


def load_training_data(
    text: str,
    *,
    input_size: int | tuple[int, int],
    batch: int,
    val_split: float | None = None,
    seed: int = 0,
) -> LoadedDataset:
    """Train and validation pipelines for a data spec, at the model's input size."""
    from cnnlab.data.pipeline import load_cifar100_dataset, load_image_folder

    spec = parse_data_spec(text)
    if not spec.path.exists():
        raise DatasetError(f"Dataset path {spec.path} does not exist.")
    if is_cifar100_path(spec.path):
        data = load_cifar100_dataset(
            spec.path, image_size=input_size, label_mode=spec.labels, batch_size=batch, seed=seed
        )
    else:
        data = load_image_folder(
            spec.path,
            image_size=input_size,
            batch_size=batch,
            seed=seed,
            validation_fraction=DEFAULT_VALIDATION_FRACTION if val_split is None else val_split,
            regroup=spec.regroup,
            per_class=spec.per_class,
        )
    _check_batch(batch, data.train_count, spec.path)
    return data


def check_batch_fits(
    text: str, batch: int, *, val_split: float | None = None, seed: int = 0
) -> None:
    """Refuse, at submit, a batch larger than the training images a job on `text` would get,
    instead of failing the job once it runs. The folder listings give an upper bound at once
    (0.2 s for 80,000 files, cold); only a batch within half of it is checked exactly, as
    `load_training_data` counts (the same scan, split and regroup: every file's header read,
    no image decoded, no TensorFlow), which takes seconds on a Fruits360-sized folder."""
    from cnnlab.data.folders import scan_folder_dataset, training_files_bound
    from cnnlab.data.regroup import parse_regroup_spec, regroup_dataset

    spec = parse_data_spec(text)
    if is_cifar100_path(spec.path):
        return  # counting means unpickling the 150 MB train split; the job checks it (50,000)
    fraction = DEFAULT_VALIDATION_FRACTION if val_split is None else val_split
    bound = training_files_bound(spec.path, validation_fraction=fraction)
    if spec.regroup is not None and spec.per_class is not None:
        bound = min(bound, spec.per_class * len(parse_regroup_spec(spec.regroup)))
    if batch * 2 <= bound:
        # Far from the limit even if half the files were not images: the exact count (every
        # header read) is left to the job, which refuses the same way when it loads the data.
        return
    dataset = scan_folder_dataset(spec.path, validation_fraction=fraction, seed=seed)
    if spec.regroup is not None:
        dataset = regroup_dataset(dataset, spec.regroup, per_class=spec.per_class, seed=seed)
    _check_batch(batch, len(dataset.train), spec.path)


def _check_batch(batch: int, count: int, path: Path) -> None:
    if batch > count:
        raise DatasetError(
            f"Batch size {batch} is larger than the {count} training images "
            f"of {path}; use a smaller --batch."
        )
