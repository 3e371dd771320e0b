"""Loading weights from a local file, with errors that say which file and what is wrong with it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cnnlab.models.errors import ModelError, WeightsNotFoundError

if TYPE_CHECKING:
    import keras


def check_weights_file(path: Path) -> Path:
    """`path` made absolute, or an error if it is not a file."""
    path = path.expanduser().absolute()
    if not path.is_file():
        raise WeightsNotFoundError(f"Weights file {path} does not exist.")
    return path


def load_local_weights(model: keras.Model, path: Path) -> None:
    """Load `path` into `model`, turning a mismatch into a one-line error naming the file."""
    path = check_weights_file(path)
    try:
        model.load_weights(str(path))
    except (ValueError, OSError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(
            f"Weights file {path} does not fit model {model.name}: {first_line}"
        ) from exc
