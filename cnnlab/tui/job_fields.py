"""The training form's fields, made from the engine's parameter declarations: the text of each
field, its message when wrong, the `TrainSpec` it builds and the equivalent `cnnlab train`.

Every rule is the spec's (`TrainSpec.__post_init__`) and every label, choice and hint the
parameter's (`cnnlab.engine.params`); this module only says which parameters the form shows and
reads the dataset check, which the form runs in a worker. Separate from the screen so it is
tested without a terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cnnlab.data import DatasetError
from cnnlab.engine.params import (
    TRAINING_PARAMS,
    Param,
    default_text,
    field_errors,
    given,
    to_text,
)
from cnnlab.engine.params import command_line as params_command_line
from cnnlab.engine.plan import plan_train, with_model_source
from cnnlab.engine.spec import SpecError, TrainSpec, train_spec
from cnnlab.errors import CnnlabError
from cnnlab.model_refs import is_custom_reference
from cnnlab.models import MODEL_NAMES
from cnnlab.models.custom import ModelSource

# The form shows the parameters that have a label; the model is picked from the zoo and the
# lab's names (`model_choices`).
FIELDS: tuple[Param, ...] = tuple(p for p in TRAINING_PARAMS if p.label)
CHOICES: dict[str, tuple[str, ...]] = {
    "model": MODEL_NAMES,
    **{p.name: p.choices for p in FIELDS if p.choices},
}


def initial_text(param: Param) -> str:
    """A fresh form's text for `param` (the first zoo model for the model picker)."""
    if param.name == "model":
        return MODEL_NAMES[0]
    return default_text(TrainSpec, param)


def values_from_spec(spec: Mapping[str, Any]) -> dict[str, str]:
    """Form text for each field from a stored spec (clone with edits)."""
    values = {p.name: initial_text(p) for p in FIELDS}
    for param in FIELDS:
        if param.name in spec:
            values[param.name] = to_text(param, spec[param.name])
    source = spec.get("model_source")
    if source and is_custom_reference(str(spec.get("model", ""))):
        # the file as recorded, absolute: the text typed may have been relative to a folder
        # the TUI does not run in
        values["model"] = ModelSource.from_json(source).reference
    return values


def model_choices(lab_models: Mapping[str, str], current: str = "") -> tuple[str, ...]:
    """The model picker's names: the zoo's, the lab's (cnnlab.toml [models]), and a cloned
    run's own model (a file reference) when it is neither."""
    names = (*MODEL_NAMES, *(name for name in lab_models if name not in MODEL_NAMES))
    return names if not current or current in names else (*names, current)


def _builder(lab_models: Mapping[str, str]) -> Callable[[dict[str, Any]], TrainSpec]:
    def build(values: dict[str, Any]) -> TrainSpec:
        try:  # a custom model's file is found and hashed here; it is built only at submit
            values = with_model_source(given(values), lab_models)
        except SpecError:
            raise
        except CnnlabError as exc:
            raise SpecError(str(exc)) from None
        return train_spec(**values)

    return build


def parse_fields(
    values: Mapping[str, str], lab_models: Mapping[str, str] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Parsed values and, per field, the spec's message of what is wrong with it."""
    return field_errors(FIELDS, TrainSpec, values, _builder(lab_models or {}))


def build_spec(
    values: Mapping[str, str], lab_models: Mapping[str, str] | None = None
) -> tuple[TrainSpec | None, dict[str, str]]:
    """The spec the form queues, planned as `cnnlab train` plans it, or errors by field."""
    parsed, errors = parse_fields(values, lab_models)
    if errors:
        return None, errors
    try:
        return plan_train(lab_models=lab_models, **given(parsed)), {}
    except DatasetError as exc:
        return None, {"data": str(exc)}
    except CnnlabError as exc:
        return None, {"form": str(exc)}


def command_line(values: Mapping[str, str]) -> str:
    """`cnnlab train ...` with the options that differ from the defaults."""
    return params_command_line(["train"], FIELDS, TrainSpec, values)
