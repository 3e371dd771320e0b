"""A model file that changed or vanished after it was recorded is refused by name, at submit
(convert, bench, transfer, resume) and again by the job before it loads it; nothing is queued.

The model files here are stand-in bytes: the hash check comes before anything parses them.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from support.cli_errors import one_error_line

from cnnlab.store import (
    Store,
    add_artifact,
    create_experiment,
    get_artifact,
    get_experiment,
    list_events,
)


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def rows(store: Store) -> int:
    return int(store.read("SELECT count(*) FROM experiments")[0][0])


def refused(result: Any, message: str) -> str:
    assert result.exit_code == 2, result.output
    return one_error_line(result.stderr, message)


@pytest.fixture
def trained(store: Store, tiny_images: Path) -> dict[str, Any]:
    """A finished training run with a model.keras and a SavedModel folder recorded."""
    experiment_id = create_experiment(
        store,
        "train",
        model="alexnet",
        dataset=str(tiny_images),
        spec={"kind": "train", "model": "alexnet", "data": str(tiny_images), "input": 32},
        status="done",
    )
    run_dir = store.run_dir(experiment_id)
    keras = run_dir / "model.keras"
    saved = run_dir / "saved_model"
    (saved / "variables").mkdir(parents=True)
    keras.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)
    (saved / "saved_model.pb").write_bytes(b"graph" * 100)
    (saved / "variables" / "variables.data-00000-of-00001").write_bytes(b"weights" * 100)
    meta = {"input_shape": [32, 32, 3], "classes": 3}
    return {
        "id": experiment_id,
        "keras": keras,
        "saved_model": saved,
        "keras_artifact": add_artifact(store, experiment_id, "keras", keras, meta=meta),
        "saved_artifact": add_artifact(store, experiment_id, "saved_model", saved, meta=meta),
    }


@pytest.fixture
def tflite(store: Store, trained: dict[str, Any]) -> tuple[int, Path]:
    path = store.run_dir(trained["id"]) / "tflite" / "9-float.tflite"
    path.parent.mkdir()
    path.write_bytes(b"TFL3" + bytes(range(256)) * 4)
    return add_artifact(store, trained["id"], "tflite", path, meta={"mode": "float"}), path


def test_convert_refuses_a_changed_keras_model_and_queues_nothing(  # type: ignore[no-untyped-def]
    invoke, store: Store, trained: dict[str, Any]
) -> None:
    experiment_id = trained["id"]
    artifact = get_artifact(store, trained["keras_artifact"])
    flip_a_byte(trained["keras"])
    before = rows(store)
    line = refused(
        invoke("convert", str(experiment_id), "--mode", "float,int8", "--db", str(store.path)),
        f"Artifact {artifact.id} (runs/{experiment_id}/model.keras) has changed since it was "
        f"recorded (sha256 {artifact.sha256[:12]}... expected, ",
    )
    assert line.endswith(f"re-run experiment {experiment_id} or import the model again.")
    assert "File not found" not in line
    assert rows(store) == before


def test_convert_refuses_a_missing_model_or_a_changed_saved_model(  # type: ignore[no-untyped-def]
    invoke, store: Store, trained: dict[str, Any]
) -> None:
    experiment_id = trained["id"]
    before = rows(store)
    trained["keras"].unlink()
    refused(
        invoke("convert", str(experiment_id), "--db", str(store.path)),
        f"Artifact {trained['keras_artifact']} (runs/{experiment_id}/model.keras) is missing; "
        f"re-run experiment {experiment_id} or import the model again.",
    )
    assert rows(store) == before
    flip_a_byte(trained["saved_model"] / "variables" / "variables.data-00000-of-00001")
    refused(
        invoke("convert", str(experiment_id), "--db", str(store.path)),
        f"Artifact {trained['saved_artifact']} (runs/{experiment_id}/saved_model) has changed",
    )
    shutil.rmtree(trained["saved_model"])
    refused(
        invoke("convert", str(experiment_id), "--db", str(store.path)),
        f"Artifact {trained['saved_artifact']} (runs/{experiment_id}/saved_model) is missing",
    )
    assert rows(store) == before


@pytest.mark.parametrize("target", ["experiment", "artifact"])
def test_bench_refuses_a_changed_or_missing_tflite_and_queues_nothing(  # type: ignore[no-untyped-def]
    invoke, store: Store, trained: dict[str, Any], tflite: tuple[int, Path], target: str
) -> None:
    artifact_id, path = tflite
    name = str(trained["id"]) if target == "experiment" else f"artifact:{artifact_id}"
    before = rows(store)
    flip_a_byte(path)
    line = refused(
        invoke("bench", name, "--device", "host", "--db", str(store.path)),
        f"Artifact {artifact_id} (runs/{trained['id']}/tflite/9-float.tflite) has changed since "
        "it was recorded",
    )
    assert line.endswith(f"convert experiment {trained['id']} again (`cnnlab convert "
                         f"{trained['id']}`) or import the .tflite file again.")  # fmt: skip
    path.unlink()
    refused(
        invoke("bench", name, "--device", "host", "--db", str(store.path)),
        f"Artifact {artifact_id} (runs/{trained['id']}/tflite/9-float.tflite) is missing",
    )
    assert rows(store) == before


def test_transfer_and_resume_refuse_a_changed_parent_model(  # type: ignore[no-untyped-def]
    invoke, store: Store, trained: dict[str, Any]
) -> None:
    parent = trained["id"]
    child = create_experiment(
        store,
        "transfer",
        model="alexnet",
        parent_id=parent,
        spec={"kind": "transfer", "model": "alexnet", "data": "d", "source": parent},
        status="failed",
    )
    events = len(list_events(store, child))
    before = rows(store)
    flip_a_byte(trained["keras"])
    message = f"Artifact {trained['keras_artifact']} (runs/{parent}/model.keras) has changed"
    refused(invoke("transfer", str(parent), "--db", str(store.path)), message)
    refused(invoke("resume", str(child), "--db", str(store.path)), message)
    assert rows(store) == before
    assert get_experiment(store, child).status == "failed"
    assert len(list_events(store, child)) == events
    trained["keras"].unlink()
    refused(invoke("transfer", str(parent), "--db", str(store.path)), "model.keras) is missing")


def test_a_bench_job_checks_its_model_again_before_measuring(
    store: Store, trained: dict[str, Any], tflite: tuple[int, Path]
) -> None:
    """Changed after it was queued: the job fails with the sentence, measuring nothing."""
    from cnnlab.engine import submit
    from cnnlab.engine.kinds.bench.spec import BenchSpec
    from cnnlab.engine.runtime.job import run_job

    artifact_id, path = tflite
    job_id = submit(store, BenchSpec(artifact_id=artifact_id), start_scheduler=False)
    flip_a_byte(path)
    assert run_job(store, job_id) == "failed"
    job = get_experiment(store, job_id)
    assert job.error is not None
    assert job.error.startswith(f"Artifact {artifact_id} (runs/{trained['id']}/tflite/")
    assert "has changed since it was recorded" in job.error
    assert store.read("SELECT count(*) FROM bench_runs")[0][0] == 0


def test_a_convert_job_checks_its_model_again_before_loading(
    store: Store, trained: dict[str, Any]
) -> None:
    from cnnlab.engine.kinds.convert.submit import submit_conversions
    from cnnlab.engine.runtime.job import run_job

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("cnnlab.engine.control.ensure_scheduler", lambda store: False)
        [job_id] = submit_conversions(store, trained["id"], ["float"])
    trained["keras"].unlink()
    assert run_job(store, job_id) == "failed"
    job = get_experiment(store, job_id)
    assert job.error == (
        f"Artifact {trained['keras_artifact']} (runs/{trained['id']}/model.keras) is missing; "
        f"re-run experiment {trained['id']} or import the model again."
    )
