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
    # Training batches BN statistics are recomputed from before each validation (None: off).
    bn_recalibration: int | None = None
    why: str = "the defaults that suit a small CNN trained from scratch"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


DEFAULT = TrainingDefaults()

# Deep networks of BatchNormalization layers: with Keras' momentum (0.99, and 0.999 in
# keras.applications' MobileNetV2/V3) the moving statistics trail the weights for hundreds of
# steps, and a small dataset gives ~50 steps an epoch, so inference used statistics the weights
# had left behind: training accuracy 0.83 while validation (and the training images themselves,
# evaluated in inference mode) stayed at exactly 0.100 for 10 classes. With 0.9 (PyTorch's
# default, safe on large data too) MobileNetV2 at 48 px reached 0.85 and MobileNetV1 0.80 on the
# same run (bench/zoo_learning.py). Fine-tuning from ImageNet weights keeps the original momentum:
# only a from-scratch build applies this.
# Momentum alone is not enough with a dozen steps an epoch: MobileNetV2 on 362 images still
# validated at chance (0.333) for 4 epochs at 0.9 while training reached 0.89. Recomputing the
# statistics from 50 training batches before each validation
# (cnnlab.engine.kinds.train.batchnorm) gave
# 0.48 after the first epoch and 0.90 after the sixth, training unchanged.
_BN_SMALL_DATA = TrainingDefaults(
    bn_momentum=0.9,
    bn_recalibration=50,
    why="BatchNormalization statistics recomputed from 50 training batches before each "
    "validation, momentum 0.9, so validation measures the network that was trained",
)
# SqueezeNet has no normalisation: fed uncentred [0, 1] images its ReLUs died at Adam's 1e-3 and
# it never left chance (0.100 for 10 classes, with Glorot or He initialisation, with or without
# warm-up); the zoo now centres its input (cnnlab.models.squeezenet). Centred, on 1,437 real 48 px
# digit scans, validation after 8 epochs was 0.87 at 1e-3, 0.93 at 3e-4 and 0.89 at 1e-4.
_SQUEEZENET = TrainingDefaults(
    lr=3e-4,
    why="learning rate 3e-4: a network without normalisation, the fastest of 1e-3, 3e-4 "
    "and 1e-4 measured on small data",
)
_BY_MODEL: dict[str, TrainingDefaults] = {
    "squeezenet": _SQUEEZENET,
    "squeezenet_1_1": _SQUEEZENET,
} | {
    name: _BN_SMALL_DATA
    for name in (
        # Two BN layers are enough to show it: AlexNet Separable on 120 images at 32 px in
        # batches of 8 trained to 1.00 while validating at exactly 0.333 for 3 classes.
        "alexnet",
        "alexnet_separable",
        "mobilenet_v1",
        "mobilenet_v2",
        "mobilenet_v3_small",
        "mobilenet_v3_large",
        *(f"efficientnet_b{index}" for index in range(8)),
        *(f"efficientnet_lite{index}" for index in range(5)),
        "resnet50",
    )
}


def training_defaults(name: str) -> TrainingDefaults:
    """The zoo's training defaults for model `name` (an unknown name is an error)."""
    model_spec(name)
    return _BY_MODEL.get(name, DEFAULT)
