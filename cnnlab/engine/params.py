"""Job parameters declared once: name, type, choices, help, label, and what "off" is typed as.

Before this, a training parameter lived three times (the `TrainSpec` field, the click option,
the TUI form field) and the copies disagreed: the CLI offered two monitors and the form four,
the form had its own ranges for the seed and the momentum. Now the spec class holds each
parameter's default and its rules (`__post_init__`), this module holds how it is asked for, and
everything else derives from the two: `cnnlab.cli.params` makes the click options, the TUI's
forms show the same `Param`s, and `command_line` writes the equivalent `cnnlab ...` call. A
test walks every parameter of every kind and proves that the option, the field and the spec agree.

Text typed in a form becomes a value here (`parse_text`), so the CLI and the form read "-1"
as "no early stopping" the same way; whether a value is allowed is only the spec's to say.
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from cnnlab.delegates import DELEGATES
from cnnlab.engine.kinds.bench.spec import BenchSpec
from cnnlab.engine.kinds.convert.spec import OPTIMIZATIONS, ConvertSpec
from cnnlab.engine.kinds.importing.spec import ImportSpec
from cnnlab.engine.kinds.transfer.spec import TransferSpec
from cnnlab.engine.spec import MONITORS, OPTIMIZERS, ZOO_DEFAULTED, SpecError, TrainSpec


@dataclass(frozen=True)
class Param:
    """One parameter of a job kind, as a user gives it (on the command line or in a form)."""

    name: str  # the spec field it sets
    type: type  # int, float, str or bool
    help: str
    label: str = ""  # the form's label; empty: the parameter is not on the form
    choices: tuple[str, ...] = ()
    short: str = ""  # a one-letter alias such as -m
    required: bool = False
    off: int | None = None  # the number typed for "none" (-1 patience, 0 batches); None: none
    placeholder: str = ""  # the form's hint for an empty field

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def zoo_default(self) -> bool:
        """Left out, the model's own training default applies (`cnnlab models show NAME`)."""
        return self.name in ZOO_DEFAULTED


def spec_default(spec_class: type, param: Param) -> Any:
    """The spec's own default for `param` (the one place defaults live); None if required."""
    for spec_field in dataclasses.fields(spec_class):
        if spec_field.name == param.name:
            if spec_field.default is not dataclasses.MISSING:
                return spec_field.default
            return None
    raise KeyError(f"{spec_class.__name__} has no field {param.name!r}")


MODEL_AND_DATA: tuple[Param, ...] = (
    Param(
        "model",
        str,
        "Model: a zoo or lab name (`cnnlab models`), path/to/file.py:function or "
        "path/to/model.keras.",
        label="Model",
        short="-m",
        required=True,
    ),
    Param(
        "data",
        str,
        "Dataset: a Fruits360-layout folder, a folder of class folders, or CIFAR100"
        " (PATH#regroup=...;per_class=N to regroup classes).",
        label="Dataset",
        short="-d",
        required=True,
        placeholder="folder of class folders, or Training/+Test/",
    ),
    Param(
        "weights",
        str,
        "Start from these weights: a weights file, or `keep` for a .keras model file's own "
        "(default: freshly initialised).",
    ),
)
# The parameters `train` and `transfer` share (a transfer's model is its parent's, and its data
# is optional, the parent's by default).
SHARED_TRAINING_PARAMS: tuple[Param, ...] = (
    Param("epochs", int, "Epochs at most (early stopping may end sooner).", label="Epochs"),
    Param("batch", int, "Batch size (default: the model's).", label="Batch"),
    Param("lr", float, "Learning rate (default: the model's).", label="Learn. rate"),
    Param("optimizer", str, "Optimizer.", label="Optimizer", choices=OPTIMIZERS),
    Param(
        "patience",
        int,
        "Early-stopping patience in epochs (-1: no early stopping; default: the model's).",
        label="Patience",
        off=-1,
    ),
    Param("monitor", str, "Metric early stopping watches.", label="Monitor", choices=MONITORS),
    Param(
        "val_split",
        float,
        "Fraction held out for validation when the data has no test split.",
        label="Val. split",
        placeholder="only without a test split",
    ),
    Param(
        "input",
        int,
        "Input size in pixels (default: the model's, or the parent's).",
        label="Input size",
        placeholder="model default",
    ),
    Param("width", float, "Width multiplier.", label="Width"),
    Param(
        "bn_momentum",
        float,
        "BatchNormalization momentum from scratch (default: the model's).",
        label="BN momentum",
    ),
    Param(
        "bn_recalibration",
        int,
        "Training batches BN statistics are recomputed from before each validation "
        "(0: off; default: the model's).",
        label="BN recalib.",
        off=0,
    ),
    Param("seed", int, "Random seed (repeats use seed, seed+1, ...).", label="Seed"),
    Param(
        "name", str, "A name to find the run by.", label="Name", placeholder="to find the run by"
    ),
    Param("mixed_precision", bool, "Train in mixed float16 (GPUs)."),
    Param("xla", bool, "Compile the training step with XLA."),
)
TRAINING_PARAMS = MODEL_AND_DATA + SHARED_TRAINING_PARAMS
# A transfer's own parameters: its model is its parent's, its data the parent's unless given.
TRANSFER_OWN_PARAMS: tuple[Param, ...] = (
    Param(
        "freeze",
        str,
        "What stays fixed: first:N (convolution blocks), layers:A,B or upto:NAME.",
    ),
    Param(
        "replace_head",
        bool,
        "Replace the output layer with a new softmax for the data's classes.",
    ),
    Param("drop_last", int, "Layers --replace-head takes off the top before its new softmax."),
    Param("data", str, "Dataset (default: the parent's).", short="-d"),
)
TRANSFER_PARAMS = TRANSFER_OWN_PARAMS + SHARED_TRAINING_PARAMS
# An import's options (the file itself is its argument).
IMPORT_PARAMS: tuple[Param, ...] = (
    Param("data", str, "Dataset to convert, calibrate and evaluate it with."),
    Param("name", str, "A name to find it by (default: the file name)."),
)

# A benchmark's options (its target and devices are arguments: one spec per model and device).
BENCH_PARAMS: tuple[Param, ...] = (
    Param("runs", int, "Timed runs (samples).", label="Runs", placeholder="timed runs (samples)"),
    Param("warmup", int, "Discarded runs first.", label="Warm-up", placeholder="discarded first"),
    Param(
        "threads", int, "Interpreter threads.", label="Threads", placeholder="interpreter default"
    ),
    Param("delegate", str, "Where the model runs.", label="Delegate", choices=DELEGATES),
    Param(
        "cpu_mask",
        str,
        "Pin to these cores (hex, e.g. f0; phones).",
        label="CPU mask",
        placeholder="hex, e.g. f0 (phones)",
    ),
    Param(
        "require_full_delegation",
        bool,
        "Fail unless the tool says the whole graph ran on the delegate (phones).",
        label="require full delegation (phones)",
    ),
    Param(
        "cold",
        bool,
        "Each sample a fresh process, model loading included (as paper 001).",
        label="cold: each sample a fresh process, loading included",
    ),
    Param(
        "allow_busy",
        bool,
        "Run a host bench while other jobs load the CPUs, marked busy (default: wait for quiet).",
        label="allow a busy host (host)",
    ),
    Param(
        "profile_ops",
        bool,
        "Also time every operator, mapped to its Keras layer (phones; its own invocation).",
        label="profile ops: time per layer (phones)",
    ),
)

# A conversion's options (its experiment is an argument; `--mode` takes several modes, one job
# each, so it is the command's and the form's own).
CONVERT_PARAMS: tuple[Param, ...] = (
    Param(
        "optimize",
        str,
        "Paper 001's optimisation choice (quantizing modes only; default: default).",
        label="Optimize",
        choices=OPTIMIZATIONS,
    ),
    Param(
        "calibration",
        int,
        "Training images that calibrate int8 quantization.",
        label="Calibration",
        placeholder="images (int8)",
    ),
    Param(
        "int8_io", bool, "int8 input and output tensors (int8 mode).", label="int8 input and output"
    ),
    Param(
        "select_tf_ops",
        bool,
        "Let ops without a TFLite kernel run as Flex.",
        label="select TF ops (Flex) for ops without a TFLite kernel",
    ),
    Param(
        "float_fallback",
        bool,
        "Keep ops with no int8 kernel in float.",
        label="float fallback for ops without an int8 kernel",
    ),
    Param(
        "data",
        str,
        "Dataset to calibrate and evaluate on (default: its own).",
        label="Data",
        placeholder="the experiment's own dataset",
    ),
    Param(
        "name",
        str,
        "A name to find the jobs by.",
        label="Name",
        placeholder="default: model and mode",
    ),
)

PARAMS = {
    "train": TRAINING_PARAMS,
    "transfer": TRANSFER_PARAMS,
    "import": IMPORT_PARAMS,
    "bench": BENCH_PARAMS,
    "convert": CONVERT_PARAMS,
}
SPEC_CLASSES: dict[str, type] = {
    "train": TrainSpec,
    "transfer": TransferSpec,
    "import": ImportSpec,
    "bench": BenchSpec,
    "convert": ConvertSpec,
}


class ModelDefault:
    """A value left out: the model's training default applies."""

    def __repr__(self) -> str:
        return "MODEL_DEFAULT"


MODEL_DEFAULT = ModelDefault()


def from_option(param: Param, value: Any) -> Any:
    """A click option's value as the spec's: the "off" number is None; an option left out of a
    zoo-defaulted parameter is MODEL_DEFAULT (the submission leaves it out)."""
    if value is None and param.zoo_default:
        return MODEL_DEFAULT
    if param.off is not None and value == param.off:
        return None
    return value


def given(values: Mapping[str, Any]) -> dict[str, Any]:
    """The values a submission passes on: those left to the model's default are left out."""
    return {name: value for name, value in values.items() if value is not MODEL_DEFAULT}


def spec_values(params: tuple[Param, ...], options: Mapping[str, Any]) -> dict[str, Any]:
    """Spec keyword arguments from parsed option values (MODEL_DEFAULT ones left out)."""
    return given({p.name: from_option(p, options[p.name]) for p in params if p.name in options})


def parse_text(spec_class: type, param: Param, text: str | bool) -> Any:
    """What a form field's text means: a value of the parameter's type, None, or MODEL_DEFAULT.

    Empty is what leaving the option out means: the model's default, or the spec's. Only the
    type is checked here; whether the value is allowed is the spec's to say. A checkbox gives
    its bool as it is.
    """
    if isinstance(text, bool):
        return text
    text = text.strip()
    what = param.label or param.name
    if not text:
        if param.zoo_default:
            return MODEL_DEFAULT
        if param.required:
            raise SpecError(f"{what} is required.")
        return spec_default(spec_class, param)
    if param.choices and text not in param.choices:
        raise SpecError(f"Choose one of {', '.join(param.choices)}.")
    value: Any = text
    if param.type is int:
        try:
            value = int(text)
        except ValueError:
            raise SpecError(f"{what} must be a whole number.") from None
    elif param.type is float:
        try:
            value = float(text)
        except ValueError:
            raise SpecError(f"{what} must be a number such as 0.9.") from None
    elif param.type is bool:
        value = text.lower() in ("1", "yes", "true", "on")
    if param.off is not None and value == param.off:
        return None
    return value


def to_text(param: Param, value: Any) -> str:
    """A spec value as form text (the inverse of `parse_text`)."""
    if value is None:
        return "" if param.off is None else str(param.off)
    if param.type is bool:
        return "yes" if value else "no"
    return str(value)


def option_texts(params: tuple[Param, ...], values: Mapping[str, Any]) -> dict[str, str | bool]:
    """Parsed values back as form text (bools as they are), for `command_line`."""
    return {
        p.name: values[p.name] if p.type is bool else to_text(p, values[p.name])
        for p in params
        if p.name in values
    }


def default_text(spec_class: type, param: Param) -> str:
    """The form text of a parameter nobody has touched."""
    if param.zoo_default or param.required:
        return ""
    default = spec_default(spec_class, param)
    return "" if default is None else to_text(param, default)


def command_line(
    leading: Sequence[str],
    params: tuple[Param, ...],
    spec_class: type,
    values: Mapping[str, str | bool],
) -> str:
    """`cnnlab LEADING... --option value ...` for form text: the leading words (the command and
    its arguments), the required parameters, then those that differ from their defaults."""
    parts = ["cnnlab", *leading]
    for param in params:
        given = values.get(param.name, "")
        if param.type is bool:
            if given is True or (isinstance(given, str) and parse_text(spec_class, param, given)):
                parts.append(param.flag)
            continue
        text = str(given).strip()
        if text in ("none", "off") and param.off is not None:
            text = str(param.off)
        if param.required or (text and text != default_text(spec_class, param)):
            parts += [param.flag, text]
    return shlex.join(parts)


Validator = Callable[[dict[str, Any]], Any]


def field_errors(
    params: tuple[Param, ...],
    spec_class: type,
    values: Mapping[str, str | bool],
    build: Validator,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Each field's problem, by name, for form text; and the parsed values.

    A field's range is checked by building a spec that differs from a valid one only in that
    field (`build` raises SpecError), so each message belongs to its field and the rules stay
    the spec's alone.
    """
    parsed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for param in params:
        try:
            parsed[param.name] = parse_text(spec_class, param, values.get(param.name, ""))
        except SpecError as exc:
            errors[param.name] = str(exc)
    base = {p.name: parsed[p.name] for p in params if p.required and p.name in parsed}
    if len(base) < sum(p.required for p in params):
        return parsed, errors  # a required field is missing: nothing to check the others with
    try:
        build(base)
    except SpecError as exc:  # the required ones alone are wrong (an unknown model)
        errors[next((p.name for p in params if p.required), "form")] = str(exc)
        return parsed, errors
    for param in params:
        if param.name in errors or param.required:
            continue
        value = parsed[param.name]
        if value is MODEL_DEFAULT:
            continue
        try:
            build({**base, param.name: value})
        except SpecError as exc:
            errors[param.name] = str(exc)
    return parsed, errors


@dataclass(frozen=True)
class Request:
    """What a form asks the engine for: the command's leading words and the options, parsed;
    `command_line` is the equivalent `cnnlab ...` call (one per kind: `params`, `spec_class`)."""

    params: ClassVar[tuple[Param, ...]] = ()
    spec_class: ClassVar[type] = object

    values: tuple[tuple[str, Any], ...]  # the options, parsed

    def options(self) -> dict[str, Any]:
        return dict(self.values)

    def leading(self) -> list[str]:
        raise NotImplementedError

    def command_line(self) -> str:
        text = option_texts(self.params, self.options())
        return command_line(self.leading(), self.params, self.spec_class, text)
