"""Job specifications: what the user asked for, validated before it is queued.

A spec is stored whole in the experiment row, so a job process, a resume or a clone rebuilds
exactly the same run from it; validation happens here, at submit time, so that a typo costs a
one-line error instead of a queued job that fails later. Every number has a range: click and
Python's float() accept `inf`, `nan` and 10**30, which would otherwise end as a NaN loss marked
`done` or a Python exception in the job. The CLI and the TUI both build specs, so a rule here
covers both.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from cnnlab.errors import CnnlabError

OPTIMIZERS = ("adam", "sgd", "rmsprop")
MONITORS = ("val_accuracy", "val_loss", "accuracy", "loss")

# The ranges a submitted training accepts. Generous on purpose (nobody trains 100,000 epochs, but
# a long schedule with early stopping may ask for it); outside them a run cannot be meant.
MAX_EPOCHS = 100_000
MAX_BATCH = 65_536
MAX_PATIENCE = MAX_EPOCHS
MAX_LR = 10.0  # 1e-4..1e-1 is usual; 10 still leaves room for SGD on normalised networks
MAX_WIDTH = 4.0  # 4x the filters is 16x the parameters of the zoo's models
MIN_INPUT = 8  # a floor for imported parents; zoo models have their own minimum (28 to 35 px)
MAX_INPUT = 1024  # past EfficientNet-B7's 600 px; one 1024 px float image is 12.6 MB
MAX_SEED = 2**32 - 1  # NumPy's and tf.data's seeds are unsigned 32-bit numbers
KEEP_WEIGHTS = "keep"  # --weights keep: a .keras model file's own weights, not fresh ones


class SpecError(CnnlabError):
    """A job specification with a missing or impossible value."""


@dataclass(frozen=True)
class TrainSpec:
    """Train one model from scratch on one dataset, with early stopping."""

    kind: ClassVar[str] = "train"

    model: str
    data: str
    epochs: int = 50
    batch: int = 32
    lr: float = 1e-3
    optimizer: str = "adam"
    patience: int | None = 5
    monitor: str = "val_accuracy"
    val_split: float | None = None
    input: int | None = None
    width: float = 1.0
    seed: int = 1
    name: str = ""
    restore_best_weights: bool = True
    mixed_precision: bool = False
    xla: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    # BatchNormalization momentum when building from scratch; None: the architecture's own.
    bn_momentum: float | None = None
    # Training batches that BN statistics are recomputed from before each validation
    # (cnnlab.engine.kinds.train.batchnorm); None: validate with the moving averages as they are.
    bn_recalibration: int | None = None
    # A custom architecture's file (`cnnlab.models.custom.ModelSource.to_json()`), filled in at
    # submit time; the run folder keeps a copy with these bytes. None: `model` is the zoo's.
    model_source: dict[str, Any] | None = None
    # A weights file to start from, or "keep" for a .keras model file's own weights.
    weights: str | None = None

    def __post_init__(self) -> None:
        if not self.model:
            raise SpecError("A model name is required (see `cnnlab models`).")
        if not self.data:
            raise SpecError("A dataset path is required (--data).")
        _positive_int(self.epochs, "epochs", MAX_EPOCHS)
        _positive_int(self.batch, "batch", MAX_BATCH)
        _finite(self.lr, "The learning rate")
        if not self.lr > 0:
            raise SpecError(f"The learning rate must be a positive number, got {self.lr!r}.")
        if self.lr > MAX_LR:
            raise SpecError(
                f"The learning rate must be at most {MAX_LR:g}, got {self.lr!r}; "
                "1e-4 to 1e-1 is usual."
            )
        if self.optimizer not in OPTIMIZERS:
            raise SpecError(
                f"Unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}."
            )
        if self.monitor not in MONITORS:
            raise SpecError(
                f"Cannot monitor {self.monitor!r}; choose one of {', '.join(MONITORS)}."
            )
        if self.patience is not None and (
            isinstance(self.patience, bool)
            or not isinstance(self.patience, int)
            or self.patience < 0
        ):
            raise SpecError(
                f"Patience must be 0 or more epochs (-1: no early stopping), got {self.patience!r}."
            )
        if self.patience is not None and self.patience > MAX_PATIENCE:
            raise SpecError(
                f"Patience must be at most {MAX_PATIENCE:,} epochs, got {self.patience!r}."
            )
        if self.val_split is not None:
            _finite(self.val_split, "The validation split")
            if not 0 < self.val_split < 1:
                raise SpecError(
                    "The validation split must be a fraction between 0 and 1, "
                    f"got {self.val_split!r}."
                )
        if self.input is not None and (
            isinstance(self.input, bool)
            or not isinstance(self.input, int)
            or not MIN_INPUT <= self.input <= MAX_INPUT
        ):
            zoo = self.model_source is None and not _names_a_file(self.model)
            if self.kind == "train" and zoo and type(self.input) is int and self.input < MIN_INPUT:
                self._check_zoo_model()  # the model's own minimum says more than ours
            raise SpecError(
                f"The input size must be a whole number of pixels from {MIN_INPUT} to "
                f"{MAX_INPUT:,}, got {self.input!r}."
            )
        _finite(self.width, "The width multiplier")
        if not self.width > 0:
            raise SpecError(f"The width multiplier must be positive, got {self.width!r}.")
        if self.width > MAX_WIDTH:
            raise SpecError(
                f"The width multiplier must be at most {MAX_WIDTH:g}, got {self.width!r}."
            )
        whole_number(self.seed, "The seed", 0, MAX_SEED)
        if self.bn_recalibration is not None:
            whole_number(self.bn_recalibration, "The BN recalibration batches", 1, 10_000)
        if self.bn_momentum is not None:
            _finite(self.bn_momentum, "The BatchNormalization momentum")
            if not 0 < self.bn_momentum < 1:
                raise SpecError(
                    "The BatchNormalization momentum must be between 0 and 1 (0.9 to 0.999 is "
                    f"usual), got {self.bn_momentum!r}."
                )
        if self.weights == KEEP_WEIGHTS and not (
            (self.model_source or {}).get("kind") == "keras_file" or self.model.endswith(".keras")
        ):
            raise SpecError(
                f"--weights {KEEP_WEIGHTS} keeps a .keras model file's own weights; "
                f"{self.model} is not one (give a weights file, or leave --weights out)."
            )
        if self.model_source is not None:
            self._check_model_source()
        elif self.kind == "train" and not _names_a_file(self.model):
            self._check_zoo_model()

    def _check_model_source(self) -> None:
        from cnnlab.models.custom import ModelSource

        try:
            ModelSource.from_json(self.model_source or {})
        except (KeyError, TypeError, AttributeError):
            raise SpecError(
                f"The model source {self.model_source!r} is not one cnnlab recorded."
            ) from None

    def _check_zoo_model(self) -> None:
        """What the zoo's entry says about this model: its name, input size and width.

        Only a `train` job builds from the zoo; a transfer loads its parent's model, whatever
        it is called. The registry is plain data, so this imports no TensorFlow.
        """
        from cnnlab.models import ModelError, model_spec, resolve_input_shape

        try:
            entry = model_spec(self.model)
            resolve_input_shape(entry, self.input)
        except ModelError as exc:
            raise SpecError(str(exc)) from None
        if self.width != 1.0 and not entry.has_width:
            raise SpecError(
                f"{entry.name} has no width multiplier; leave --width at 1.0 (got {self.width!r})."
            )

    @property
    def mode(self) -> str:
        """Whether the monitored metric should go up or down."""
        return "min" if self.monitor.endswith("loss") else "max"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **dataclasses.asdict(self)}


def _names_a_file(model: str) -> bool:
    from cnnlab.model_refs import is_custom_reference

    return is_custom_reference(model)


def _positive_int(value: object, what: str, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SpecError(f"The {what} must be a positive whole number, got {value!r}.")
    if value > high:
        raise SpecError(f"The {what} must be at most {high:,}, got {value!r}.")


def whole_number(value: object, what: str, low: int, high: int) -> None:
    """Refuse anything but an int in [low, high] (a bool is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{what} must be a whole number, got {value!r}.")
    if value < low:
        raise SpecError(f"{what} must be at least {low:,}, got {value!r}.")
    if value > high:
        raise SpecError(f"{what} must be at most {high:,}, got {value!r}.")


def _finite(value: object, what: str) -> None:
    """Refuse non-numbers, NaN and infinities; the range is the caller's to check."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(f"{what} must be a number, got {value!r}.")
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int too large for a float (a TOML pipeline can write one)
        finite = False
    if not finite:
        raise SpecError(f"{what} must be a finite number, got {value!r:.40}.")


class JobSpec(Protocol):
    """What every job kind's spec offers the engine (each is a frozen dataclass)."""

    kind: ClassVar[str]

    @property
    def name(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


# Each job kind: its spec class and its runner, as "module:attribute" so that looking a kind
# up imports nothing heavy. A runner is `run(spec, job: JobContext) -> JobOutcome` and may import
# TensorFlow inside; the spec module must not.
KINDS: dict[str, tuple[str, str]] = {
    "train": ("cnnlab.engine.spec:TrainSpec", "cnnlab.engine.kinds.train.run:run_train"),
    "convert": (
        "cnnlab.engine.kinds.convert.spec:ConvertSpec",
        "cnnlab.engine.kinds.convert.run:run_convert",
    ),
    "import": (
        "cnnlab.engine.kinds.importing.spec:ImportSpec",
        "cnnlab.engine.kinds.importing.run:run_import",
    ),
    "transfer": (
        "cnnlab.engine.kinds.transfer.spec:TransferSpec",
        "cnnlab.engine.kinds.transfer.run:run_transfer",
    ),
    "bench": (
        "cnnlab.engine.kinds.bench.spec:BenchSpec",
        "cnnlab.engine.kinds.bench.run:run_bench",
    ),
    "fit": ("cnnlab.engine.kinds.fit.spec:FitSpec", "cnnlab.engine.kinds.fit.run:run_fit"),
    "script": (
        "cnnlab.engine.kinds.script.spec:ScriptSpec",
        "cnnlab.engine.kinds.script.run:run_script",
    ),
}


def load_attribute(reference: str) -> Any:
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


# The TrainSpec fields whose value, when a submission leaves them out, is the architecture's own
# training default (`cnnlab.models.defaults`), written into the spec so a rerun is identical.
ZOO_DEFAULTED = ("lr", "batch", "patience", "bn_momentum", "bn_recalibration")


def train_spec(**values: Any) -> TrainSpec:
    """The one way a training request becomes a spec (CLI, TUI form, pipelines, demo): the
    options it leaves out of `ZOO_DEFAULTED` come from the zoo's defaults for its model.

    A model the zoo does not know keeps TrainSpec's own defaults (the spec then refuses it).
    """
    from cnnlab.models import MODEL_NAMES
    from cnnlab.models.defaults import training_defaults

    model = values.get("model")
    if model in MODEL_NAMES:
        defaults = training_defaults(str(model)).to_json()
        values = {**{k: defaults[k] for k in ZOO_DEFAULTED if k not in values}, **values}
    return TrainSpec(**values)


def spec_from_dict(data: dict[str, Any]) -> JobSpec:
    """Rebuild a spec from what the store holds (unknown keys are an error, not ignored)."""
    values = dict(data)
    kind = values.pop("kind", "train")
    try:
        cls = load_attribute(KINDS[kind][0])
    except KeyError:
        raise SpecError(f"Unknown job kind {kind!r}.") from None
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise SpecError(f"Unknown {kind} spec keys: {', '.join(unknown)}.")
    spec: JobSpec = cls(**values)
    return spec
