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


def read_checked(model_source: dict[str, Any]) -> tuple[ModelSource, dict[str, bytes]]:
    """The source and the bytes to keep, by their path in `model_source/` (the file, and the
    modules beside it that it imports), each of which must still hash to what the check
    recorded."""
    source = ModelSource.from_json(model_source)
    folder = Path(source.path).parent
    wanted = [(source.file_name, source.sha256), *source.modules]
    files: dict[str, bytes] = {}
    for relative, digest in wanted:
        path = folder / relative
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CnnlabError(
                f"Cannot read {path} to keep it with the run ({exc.strerror}); submit again."
            ) from exc
        if hashlib.sha256(content).hexdigest() != digest:
            raise CnnlabError(f"{path} changed while the run was being submitted; submit it again.")
        files[relative] = content
    return source, files


def keep(source: ModelSource, files: dict[str, bytes], run_dir: Path) -> Path:
    """Write the copies into the run folder (`model_source/NAME`, the modules beside it at
    their own relative paths), read-only; returns the file's copy."""
    folder = source.copy_in(run_dir).parent
    for relative, content in files.items():
        copy = folder / relative
        copy.parent.mkdir(parents=True, exist_ok=True)
        partial = copy.with_name(copy.name + ".partial")
        partial.write_bytes(content)
        partial.chmod(0o444)
        partial.replace(copy)
    return source.copy_in(run_dir)


def kept_copy(source: ModelSource, run_dir: Path | None) -> Path:
    """The file a job builds from: the run folder's copy, checked against the recorded hash,
    as are the modules it imports (without a run folder, a check at submit: the original)."""
    path = Path(source.path) if run_dir is None else source.copy_in(run_dir)
    for file, recorded in [(path, source.sha256), *source.module_files(path.parent)]:
        try:
            digest = hashlib.sha256(file.read_bytes()).hexdigest()
        except OSError as exc:
            raise CnnlabError(
                f"The model file {file} is missing ({exc.strerror}); the run cannot be rebuilt "
                "without it."
            ) from exc
        if digest != recorded:
            raise CnnlabError(
                f"The model file {file} is not the one this run was submitted with (SHA-256 "
                f"{digest[:12]}, recorded {recorded[:12]}); submit the run again."
            )
    return path
