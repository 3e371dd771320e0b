"""The training job: build (or resume) the model, fit with early stopping, save and export.

It imports TensorFlow only inside its functions, and so do the transfer, convert and trial
modules; callbacks.py and batchnorm.py import Keras at their top and are imported only from
inside this module's functions, so nothing the CLI or the TUI imports loads TensorFlow (a test
proves it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cnnlab.engine.kinds.train.checkpoint import Checkpoints, CheckpointState
from cnnlab.engine.runtime.files import written_whole
from cnnlab.engine.runtime.outcome import JobContext, JobOutcome
from cnnlab.engine.runtime.reporter import Reporter
from cnnlab.engine.spec import TrainSpec


def run_train(spec: TrainSpec, job: JobContext) -> JobOutcome:
    """Train `spec.model` from scratch (or from this run's own checkpoint)."""
    return fit_with_reporting(spec, job, build=None)


def fit_with_reporting(
    spec: TrainSpec, job: JobContext, build: Callable[[int], Any] | None
) -> JobOutcome:
    """Fit with early stopping, checkpoints and live reporting; resume from a checkpoint.

    `build(num_classes)` makes the starting model (compiled by this function); None builds
    `spec.model` from the zoo. Transfer learning passes a builder that loads and freezes the
    parent's model.
    """
    reporter, run_dir = job.reporter, job.run_dir
    import keras

    from cnnlab.data import load_training_data
    from cnnlab.engine.kinds.train.callbacks import (
        FailOnInvalidLoss,
        ReportingCallback,
        ResumableEarlyStopping,
        recorded_accuracies,
    )
    from cnnlab.models import count_model

    keras.utils.set_random_seed(spec.seed)
    if spec.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    checkpoints = Checkpoints(run_dir)
    state = checkpoints.load()
    data = load_training_data(
        spec.data,
        input_size=spec.input or _default_input(spec.model),
        batch=spec.batch,
        val_split=spec.val_split,
        seed=spec.seed,
    )
    reporter.event("data", data.describe(), data.to_json())
    if state is not None:
        from cnnlab.engine.kinds.lineage import model_source_files
        from cnnlab.models.custom_build import load_keras_model

        files = model_source_files(job.store, job.experiment.id, job.run_dir_of)
        model = load_keras_model(checkpoints.model_path(state), files, compile=True)
        best_weights = _best_weights(model, checkpoints, state)
        reporter.event(
            "resumed",
            f"Resumed after epoch {state.completed_epochs} from {state.model_file}.",
            {
                "completed_epochs": state.completed_epochs,
                "early_stopping": state.early_stopping,
                "best": state.best,
            },
        )
    else:
        state = CheckpointState()
        best_weights = None
        model = (
            fresh_model(spec, data.num_classes, run_dir)
            if build is None
            else build(data.num_classes)
        )
        compile_for(spec, model)
    counts = count_model(model)
    reporter.summary(params=counts.total_params)
    if state.completed_epochs >= spec.epochs:
        reporter.event("note", f"All {spec.epochs} epochs were already done.")
    early_stopping = None
    if spec.patience is not None:
        early_stopping = ResumableEarlyStopping(
            monitor=spec.monitor,
            mode=spec.mode,
            patience=spec.patience,
            restore_best_weights=spec.restore_best_weights,
            verbose=1,
            initial_state=state.early_stopping,
            initial_best_weights=best_weights,
        )
    reporting = ReportingCallback(
        reporter,
        monitor=spec.monitor,
        mode=spec.mode,
        total_epochs=spec.epochs,
        checkpoints=checkpoints,
        state=state,
        early_stopping=early_stopping,
        earlier=recorded_accuracies(job, state.completed_epochs),
    )
    # The loss guard first: a NaN epoch must fail the job before it is reported or checkpointed.
    guard = FailOnInvalidLoss(spec.lr)
    recalibration = recalibration_for(spec, data.train)
    callbacks: list[Any] = [
        c for c in (guard, recalibration, early_stopping, reporting) if c is not None
    ]
    started = time.perf_counter()
    if state.completed_epochs < spec.epochs and not reporter.stop_requested():
        model.fit(
            data.train,
            validation_data=data.validation,
            epochs=spec.epochs,
            initial_epoch=state.completed_epochs,
            callbacks=callbacks,
            verbose=2,
        )
    elif reporter.stop_requested():
        reporting.user_stopped = True
        checkpoints.save(model, state, None)
    fit_seconds = time.perf_counter() - started
    if reporting.user_stopped:
        return JobOutcome(True, f"Stopped after {state.completed_epochs} epoch(s)")
    _save_results(model, reporter, run_dir, state, reporting, counts)
    reporter.event("fit_done", f"fit took {fit_seconds:.1f} s", {"seconds": fit_seconds})
    stopped = ", stopped early" if reporting.early_stopped else ""
    return JobOutcome(False, f"{state.completed_epochs} epoch(s){stopped}{reporting.ending()}")


def _default_input(model_name: str) -> int:
    from cnnlab.models import model_spec

    return model_spec(model_name).default_input


def fresh_model(spec: TrainSpec, num_classes: int, run_dir: Path | None = None) -> Any:
    """`spec.model` as a from-scratch run builds it (the spec's width, BN momentum, weights).

    A custom model is built from the run folder's copy of its file (`cnnlab.engine.model_files`;
    without `run_dir`, from the original), which must still have the recorded hash.
    """
    from cnnlab.models import build_model

    if spec.model_source is not None:
        from cnnlab.engine.model_files import kept_copy
        from cnnlab.models.custom import ModelSource
        from cnnlab.models.custom_build import build_custom
        from cnnlab.models.registry import with_bn_momentum

        source = ModelSource.from_json(spec.model_source)
        size = spec.input or 0
        model = build_custom(
            source,
            kept_copy(source, run_dir),
            (size, size, 3),
            num_classes,
            width=spec.width,
            weights=spec.weights,
        )
        return with_bn_momentum(model, spec.bn_momentum)
    return build_model(
        spec.model,
        spec.input or None,
        num_classes,
        width=spec.width,
        bn_momentum=spec.bn_momentum,
        weights=spec.weights,
    )


def compile_for(spec: TrainSpec, model: Any) -> None:
    """Compile `model` with the spec's optimizer, and create the optimizer's variables now:
    created inside the first traced step they make TensorFlow trace it twice (MobileNetV2 at
    32 px: 21.5 s before the first step, 15.8 s with them made first)."""
    model.compile(
        optimizer=_optimizer(spec),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=spec.xla,
    )
    model.optimizer.build(model.trainable_variables)


def recalibration_for(spec: TrainSpec, batches: Any) -> Any:
    """The precise-BN callback the spec asks for (`kinds.train.batchnorm`), or None."""
    if not spec.bn_recalibration:
        return None
    from cnnlab.engine.kinds.train.batchnorm import RecalibrateBatchNorm

    return RecalibrateBatchNorm(batches, spec.bn_recalibration)


def _optimizer(spec: TrainSpec) -> Any:
    import keras

    optimizers = {
        "adam": keras.optimizers.Adam,
        "sgd": keras.optimizers.SGD,
        "rmsprop": keras.optimizers.RMSprop,
    }
    # A pipeline file's `lr = 1` is an int, which Keras' optimizers refuse.
    return optimizers[spec.optimizer](learning_rate=float(spec.lr))


def _best_weights(model: Any, checkpoints: Checkpoints, state: CheckpointState) -> Any:
    path = checkpoints.best_weights_path(state)
    if path is None:
        return None
    current = model.get_weights()
    model.load_weights(path)
    best = model.get_weights()
    model.set_weights(current)
    return best


def _save_results(
    model: Any,
    reporter: Reporter,
    run_dir: Path,
    state: CheckpointState,
    reporting: Any,
    counts: Any,
) -> None:
    """Save the final (best, when restored) model as .keras and a SavedModel, and summarise."""
    keras_path = run_dir / "model.keras"
    with written_whole(keras_path) as partial:
        model.save(partial)
    meta = {
        "params": counts.total_params,
        "trainable_params": counts.trainable_params,
        "macs": counts.macs,
        "input_shape": list(model.input_shape[1:]),
        "classes": int(model.output_shape[-1]),
    }
    reporter.artifact("keras", keras_path, meta)
    saved_model = run_dir / "saved_model"
    with written_whole(saved_model) as partial:
        model.export(partial, verbose=False)
    reporter.artifact("saved_model", saved_model, meta)
    reporter.event(
        "artifacts",
        "Saved model.keras and the SavedModel export.",
        {"keras": keras_path.name, "saved_model": saved_model.name},
    )
    reporter.summary(
        epochs_run=state.completed_epochs,
        stopped_early=reporting.early_stopped,
        final_metrics=reporting.last_metrics,
        train_seconds=round(state.train_seconds, 3),
    )
