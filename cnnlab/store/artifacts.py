"""Files an experiment produced (Keras models, SavedModels, TFLite files, checkpoints).

Each is recorded with its size and SHA-256 so that a benchmark or a comparison can say exactly
which bytes it measured; paths inside the database's folder are stored relative to it, so a
copied or moved lab folder keeps working.
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
