"""`cnnlab import`: a model made elsewhere becomes an experiment like a trained one.

A .keras or .h5 file (the papers' format) is loaded, saved as model.keras and exported as a
SavedModel, so conversion treats it exactly like a training run's output; a SavedModel folder is
copied; a .tflite file is copied and inspected. The file is checked before any row is written,
so a corrupt file costs one sentence and leaves nothing behind.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from typing import Any

from cnnlab.engine.kinds.convert.inspection import inspect_tflite
from cnnlab.engine.kinds.importing.spec import ImportSpec
from cnnlab.engine.runtime.files import written_whole
from cnnlab.engine.runtime.outcome import JobContext, JobOutcome
from cnnlab.engine.runtime.runs_folder import check_runs_folder
from cnnlab.errors import CnnlabError
from cnnlab.store import (
    Store,
    add_artifact,
    append_event,
    create_experiment,
    set_status,
    update_summary,
)

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def detect_format(path: Path) -> str:
    """keras | h5 | saved_model | tflite, from the path, or a sentence saying what is wrong."""
    if not path.exists():
        raise CnnlabError(f"{path} does not exist.")
    if path.is_dir():
        if (path / "saved_model.pb").exists():
            return "saved_model"
        raise CnnlabError(f"{path} is a folder without saved_model.pb, so not a SavedModel.")
    suffix = path.suffix.lower()
    formats = {".keras": "keras", ".h5": "h5", ".hdf5": "h5", ".tflite": "tflite"}
    if suffix not in formats:
        raise CnnlabError(
            f"Cannot import {path.name}: cnnlab imports .keras, .h5, .tflite files and "
            "SavedModel folders."
        )
    return formats[suffix]


def import_model(store: Store, path: Path | str, *, data: str | None = None, name: str = "") -> int:
    """Check and bring in a model; returns the new `import` experiment's id (status done)."""
    source = Path(path).expanduser().absolute()
    checked = None
    if data is not None:
        from cnnlab.data import validate_data_spec

        checked = validate_data_spec(data)
    spec = ImportSpec(path=str(source), format=detect_format(source), data=checked, name=name)
    check_runs_folder(store)
    loaded = _load(source, spec.format)  # before any row exists
    experiment_id = create_experiment(
        store,
        "import",
        name=name or source.name,
        spec=spec.to_dict(),
        model=_model_name(loaded, source),
        dataset=spec.data,
        status="running",
    )
    run_dir = store.run_dir(experiment_id)
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        summary = _record(store, experiment_id, run_dir, source, spec.format, loaded)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        set_status(store, experiment_id, "failed", error=f"Import failed: {first}")
        raise
    update_summary(store, experiment_id, **summary)
    append_event(
        store,
        experiment_id,
        "imported",
        f"Imported {spec.format} model from {source}.",
        {"path": str(source), "format": spec.format},
    )
    set_status(store, experiment_id, "done")
    return experiment_id


def run_import(spec: ImportSpec, job: JobContext) -> JobOutcome:
    """An import queued as a job (a resubmitted or cloned one): the same checks and copies."""
    source = Path(spec.path)
    spec_format = detect_format(source)
    loaded = _load(source, spec_format)
    summary = _record(job.store, job.experiment.id, job.run_dir, source, spec_format, loaded)
    job.reporter.summary(**summary)
    return JobOutcome(False, f"Imported {spec_format} model from {source}")


def _load(path: Path, spec_format: str) -> Any:
    if spec_format == "tflite":
        return inspect_tflite(path)
    if spec_format == "saved_model":
        import tensorflow as tf

        try:
            return tf.saved_model.load(str(path))
        except Exception as exc:
            raise CnnlabError(
                f"{path} is not a SavedModel TensorFlow can load: {_first(exc)}"
            ) from None
    if spec_format == "h5":
        with path.open("rb") as handle:
            if handle.read(8) != HDF5_SIGNATURE:
                raise CnnlabError(
                    f"{path} is not an HDF5 file (it is truncated or not a Keras .h5 model); "
                    "export the model again."
                )
    elif not zipfile.is_zipfile(path):
        raise CnnlabError(f"{path} is not a .keras archive (it is truncated or corrupt).")
    import keras

    try:
        return keras.models.load_model(path, compile=False)
    except Exception as exc:
        raise CnnlabError(
            f"Keras cannot load {path}: {_first(exc)} (a custom layer needs its code; a "
            "truncated file must be exported again)."
        ) from None


def _record(
    store: Store, experiment_id: int, run_dir: Path, source: Path, spec_format: str, loaded: Any
) -> dict[str, Any]:
    """Copy or re-save the model into the run folder, record its artifacts; returns a summary."""
    if spec_format == "tflite":
        target = run_dir / "model.tflite"
        shutil.copyfile(source, target)
        shape = loaded.inputs[0]["shape"][1:] if loaded.inputs else None
        meta = {"mode": "imported", "input_shape": shape, **loaded.to_meta()}
        add_artifact(store, experiment_id, "tflite", target, meta=meta)
        return {}
    if spec_format == "saved_model":
        target = run_dir / "saved_model"
        shutil.copytree(source, target)
        meta = {"input_shape": _signature_shape(loaded), "imported_from": str(source)}
        add_artifact(store, experiment_id, "saved_model", target, meta=meta)
        return {}
    from cnnlab.models import count_model

    counts = count_model(loaded)
    meta = {
        "params": counts.total_params,
        "trainable_params": counts.trainable_params,
        "input_shape": [int(s) for s in loaded.input_shape[1:]],
        "classes": int(loaded.output_shape[-1]),
        "imported_from": str(source),
    }
    keras_path = run_dir / "model.keras"
    with written_whole(keras_path) as partial:
        loaded.save(partial)
    add_artifact(store, experiment_id, "keras", keras_path, meta=meta)
    saved_model = run_dir / "saved_model"
    with written_whole(saved_model) as partial:
        loaded.export(partial, verbose=False)
    add_artifact(store, experiment_id, "saved_model", saved_model, meta=meta)
    return {"params": counts.total_params}


def _signature_shape(loaded: Any) -> list[int] | None:
    try:
        signature = loaded.signatures["serving_default"]
        spec = next(iter(signature.structured_input_signature[1].values()))
        return [int(s) for s in spec.shape[1:]]
    except (KeyError, StopIteration, TypeError, AttributeError, IndexError):
        return None


def _model_name(loaded: Any, source: Path) -> str:
    name = getattr(loaded, "name", None)
    return str(name) if isinstance(name, str) and name else source.stem


def _first(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
