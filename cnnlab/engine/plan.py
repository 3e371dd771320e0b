"""Submit-time planning: every check a request needs before it is queued, in one place.

The CLI and the TUI both turn what the user gave into a spec here, so they cannot queue
different jobs for the same request (before, the CLI made the data path absolute and checked
`PATH#regroup=...` specs with the data layer while the form used a checker of its own that
refused regroup specs and accepted names the data layer did not know). Imports no TensorFlow.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnnlab.engine.spec import KEEP_WEIGHTS, TrainSpec, train_spec
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


def plan_train(*, lab_models: Mapping[str, str] | None = None, **values: Any) -> TrainSpec:
    """The training spec a request queues: the spec's rules and the zoo's defaults
    (`train_spec`), then the data checked and made absolute, the batch checked against its
    training images, and a custom model (a file, or a name of `lab_models`: cnnlab.toml's
    [models]) built once in a child process for this data. Raises a CnnlabError."""
    from cnnlab.data import DatasetError, check_batch_fits

    values = with_model_source(values, lab_models or {})
    spec = train_spec(**values)
    data = check_data(spec.data, val_split=spec.val_split)
    if not data.ok:
        raise DatasetError(data.message)
    check_batch_fits(data.data, spec.batch, val_split=spec.val_split, seed=spec.seed)
    spec = dataclasses.replace(spec, data=data.data)
    return checked_custom_model(spec, data.classes)


def with_model_source(values: dict[str, Any], lab_models: Mapping[str, str]) -> dict[str, Any]:
    """`values` with the custom model's file recorded (`model_source`), if `model` names one;
    a zoo name as it is. An unknown name is one sentence listing the zoo and the lab's names."""
    from cnnlab.models import MODEL_NAMES
    from cnnlab.models.custom import resolve_model_name, source_of

    weights = values.get("weights")
    if isinstance(weights, str) and weights not in (KEEP_WEIGHTS, "imagenet"):
        from cnnlab.models.weights import check_weights_file

        values = {**values, "weights": str(check_weights_file(Path(weights)))}
    model = values.get("model")
    if not isinstance(model, str) or values.get("model_source"):
        return values
    reference = resolve_model_name(model, lab_models)  # a zoo name the lab shadows is refused
    if reference in MODEL_NAMES:
        return values
    source = source_of(reference)
    return {**values, "model_source": source.to_json()}


def checked_custom_model(spec: TrainSpec, classes: int) -> TrainSpec:
    """Build a custom model once, for this data's classes and the spec's input (the builder's
    or the file's own when none is given, written into the spec so the run uses the same; the
    modules beside the file that it imports are recorded too); one sentence when it does not
    import, build or fit."""
    from cnnlab.models import ModelError
    from cnnlab.models.custom import ModelSource
    from cnnlab.models.custom_probe import probe

    if spec.model_source is None:
        return spec
    source = ModelSource.from_json(spec.model_source)
    probed = probe(source, spec.input, classes, width=spec.width, weights=spec.weights)
    height, width, channels = probed.input_shape
    if height != width or channels != 3:
        raise ModelError(
            f"{probed.name} from {source.file_name} takes {height}x{width}x{channels} input; "
            "cnnlab feeds square RGB images (NxNx3): build it for input_shape=(N, N, 3)."
        )
    if probed.modules:  # kept with the file, so the run and its resume import them too
        source = source.with_modules(probed.modules)
        return dataclasses.replace(spec, input=height, model_source=source.to_json())
    return dataclasses.replace(spec, input=height)
