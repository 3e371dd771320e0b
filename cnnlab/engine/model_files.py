"""A custom model's file kept in its run folder at submit time, so the run is rebuilt from the
bytes that were checked, whatever happens to the original afterwards (edited, moved, deleted).

The bytes are read and hashed before the row is written: a file that changed between the
submit-time check and now is refused, not recorded under a hash it does not have.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from cnnlab.errors import CnnlabError
from cnnlab.models.custom import ModelSource


def read_checked(model_source: dict[str, Any]) -> tuple[ModelSource, bytes]:
    """The source and its bytes, which must still hash to what the check recorded."""
    source = ModelSource.from_json(model_source)
    try:
        content = Path(source.path).read_bytes()
    except OSError as exc:
        raise CnnlabError(
            f"Cannot read {source.path} to keep it with the run ({exc.strerror}); submit again."
        ) from exc
    if hashlib.sha256(content).hexdigest() != source.sha256:
        raise CnnlabError(
            f"{source.path} changed while the run was being submitted; submit it again."
        )
    return source, content


def keep(source: ModelSource, content: bytes, run_dir: Path) -> Path:
    """Write the copy into the run folder (`model_source/NAME`), read-only."""
    copy = source.copy_in(run_dir)
    copy.parent.mkdir(parents=True, exist_ok=True)
    partial = copy.with_name(copy.name + ".partial")
    partial.write_bytes(content)
    partial.chmod(0o444)
    partial.replace(copy)
    return copy


def kept_copy(source: ModelSource, run_dir: Path | None) -> Path:
    """The file a job builds from: the run folder's copy, checked against the recorded hash
    (without a run folder, a check at submit: the original)."""
    path = Path(source.path) if run_dir is None else source.copy_in(run_dir)
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise CnnlabError(
            f"The model file {path} is missing ({exc.strerror}); the run cannot be rebuilt "
            "without it."
        ) from exc
    if digest != source.sha256:
        raise CnnlabError(
            f"The model file {path} is not the one this run was submitted with (SHA-256 "
            f"{digest[:12]}, recorded {source.sha256[:12]}); submit the run again."
        )
    return path
