"""`verify_artifact`: an artifact is used only while its bytes are the ones recorded by hash."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cnnlab.store import (
    ArtifactChanged,
    ArtifactMissing,
    Store,
    StoreError,
    add_artifact,
    create_experiment,
    get_artifact,
    verify_artifact,
)


def flip_a_byte(path: Path, offset: int = 10) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.fixture
def keras_file(store: Store) -> tuple[int, Path]:
    experiment_id = create_experiment(store, "train", status="done")
    path = store.run_dir(experiment_id) / "model.keras"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    return add_artifact(store, experiment_id, "keras", path), path


def test_an_unchanged_file_gives_its_path(store: Store, keras_file: tuple[int, Path]) -> None:
    artifact_id, path = keras_file
    assert verify_artifact(store, get_artifact(store, artifact_id)) == path


def test_a_flipped_byte_is_named_with_both_hashes(
    store: Store, keras_file: tuple[int, Path]
) -> None:
    artifact_id, path = keras_file
    artifact = get_artifact(store, artifact_id)
    flip_a_byte(path)
    with pytest.raises(ArtifactChanged) as caught:
        verify_artifact(store, artifact)
    import hashlib

    now = hashlib.sha256(path.read_bytes()).hexdigest()
    assert str(caught.value) == (
        f"Artifact {artifact_id} (runs/{artifact.experiment_id}/model.keras) has changed since "
        f"it was recorded (sha256 {artifact.sha256[:12]}... expected, {now[:12]}... now); "
        f"re-run experiment {artifact.experiment_id} or import the model again."
    )
    assert isinstance(caught.value, StoreError)


def test_same_size_other_bytes_and_truncation_are_both_changes(
    store: Store, keras_file: tuple[int, Path]
) -> None:
    artifact_id, path = keras_file
    artifact = get_artifact(store, artifact_id)
    original = path.read_bytes()
    path.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    with pytest.raises(ArtifactChanged):
        verify_artifact(store, artifact)
    path.write_bytes(original[:100])
    with pytest.raises(ArtifactChanged):
        verify_artifact(store, artifact)
    path.write_bytes(original)
    assert verify_artifact(store, artifact) == path


def test_a_deleted_file_is_missing(store: Store, keras_file: tuple[int, Path]) -> None:
    artifact_id, path = keras_file
    path.unlink()
    pattern = (
        rf"^Artifact {artifact_id} \(runs/\d+/model.keras\) is missing; "
        r"re-run experiment \d+ or import the model again.$"
    )
    with pytest.raises(ArtifactMissing, match=pattern):
        verify_artifact(store, get_artifact(store, artifact_id))


def test_a_tflite_artifact_says_to_convert_again(store: Store) -> None:
    experiment_id = create_experiment(store, "train", status="done")
    path = store.run_dir(experiment_id) / "tflite" / "2-int8.tflite"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"TFL3" * 64)
    artifact = get_artifact(store, add_artifact(store, experiment_id, "tflite", path))
    flip_a_byte(path)
    with pytest.raises(ArtifactChanged, match=f"convert experiment {experiment_id} again"):
        verify_artifact(store, artifact)


def test_a_saved_model_folder_is_verified_file_by_file(store: Store) -> None:
    """A SavedModel's hash (as recorded) covers every file's relative name and bytes."""
    experiment_id = create_experiment(store, "train", status="done")
    folder = store.run_dir(experiment_id) / "saved_model"
    (folder / "variables").mkdir(parents=True)
    (folder / "saved_model.pb").write_bytes(b"graph" * 50)
    (folder / "variables" / "variables.data-00000-of-00001").write_bytes(b"weights" * 50)
    artifact = get_artifact(store, add_artifact(store, experiment_id, "saved_model", folder))
    assert verify_artifact(store, artifact) == folder

    flip_a_byte(folder / "variables" / "variables.data-00000-of-00001")
    with pytest.raises(ArtifactChanged, match="saved_model\\) has changed"):
        verify_artifact(store, artifact)
    flip_a_byte(folder / "variables" / "variables.data-00000-of-00001")  # back as it was
    assert verify_artifact(store, artifact) == folder

    (folder / "extra.txt").write_text("added later")
    with pytest.raises(ArtifactChanged):
        verify_artifact(store, artifact)
    (folder / "extra.txt").unlink()

    (folder / "saved_model.pb").rename(folder / "renamed.pb")
    with pytest.raises(ArtifactChanged):
        verify_artifact(store, artifact)
    (folder / "renamed.pb").rename(folder / "saved_model.pb")
    assert verify_artifact(store, artifact) == folder

    shutil.rmtree(folder)
    with pytest.raises(ArtifactMissing, match="saved_model\\) is missing"):
        verify_artifact(store, artifact)


def test_an_unreadable_file_is_a_store_error(  # type: ignore[no-untyped-def]
    store: Store, keras_file: tuple[int, Path], without_privileges: list[str]
) -> None:
    import subprocess
    import sys

    artifact_id, path = keras_file
    path.chmod(0)
    try:
        code = (
            "from cnnlab.store import open_store, get_artifact, verify_artifact, StoreError\n"
            f"store = open_store({str(store.path)!r})\n"
            "try:\n"
            f"    verify_artifact(store, get_artifact(store, {artifact_id}))\n"
            "except StoreError as exc:\n"
            "    print(exc)\n"
        )
        result = subprocess.run(
            [*without_privileges, sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        path.chmod(0o644)
    assert f"Artifact {artifact_id}" in result.stdout, result.stderr
    assert "cannot be read" in result.stdout
