"""Custom architectures named by file: `nets.py:build_my_net`, `model.keras`, or a lab-wide name.

A researcher's own network goes everywhere a zoo model goes. This module only reads names and
files (no TensorFlow): which reference a `--model` text is, where its file is, and the file's
SHA-256, which the run records beside a copy of the file (`model_source/` in its run folder),
so the run can be rebuilt exactly after the file changes. Building one is `custom_build`'s job,
checking one at submit time `custom_probe`'s (a subprocess: the user's file runs there, not in
the CLI or the TUI).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnnlab.model_refs import KERAS_SUFFIXES, is_custom_reference, split_function

__all__ = ["FUNCTION", "KERAS_FILE", "ModelSource", "is_custom_reference", "source_of"]
from cnnlab.models.errors import ModelError, UnknownModelError

# What a `--model` text names, besides the zoo's names (`cnnlab.model_refs` says how).
FUNCTION, KERAS_FILE = "function", "keras_file"
# Where the run folder keeps the copy of the file its model was built from.
SOURCE_FOLDER = "model_source"
_FUNCTION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ModelSource:
    """The file a custom model is built from, as a run records it (`TrainSpec.model_source`)."""

    kind: str  # FUNCTION or KERAS_FILE
    path: str  # absolute, where it was when submitted
    function: str | None  # the builder's name in a .py file
    sha256: str  # of the file's bytes when submitted; the run folder's copy has these bytes
    # The modules beside it that it imports (`from blocks import conv_block`), found when it
    # was built at submit: (path relative to its folder, SHA-256), kept with it in the run folder
    modules: tuple[tuple[str, str], ...] = ()

    @property
    def file_name(self) -> str:
        return Path(self.path).name

    @property
    def reference(self) -> str:
        """The `--model` text that names this source."""
        return f"{self.path}:{self.function}" if self.kind == FUNCTION else self.path

    def copy_in(self, run_dir: Path) -> Path:
        """Where the run folder keeps its copy of the file."""
        return run_dir / SOURCE_FOLDER / self.file_name

    def module_files(self, folder: Path) -> list[tuple[Path, str]]:
        """Each imported module's file under `folder` (the original's, or a run folder's
        `model_source/`) with its recorded SHA-256."""
        return [(folder / relative, digest) for relative, digest in self.modules]

    def with_modules(self, relatives: Sequence[str]) -> ModelSource:
        """This source with the modules it imports (paths relative to its folder) hashed."""
        folder = Path(self.path).parent
        found: list[tuple[str, str]] = []
        for relative in sorted(set(relatives)):
            try:
                content = (folder / relative).read_bytes()
            except OSError as exc:
                raise ModelError(
                    f"Cannot read {folder / relative}, which {self.file_name} imports "
                    f"({exc.strerror})."
                ) from exc
            found.append((relative, hashlib.sha256(content).hexdigest()))
        return dataclasses.replace(self, modules=tuple(found))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "path": self.path,
            "function": self.function,
            "sha256": self.sha256,
        }
        if self.modules:  # only then: a single file's spec reads as it always did
            data["modules"] = [list(module) for module in self.modules]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelSource:
        return cls(
            str(data["kind"]),
            str(data["path"]),
            None if data.get("function") is None else str(data["function"]),
            str(data["sha256"]),
            tuple((str(relative), str(digest)) for relative, digest in data.get("modules") or ()),
        )


def source_of(text: str, base: Path | None = None) -> ModelSource:
    """The checked file behind a `--model` reference (relative paths from `base`, else the
    working folder), with its SHA-256; one sentence when it is not usable."""
    split = split_function(text)
    if split is not None:
        path_text, function = split
        if not _FUNCTION_NAME.match(function):
            raise ModelError(
                f"{text!r} must name a function after the colon, as in nets.py:build_my_net."
            )
        kind: str = FUNCTION
    elif text.endswith(KERAS_SUFFIXES):
        path_text, function, kind = text, "", KERAS_FILE
    else:
        raise ModelError(
            f"{text!r} is not a model file: give path/to/file.py:function or path/to/model.keras."
        )
    path = Path(path_text).expanduser()
    if not path.is_absolute():
        path = (base or Path.cwd()) / path
    path = Path(os.path.normpath(path.absolute()))  # nets/../nets.py named plainly; links kept
    if not path.exists():
        raise ModelError(f"Model file {path} does not exist; check the path in --model.")
    if not path.is_file():
        raise ModelError(f"Model file {path} is not a file; --model needs a .py or .keras file.")
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise ModelError(f"Cannot read model file {path} ({exc.strerror}).") from exc
    return ModelSource(kind, str(path), function or None, digest)


def resolve_model_name(text: str, lab_models: Mapping[str, str]) -> str:
    """What `--model text` means: a zoo name as it is, a lab-wide name as its file reference,
    a file reference as it is; else one sentence listing what there is."""
    from cnnlab.models.registry import MODEL_NAMES

    if text in MODEL_NAMES and text in lab_models:
        raise ModelError(
            f"{text!r} is both the zoo's model and, in cnnlab.toml's [models], the lab's "
            f"({lab_models[text]}); rename the lab's entry so that each name means one model."
        )
    if text in MODEL_NAMES or is_custom_reference(text):
        return text
    if text in lab_models:
        return lab_models[text]
    lab = f"; the lab's: {', '.join(lab_models)}" if lab_models else ""
    raise UnknownModelError(
        f"Unknown model {text!r}; choose one of: {', '.join(MODEL_NAMES)}{lab}; "
        "or give your own as path/to/file.py:function or path/to/model.keras."
    )
