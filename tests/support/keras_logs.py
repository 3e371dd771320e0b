"""Training logs written by Keras' own callbacks, for the tests of `cnnlab import` of them.

One call trains a tiny CNN (16x16 inputs, 32 generated images, 3 epochs, ~130 parameters)
with `CSVLogger` (comma and semicolon separators) and `TensorBoard` (with batch scalars, which
must not become epochs) attached, resumes a second training into the same logs (CSVLogger's
`append=True` repeating an epoch; a second TensorBoard event file), and poisons a third one's
weights after its second epoch so that its third epoch's loss is NaN, as a diverged run logs
it. It returns each fit's `History.history`, to compare the imported epochs with value for
value. Modules call it from a module-scoped fixture, so TensorFlow trains once per module.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class KerasLogs:
    folder: Path
    plain: dict[str, list[float]]  # the History of the run logged to plain.csv, tb/plain
    resumed_first: dict[str, list[float]]  # epochs 0, 1 of resumed.csv, tb/resumed
    resumed_second: dict[str, list[float]]  # epochs 1 (again), 2
    diverged: dict[str, list[float]]  # epochs 0, 1, then a NaN loss at epoch 2

    @property
    def plain_csv(self) -> Path:
        return self.folder / "plain.csv"

    @property
    def semicolon_csv(self) -> Path:
        return self.folder / "semicolon.csv"

    @property
    def resumed_csv(self) -> Path:
        return self.folder / "resumed.csv"

    @property
    def diverged_csv(self) -> Path:
        return self.folder / "diverged.csv"

    @property
    def tensorboard(self) -> Path:
        return self.folder / "tb"  # the runs plain/ and resumed/


def _model(keras: Any, seed: int) -> Any:
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(3, activation="softmax"),
        ],
        name="tiny_logged",
    )
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=2)],
    )
    return model


def write_keras_logs(folder: Path) -> KerasLogs:
    import keras
    import numpy as np

    rng = np.random.default_rng(7)
    y = rng.integers(0, 3, 32)
    x = rng.random((32, 16, 16, 3), dtype=np.float32) * 0.2 + y[:, None, None, None] * 0.3
    callbacks = keras.callbacks
    halving = callbacks.LearningRateScheduler(lambda epoch, lr: 0.01 * 0.5**epoch)
    fit = {"batch_size": 8, "validation_split": 0.25, "verbose": 0}

    plain = _model(keras, 1).fit(
        x,
        y,
        epochs=3,
        callbacks=[
            halving,
            callbacks.CSVLogger(str(folder / "plain.csv")),
            callbacks.CSVLogger(str(folder / "semicolon.csv"), separator=";"),
            callbacks.TensorBoard(str(folder / "tb" / "plain"), update_freq="batch"),
        ],
        **fit,
    )
    model = _model(keras, 2)
    resumed_logs = [
        callbacks.CSVLogger(str(folder / "resumed.csv"), append=True),
        callbacks.TensorBoard(str(folder / "tb" / "resumed")),
    ]
    first = model.fit(x, y, epochs=2, callbacks=resumed_logs, **fit)
    second = model.fit(x, y, initial_epoch=1, epochs=3, callbacks=resumed_logs, **fit)

    def poison(epoch: int, logs: dict[str, Any] | None) -> None:
        if epoch == 1:
            kernel = diverging.layers[-1].kernel
            kernel.assign(np.full(kernel.shape, np.nan, dtype=np.float32))

    diverging = _model(keras, 3)
    diverged = diverging.fit(
        x,
        y,
        epochs=3,
        callbacks=[
            callbacks.LambdaCallback(on_epoch_end=poison),
            callbacks.CSVLogger(str(folder / "diverged.csv")),
        ],
        **fit,
    )
    return KerasLogs(folder, plain.history, first.history, second.history, diverged.history)


_WRITTEN: dict[Path, KerasLogs] = {}


def shared_keras_logs(factory: Any) -> KerasLogs:
    """The logs, written once per test session (a `pytest.TempPathFactory` names it) however
    many modules ask: TensorFlow trains once. Tests that change a file change a copy."""
    base = Path(factory.getbasetemp())
    if base not in _WRITTEN:
        _WRITTEN[base] = write_keras_logs(factory.mktemp("keras logs"))
    return _WRITTEN[base]
