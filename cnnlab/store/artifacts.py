"""Files an experiment produced (Keras models, SavedModels, TFLite files, checkpoints).

Each is recorded with its size and SHA-256 so that a benchmark or a comparison can say exactly
which bytes it measured; paths inside the database's folder are stored relative to it, so a
copied or moved lab folder keeps working. Whatever loads an artifact checks it first with
`verify_artifact`: a truncated or overwritten model then costs one sentence naming the artifact,
instead of a converter's or loader's misleading "File not found".
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cnnlab.store.connection import Store
from cnnlab.store.errors import InvalidValue, StoreError, UnknownExperiment
from cnnlab.store.records import Artifact, ArtifactKind, dumps


def add_artifact(
    store: Store,
    experiment_id: int,
    kind: str,
    path: Path | str,
    *,
    meta: Mapping[str, Any] | None = None,
) -> int:
    """Record a file or folder (a SavedModel) with its total size and content hash."""
    try:
        kind = ArtifactKind(kind).value
    except ValueError:
        choices = ", ".join(k.value for k in ArtifactKind)
        raise InvalidValue(f"Unknown artifact kind {kind!r}; expected one of: {choices}.") from None
    path = Path(path).absolute()
    if not path.exists():
        raise StoreError(f"Artifact {path} does not exist; nothing was recorded.")
    size, digest = content_hash(path)
    stored = _relative_to_store(store, path)
    with store.write() as conn:
        if not conn.execute("SELECT 1 FROM experiments WHERE id = ?", (experiment_id,)).fetchone():
            raise UnknownExperiment(experiment_id)
        cursor = conn.execute(
            "INSERT INTO artifacts (experiment_id, kind, path, bytes, sha256, meta, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (experiment_id, kind, stored, size, digest, dumps(dict(meta or {})), time.time()),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


def content_hash(path: Path) -> tuple[int, str]:
    """(bytes, sha256) of a file, or of a folder's files taken in sorted relative-path order."""
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    total = 0
    for file in files:
        if path.is_dir():
            digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        with file.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                total += len(chunk)
    return total, digest.hexdigest()


class ArtifactMissing(StoreError):
    """A recorded artifact's file or folder is no longer where it was recorded."""


class ArtifactChanged(StoreError):
    """A recorded artifact's bytes are not the ones whose SHA-256 was recorded."""


def verify_artifact(store: Store, artifact: Artifact) -> Path:
    """The artifact's path, once its content is proven to be what was recorded.

    Files and SavedModel folders alike are hashed with `content_hash`, as `add_artifact` did
    (a folder's hash covers its files' relative names and bytes), so a changed, added or removed
    file inside a SavedModel is caught too. Raises `ArtifactMissing` or `ArtifactChanged`.
    """
    path = artifact_path(store, artifact)
    again = _redo_advice(artifact)
    if not path.exists():
        raise ArtifactMissing(f"Artifact {artifact.id} ({artifact.path}) is missing; {again}.")
    try:
        _, digest = content_hash(path)
    except OSError as exc:
        raise StoreError(
            f"Artifact {artifact.id} ({artifact.path}) cannot be read ({exc.strerror or exc}); "
            f"fix its permissions, or {again}."
        ) from exc
    if digest != artifact.sha256:
        raise ArtifactChanged(
            f"Artifact {artifact.id} ({artifact.path}) has changed since it was recorded "
            f"(sha256 {artifact.sha256[:12]}... expected, {digest[:12]}... now); {again}."
        )
    return path


def _redo_advice(artifact: Artifact) -> str:
    if artifact.kind == "tflite":
        return (
            f"convert experiment {artifact.experiment_id} again "
            f"(`cnnlab convert {artifact.experiment_id}`) or import the .tflite file again"
        )
    return f"re-run experiment {artifact.experiment_id} or import the model again"


def _relative_to_store(store: Store, path: Path) -> str:
    try:
        return path.relative_to(store.path.parent).as_posix()
    except ValueError:
        return str(path)


def artifact_path(store: Store, artifact: Artifact) -> Path:
    """Where an artifact's bytes are on this machine."""
    path = Path(artifact.path)
    return path if path.is_absolute() else store.path.parent / path


def list_artifacts(store: Store, experiment_id: int) -> list[Artifact]:
    rows = store.read(
        "SELECT * FROM artifacts WHERE experiment_id = ? ORDER BY id", (experiment_id,)
    )
    return [Artifact.from_row(row) for row in rows]


def get_artifact(store: Store, artifact_id: int) -> Artifact:
    rows = store.read("SELECT * FROM artifacts WHERE id = ?", (artifact_id,))
    if not rows:
        raise StoreError(f"No artifact with id {artifact_id}; `cnnlab show ID` lists them.")
    return Artifact.from_row(rows[0])
