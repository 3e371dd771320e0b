"""Transfer learning jobs: start from a parent's best model, freeze, maybe replace the head, train.

This is paper 002's second and third stage as a job kind. The request is checked against the
parent's saved model before it is queued (`check_transfer`), and again by the job itself, which
records the frozen and trainable layers and parameter counts as an event.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cnnlab.engine.kinds.importing.keras_file import KerasFileInfo, read_keras_file
from cnnlab.engine.kinds.lineage import model_source_files
from cnnlab.engine.kinds.transfer.spec import Freeze, TransferSpec, parse_freeze
from cnnlab.engine.runtime.outcome import JobContext, JobOutcome
from cnnlab.errors import CnnlabError
from cnnlab.store import (
    ACTIVE_STATUSES,
    MODEL_KINDS,
    Store,
    get_experiment,
    list_artifacts,
    verify_artifact,
)


def source_model(store: Store, experiment_id: int) -> Path:
    """The parent's best model file (`model.keras`), checked against its recorded hash, or a
    clear error (at submit, at resume, and when the job starts, before anything reads it)."""
    experiment = get_experiment(store, experiment_id)
    for artifact in reversed(list_artifacts(store, experiment_id)):
        if artifact.kind == "keras":
            return verify_artifact(store, artifact)
    raise CnnlabError(
        f"Experiment {experiment_id} ({experiment.status}) has no saved Keras model to start from."
    )


def check_transfer(info: KerasFileInfo, spec: TransferSpec, num_classes: int | None) -> None:
    """Refuse, before training, what cannot work: unknown layers, nothing left to train,
    no dense head to replace, a class count the parent's head cannot produce."""
    freeze = parse_freeze(spec.freeze)
    names = info.layer_names
    asked = list(freeze.layers) + ([freeze.up_to] if freeze.up_to else [])
    unknown = [name for name in asked if name not in names]
    if unknown:
        raise CnnlabError(
            f"No layer named {', '.join(map(repr, unknown))} in experiment {spec.source}'s "
            f"model; its layers are: {', '.join(names)}."
        )
    convs = info.conv_layers
    if freeze.first is not None and freeze.first > len(convs):
        raise CnnlabError(
            f"--freeze first:{freeze.first} asks for more convolution blocks than the "
            f"{len(convs)} the model has ({', '.join(convs)})."
        )
    if spec.replace_head and info.head.type != "Dense":
        raise CnnlabError(
            f"Experiment {spec.source}'s model ends in {info.head.type} "
            f"{info.head.name!r}, not a Dense head, so there is no head to replace."
        )
    frozen_all = freeze.up_to == names[-1] or set(freeze.layers) >= set(names[1:])
    if frozen_all and not spec.replace_head:
        raise CnnlabError("That freezes every layer: nothing would be left to train.")
    if (
        not spec.replace_head
        and num_classes is not None
        and info.head.units is not None
        and info.head.units != num_classes
    ):
        raise CnnlabError(
            f"The parent's head has {info.head.units} outputs but the data has {num_classes} "
            "classes; pass --replace-head."
        )


def run_transfer(spec: TransferSpec, job: JobContext) -> JobOutcome:
    from cnnlab.engine.kinds.train.run import fit_with_reporting

    parent_path = source_model(job.store, spec.source)
    check_transfer(read_keras_file(parent_path), spec, None)
    files = model_source_files(job.store, spec.source, job.run_dir_of)

    def build(num_classes: int) -> Any:
        from cnnlab.models import freeze_layers, freeze_report, replace_head
        from cnnlab.models.custom_build import load_keras_model

        model = load_keras_model(parent_path, files)
        freeze = parse_freeze(spec.freeze)
        if freeze != Freeze():
            freeze_layers(
                model, first_conv_blocks=freeze.first, names=freeze.layers, up_to=freeze.up_to
            )
        if spec.replace_head:
            model = replace_head(model, num_classes, drop_last=spec.drop_last)
        elif int(model.output_shape[-1]) != num_classes:
            raise CnnlabError(
                f"The parent's head has {model.output_shape[-1]} outputs but the data has "
                f"{num_classes} classes; submit again with --replace-head."
            )
        report = freeze_report(model)
        if report.trainable_params == 0:
            raise CnnlabError("That freezes every layer: nothing would be left to train.")
        job.reporter.event(
            "transfer",
            f"From experiment {spec.source}: {len(report.frozen_layers)} layers frozen "
            f"({report.frozen_params:,} parameters), {len(report.trainable_layers)} trainable "
            f"({report.trainable_params:,})"
            + (f", new head for {num_classes} classes." if spec.replace_head else "."),
            {
                "source": spec.source,
                "source_model": str(parent_path),
                "freeze": spec.freeze,
                "replace_head": spec.replace_head,
                "frozen_layers": list(report.frozen_layers),
                "trainable_layers": list(report.trainable_layers),
                "frozen_params": report.frozen_params,
                "trainable_params": report.trainable_params,
                "total_params": report.total_params,
            },
        )
        return model

    return fit_with_reporting(spec, job, build=build)


def class_count(data: str) -> int | None:
    """How many classes a data spec yields, without reading images (None if unknown)."""
    from cnnlab.data import is_cifar100_path, parse_data_spec, parse_regroup_spec, scan_class_names

    spec = parse_data_spec(data)
    if spec.regroup:
        return len(parse_regroup_spec(spec.regroup))
    if is_cifar100_path(spec.path):
        return 100 if spec.labels == "fine" else 20
    return len(scan_class_names(spec.path))


def prepare_transfer(
    store: Store,
    source: int,
    *,
    freeze: str,
    replace_head: bool,
    data: str | None = None,
    wait_for_source: bool = False,
    **training: Any,
) -> tuple[TransferSpec, int | None]:
    """A checked transfer spec from experiment `source`, and what it must wait for (if any).

    The model name, input size and (unless given) the data come from the parent. When the
    parent is done its saved model is checked now; otherwise the child may wait for it
    (`wait_for_source`) and is checked by the job itself.
    """
    from cnnlab.data import check_batch_fits, validate_data_spec

    parent = get_experiment(store, source)
    if parent.kind not in MODEL_KINDS:
        raise CnnlabError(
            f"Experiment {source} is a {parent.kind} job; transfer starts from a trained model."
        )
    wait_for: int | None = None
    if parent.status != "done":
        if parent.status not in ACTIVE_STATUSES:
            raise CnnlabError(
                f"Experiment {source} ended {parent.status}; resume it or pick another parent."
            )
        if not wait_for_source:
            raise CnnlabError(
                f"Experiment {source} is {parent.status}, so its model is not ready; pass "
                "--wait-for-parent to queue this transfer until it is done."
            )
        wait_for = source
    recorded = parent.spec.get("data")
    if parent.kind == "fit" and parent.dataset and Path(parent.dataset.split("#")[0]).exists():
        recorded = parent.dataset  # a Recorder's dataset= is a label, a path only if it is one
    if not data and not recorded:
        raise CnnlabError(
            f"Experiment {source} names no dataset cnnlab can load ({parent.kind}"
            f"{': ' + parent.dataset if parent.dataset else ''}); pass --data for the transfer."
        )
    data_text = validate_data_spec(data or str(recorded), val_split=training.get("val_split"))
    spec = TransferSpec(
        model=parent.model or str(parent.spec.get("model", "")),
        data=data_text,
        input=training.pop("input", None) or parent.spec.get("input"),
        source=source,
        freeze=freeze,
        replace_head=replace_head,
        **training,
    )
    check_batch_fits(spec.data, spec.batch, val_split=spec.val_split, seed=spec.seed)
    if wait_for is None:
        check_transfer(read_keras_file(source_model(store, source)), spec, class_count(data_text))
    return spec, wait_for
