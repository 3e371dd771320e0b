"""Submitting conversions: which model of an experiment to convert, and whether it is ready.

The checks run at submit time (a one-line refusal instead of a queued job that fails) and again
in the job (the model may have been deleted or overwritten meanwhile: its recorded hash is
checked both times). No TensorFlow here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cnnlab.engine.control import submit
from cnnlab.engine.kinds.convert.spec import CONVERT_MODES, ConvertSpec
from cnnlab.errors import CnnlabError
from cnnlab.store import (
    ACTIVE_STATUSES,
    MODEL_KINDS,
    Artifact,
    Experiment,
    Store,
    get_experiment,
    list_artifacts,
    verify_artifact,
)

if TYPE_CHECKING:
    from cnnlab.engine import SlurmOptions

MODEL_FILES = ("saved_model", "keras")  # what a conversion loads (a SavedModel converts first)


@dataclass(frozen=True)
class ConvertSource:
    """The model files and data of the experiment a conversion starts from."""

    experiment: Experiment
    saved_model: Path | None
    keras: Path | None
    input_shape: tuple[int, int, int] | None
    data: str | None
    val_split: float | None
    seed: int
    batch: int | None


def conversion_source(store: Store, experiment_id: int) -> ConvertSource:
    """The finished model of `experiment_id`, or a sentence saying why there is none."""
    experiment = get_experiment(store, experiment_id)
    if experiment.kind not in MODEL_KINDS:
        hint = f" (it converted experiment {experiment.parent_id})" if experiment.parent_id else ""
        raise CnnlabError(
            f"Experiment {experiment_id} is a {experiment.kind} job{hint}; convert a trained "
            "or imported experiment."
        )
    if experiment.status != "done":
        raise CnnlabError(
            f"Experiment {experiment_id} is {experiment.status} and has no finished model to "
            "convert; wait for it to finish, resume it, or convert another experiment."
        )
    found: dict[str, Artifact] = {}
    for artifact in list_artifacts(store, experiment_id):
        if artifact.kind in ("saved_model", "keras", "tflite"):
            found.setdefault(artifact.kind, artifact)
    # The models a conversion loads are checked against their recorded hashes: a changed or
    # missing one is refused by name rather than failing in TensorFlow with a misleading error.
    files = {kind: verify_artifact(store, found[kind]) for kind in MODEL_FILES if kind in found}
    meta: dict[str, object] = next(iter(found.values())).meta if found else {}
    if not files:
        if "tflite" in found:
            raise CnnlabError(
                f"Experiment {experiment_id} holds a .tflite model, which is converted already; "
                "there is no Keras model or SavedModel to convert it from."
            )
        raise CnnlabError(
            f"Experiment {experiment_id} has no Keras model or SavedModel on disk to convert "
            f"(looked in {store.run_dir(experiment_id)}); retrain or re-import it."
        )
    shape = meta.get("input_shape")
    spec = experiment.spec
    return ConvertSource(
        experiment=experiment,
        saved_model=files.get("saved_model"),
        keras=files.get("keras"),
        input_shape=tuple(int(s) for s in shape) if isinstance(shape, list) else None,  # type: ignore[arg-type]
        data=spec.get("data") or experiment.dataset,
        val_split=spec.get("val_split"),
        seed=int(spec.get("seed", 1)),
        batch=spec.get("batch"),
    )


def submit_conversions(
    store: Store,
    experiment_id: int,
    modes: list[str],
    *,
    optimize: str | None = None,
    calibration: int = 100,
    int8_io: bool = False,
    select_tf_ops: bool = False,
    float_fallback: bool = False,
    data: str | None = None,
    name: str = "",
    backend: str | None = None,
    slurm: SlurmOptions | None = None,
) -> list[int]:
    """Queue one conversion job per mode, each a child of `experiment_id`; returns their ids.

    An experiment still queued or running is waited for (the jobs start once it is done and are
    cancelled if it fails); one that ended without a model is refused.
    """
    if not modes:
        raise CnnlabError("Name at least one conversion mode (float, dynamic, float16, int8).")
    for mode in modes:
        if mode not in CONVERT_MODES:
            ConvertSpec(source_id=experiment_id, mode=mode)  # refuses it with its own sentence
    experiment = get_experiment(store, experiment_id)
    wait_for = None
    if experiment.status in ACTIVE_STATUSES and experiment.kind in MODEL_KINDS:
        wait_for = experiment_id
    else:
        conversion_source(store, experiment_id)
    if data is not None:
        from cnnlab.data import DatasetError
        from cnnlab.engine.plan import check_data

        checked = check_data(data)
        if not checked.ok:
            raise DatasetError(checked.message)
        data = checked.data
    specs = conversion_specs(
        experiment_id,
        modes,
        model=experiment.model,
        label=experiment.name or experiment.model or str(experiment_id),
        optimize=optimize,
        calibration=calibration,
        int8_io=int8_io,
        select_tf_ops=select_tf_ops,
        float_fallback=float_fallback,
        data=data,
        name=name,
    )
    return [
        submit(
            store, spec, parent_id=experiment_id, wait_for=wait_for, backend=backend, slurm=slurm
        )
        for spec in specs
    ]


def conversion_specs(
    experiment_id: int,
    modes: list[str],
    *,
    model: str | None = None,
    label: str = "",
    optimize: str | None = None,
    int8_io: bool = False,
    float_fallback: bool = False,
    name: str = "",
    **options: Any,
) -> list[ConvertSpec]:
    """The specs one request makes, one per mode, each option where it applies (below); the
    same for `cnnlab convert` and the TUI's form, which checks its fields with it."""
    return [
        ConvertSpec(
            source_id=experiment_id,
            mode=mode,
            optimize=optimize if _applies(mode, "float", modes, negate=True) else None,
            int8_io=int8_io and _applies(mode, "int8", modes),
            float_fallback=float_fallback and _applies(mode, "int8", modes),
            model=model,
            name=name or f"{label or experiment_id} {mode}",
            **options,
        )
        for mode in dict.fromkeys(modes)
    ]


def _applies(mode: str, target: str, modes: list[str], *, negate: bool = False) -> bool:
    """Whether an option meant for `target` (or, negated, for every mode but it) goes to `mode`.

    With several modes an option goes only where it applies; alone, it goes through so that the
    spec refuses it with its own sentence (`--int8-io` with `--mode float`).
    """
    matches = (mode != target) if negate else (mode == target)
    others = any((m != target) if negate else (m == target) for m in modes)
    return matches or not others
