"""Job specifications: what the user asked for, validated before it is queued.

A spec is stored whole in the experiment row, so a job process, a resume or a clone rebuilds
exactly the same run from it; validation happens here, at submit time, so that a typo costs a
one-line error instead of a queued job that fails later.
"""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from cnnlab.errors import CnnlabError

OPTIMIZERS = ("adam", "sgd", "rmsprop")
MONITORS = ("val_accuracy", "val_loss", "accuracy", "loss")


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

    def __post_init__(self) -> None:
        if not self.model:
            raise SpecError("A model name is required (see `cnnlab models`).")
        if not self.data:
            raise SpecError("A dataset path is required (--data).")
        _positive_int(self.epochs, "epochs")
        _positive_int(self.batch, "batch")
        if not isinstance(self.lr, int | float) or not self.lr > 0:
            raise SpecError(f"The learning rate must be a positive number, got {self.lr!r}.")
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
            raise SpecError(f"Patience must be 0 or more epochs, got {self.patience!r}.")
        if self.val_split is not None and not 0 < self.val_split < 1:
            raise SpecError(
                f"The validation split must be a fraction between 0 and 1, got {self.val_split!r}."
            )
        if self.input is not None:
            _positive_int(self.input, "input size")
        if not isinstance(self.width, int | float) or not self.width > 0:
            raise SpecError(f"The width multiplier must be positive, got {self.width!r}.")

    @property
    def mode(self) -> str:
        """Whether the monitored metric should go up or down."""
        return "min" if self.monitor.endswith("loss") else "max"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **dataclasses.asdict(self)}


def _positive_int(value: object, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SpecError(f"The {what} must be a positive whole number, got {value!r}.")


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
    "train": ("cnnlab.engine.spec:TrainSpec", "cnnlab.engine.train:run_train"),
    "convert": ("cnnlab.engine.convert_spec:ConvertSpec", "cnnlab.engine.convert:run_convert"),
    "import": ("cnnlab.engine.convert_spec:ImportSpec", "cnnlab.engine.importing:run_import"),
    "transfer": ("cnnlab.engine.transfer:TransferSpec", "cnnlab.engine.transfer:run_transfer"),
    "bench": ("cnnlab.engine.bench:BenchSpec", "cnnlab.engine.bench:run_bench"),
}


def load_attribute(reference: str) -> Any:
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


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
