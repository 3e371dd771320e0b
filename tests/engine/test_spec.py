"""Specs are validated at submit time, with errors that quote the bad value."""

from __future__ import annotations

import pytest

from cnnlab.engine import SpecError, TrainSpec, spec_from_dict


def test_round_trip_through_the_store_shape() -> None:
    spec = TrainSpec(model="alexnet", data="/data/fruits", epochs=3, patience=None, seed=7)
    again = spec_from_dict(spec.to_dict())
    assert again == spec
    assert spec.to_dict()["kind"] == "train"
    assert spec.mode == "max"
    assert TrainSpec(model="alexnet", data="d", monitor="val_loss").mode == "min"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"epochs": 0}, "epochs must be a positive whole number, got 0"),
        ({"batch": -4}, "batch must be a positive whole number, got -4"),
        ({"lr": 0}, "learning rate must be a positive number, got 0"),
        ({"optimizer": "adamw"}, "Unknown optimizer 'adamw'"),
        ({"monitor": "val_acc"}, "Cannot monitor 'val_acc'"),
        ({"patience": -1}, r"Patience must be 0 or more epochs \(-1: no early stopping\), got -1"),
        ({"val_split": 1.5}, "between 0 and 1, got 1.5"),
        ({"width": 0.0}, "width multiplier must be positive"),
        ({"model": ""}, "model name is required"),
    ],
)
def test_bad_values_are_refused(changes: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"model": "alexnet", "data": "/data", **changes}
    with pytest.raises(SpecError, match=message):
        TrainSpec(**values)  # type: ignore[arg-type]


def test_unknown_keys_and_kinds_are_refused() -> None:
    with pytest.raises(SpecError, match="Unknown train spec keys: colour"):
        spec_from_dict({"kind": "train", "model": "alexnet", "data": "d", "colour": "red"})
    with pytest.raises(SpecError, match="Unknown job kind 'paint'"):
        spec_from_dict({"kind": "paint"})
