"""Imports (.h5, .tflite, corrupt files) and paper 003's MobileNetV2 sizes at full width.

Paper 003 trained for the Mobile AI 2021 challenge's 30 classes: at 224x224 and width 1.0 its
float file was 8.6 MB and its int8 file 2.7 MB. With random weights the sizes are the same,
since the weights' count and type, not their values, set a file's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cnnlab.engine import submit
from cnnlab.engine.kinds.convert.spec import ConvertSpec
from cnnlab.engine.kinds.convert.variants import list_variants
from cnnlab.engine.kinds.importing.run import import_model
from cnnlab.engine.runtime.job import run_job
from cnnlab.errors import CnnlabError
from cnnlab.store import (
    Experiment,
    Store,
    count_experiments,
    get_experiment,
    list_artifacts,
    open_store,
)

PAPER_003_FLOAT_MB = 8.6
PAPER_003_INT8_MB = 2.7


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cnnlab.data import write_synthetic_dataset

    folder = tmp_path_factory.mktemp("import-data") / "shapes"
    write_synthetic_dataset(folder, classes=3, per_class=12, size=32, seed=2)
    return folder


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with open_store(tmp_path_factory.mktemp("import-lab") / "experiments.db") as store:
        yield store


def convert_now(store: Store, source_id: int, mode: str, **options: Any) -> Experiment:
    spec = ConvertSpec(source_id=source_id, mode=mode, **options)
    job_id = submit(store, spec, parent_id=source_id, start_scheduler=False)
    run_job(store, job_id)
    return get_experiment(store, job_id)


@pytest.fixture(scope="module")
def small_h5(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny AlexNet saved in the papers' .h5 format."""
    from cnnlab.models import build_model

    path = tmp_path_factory.mktemp("h5") / "alexnet.h5"
    build_model("alexnet", 32, 3, width=0.25).save(path)
    return path


def test_h5_import_converts_like_a_trained_model(lab: Store, images: Path, small_h5: Path) -> None:
    source = import_model(lab, small_h5, data=str(images), name="from elsewhere")
    experiment = get_experiment(lab, source)
    assert (experiment.kind, experiment.status, experiment.name) == (
        "import",
        "done",
        "from elsewhere",
    )
    assert experiment.params is not None and experiment.params > 0
    kinds = {a.kind: a for a in list_artifacts(lab, source)}
    assert set(kinds) == {"keras", "saved_model"}
    assert kinds["keras"].meta["input_shape"] == [32, 32, 3]
    job = convert_now(lab, source, "dynamic", optimize="size")
    assert job.status == "done", job.error
    (variant,) = list_variants(lab, source)
    assert (variant.mode, variant.optimize) == ("dynamic", "size")
    assert variant.top1 is not None


def test_tflite_import_is_inspected_and_refuses_conversion(
    lab: Store, images: Path, small_h5: Path, tmp_path: Path
) -> None:
    source = import_model(lab, small_h5, data=str(images))
    job = convert_now(lab, source, "float")
    tflite = tmp_path / "alexnet.tflite"
    tflite.write_bytes((lab.path.parent / list_variants(lab, source)[0].path).read_bytes())
    imported = import_model(lab, tflite, data=str(images))
    assert get_experiment(lab, imported).status == "done"
    (artifact,) = list_artifacts(lab, imported)
    assert artifact.kind == "tflite"
    assert artifact.bytes == tflite.stat().st_size
    assert artifact.meta["mode"] == "imported"
    assert artifact.meta["input_shape"] == [32, 32, 3]
    assert "FULLY_CONNECTED" in artifact.meta["ops"]
    job = convert_now(lab, imported, "int8")
    assert job.status == "failed"
    assert job.error == (
        f"Experiment {imported} holds a .tflite model, which is converted already; there is "
        "no Keras model or SavedModel to convert it from."
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.h5", b"\x89HDF\r\n\x1a\n" + b"\0" * 64, "Keras cannot load"),
        ("truncated.h5", b"not hdf5 at all", "is not an HDF5 file"),
        ("model.keras", b"PK\x03\x04 broken", "is not a .keras archive"),
        ("model.tflite", b"garbage" * 10, "is not a TFLite model LiteRT can load"),
        ("model.onnx", b"x", "cnnlab imports .keras, .h5, .tflite files and SavedModel"),
    ],
)
def test_corrupt_files_are_refused_and_leave_no_row(
    lab: Store, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    before = count_experiments(lab)
    with pytest.raises(CnnlabError, match=message):
        import_model(lab, path)
    assert count_experiments(lab) == before


def test_full_width_mobilenet_v2_matches_paper_003_sizes(
    lab: Store, images: Path, tmp_path: Path
) -> None:
    from cnnlab.models import build_model

    path = tmp_path / "mobilenet_v2.keras"
    build_model("mobilenet_v2", 224, 30).save(path)
    source = import_model(lab, path, data=str(images))
    for mode in ("float", "int8"):
        job = convert_now(lab, source, mode, calibration=4)
        assert job.status == "done", job.error
    sizes = {v.mode: v.bytes / 1e6 for v in list_variants(lab, source)}
    assert sizes["float"] == pytest.approx(PAPER_003_FLOAT_MB, rel=0.10)
    assert sizes["int8"] == pytest.approx(PAPER_003_INT8_MB, rel=0.10)
