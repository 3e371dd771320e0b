"""TFLite conversion figures for issue 6: seconds, size and accuracy per mode for each seed model.

Each of paper 001's four architectures is trained briefly on synthetic 3-class images at a small
input, brought in with `import_model` (the files a training job leaves), and converted in every
mode by the conversion job's own code (`run_job`, in this process), so the seconds are the
converter's and LiteRT's, not TensorFlow's start-up. Accuracy is on the validation images.

Run: .venv/bin/python bench/convert_bench.py [--input 48] [--per-class 60] [--epochs 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from cnnlab.engine import submit
from cnnlab.engine.kinds.convert.spec import MODES, ConvertSpec
from cnnlab.engine.kinds.convert.variants import list_variants
from cnnlab.engine.kinds.importing.run import import_model
from cnnlab.engine.runtime.job import run_job
from cnnlab.store import Store, get_experiment, open_store

# Paper 001 shrank each model by hand; these widths come closest to its parameter counts.
SEEDS = (
    ("alexnet", 1.0),
    ("alexnet_separable", 1.0),
    ("mobilenet_v1", 0.5),
    ("mobilenet_v2", 0.35),
)


def train(name: str, width: float, data: Path, size: int, epochs: int, out: Path) -> Path:
    import keras

    from cnnlab.data import load_training_data
    from cnnlab.models import build_model

    keras.utils.set_random_seed(1)
    loaded = load_training_data(str(data), input_size=size, batch=16, seed=1)
    model = build_model(name, size, loaded.num_classes, width=width)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(loaded.train, validation_data=loaded.validation, epochs=epochs, verbose=0)
    path = out / f"{name}.keras"
    model.save(path)
    return path


def convert(store: Store, source: int, mode: str, calibration: int) -> tuple[float, str]:
    spec = ConvertSpec(source_id=source, mode=mode, calibration=calibration)
    job_id = submit(store, spec, parent_id=source, start_scheduler=False)
    started = time.perf_counter()
    run_job(store, job_id)
    job = get_experiment(store, job_id)
    return time.perf_counter() - started, job.status if job.status == "done" else str(job.error)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=int, default=48)
    parser.add_argument("--per-class", type=int, default=60)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--calibration", type=int, default=100)
    args = parser.parse_args()
    from cnnlab.data import write_synthetic_dataset

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = root / "shapes"
        write_synthetic_dataset(data, classes=3, per_class=args.per_class, size=args.input, seed=1)
        print(
            f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"input {args.input}, 3 classes, {args.per_class}/class, {args.epochs} epochs"
        )
        print(
            "| model | mode | convert + evaluate, s | converter, s | size, KB | top-1 | "
            "Keras top-1 | change, points |"
        )
        print("|---|---|---|---|---|---|---|---|")
        with open_store(root / "experiments.db") as store:
            for name, width in SEEDS:
                path = train(name, width, data, args.input, args.epochs, root)
                source = import_model(store, path, data=str(data))
                for mode in MODES:
                    seconds, status = convert(store, source, mode, args.calibration)
                    if status != "done":
                        print(f"| {name} | {mode} | failed: {status} |")
                        continue
                    variant = list_variants(store, source)[-1]
                    converter_s = get_experiment(store, variant.convert_job_id or 0).final_metrics[
                        "convert_seconds"
                    ]
                    print(
                        f"| {name} (w {width}) | {mode} | {seconds:.1f} | {converter_s:.1f} | "
                        f"{variant.bytes / 1000:.0f} | {(variant.top1 or 0):.1%} | "
                        f"{(variant.keras_top1 or 0):.1%} | "
                        f"{(variant.delta_top1 or 0) * 100:+.1f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
