"""What a Recorder finds out about the `fit` it runs in, without the user telling it.

Keras gives a callback the model and the fit's params, not its fellow callbacks. Keras 3's
`fit` wraps the list it was given in a `CallbackList` held in a local of its own frame, and
calls `on_train_begin` through it; so the Recorder walks up its caller frames to that
`CallbackList` (the first frame holding it is `CallbackList.on_train_begin`'s, the last is
`fit`'s). From it come any `EarlyStopping` (whatever the user passed, no `early_stopping=`
needed) and any second Recorder; `fit`'s frame also tells the watcher thread, by leaving the
stack, that the fit ended without calling `on_train_end` (an exception, an interrupt). When the
frames do not show it (a training loop of the user's own that calls the callbacks itself), the
objects that refer to the Recorder (`gc.get_referrers`) are searched for the list instead.
"""

from __future__ import annotations

import gc
import math
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any

import keras

MAX_FRAMES = 30  # from on_train_begin up to fit is 3 frames in Keras 3.15


@dataclass
class FitContext:
    """The fit a callback runs in: its callbacks and, when found, the frame of `fit` itself."""

    callbacks: list[Any]
    frame: FrameType | None
    thread: int

    def running(self) -> bool:
        """Whether the fit's frame is still on its thread's stack (True when unknown)."""
        if self.frame is None:
            return True
        frame: FrameType | None = sys._current_frames().get(self.thread)
        while frame is not None:
            if frame is self.frame:
                return True
            frame = frame.f_back
        return False


def find_fit(callback: Any) -> FitContext:
    """The fit `callback` was called from (see the module docstring)."""
    thread = threading.get_ident()
    holders: list[tuple[FrameType, Any]] = []
    frame: FrameType | None = sys._getframe(1)
    for _ in range(MAX_FRAMES):
        if frame is None:
            break
        for value in list(frame.f_locals.values()):
            if _holds(value, callback):
                holders.append((frame, value))
                break
        frame = frame.f_back
    if holders:
        fit_frames = [f for f, _ in holders if f.f_code.co_name == "fit"]
        found = fit_frames[0] if fit_frames else holders[-1][0]
        return FitContext(list(holders[0][1].callbacks), found, thread)
    for referrer in gc.get_referrers(callback):
        if isinstance(referrer, list):
            for owner in gc.get_referrers(referrer):
                if isinstance(owner, keras.callbacks.CallbackList):
                    return FitContext(list(owner.callbacks), None, thread)
    return FitContext([callback], None, thread)


def _holds(value: Any, callback: Any) -> bool:
    return isinstance(value, keras.callbacks.CallbackList) and any(
        c is callback for c in value.callbacks
    )


def early_stoppings(context: FitContext) -> list[Any]:
    return [c for c in context.callbacks if isinstance(c, keras.callbacks.EarlyStopping)]


@dataclass(frozen=True)
class StopOutcome:
    """What one EarlyStopping did, read from its own attributes, Keras' semantics exactly:
    it stopped the fit when `stopped_epoch > 0` (it never stops at epoch 0), and its
    `on_train_end` restores `best_weights` whenever `restore_best_weights` is on and it kept
    some (the first epoch from `start_from_epoch` on keeps them), stopped early or not."""

    stopped_epoch: int | None  # 0-based, as Keras counts; None when it did not stop the fit
    best_epoch: int | None  # 0-based; None before any epoch it monitored
    best_value: float | None
    monitor: str
    patience: int
    restores: bool

    @classmethod
    def of(cls, stopping: Any) -> StopOutcome:
        best = getattr(stopping, "best", None)
        value = None if best is None else float(best)
        if value is not None and not math.isfinite(value):
            value = None  # Keras starts `best` at +/-inf in some versions
        stopped = int(getattr(stopping, "stopped_epoch", 0) or 0)
        return cls(
            stopped_epoch=stopped if stopped > 0 else None,
            best_epoch=int(stopping.best_epoch) if value is not None else None,
            best_value=value,
            monitor=str(stopping.monitor),
            patience=int(stopping.patience),
            restores=bool(stopping.restore_best_weights) and stopping.best_weights is not None,
        )


def frozen_layers(model: Any) -> list[str]:
    """The layers that do not train, nested ones as `outer/inner`: a frozen sub-model is one
    name (everything inside it is frozen), a trainable one is searched for frozen layers."""
    return list(_frozen(model, ""))


def _frozen(model: Any, prefix: str) -> Iterator[str]:
    for layer in getattr(model, "layers", []):
        if not layer.trainable:
            yield prefix + layer.name
        elif getattr(layer, "layers", None):
            yield from _frozen(layer, f"{prefix}{layer.name}/")
