"""Artifacts are recorded with exact sizes and content hashes, files and SavedModels alike."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cnnlab.store import (
    InvalidValue,
    Store,
    StoreError,
    add_artifact,
    artifact_path,
    content_hash,
    create_experiment,
    get_artifact,
    list_artifacts,
)


def test_a_file_is_recorded_with_size_and_sha256(store: Store) -> None:
    experiment_id = create_experiment(store, "convert")
    model = store.run_dir(experiment_id) / "model_int8.tflite"
    model.parent.mkdir(parents=True)
    model.write_bytes(b"TFL3" + bytes(range(256)) * 40)
    artifact_id = add_artifact(
        store, experiment_id, "tflite", model, meta={"quantization": "int8", "ops": ["CONV_2D"]}
    )
    artifact = get_artifact(store, artifact_id)
    assert artifact.bytes == model.stat().st_size
    assert artifact.sha256 == hashlib.sha256(model.read_bytes()).hexdigest()
    assert artifact.meta == {"quantization": "int8", "ops": ["CONV_2D"]}
    assert artifact.path == f"runs/{experiment_id}/model_int8.tflite"
    assert artifact_path(store, artifact) == model
    assert list_artifacts(store, experiment_id) == [artifact]


def test_a_folder_hash_covers_names_and_contents(
    tmp_path_factory: pytest.TempPathFactory, store: Store
) -> None:
    saved = tmp_path_factory.mktemp("elsewhere") / "saved_model"
    (saved / "variables").mkdir(parents=True)
    (saved / "saved_model.pb").write_bytes(b"graph")
    (saved / "variables" / "variables.data").write_bytes(b"weights")
    size, digest = content_hash(saved)
    assert size == len(b"graph") + len(b"weights")
    (saved / "variables" / "variables.data").write_bytes(b"weightz")
    assert content_hash(saved)[1] != digest
    experiment_id = create_experiment(store, "train")
    artifact = get_artifact(store, add_artifact(store, experiment_id, "saved_model", saved))
    assert artifact.path == str(saved)  # outside the database folder: kept absolute


def test_bad_artifacts_are_refused(tmp_path: Path, store: Store) -> None:
    experiment_id = create_experiment(store, "train")
    with pytest.raises(StoreError, match="does not exist"):
        add_artifact(store, experiment_id, "keras", tmp_path / "missing.keras")
    (tmp_path / "m.onnx").write_bytes(b"x")
    with pytest.raises(InvalidValue, match="'onnx'"):
        add_artifact(store, experiment_id, "onnx", tmp_path / "m.onnx")
    with pytest.raises(StoreError, match="No artifact with id 5"):
        get_artifact(store, 5)
