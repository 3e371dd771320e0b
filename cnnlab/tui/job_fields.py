"""The training form's fields as plain data: parsing each one with a message that names the
problem, building the `TrainSpec`, and the equivalent `cnnlab train` command line.

Separate from the screen so the rules are tested without a terminal and stay beside the CLI's.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cnnlab.engine.spec import MONITORS, OPTIMIZERS, SpecError, TrainSpec, train_spec
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


def _patience(text: str) -> int | Default | None:
    text = text.strip()
    if not text:
        return MODEL_DEFAULT
    if text in ("-1", "none", "off"):
        return None
    return _int(0, "Patience")(text)


class Default:
    """A field left empty: the model's training default (`cnnlab models show NAME`) applies."""

    def __repr__(self) -> str:
        return "MODEL_DEFAULT"


MODEL_DEFAULT = Default()


def _or_default(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse_or_default(text: str) -> Any:
        return MODEL_DEFAULT if not text.strip() else parse(text)

    return parse_or_default


def _momentum(text: str) -> float:
    value = _positive_float("The BatchNormalization momentum")(text)
    if not value < 1:
        raise SpecError("The BatchNormalization momentum must be below 1, such as 0.9.")
    return value


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
    Field("batch", "Batch", "", _or_default(_int(1, "Batch size")), "--batch", "model's"),
    Field(
        "lr",
        "Learn. rate",
        "",
        _or_default(_positive_float("The learning rate")),
        "--lr",
        "model's",
    ),
    Field("optimizer", "Optimizer", "adam", _choice(OPTIMIZERS, "optimizer"), "--optimizer"),
    Field("patience", "Patience", "", _patience, "--patience", "model's; -1: no early stop"),
    Field("monitor", "Monitor", "val_accuracy", _choice(MONITORS, "metric"), "--monitor"),
    Field("input", "Input size", "", _optional_int("Input size"), "--input", "model default"),
    Field("width", "Width", "1.0", _positive_float("The width multiplier"), "--width"),
    Field("bn_momentum", "BN momentum", "", _or_default(_momentum), "--bn-momentum", "model's"),
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
                values["patience"] = "-1"
            elif field.name in ("input", "bn_momentum") and value is None:
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
    given = {name: value for name, value in parsed.items() if value is not MODEL_DEFAULT}
    try:
        return train_spec(**given), {}
    except SpecError as exc:
        return None, {"form": str(exc)}


def command_line(values: Mapping[str, str]) -> str:
    """`cnnlab train ...` with the options that differ from the defaults."""
    parts = ["cnnlab", "train"]
    for field in FIELDS:
        text = values.get(field.name, field.default).strip()
        if field.name == "patience" and text in ("none", "off"):
            parts += [field.flag, "-1"]
        elif field.name in ("model", "data") or (text and text != field.default):
            parts += [field.flag, text]
    return shlex.join(parts)
