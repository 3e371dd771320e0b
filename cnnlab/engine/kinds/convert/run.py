"""The conversion job: SavedModel to TFLite in one mode, checked, evaluated and recorded.

The .tflite file goes under the *source* experiment's run folder
(`runs/<source>/tflite/<job>-<mode>.tflite`) and is recorded, through the job's reporter like
everything else it writes (so a conversion runs on Slurm too), as that experiment's `tflite`
artifact, so all variants of one model sit together and disappear with it; the job's own row
keeps the conversion's events and its evaluation summary. TensorFlow is imported inside.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cnnlab.devices.litert_probe import BUILTIN, probe
from cnnlab.engine.kinds.convert.errors import (
    ConversionError,
    explain,
    float_ops_in_int8,
    unconvertible_ops,
)
from cnnlab.engine.kinds.convert.evaluate import Accuracy, evaluate_keras, evaluate_tflite
from cnnlab.engine.kinds.convert.inspection import inspect_tflite
from cnnlab.engine.kinds.convert.spec import ConvertSpec
from cnnlab.engine.kinds.convert.submit import ConvertSource, conversion_source
from cnnlab.engine.kinds.lineage import model_source_files
from cnnlab.engine.runtime.files import written_whole
from cnnlab.engine.runtime.outcome import JobContext, JobOutcome
from cnnlab.errors import CnnlabError
from cnnlab.models.custom_build import load_keras_model

MB = 1_000_000


def run_convert(spec: ConvertSpec, job: JobContext) -> JobOutcome:
    """Convert, inspect, evaluate against the Keras model, and record the parent's artifact."""
    import tensorflow as tf

    from cnnlab.models.registry import all_layers

    store, reporter = job.store, job.reporter
    source = conversion_source(store, spec.source_id)
    data = _load_data(source, spec)
    if spec.mode == "int8" and data is None:
        raise CnnlabError(
            f"int8 conversion calibrates on training images, and experiment {spec.source_id} "
            "names no dataset; pass --data."
        )
    files = model_source_files(store, spec.source_id, job.run_dir_of)
    reference = _reference_model(source, files)
    layer_names = [layer.name for layer in all_layers(reference)]
    if reporter.stop_requested():
        return JobOutcome(True, "Stopped before converting")
    reporter.event("converting", f"{spec.describe()} from experiment {spec.source_id}")
    started = time.perf_counter()
    content, calibrated = _convert(tf, source, spec, data, layer_names, files)
    seconds = time.perf_counter() - started
    contents = inspect_tflite(content)
    float_ops = float_ops_in_int8(contents.float_ops, layer_names) if spec.mode == "int8" else []
    if float_ops and not spec.float_fallback:
        raise ConversionError(explain(float_ops, mode=spec.mode), float_ops)
    folder = job.run_dir_of(spec.source_id) / "tflite"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{job.experiment.id}-{spec.mode}.tflite"
    with written_whole(path) as partial:
        partial.write_bytes(content)
    reporter.event(
        "converted",
        f"{spec.mode}: {len(content) / MB:.2f} MB in {seconds:.1f} s",
        {"bytes": len(content), "seconds": seconds, "path": str(path), "ops": contents.op_counts},
    )
    if float_ops:
        reporter.event(
            "float_fallback",
            "Kept in float: " + ", ".join(f"{o.op} ({o.layer})" for o in float_ops),
            {"ops": [o.op for o in float_ops]},
        )
    batch = _batch(source, spec) if data else 1
    xnnpack_failure = _xnnpack_check(reporter, path, spec, batch)
    xnnpack = xnnpack_failure is None
    evaluation = _evaluate(reporter, content, reference, data, spec, xnnpack=xnnpack)
    meta: dict[str, Any] = {
        "mode": spec.mode,
        "optimize": spec.optimization,
        "calibration": calibrated,
        "int8_io": spec.int8_io,
        "select_tf_ops": spec.select_tf_ops,
        "float_fallback": spec.float_fallback,
        "float_ops": [o.op for o in float_ops],
        "options": spec.to_dict(),
        "converter": {
            "tensorflow": tf.__version__,
            "api": "TFLiteConverter.from_saved_model"
            if source.saved_model
            else "TFLiteConverter.from_keras_model",
        },
        "convert_job_id": job.experiment.id,
        "convert_seconds": round(seconds, 3),
        "input_shape": list(source.input_shape) if source.input_shape else None,
        "evaluation": evaluation,
        "xnnpack_failure": xnnpack_failure,
        "layers": layer_names,  # an op profile's nodes are named after them
        **contents.to_meta(),
    }
    reporter.artifact("tflite", path, meta, owner=spec.source_id)
    reporter.event(
        "artifact",
        f"Recorded as a tflite artifact of experiment {spec.source_id}.",
        {"experiment_id": spec.source_id, "path": str(path)},
    )
    metrics = {
        key: value for key, value in (evaluation or {}).items() if isinstance(value, int | float)
    }
    metrics.update({"bytes": len(content), "convert_seconds": round(seconds, 3)})
    reporter.summary(final_metrics=metrics, train_seconds=round(seconds, 3))
    return JobOutcome(False, _outcome_line(spec, len(content), evaluation))


def _load_data(source: ConvertSource, spec: ConvertSpec) -> Any:
    from cnnlab.data import load_training_data

    text = spec.data or source.data
    if text is None:
        return None
    if source.input_shape is None:
        raise CnnlabError(
            f"The input size of experiment {spec.source_id}'s model is not recorded; "
            "re-import it to convert with data."
        )
    try:
        return load_training_data(
            text,
            input_size=(source.input_shape[0], source.input_shape[1]),
            batch=_batch(source, spec),
            val_split=source.val_split,
            seed=source.seed,
        )
    except CnnlabError as exc:
        use = "calibration and evaluation" if spec.mode == "int8" else "evaluation"
        raise CnnlabError(
            f"The dataset for {use} cannot be loaded: {exc} Pass --data with where it is now."
        ) from None


def _reference_model(source: ConvertSource, files: list[Path]) -> Any:
    """The Keras model (for its layer names and the accuracy baseline), else the SavedModel;
    `files` are the custom-model files its lineage was built from."""
    if source.keras is not None:
        return load_keras_model(source.keras, files)
    import tensorflow as tf

    assert source.saved_model is not None
    return tf.saved_model.load(str(source.saved_model))


def _convert(
    tf: Any,
    source: ConvertSource,
    spec: ConvertSpec,
    data: Any,
    layer_names: list[str],
    files: list[Path],
) -> tuple[bytes, int]:
    """The converted flatbuffer and the number of calibration images used."""
    if source.saved_model is not None:
        converter = tf.lite.TFLiteConverter.from_saved_model(str(source.saved_model))
    else:
        assert source.keras is not None
        converter = tf.lite.TFLiteConverter.from_keras_model(load_keras_model(source.keras, files))
    optimization = {
        "default": tf.lite.Optimize.DEFAULT,
        "latency": tf.lite.Optimize.OPTIMIZE_FOR_LATENCY,
        "size": tf.lite.Optimize.OPTIMIZE_FOR_SIZE,
    }
    if spec.optimization is not None:
        converter.optimizations = [optimization[spec.optimization]]
    ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    calibrated = 0
    if spec.mode == "float16":
        converter.target_spec.supported_types = [tf.float16]
    elif spec.mode == "int8":
        ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if spec.float_fallback:
            ops.append(tf.lite.OpsSet.TFLITE_BUILTINS)
        images = _calibration_images(data, spec.calibration)
        if not images:
            raise CnnlabError("The dataset has no training images to calibrate int8 with.")
        calibrated = len(images)
        converter.representative_dataset = _representative(images)
        if spec.int8_io:
            converter.inference_input_type = tf.int8
            converter.inference_output_type = tf.int8
    if spec.select_tf_ops:
        ops.append(tf.lite.OpsSet.SELECT_TF_OPS)
    converter.target_spec.supported_ops = ops
    try:
        return bytes(converter.convert()), calibrated
    except Exception as exc:
        if type(exc).__name__ != "ConverterError":
            raise
        found = unconvertible_ops(str(exc), layer_names)
        if found:
            raise ConversionError(explain(found, mode=spec.mode), found) from None
        lines = [line for line in str(exc).splitlines() if "error:" in line] or [str(exc)]
        raise CnnlabError(
            f"The {spec.mode} conversion failed: {lines[0].strip()[:300]} (full text in the log)."
        ) from None


def _calibration_images(data: Any, count: int) -> list[Any]:
    images: list[Any] = []
    for batch, _ in data.train:
        for image in batch.numpy():
            images.append(image[None].astype("float32"))
            if len(images) >= count:
                return images
    return images


def _representative(images: list[Any]) -> Callable[[], Iterator[list[Any]]]:
    def generate() -> Iterator[list[Any]]:
        for image in images:
            yield [image]

    return generate


def _batch(source: ConvertSource, spec: ConvertSpec) -> int:
    """The batch the converted model is evaluated in: the source's own unless --data is new."""
    return spec.batch if spec.data else min(spec.batch, source.batch or spec.batch)


def _xnnpack_check(reporter: Any, path: Path, spec: ConvertSpec, batch: int) -> str | None:
    """Why LiteRT's XNNPACK delegate cannot run the new file (None: it ran), asked of a
    throw-away process at batch 1 and at the evaluation's batch (`litert_probe`). Where the
    builtin kernels run it, the model is evaluated with them and the warning recorded; if they
    crash too, the file is removed and the job fails with the reason."""
    failed = probe(path, batch=batch)
    if failed.outcome == "ran" and batch != 1:
        failed = probe(path, batch=1)
    if failed.ran:
        return None
    builtin = probe(path, resolver=BUILTIN, batch=batch)
    if builtin.crashed:
        path.unlink(missing_ok=True)
        raise ConversionError(
            f"LiteRT's interpreter crashes on the converted {spec.mode} model ({builtin.detail}), "
            "with and without the XNNPACK delegate, so it was not kept; convert in another mode "
            "(--mode float, float16 or dynamic) or with another TensorFlow version.",
            [],
        )
    if not builtin.ran:
        return failed.detail  # LiteRT cannot run it at all here: `_evaluate` says so
    how = "crashes" if failed.crashed else "refuses"
    warning = (
        f"LiteRT's XNNPACK delegate {how} on this {spec.mode} model ({failed.detail}); it was "
        "evaluated with the builtin kernels, and host benchmarks must use --delegate cpu."
    )
    detail = {"detail": failed.detail, "outcome": failed.outcome}
    reporter.event("xnnpack_fallback", warning, detail)
    reporter.summary(warning=warning)
    return failed.detail


def _evaluate(
    reporter: Any,
    content: bytes,
    reference: Any,
    data: Any,
    spec: ConvertSpec,
    *,
    xnnpack: bool = True,
) -> dict[str, Any] | None:
    """Top-1/top-3 of the TFLite model and of its source, on the validation images."""
    if data is None:
        reporter.event("note", "No dataset: the converted model was not evaluated.")
        return None
    try:
        converted = evaluate_tflite(content, _batches(data.validation), xnnpack=xnnpack)
    except (RuntimeError, ValueError) as exc:
        if not spec.select_tf_ops:  # only Flex ops are expected to be missing here
            raise
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        reporter.event(
            "note", f"LiteRT here cannot run this model, so it was not evaluated: {first}"
        )
        return None
    keras_accuracy = evaluate_keras(_predictor(reference), _batches(data.validation))
    result = _comparison(converted, keras_accuracy)
    result["dataset"] = data.source
    reporter.event(
        "evaluated",
        f"top-1 {converted.top1:.2%} (Keras {keras_accuracy.top1:.2%}, "
        f"{result['delta_top1'] * 100:+.2f} points), top-3 {converted.top3:.2%} "
        f"on {converted.images} validation images",
        result,
    )
    return result


def _comparison(converted: Accuracy, keras_accuracy: Accuracy) -> dict[str, Any]:
    return {
        "top1": converted.top1,
        "top3": converted.top3,
        "keras_top1": keras_accuracy.top1,
        "keras_top3": keras_accuracy.top3,
        "delta_top1": converted.top1 - keras_accuracy.top1,
        "delta_top3": converted.top3 - keras_accuracy.top3,
        "images": converted.images,
    }


def _batches(dataset: Any) -> Iterator[tuple[Any, Any]]:
    for images, labels in dataset:
        yield images.numpy(), labels.numpy()


def _predictor(reference: Any) -> Callable[[Any], Any]:
    if hasattr(reference, "predict_on_batch"):
        return reference.predict_on_batch  # type: ignore[no-any-return]
    serve = reference.signatures["serving_default"]

    def predict(images: Any) -> Any:
        outputs = serve(images)
        return next(iter(outputs.values())).numpy()

    return predict


def _outcome_line(spec: ConvertSpec, size: int, evaluation: dict[str, Any] | None) -> str:
    line = f"{spec.describe()}: {size / MB:.2f} MB"
    if evaluation:
        line += (
            f", top-1 {evaluation['top1']:.2%} "
            f"({evaluation['delta_top1'] * 100:+.2f} points vs Keras)"
        )
    return line
