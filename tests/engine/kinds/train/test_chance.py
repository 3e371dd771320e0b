"""The stuck-at-chance detector on lists of accuracies: when it warns, when it does not, when a
warning stops holding, and that a resumed run never warns twice
(cnnlab.engine.kinds.train.chance)."""

from __future__ import annotations

import pytest

from cnnlab.engine.kinds.train.chance import (
    NOT_LEARNING,
    NOT_LEARNING_EPOCHS,
    STUCK_AT_CHANCE,
    STUCK_EPOCHS,
    ChanceWatch,
    Change,
    EpochAccuracy,
    band,
    check,
)


def epochs(*pairs: tuple[float | None, float | None]) -> list[EpochAccuracy]:
    return [EpochAccuracy(number, a, v) for number, (a, v) in enumerate(pairs, start=1)]


def changes(classes: int, *pairs: tuple[float | None, float | None]) -> list[Change]:
    watch = ChanceWatch(classes)
    return [c for e in epochs(*pairs) if (c := watch.add(e, lr=1e-3)) is not None]


# What keras.applications' MobileNetV2 did on a small 10-class set: training climbs, validation
# stays at exactly 0.100.
STUCK = ((0.31, 0.1), (0.62, 0.1), (0.81, 0.1), (0.95, 0.1), (0.97, 0.1), (0.98, 0.1))


def test_training_that_climbs_while_validation_stays_at_chance_is_warned_once() -> None:
    found = changes(10, *STUCK)
    assert len(found) == 1
    change = found[0]
    assert change.started
    assert change.warning.kind == STUCK_AT_CHANCE
    # Epoch 1 (31%) is not yet clearly learned (35% for 10 classes): epochs 2-4 are the window.
    assert change.epoch == 4
    assert change.warning.data["first_epoch"] == 2
    assert change.warning.data["last_epoch"] == 4
    assert change.warning.data["chance"] == pytest.approx(0.1)
    assert change.warning.data["val_accuracies"] == [0.1, 0.1, 0.1]
    sentence = change.sentence()
    assert "\n" not in sentence
    assert sentence.count(". ") == 0 and sentence.endswith(".")
    assert sentence.startswith(
        "Training accuracy rose to 95.0% while validation accuracy stayed at chance "
        "(0.100 for 10 classes) in epochs 2-4: likely BatchNormalization moving statistics"
    )
    assert "--bn-recalibration 50" in sentence
    assert "dropout, preprocessing" in sentence
    assert sentence.endswith("or a learning rate too high (now 0.001).")
    assert change.warning.ending() == (
        ", but validation accuracy stayed at chance (0.100 for 10 classes) while training "
        "accuracy reached 95.0%; see the stuck_at_chance event"
    )


def test_a_healthy_curve_is_never_warned() -> None:
    healthy = [(0.2 + 0.1 * i, 0.15 + 0.09 * i) for i in range(8)]
    assert changes(10, *healthy) == []
    # Validation lagging training for two epochs is a slow start, not a stuck run.
    assert changes(10, (0.45, 0.1), (0.7, 0.12), (0.8, 0.55), (0.85, 0.6)) == []
    # Overfitting (validation well above chance, far below training) is not this warning.
    assert changes(10, *[(0.9, 0.3)] * 6) == []


def test_a_model_at_chance_in_training_for_its_first_epochs_is_not_warned() -> None:
    assert changes(10, (0.1, 0.1), (0.11, 0.1), (0.4, 0.35), (0.6, 0.5), (0.7, 0.6)) == []
    assert changes(10, (0.1, 0.1), (0.12, 0.1)) == []
    # Four epochs at chance are still a slow start; the fifth makes it "not learning".
    at_chance = [(0.1, 0.1)] * (NOT_LEARNING_EPOCHS - 1)
    assert changes(10, *at_chance) == []


def test_a_model_that_does_not_learn_at_all_gets_its_own_sentence() -> None:
    found = changes(10, *[(0.1, 0.1), (0.09, 0.1), (0.11, 0.1), (0.1, 0.1), (0.12, 0.1)])
    assert [(c.warning.kind, c.epoch, c.started) for c in found] == [(NOT_LEARNING, 5, True)]
    sentence = found[0].sentence()
    assert sentence.startswith(
        "Training accuracy stayed at chance (0.100 for 10 classes) in epochs 1-5: the model is "
        "not learning at all; try another learning rate (now 0.001), 10x lower first"
    )
    assert "initialisation" in sentence
    assert "BatchNormalization" not in sentence
    ending = found[0].warning.ending()
    assert ending.startswith(", but training accuracy stayed at chance (0.100 for 10 classes): ")
    assert ending.endswith("the model did not learn; see the not_learning event")


def test_stuck_needs_consecutive_epochs_and_both_accuracies() -> None:
    assert STUCK_EPOCHS == 3
    # Two stuck epochs, one where validation left chance, two more: never three in a row.
    assert changes(10, (0.6, 0.1), (0.7, 0.1), (0.8, 0.4), (0.85, 0.1), (0.9, 0.1)) == []
    # No validation accuracy (no validation data): nothing to say.
    assert changes(10, *[(0.9, None)] * 5) == []
    assert check(10, epochs(*[(None, 0.1)] * 5)) is None
    # A classifier needs two classes for "chance" to mean anything.
    assert check(1, epochs(*[(0.9, 0.1)] * 5)) is None


def test_below_chance_validation_is_as_stuck() -> None:
    found = changes(10, (0.6, 0.0), (0.8, 0.02), (0.9, 0.0))
    assert [c.warning.kind for c in found] == [STUCK_AT_CHANCE]


@pytest.mark.parametrize(
    ("classes", "stuck_val", "still_learned", "band_value"),
    [
        (2, 0.55, 0.75, 0.05),  # binary: 55% validation is chance, 75% training is learned
        (3, 0.38, 0.59, 0.05),
        (10, 0.15, 0.35, 0.05),
        (20, 0.075, 0.30, 0.025),  # half of chance once that is under 5 points
        (100, 0.03, 0.26, 0.02),  # never under 2 points: small validation sets are noisy
    ],
)
def test_thresholds_scale_with_the_number_of_classes(
    classes: int, stuck_val: float, still_learned: float, band_value: float
) -> None:
    assert band(classes) == pytest.approx(band_value)
    just_stuck = [(still_learned + 0.001, stuck_val - 0.001)] * STUCK_EPOCHS
    assert [c.warning.kind for c in changes(classes, *just_stuck)] == [STUCK_AT_CHANCE]
    not_learned_enough = [(still_learned - 0.01, stuck_val - 0.001)] * STUCK_EPOCHS
    assert changes(classes, *not_learned_enough) == []
    above_chance = [(still_learned + 0.001, stuck_val + 0.01)] * STUCK_EPOCHS
    assert changes(classes, *above_chance) == []


def test_a_warning_stops_holding_when_validation_leaves_chance() -> None:
    watch = ChanceWatch(10)
    for epoch in epochs(*STUCK[:4]):
        watch.add(epoch)
    assert watch.standing is not None
    cleared = watch.add(EpochAccuracy(5, 0.97, 0.62))
    assert cleared is not None
    assert not cleared.started
    assert watch.standing is None
    assert cleared.sentence() == (
        "Validation accuracy left chance at epoch 5 (0.620): the stuck_at_chance warning from "
        "epoch 4 no longer holds."
    )
    # Stuck again later: the event was given once for this run, and is not given again.
    assert [watch.add(EpochAccuracy(n, 0.98, 0.1)) for n in (6, 7, 8, 9)] == [None] * 4


def test_a_not_learning_warning_stops_holding_once_training_learns() -> None:
    watch = ChanceWatch(10)
    for epoch in epochs(*[(0.1, 0.1)] * 5):
        watch.add(epoch)
    assert watch.standing is not None and watch.standing.kind == NOT_LEARNING
    cleared = watch.add(EpochAccuracy(6, 0.4, 0.1))
    assert cleared is not None and not cleared.started
    assert cleared.sentence().startswith("Training accuracy left chance at epoch 6 (0.400)")
    # Training now climbs while validation stays at chance: that is the other warning.
    started = [watch.add(EpochAccuracy(n, 0.8, 0.1)) for n in (7, 8)]
    assert started[0] is None
    assert started[1] is not None and started[1].warning.kind == STUCK_AT_CHANCE


def test_a_resumed_run_warns_as_an_uninterrupted_one_would_and_never_twice() -> None:
    whole = ChanceWatch(10)
    uninterrupted = [whole.add(e) for e in epochs(*STUCK)]
    assert [c is not None for c in uninterrupted] == [False, False, False, True, False, False]

    # Stopped after epoch 2, resumed: the replay is silent and the warning comes at epoch 4.
    resumed = ChanceWatch(10)
    resumed.replay(epochs(*STUCK[:2]))
    later = [resumed.add(e) for e in epochs(*STUCK)[2:]]
    assert [c is not None for c in later] == [False, True, False, False]

    # Stopped after epoch 5, once warned: the resumed part does not warn again, and the
    # warning still stands for its `done` message.
    again = ChanceWatch(10)
    again.replay(epochs(*STUCK[:5]))
    assert again.add(EpochAccuracy(6, 0.98, 0.1)) is None
    assert again.standing is not None and again.standing.kind == STUCK_AT_CHANCE


def test_which_epochs_were_at_chance_on_validation() -> None:
    watch = ChanceWatch(10)
    watch.replay(epochs((0.5, 0.4), (0.8, 0.1)))
    assert not watch.at_chance_in(1)
    assert watch.at_chance_in(2)
    assert not watch.at_chance_in(3)  # not seen


def test_a_run_that_ends_too_soon_to_be_warned_is_judged_on_its_whole_history() -> None:
    # Patience 2 stops this run at epoch 3, before three clearly learned epochs were seen.
    watch = ChanceWatch(10)
    assert [watch.add(e) for e in epochs((0.3, 0.1), (0.7, 0.1), (0.9, 0.1))] == [None] * 3
    ended = watch.finish(lr=1e-3)
    assert ended is not None and ended.started
    assert ended.warning.kind == STUCK_AT_CHANCE
    assert ended.sentence().startswith(
        "Training accuracy rose to 90.0% while validation accuracy stayed at chance "
        "(0.100 for 10 classes) in epochs 1-3: "
    )
    assert watch.standing is ended.warning
    assert watch.finish() is None  # once


@pytest.mark.parametrize(
    "history",
    [
        ((0.3, 0.1), (0.7, 0.4)),  # validation left chance
        ((0.3, 0.1), (0.7, 0.45), (0.8, 0.1)),  # once is enough: the model did generalise
        ((0.12, 0.1), (0.2, 0.1)),  # a short slow start: training never clearly learned
        ((0.9, None),),  # no validation data
    ],
)
def test_finishing_a_run_that_was_not_stuck_says_nothing(
    history: tuple[tuple[float | None, float | None], ...],
) -> None:
    watch = ChanceWatch(10)
    watch.replay(epochs(*history))
    assert watch.finish() is None
    assert watch.standing is None


def test_finishing_a_run_already_warned_adds_nothing() -> None:
    watch = ChanceWatch(10)
    watch.replay(epochs(*STUCK))
    assert watch.finish() is None
    assert watch.standing is not None
