"""How a `--model` text names a custom architecture's file, declared once for the config reader
(cnnlab.toml's [models]) and the model zoo (`cnnlab.models.custom`), which may not import each
other: `path/to/file.py:function` or `path/to/model.keras`. Names and paths only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

KERAS_SUFFIXES = (".keras",)
# A lab-wide name in cnnlab.toml's [models]: letters, digits, '_' and '-', a letter first.
LAB_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$")


def split_function(text: str) -> tuple[str, str] | None:
    """(file, function) of a `file.py:function` reference, else None."""
    path, colon, function = text.rpartition(":")
    if colon and path.endswith(".py"):
        return path, function
    return None


def is_custom_reference(text: str) -> bool:
    """Whether `text` names a file (`x.py:fn`, `x.keras`) rather than a zoo or lab name."""
    return split_function(text) is not None or text.endswith(KERAS_SUFFIXES)


def check_lab_models(table: Mapping[str, Any], base: Path) -> dict[str, str]:
    """[models] names checked, their files made absolute from `base` (the config file's
    folder); a ValueError with the first problem (the config reader adds file and line)."""
    checked: dict[str, str] = {}
    for name, value in table.items():
        if not LAB_NAME.match(name):
            raise ValueError(f"'{name}' is not a model name (letters, digits, _ and -)")
        if not isinstance(value, str) or not is_custom_reference(value):
            raise ValueError(
                f'\'{name}\' must be "path/to/file.py:function" or "path/to/model.keras", '
                f"got {value!r}"
            )
        split = split_function(value)
        path_text, tail = (split[0], f":{split[1]}") if split else (value, "")
        path = Path(path_text).expanduser()
        checked[name] = f"{path if path.is_absolute() else (base / path).absolute()}{tail}"
    return checked
