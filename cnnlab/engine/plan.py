"""Submit-time planning: every check a request needs before it is queued, in one place.

The CLI and the TUI both turn what the user gave into a spec here, so they cannot queue
different jobs for the same request (before, the CLI made the data path absolute and checked
`PATH#regroup=...` specs with the data layer while the form used a checker of its own that
refused regroup specs and accepted names the data layer did not know). Imports no TensorFlow.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnnlab.engine.spec import TrainSpec, train_spec
from cnnlab.errors import CnnlabError


@dataclass(frozen=True)
class DataCheck:
    """A data spec checked as a submission checks it: its absolute form, or what is wrong."""

    ok: bool
    message: str  # what was found, or the one sentence saying what is wrong
    classes: int = 0
    data: str = ""  # the spec with an absolute path, as it is queued


def check_data(text: str, *, val_split: float | None = None) -> DataCheck:
    """The data layer's own submit-time check of `text` (no image is read), with a summary."""
    from cnnlab.data import parse_data_spec, parse_regroup_spec, validate_data_spec
    from cnnlab.data.cifar100 import is_cifar100_path
    from cnnlab.data.folders import scan_class_names

    if not text.strip():
        return DataCheck(False, "A dataset path is required.")
    try:
        data = validate_data_spec(text.strip(), val_split=val_split)
        spec = parse_data_spec(data)
        if spec.regroup is not None:
            classes, what = len(parse_regroup_spec(spec.regroup)), "regrouped classes"
        elif is_cifar100_path(Path(spec.path)):
            classes = 20 if spec.labels == "coarse" else 100
            what = f"CIFAR100 {spec.labels} classes"
        else:
            names = scan_class_names(spec.path)
            shown = ", ".join(sorted(names)[:4]) + (", …" if len(names) > 4 else "")
            classes, what = len(names), f"classes: {shown}"
    except CnnlabError as exc:
        return DataCheck(False, str(exc))
    return DataCheck(True, f"{classes} {what}", classes, data)


def plan_train(**values: Any) -> TrainSpec:
    """The training spec a request queues: the spec's rules and the zoo's defaults
    (`train_spec`), then the data checked and made absolute, and the batch checked against
    its training images. Raises a CnnlabError."""
    from cnnlab.data import DatasetError, check_batch_fits

    spec = train_spec(**values)
    data = check_data(spec.data, val_split=spec.val_split)
    if not data.ok:
        raise DatasetError(data.message)
    check_batch_fits(data.data, spec.batch, val_split=spec.val_split, seed=spec.seed)
    return dataclasses.replace(spec, data=data.data)
