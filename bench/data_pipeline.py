"""Input pipeline throughput against the model's own training step, measured in one run.

Writes a Fruits360-layout folder of 100x100 JPEGs (`cnnlab data synth`), feeds it through
`cnnlab.data.file_pipeline` at 48x48 and prints images/s for the first epoch (read + decode +
resize + cache) and later epochs (from the cache), then the training step's images/s on the same
batches held in memory, and the ratio: above 1 the model, not the data, sets the pace.

    .venv/bin/python bench/data_pipeline.py [--classes 10] [--per-class 200] [--model alexnet]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _epoch(dataset: object) -> tuple[int, float]:
    started = time.perf_counter()
    images = sum(int(batch[0].shape[0]) for batch in dataset)  # type: ignore[attr-defined]
    return images, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--per-class", type=int, default=200)
    parser.add_argument("--size", type=int, default=100, help="JPEG side in pixels")
    parser.add_argument("--input", type=int, default=48, help="model input side in pixels")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--model", default="alexnet")
    parser.add_argument("--epochs", type=int, default=3, help="cached epochs to time")
    args = parser.parse_args()

    import keras
    import numpy as np
    import tensorflow as tf

    from cnnlab.data import scan_folder_dataset, write_synthetic_dataset
    from cnnlab.data.pipeline import file_pipeline
    from cnnlab.models import build_model

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPU cores, "
        f"GPUs: {len(tf.config.list_physical_devices('GPU'))}, TensorFlow {tf.__version__}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "jpegs"
        started = time.perf_counter()
        write_synthetic_dataset(
            root, classes=args.classes, per_class=args.per_class, size=args.size, seed=0
        )
        files = scan_folder_dataset(root).train
        print(
            f"dataset: {len(files)} JPEGs of {args.size}x{args.size} in {args.classes} classes "
            f"(written in {time.perf_counter() - started:.1f} s), fed at "
            f"{args.input}x{args.input}, batch {args.batch}"
        )

        dataset = file_pipeline(files, image_size=args.input, batch_size=args.batch, seed=0)
        images, seconds = _epoch(dataset)
        first = images / seconds
        print(f"pipeline, first epoch (decode + resize + cache): {first:9.0f} images/s")
        cached_rates = []
        for _ in range(args.epochs):
            images, seconds = _epoch(dataset)
            cached_rates.append(images / seconds)
        cached = float(np.median(cached_rates))
        print(f"pipeline, later epochs (cached), median of {args.epochs}: {cached:9.0f} images/s")

        batches = [(x, y) for x, y in dataset.take(20)]
        model = build_model(args.model, args.input, args.classes)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        for x, y in batches[:3]:  # trace and warm up
            model.train_on_batch(x, y)
        started = time.perf_counter()
        trained = 0
        rounds = 0
        while time.perf_counter() - started < 5.0 or rounds < 2:
            for x, y in batches:
                model.train_on_batch(x, y)
                trained += int(x.shape[0])
            rounds += 1
        step = trained / (time.perf_counter() - started)
        print(f"{args.model} training step on in-memory batches: {step:9.0f} images/s")
        print(f"ratio cached pipeline / training step: {cached / step:6.1f}x")
        print(f"ratio first-epoch pipeline / training step: {first / step:6.1f}x")
        keras.backend.clear_session()


if __name__ == "__main__":
    main()
