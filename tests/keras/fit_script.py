"""A user's own training script, as the tests run it in a subprocess: a plain Keras fit with a
`Recorder`, paced (a short sleep per batch) so that a test can signal or kill it mid-training.

    python fit_script.py DB [--epochs N] [--fail-at EPOCH] [--live-on] [--fits N] [--slow-from E]

`--fail-at`: a callback raises in that epoch; `--slow-from`: from that epoch on, each batch
takes 10 s (a test can press Ctrl-C twice within one batch); `--live-on`: the script catches
what fit raised and keeps running, as a notebook kernel does after a failed cell.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np

from cnnlab.keras import Recorder


class Pace(keras.callbacks.Callback):  # type: ignore[misc]
    def __init__(self, fail_at: int | None, slow_from: int | None) -> None:
        super().__init__()
        self.fail_at = fail_at
        self.slow_from = slow_from
        self.epoch = 1

    def on_train_batch_begin(self, batch: int, logs: object = None) -> None:
        slow = self.slow_from is not None and self.epoch >= self.slow_from
        time.sleep(10.0 if slow else 0.03)

    def on_epoch_begin(self, epoch: int, logs: object = None) -> None:
        self.epoch = epoch + 1
        if self.fail_at is not None and epoch + 1 == self.fail_at:
            raise ValueError("the augmentation broke")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--fail-at", type=int)
    parser.add_argument("--live-on", action="store_true")
    parser.add_argument("--fits", type=int, default=1)
    parser.add_argument("--slow-from", type=int)
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    x = np.random.rand(64, 8, 8, 3).astype("float32")
    y = np.random.randint(0, 2, 64)
    model = keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            keras.layers.Conv2D(4, 3),
            keras.layers.Flatten(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    for stage in range(args.fits):
        callbacks = [
            Pace(args.fail_at, args.slow_from),
            Recorder(f"script stage {stage + 1}", db=args.db),
        ]
        try:
            model.fit(x, y, batch_size=8, epochs=args.epochs, verbose=0, callbacks=callbacks)
        except ValueError as exc:
            if not args.live_on:
                raise
            # What IPython does when a cell fails, before printing its traceback.
            sys.last_type, sys.last_value, sys.last_traceback = type(exc), exc, exc.__traceback__
            print("fit failed; the kernel lives on", flush=True)
            time.sleep(120)
    print("script ended normally", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
