"""Does every architecture learn from scratch on small data? Issue 13's table, before and after.

For each architecture and input size: the best validation accuracy, the epoch it was reached and
seconds per epoch, on generated images (`cnnlab data synth`), trained the way a job trains
(`train_spec` for the options, then
`cnnlab.engine.kinds.train.trial.fit_from_scratch`, which makes the
calls a training job makes), in one process. "before" is the zoo as it was: Keras' own BatchNorm
momentum, no recalibration, lr 1e-3; "after" is the zoo's training defaults
(`cnnlab.models.defaults`). SqueezeNet's centred input is part of the architecture now, so its
"before" row differs from the old zoo by the learning rate only. Chance is 1/classes.

Run: .venv/bin/python bench/zoo_learning.py [--models a,b] [--sizes 48,96] [--epochs 40]
     [--classes 10] [--per-class 150] [--modes before,after]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
from pathlib import Path

PAPER_MODELS = (
    "alexnet",
    "alexnet_separable",
    "mobilenet_v1",
    "mobilenet_v2",
    "mobilenet_v3_small",
    "mobilenet_v3_large",
    "squeezenet",
    "squeezenet_1_1",
    "efficientnet_b0",
    "efficientnet_lite0",
)


def run(model_name: str, data: Path, size: int, epochs: int, mode: str) -> tuple[float, int, float]:
    """Best validation accuracy, its epoch (1-based) and median seconds per epoch."""
    from cnnlab.engine.kinds.train.trial import fit_from_scratch
    from cnnlab.engine.spec import train_spec

    options = {"model": model_name, "data": str(data), "input": size, "epochs": epochs}
    if mode == "before":  # the zoo as it was: Keras' BN, no recalibration, Adam at 1e-3
        options |= {"lr": 1e-3, "bn_momentum": None, "bn_recalibration": None}
    trial = fit_from_scratch(train_spec(**options))
    return trial.best_val_accuracy, trial.best_epoch, sorted(trial.seconds)[len(trial.seconds) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(PAPER_MODELS))
    parser.add_argument("--sizes", default="48,96")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--per-class", type=int, default=150)
    parser.add_argument("--modes", default="before,after")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from cnnlab.data.synth import write_synthetic_dataset

    print(f"machine: {platform.processor() or platform.machine()}, {platform.platform()}")
    print(
        f"data: {args.classes} classes x {args.per_class} training images (generated), "
        f"{args.epochs} epochs, chance {1 / args.classes:.3f}"
    )
    print("| model | px | mode | best val acc | at epoch | s/epoch |")
    print("| --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "shapes"
        largest = max(int(size) for size in args.sizes.split(","))
        write_synthetic_dataset(
            data, classes=args.classes, per_class=args.per_class, size=largest, seed=5
        )
        for model_name in args.models.split(","):
            for size in (int(s) for s in args.sizes.split(",")):
                for mode in args.modes.split(","):
                    best, epoch, per_epoch = run(model_name, data, size, args.epochs, mode)
                    print(
                        f"| {model_name} | {size} | {mode} | {best:.3f} | {epoch} | "
                        f"{per_epoch:.1f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
