"""The training form's fields as plain data: parsing each one with a message that names the
problem, building the `TrainSpec`, and the equivalent `cnnlab train` command line.

Separate from the screen so the rules are tested without a terminal and stay beside the CLI's.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cnnlab.engine.spec import MONITORS, OPTIMIZERS, SpecError, TrainSpec
from cnnlab.models import MODEL_NAMES


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    default: str
    parse: Callable[[str], Any]
    flag: str  # the `cnnlab train` option
    placeholder: str = ""


def _int(minimum: int, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise SpecError(f"{what} must be a whole number.") from None
        if value < minimum:
            raise SpecError(f"{what} must be at least {minimum}.")
        return value

    return parse


def _positive_float(what: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            raise SpecError(f"{what} must be a number such as 0.001.") from None
        if not value > 0:
            raise SpecError(f"{what} must be positive.")
        return value

    return parse


def _optional_int(what: str) -> Callable[[str], int | None]:
    parse_int = _int(1, what)

    def parse(text: str) -> int | None:
        return None if not text.strip() else parse_int(text)

    return parse


def _patience(text: str) -> int | None:
    text = text.strip()
    if text in ("", "-1", "none", "off"):
        return None
    return _int(0, "Patience")(text)


def _choice(choices: tuple[str, ...], what: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in choices:
            raise SpecError(f"Choose a {what}: {', '.join(choices)}.")
        return text

    return parse


def _data(text: str) -> str:
    from cnnlab.tui.datasets import check_dataset_path

    check = check_dataset_path(text)
    if not check.ok:
        raise SpecError(check.message)
    return text.strip()


FIELDS = (
    Field("model", "Model", MODEL_NAMES[0], _choice(MODEL_NAMES, "model"), "--model"),
    Field("data", "Dataset", "", _data, "--data", "folder of class folders, or Training/+Test/"),
    Field("epochs", "Epochs", "50", _int(1, "Epochs"), "--epochs"),
    Field("batch", "Batch", "32", _int(1, "Batch size"), "--batch"),
    Field("lr", "Learn. rate", "0.001", _positive_float("The learning rate"), "--lr"),
    Field("optimizer", "Optimizer", "adam", _choice(OPTIMIZERS, "optimizer"), "--optimizer"),
    Field("patience", "Patience", "5", _patience, "--patience", "epochs; empty: no early stop"),
    Field("monitor", "Monitor", "val_accuracy", _choice(MONITORS, "metric"), "--monitor"),
    Field("input", "Input size", "", _optional_int("Input size"), "--input", "model default"),
    Field("width", "Width", "1.0", _positive_float("The width multiplier"), "--width"),
    Field("seed", "Seed", "1", _int(0, "Seed"), "--seed"),
    Field("name", "Name", "", str.strip, "--name", "to find the run by"),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)


def values_from_spec(spec: Mapping[str, Any]) -> dict[str, str]:
    """Form text for each field from a stored spec (clone with edits)."""
    values = {f.name: f.default for f in FIELDS}
    for field in FIELDS:
        if field.name in spec:
            value = spec[field.name]
            if field.name == "patience" and value is None:
                values["patience"] = ""
            elif field.name == "input" and value is None:
                values["input"] = ""
            else:
                values[field.name] = str(value)
    return values


def parse_fields(values: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Parsed values and, per field, the message of what is wrong with it."""
    parsed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in FIELDS:
        try:
            parsed[field.name] = field.parse(values.get(field.name, field.default))
        except SpecError as exc:
            errors[field.name] = str(exc)
    return parsed, errors


def build_spec(values: Mapping[str, str]) -> tuple[TrainSpec | None, dict[str, str]]:
    parsed, errors = parse_fields(values)
    if errors:
        return None, errors
    try:
        return TrainSpec(**parsed), {}
    except SpecError as exc:
        return None, {"form": str(exc)}


def command_line(values: Mapping[str, str]) -> str:
    """`cnnlab train ...` with the options that differ from the defaults."""
    parts = ["cnnlab", "train"]
    for field in FIELDS:
        text = values.get(field.name, field.default).strip()
        if field.name in ("model", "data") or (text and text != field.default):
            parts += [field.flag, text]
        elif field.name == "patience" and not text:
            parts += [field.flag, "-1"]
    return shlex.join(parts)
