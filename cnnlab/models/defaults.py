"""Training defaults per architecture, as data: what a run from scratch uses unless told otherwise.

One learning rate, batch and patience for every architecture made the zoo look as if only
AlexNet could learn on small data (issue 13): deep networks full of BatchNormalization need
their moving statistics to keep up with few steps per epoch, SqueezeNet (no normalisation at
all) needs a gentler learning rate. Each entry says why, `cnnlab models show NAME` and the TUI's
job form show it, and a submitted spec records the values it used, so a rerun is identical.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from cnnlab.models.registry import model_spec


@dataclass(frozen=True)
class TrainingDefaults:
    """The options a from-scratch training of one architecture starts from."""

    lr: float = 1e-3
    batch: int = 32
    patience: int | None = 5
    # Momentum of every BatchNormalization layer when training from scratch; None keeps the
    # architecture's own (Keras' 0.99, or 0.999 in keras.applications' MobileNetV2/V3).
    bn_momentum: float | None = None
    why: str = "the defaults that suit a small CNN trained from scratch"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


DEFAULT = TrainingDefaults()

# Filled from measurements (bench/zoo_learning.py); an architecture not listed uses DEFAULT.
_BY_MODEL: dict[str, TrainingDefaults] = {}


def training_defaults(name: str) -> TrainingDefaults:
    """The zoo's training defaults for model `name` (an unknown name is an error)."""
    model_spec(name)
    return _BY_MODEL.get(name, DEFAULT)
