"""What a saved `.keras` file holds, read without TensorFlow: its layers and its head.

A `.keras` file is a zip whose `config.json` describes every layer, so a transfer request can be
checked (layer names exist, something is left to train, there is a dense head to replace)
before anything is queued, from the CLI or the TUI, in milliseconds.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnnlab.errors import CnnlabError

CONV_TYPES = ("Conv2D", "SeparableConv2D", "DepthwiseConv2D")


@dataclass(frozen=True)
class LayerInfo:
    name: str
    type: str
    units: int | None  # Dense layers' outputs


@dataclass(frozen=True)
class KerasFileInfo:
    """The layers of a saved model, in order."""

    path: Path
    name: str
    layers: tuple[LayerInfo, ...]

    @property
    def layer_names(self) -> list[str]:
        return [layer.name for layer in self.layers]

    @property
    def conv_layers(self) -> list[str]:
        return [layer.name for layer in self.layers if layer.type in CONV_TYPES]

    @property
    def head(self) -> LayerInfo:
        return self.layers[-1]


def read_keras_file(path: Path) -> KerasFileInfo:
    """Read a `.keras` file's layer list; a clear error if it is not one."""
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (OSError, KeyError, zipfile.BadZipFile, ValueError) as exc:
        raise CnnlabError(f"{path} is not a readable .keras model file ({exc}).") from exc
    inner: dict[str, Any] = config.get("config", {})
    layers = tuple(
        LayerInfo(
            name=layer.get("config", {}).get("name") or layer.get("name", "?"),
            type=layer.get("class_name", "?"),
            units=layer.get("config", {}).get("units"),
        )
        for layer in inner.get("layers", [])
    )
    if not layers:
        raise CnnlabError(f"{path} describes no layers; is it a functional or sequential model?")
    return KerasFileInfo(path=path, name=str(inner.get("name", path.stem)), layers=layers)
