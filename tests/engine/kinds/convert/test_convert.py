"""Real TFLite conversions of briefly trained zoo models on generated images: every mode, sizes,
LiteRT accuracy against Keras, the artifact's record, unconvertible layers and bad inputs.

Models are trained in this process once per module and brought in with `import_model` (the same
files a training job leaves); conversion jobs run in this process through `run_job`, the code a
job process runs, so the module pays TensorFlow's start-up once.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cnnlab.engine import submit
from cnnlab.engine.kinds.convert.spec import ConvertSpec
from cnnlab.engine.kinds.convert.variants import list_variants
from cnnlab.engine.kinds.importing.run import import_model
from cnnlab.engine.runtime.job import run_job
from cnnlab.store import (
    Experiment,
    Store,
    artifact_path,
    create_experiment,
    get_experiment,
    list_artifacts,
    list_events,
    open_store,
)

MODES = ("float", "dynamic", "float16", "int8")


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cnnlab.data import write_synthetic_dataset

    folder = tmp_path_factory.mktemp("convert-data") / "shapes"
    write_synthetic_dataset(folder, classes=3, per_class=30, size=32, seed=5)
    return folder


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with open_store(tmp_path_factory.mktemp("convert-lab") / "experiments.db") as store:
        yield store


def train_and_save(name: str, data: Path, folder: Path) -> Path:
    """Fit `name` at 32x32 for two epochs and save it as a .keras file."""
    import keras

    from cnnlab.data import load_training_data
    from cnnlab.models import build_model

    keras.utils.set_random_seed(1)
    loaded = load_training_data(str(data), input_size=32, batch=8, seed=1)
    model = build_model(name, 32, loaded.num_classes)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(loaded.train, validation_data=loaded.validation, epochs=2, verbose=0)
    path = folder / f"{name}.keras"
    model.save(path)
    return path


@pytest.fixture(scope="module")
def trained(lab: Store, images: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    folder = tmp_path_factory.mktemp("models")
    return {
        name: import_model(lab, train_and_save(name, images, folder), data=str(images))
        for name in ("alexnet", "mobilenet_v2")
    }


def convert_now(store: Store, source_id: int, mode: str, **options: Any) -> Experiment:
    """Queue a conversion without a scheduler and run it here, as a job process would."""
    spec = ConvertSpec(source_id=source_id, mode=mode, **options)
    job_id = submit(store, spec, parent_id=source_id, start_scheduler=False)
    run_job(store, job_id)
    return get_experiment(store, job_id)


@pytest.fixture(scope="module")
def converted(lab: Store, trained: dict[str, int]) -> dict[tuple[str, str], Experiment]:
    return {
        (name, mode): convert_now(lab, source_id, mode, calibration=32)
        for name, source_id in trained.items()
        for mode in MODES
    }


@pytest.mark.parametrize("name", ["alexnet", "mobilenet_v2"])
def test_every_mode_converts_and_int8_is_at_most_40_percent_of_float(
    lab: Store, trained: dict[str, int], converted: dict[tuple[str, str], Experiment], name: str
) -> None:
    for mode in MODES:
        job = converted[(name, mode)]
        assert job.status == "done", job.error
        assert job.kind == "convert"
        assert job.parent_id == trained[name]
    variants = {v.mode: v for v in list_variants(lab, trained[name])}
    assert set(variants) == set(MODES)
    assert variants["int8"].bytes <= 0.4 * variants["float"].bytes
    assert variants["dynamic"].bytes <= 0.4 * variants["float"].bytes
    assert variants["float16"].bytes <= 0.6 * variants["float"].bytes
    for mode, variant in variants.items():
        assert variant.top1 is not None and 0 <= variant.top1 <= 1
        assert variant.top3 == pytest.approx(1.0)  # three classes
        assert variant.keras_top1 is not None
        assert variant.delta_top1 == pytest.approx(variant.top1 - variant.keras_top1)
        assert variant.convert_job_id == converted[(name, mode)].id
        metrics = converted[(name, mode)].final_metrics
        assert metrics["top1"] == variant.top1
        assert metrics["bytes"] == variant.bytes
    # Float conversion computes what Keras computes.
    assert variants["float"].delta_top1 == pytest.approx(0.0, abs=0.02)


def test_the_artifact_records_interface_quantization_ops_and_options(
    lab: Store, trained: dict[str, int], converted: dict[tuple[str, str], Experiment]
) -> None:
    artifacts = [a for a in list_artifacts(lab, trained["alexnet"]) if a.kind == "tflite"]
    by_mode = {a.meta["mode"]: a for a in artifacts}
    int8 = by_mode["int8"]
    assert len(int8.sha256) == 64
    assert int8.bytes == (lab.path.parent / int8.path).stat().st_size
    assert int8.path.startswith(f"runs/{trained['alexnet']}/tflite/")
    assert int8.meta["inputs"][0]["shape"][1:] == [32, 32, 3]
    assert int8.meta["inputs"][0]["dtype"] == "float32"
    assert int8.meta["outputs"][0]["shape"][-1] == 3
    assert "CONV_2D" in int8.meta["ops"] and "QUANTIZE" in int8.meta["ops"]
    assert int8.meta["calibration"] == 32
    assert int8.meta["optimize"] == "default"
    assert int8.meta["converter"]["tensorflow"]
    assert int8.meta["options"]["mode"] == "int8"
    assert int8.meta["convert_job_id"] == converted[("alexnet", "int8")].id
    assert by_mode["float"].meta["optimize"] is None
    events = [e.kind for e in list_events(lab, converted[("alexnet", "int8")].id)]
    assert {"converting", "converted", "evaluated", "artifact", "done"} <= set(events)


def test_int8_io_quantizes_input_and_output(lab: Store, trained: dict[str, int]) -> None:
    job = convert_now(lab, trained["alexnet"], "int8", calibration=16, int8_io=True)
    assert job.status == "done", job.error
    artifact = next(
        a for a in list_artifacts(lab, trained["alexnet"]) if a.meta.get("convert_job_id") == job.id
    )
    for tensor in (artifact.meta["inputs"][0], artifact.meta["outputs"][0]):
        assert tensor["dtype"] == "int8"
        assert tensor["quantization"]["scale"] > 0
    assert job.final_metrics["top1"] >= 0


def unconvertible_model(folder: Path, op: str) -> Path:
    """A small model whose layer `special` calls a raw op: Igamma (no TFLite or Flex kernel) or
    Erf (Flex only)."""
    import keras
    import tensorflow as tf

    @keras.saving.register_keras_serializable(package="tests")
    class Special(keras.layers.Layer):
        def call(self, x: Any) -> Any:
            if op == "Igamma":
                return tf.raw_ops.Igamma(a=tf.abs(x) + 1.0, x=tf.abs(x) + 0.5)
            return tf.raw_ops.Erf(x=x)

    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(4, 3, name="conv")(inputs)
    x = Special(name="special")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(3, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    exported = folder / f"{op}_saved_model"
    model.export(exported, verbose=False)
    return exported


@pytest.mark.parametrize(
    ("op", "way_out"),
    [("Igamma", "no TFLite or Flex kernel"), ("Erf", "--select-tf-ops runs it")],
)
def test_a_layer_that_cannot_convert_is_named_with_the_ways_past_it(
    lab: Store, images: Path, tmp_path: Path, op: str, way_out: str
) -> None:
    source = import_model(lab, unconvertible_model(tmp_path, op), data=str(images))
    job = convert_now(lab, source, "float")
    assert job.status == "failed"
    assert job.error is not None
    assert job.error.startswith("The float conversion failed: 1 op has no TFLite kernel")
    assert f"{op} in layer 'special': {way_out}" in job.error
    assert "remove or replace the layer" in job.error
    assert "\n" not in job.error
    assert not [a for a in list_artifacts(lab, source) if a.kind == "tflite"]


def test_no_finished_model_fails_with_the_reason(lab: Store) -> None:
    empty = create_experiment(lab, "train", spec={"model": "alexnet"}, status="done")
    job = convert_now(lab, empty, "float")
    assert job.status == "failed"
    assert job.error == (
        f"Experiment {empty} has no Keras model or SavedModel on disk to convert "
        f"(looked in {lab.run_dir(empty)}); retrain or re-import it."
    )
    broken = create_experiment(lab, "train", spec={"model": "alexnet"}, status="failed")
    job = convert_now(lab, broken, "float")
    assert job.status == "failed"
    assert f"Experiment {broken} is failed and has no finished model" in (job.error or "")


def test_calibration_data_that_is_gone_fails_with_the_reason(
    lab: Store, images: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(images, copy)
    source = import_model(lab, unconvertible_model(tmp_path, "Erf"), data=str(copy))
    shutil.rmtree(copy)
    job = convert_now(lab, source, "int8", calibration=8)
    assert job.status == "failed"
    assert job.error == (
        "The dataset for calibration and evaluation cannot be loaded: Dataset path "
        f"{copy} does not exist. Pass --data with where it is now."
    )


def test_an_int8_model_xnnpacks_clean_up_crashes_on_is_kept_and_evaluated_without_it(
    lab: Store, images: Path, tmp_path: Path
) -> None:
    """The job runs as its own process, as the scheduler starts it: before the probe, LiteRT's
    double free (SIGABRT) killed it while evaluating and the row read "killed by signal 6"."""
    import subprocess
    import sys

    from support.xnnpack_crash import double_free_keras_model

    path = double_free_keras_model(tmp_path / "crashing.keras", size=32, classes=3)
    source = import_model(lab, path, data=str(images))
    spec = ConvertSpec(source_id=source, mode="int8", calibration=8)
    job_id = submit(lab, spec, parent_id=source, start_scheduler=False)

    done = subprocess.run(
        [sys.executable, "-m", "cnnlab.engine.runtime.job", str(lab.path), str(job_id)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    job = get_experiment(lab, job_id)
    assert (done.returncode, job.status) == (0, "done"), done.stderr[-2000:]
    assert job.warning is not None and "XNNPACK delegate crashes" in job.warning
    assert "--delegate cpu" in job.warning
    fallback = [e for e in list_events(lab, job_id) if e.kind == "xnnpack_fallback"]
    assert fallback and fallback[0].data["outcome"] == "crashed"
    assert fallback[0].data["detail"].startswith("SIGABRT")
    (artifact,) = [a for a in list_artifacts(lab, source) if a.kind == "tflite"]
    assert artifact.meta["xnnpack_failure"].startswith("SIGABRT")
    assert artifact.meta["evaluation"]["images"] > 0  # measured, with the builtin kernels
    assert artifact_path(lab, artifact).is_file()
