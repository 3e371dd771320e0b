"""The recorded counts of `cnnlab models` against the models themselves, built one at a time.

`cnnlab models` lists `zoo_counts.DEFAULT_COUNTS` without building anything, so this is the test
that keeps those figures true: every zoo model is built at its default settings and counted.
When it fails, its message is the dictionary with the measured figures, ready to paste.
"""

from __future__ import annotations

import keras

from cnnlab.models import MODEL_NAMES, build_model, count_model
from cnnlab.models.zoo_counts import DEFAULT_COUNTS


def _literal(counts: dict[str, tuple[int, int, int, int]]) -> str:
    lines = [
        f'    "{name}": ({", ".join(f"{n:_}" for n in figures)}),'
        for name, figures in counts.items()
    ]
    return "DEFAULT_COUNTS: dict[str, tuple[int, int, int, int]] = {\n" + "\n".join(lines) + "\n}"


def test_recorded_counts_are_those_of_the_built_models() -> None:
    measured: dict[str, tuple[int, int, int, int]] = {}
    for name in MODEL_NAMES:
        model = build_model(name)
        counts = count_model(model)
        measured[name] = (
            counts.total_params,
            counts.trainable_params,
            counts.non_trainable_params,
            counts.macs,
        )
        del model
        keras.backend.clear_session(free_memory=True)

    assert measured == DEFAULT_COUNTS, (
        "cnnlab/models/zoo_counts.py is out of date; the measured figures are:\n"
        + _literal(measured)
    )
