"""A short from-scratch fit with a spec's options, outside any job: does this architecture learn?

Issue 13's question (does every architecture learn from scratch on small data with its zoo
defaults?) is asked by `bench/zoo_learning.py` and by the learnability tests. Both must train
exactly as a job does, so this module makes the same calls `fit_with_reporting` makes
(`fresh_model`, `compile_for`, `recalibration_for`) and leaves out only what a job adds around
them: the store, checkpoints, early stopping and the exported model. Imports TensorFlow.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from cnnlab.engine.kinds.train.chance import EpochAccuracy
from cnnlab.engine.spec import TrainSpec


@dataclass(frozen=True)
class Trial:
    """What a short fit did: each epoch's accuracies, seconds per epoch and the class count."""

    model: str
    input: int
    classes: int
    epochs: tuple[EpochAccuracy, ...]
    seconds: tuple[float, ...]

    @property
    def best_val_accuracy(self) -> float:
        return max(e.val_accuracy or 0.0 for e in self.epochs)

    @property
    def best_epoch(self) -> int:
        """The first epoch (1-based) that reached the best validation accuracy."""
        best = self.best_val_accuracy
        return next(e.epoch for e in self.epochs if (e.val_accuracy or 0.0) == best)

    @property
    def chance(self) -> float:
        return 1.0 / self.classes


def fit_from_scratch(spec: TrainSpec) -> Trial:
    """Fit `spec.model` from scratch for `spec.epochs` epochs on `spec.data`, one epoch per
    `fit` call so each epoch's time is its own; `spec.input` must be set."""
    import keras

    from cnnlab.data import load_training_data
    from cnnlab.engine.kinds.train.run import compile_for, fresh_model, recalibration_for

    if not spec.input:
        raise ValueError("fit_from_scratch needs the spec's input size.")
    keras.backend.clear_session()
    keras.utils.set_random_seed(spec.seed)
    data = load_training_data(
        spec.data, input_size=spec.input, batch=spec.batch, val_split=spec.val_split,
        seed=spec.seed,
    )  # fmt: skip
    model = fresh_model(spec, data.num_classes)
    compile_for(spec, model)
    callbacks = [c for c in (recalibration_for(spec, data.train),) if c is not None]
    epochs: list[EpochAccuracy] = []
    seconds: list[float] = []
    for epoch in range(1, spec.epochs + 1):
        started = time.perf_counter()
        history = model.fit(
            data.train, validation_data=data.validation, epochs=1, verbose=0,
            callbacks=callbacks,
        )  # fmt: skip
        seconds.append(time.perf_counter() - started)
        metrics = {name: float(values[-1]) for name, values in history.history.items()}
        epochs.append(EpochAccuracy.from_metrics(epoch, metrics))
    return Trial(spec.model, spec.input, data.num_classes, tuple(epochs), tuple(seconds))
