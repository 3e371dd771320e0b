"""Fixtures for the model zoo tests: TensorFlow kept quiet and Keras' global state reset."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(autouse=True)
def _fresh_keras_session() -> Iterator[None]:
    """Each test starts with Keras' default names and leaves no graph behind."""
    import keras

    keras.backend.clear_session()
    yield
    keras.backend.clear_session()
