"""Spotting a run that learns nothing usable, from its accuracies alone: validation at chance.

Why: on small data, keras.applications' MobileNets and EfficientNet reached 95-98% training
accuracy while validation accuracy stayed at exactly chance (0.100 for 10 classes), and early
stopping with `restore_best_weights` ended them `done` with the weights of epoch 1, a plain
success in `ls`. Nothing else notices: every loss is finite and the training curve looks fine.
The commonest cause is BatchNormalization: training normalises with each batch's statistics,
inference with moving averages that, with few steps per epoch and a momentum made for big data
(0.99, 0.999), still hold their initial values, so every validation image lands in one class.

`ChanceWatch` is fed each epoch's `accuracy` and `val_accuracy` (pure Python: the Keras
callback feeds it, tests feed it lists) and says when a warning starts and when it stops
holding. Two warnings, each given at most once per run:

- `stuck_at_chance`: for `STUCK_EPOCHS` consecutive epochs training accuracy is at least
  `chance + TRAIN_MARGIN` while validation accuracy is at most `chance + band`;
- `not_learning`: for `NOT_LEARNING_EPOCHS` consecutive epochs training accuracy itself is at
  most `chance + band`: the model does not learn at all (learning rate, initialisation, labels).

A run that ends sooner (early stopping with a patience under `STUCK_EPOCHS`, few epochs) is
judged on its whole history when it ends (`finish`): `stuck_at_chance` if no epoch's validation
accuracy ever left chance and its last epoch's training accuracy clearly did. That describes the
result, whatever the epoch count, so it cannot be a false alarm about a slow start.

Thresholds, chosen so that a warning is never a false alarm on a healthy curve:

- `TRAIN_MARGIN = 0.25`: training accuracy a quarter of all images above guessing (35% for 10
  classes, 75% for 2, 26% for 100). The noise of an accuracy over even 100 images is at most
  0.05 (sqrt(p(1-p)/n)), so no model at chance gets there by luck, and the margin stays at least
  0.20 above the validation ceiling.
- `band = chance / 2`, clamped to [`BAND_MIN`, `BAND_MAX`] = [0.02, 0.05]: at most 5 points
  (a model that really learned 35%+ on 10 classes is past 15% on validation within an epoch or
  two), half of chance for many classes (100 classes: 3%, not 6%, counts as chance), at least 2
  points so that a small validation set's noise stays inside (a stuck model that predicts one
  class scores that class's share of the validation images). There is no lower bound: below
  chance is just as stuck.
- `STUCK_EPOCHS = 3`: the first epoch or two may lag while moving statistics warm up (100 steps
  for momentum 0.99); three epochs of 35%+ training with validation at chance do not happen in a
  healthy run (the same small network with momentum 0.9 instead of 0.9999 is at 58% validation
  by its second epoch, tests/engine/kinds/train/test_chance_training.py).
- `NOT_LEARNING_EPOCHS = 5`: networks trained from scratch can sit at chance for two or three
  epochs before their loss first drops; five is not a slow start.

A warning stops holding when its condition is plainly broken: validation accuracy above the
band (the moving statistics caught up) for `stuck_at_chance`, training accuracy above it for
`not_learning`. The event stays in the timeline; the run's `warning` summary is cleared.

What the run does about it: the watch never stops a run, and it does not hold early stopping
back either. The first cause above cures itself as the moving averages catch up, so ending the
run at the warning would kill runs that recover; early stopping's patience already bounds what
a run that stays stuck costs (validation accuracy at chance never improves, so it stops
`patience` epochs in). What a stuck run must not do is end as a plain success: its `done`
message and its `warning` say that validation stayed at chance, and restoring the "best"
weights is skipped when the best epoch's validation accuracy was at chance too: that epoch
(usually epoch 1) is no better on validation than the last and far worse trained, so the last
epoch's weights are kept (the ones that work once the moving statistics are right).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

STUCK_AT_CHANCE = "stuck_at_chance"
NOT_LEARNING = "not_learning"
WARNING_EVENTS = (STUCK_AT_CHANCE, NOT_LEARNING)

STUCK_EPOCHS = 3
NOT_LEARNING_EPOCHS = 5
TRAIN_MARGIN = 0.25
BAND_MIN = 0.02
BAND_MAX = 0.05


def chance_level(classes: int) -> float:
    """The accuracy of guessing: 1 / classes."""
    return 1.0 / classes


def band(classes: int) -> float:
    """How far above chance an accuracy may be and still count as chance."""
    return min(BAND_MAX, max(BAND_MIN, chance_level(classes) / 2))


def at_chance(value: float, classes: int) -> bool:
    return value <= chance_level(classes) + band(classes)


def clearly_learned(value: float, classes: int) -> bool:
    return value >= chance_level(classes) + TRAIN_MARGIN


@dataclass(frozen=True)
class EpochAccuracy:
    """One epoch's training and validation accuracy (None when the fit did not report it)."""

    epoch: int
    accuracy: float | None
    val_accuracy: float | None

    @classmethod
    def from_metrics(cls, epoch: int, metrics: Mapping[str, float]) -> EpochAccuracy:
        return cls(epoch, metrics.get("accuracy"), metrics.get("val_accuracy"))


@dataclass(frozen=True)
class ChanceWarning:
    """A warning: its event kind, its one sentence, the numbers behind it."""

    kind: str
    sentence: str
    data: dict[str, Any]

    def ending(self) -> str:
        """What the `done` message adds for a run that ends with this warning standing."""
        chance = self.data["chance"]
        classes = self.data["classes"]
        if self.kind == STUCK_AT_CHANCE:
            return (
                f", but validation accuracy stayed at chance ({chance:.3f} for {classes} "
                f"classes) while training accuracy reached {self.data['accuracy']:.1%}; "
                f"see the {self.kind} event"
            )
        return (
            f", but training accuracy stayed at chance ({chance:.3f} for {classes} classes): "
            f"the model did not learn; see the {self.kind} event"
        )


def check(
    classes: int, epochs: Iterable[EpochAccuracy], *, lr: float | None = None
) -> ChanceWarning | None:
    """The warning the latest epochs of `epochs` call for, if any (stateless: it may name the
    same warning epoch after epoch; `ChanceWatch` gives each once)."""
    history = list(epochs)
    if classes < 2:
        return None
    stuck = history[-STUCK_EPOCHS:]
    if len(stuck) == STUCK_EPOCHS and all(
        e.accuracy is not None
        and e.val_accuracy is not None
        and clearly_learned(e.accuracy, classes)
        and at_chance(e.val_accuracy, classes)
        for e in stuck
    ):
        return _stuck(classes, stuck, lr)
    still = history[-NOT_LEARNING_EPOCHS:]
    if len(still) == NOT_LEARNING_EPOCHS and all(
        e.accuracy is not None and at_chance(e.accuracy, classes) for e in still
    ):
        return _not_learning(classes, still, lr)
    return None


def _data(classes: int, window: list[EpochAccuracy]) -> dict[str, Any]:
    return {
        "classes": classes,
        "chance": chance_level(classes),
        "band": band(classes),
        "first_epoch": window[0].epoch,
        "last_epoch": window[-1].epoch,
        "accuracies": [e.accuracy for e in window],
        "val_accuracies": [e.val_accuracy for e in window],
    }


def _lr(lr: float | None) -> str:
    return "" if lr is None else f" (now {lr:g})"


def _stuck(classes: int, window: list[EpochAccuracy], lr: float | None) -> ChanceWarning:
    reached = max(e.accuracy or 0.0 for e in window)
    data = {**_data(classes, window), "accuracy": reached, "train_margin": TRAIN_MARGIN}
    sentence = (
        f"Training accuracy rose to {reached:.1%} while validation accuracy stayed at chance "
        f"({chance_level(classes):.3f} for {classes} classes) in epochs "
        f"{window[0].epoch}-{window[-1].epoch}: likely BatchNormalization moving statistics "
        "lagging behind the weights with few steps per epoch (try --bn-recalibration 50, "
        "which recomputes them before each validation, or --bn-momentum 0.9, or more data), a "
        "difference between training and inference "
        f"(dropout, preprocessing), or a learning rate too high{_lr(lr)}."
    )
    return ChanceWarning(STUCK_AT_CHANCE, sentence, data)


def _not_learning(classes: int, window: list[EpochAccuracy], lr: float | None) -> ChanceWarning:
    data = {**_data(classes, window), "accuracy": max(e.accuracy or 0.0 for e in window)}
    sentence = (
        f"Training accuracy stayed at chance ({chance_level(classes):.3f} for {classes} classes) "
        f"in epochs {window[0].epoch}-{window[-1].epoch}: the model is not learning at all; "
        f"try another learning rate{_lr(lr)}, 10x lower first, check the initialisation "
        "(pretrained weights, frozen layers) and that the labels match the images."
    )
    return ChanceWarning(NOT_LEARNING, sentence, data)


@dataclass(frozen=True)
class Change:
    """What one epoch changed: a warning given (`started`) or one that no longer holds."""

    warning: ChanceWarning
    started: bool
    epoch: int
    value: float | None = None  # for a cleared warning, the accuracy that broke it

    def sentence(self) -> str:
        if self.started:
            return self.warning.sentence
        which = "Validation" if self.warning.kind == STUCK_AT_CHANCE else "Training"
        shown = "" if self.value is None else f" ({self.value:.3f})"
        return (
            f"{which} accuracy left chance at epoch {self.epoch}{shown}: the "
            f"{self.warning.kind} warning from epoch {self.warning.data['last_epoch']} no "
            "longer holds."
        )


@dataclass
class ChanceWatch:
    """Feeds `check` one epoch at a time; each warning is given once per run, and the one that
    still holds (`standing`) is what the run's summary and its `done` message carry."""

    classes: int
    history: list[EpochAccuracy] = field(default_factory=list)
    given: set[str] = field(default_factory=set)
    standing: ChanceWarning | None = None

    def replay(self, epochs: Iterable[EpochAccuracy]) -> None:
        """Catch up silently on the epochs of an earlier part of the run (a resume), so that it
        warns exactly when an uninterrupted run would, and never twice."""
        for epoch in epochs:
            self.add(epoch)

    def add(self, epoch: EpochAccuracy, *, lr: float | None = None) -> Change | None:
        """Record one epoch; returns the change it brought, if any."""
        self.history.append(epoch)
        standing = self.standing
        if standing is not None:
            value = epoch.val_accuracy if standing.kind == STUCK_AT_CHANCE else epoch.accuracy
            if value is not None and not at_chance(value, self.classes):
                self.standing = None
                return Change(standing, False, epoch.epoch, value)
        found = check(self.classes, self.history[-max(STUCK_EPOCHS, NOT_LEARNING_EPOCHS) :], lr=lr)
        if found is None or found.kind in self.given:
            return None
        self.given.add(found.kind)
        self.standing = found
        return Change(found, True, epoch.epoch)

    def finish(self, *, lr: float | None = None) -> Change | None:
        """At the run's last epoch: warn about a run too short for `add` to have warned, whose
        validation accuracy never left chance while its training accuracy ended clearly above."""
        if STUCK_AT_CHANCE in self.given or self.standing is not None or not self.history:
            return None
        last = self.history[-1]
        if last.accuracy is None or not clearly_learned(last.accuracy, self.classes):
            return None
        if not all(
            e.val_accuracy is not None and at_chance(e.val_accuracy, self.classes)
            for e in self.history
        ):
            return None
        found = _stuck(self.classes, self.history, lr)
        self.given.add(found.kind)
        self.standing = found
        return Change(found, True, last.epoch)

    def at_chance_in(self, epoch: int) -> bool:
        """Whether epoch `epoch` (1-based) is known to have had validation accuracy at chance."""
        for seen in self.history:
            if seen.epoch == epoch and seen.val_accuracy is not None:
                return at_chance(seen.val_accuracy, self.classes)
        return False
