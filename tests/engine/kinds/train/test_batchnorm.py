"""BN statistics recomputed before validation are the plain average over the training batches
seen with the current weights; frozen layers and the layers' momentum are left as they were."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def batches():  # type: ignore[no-untyped-def]
    import tensorflow as tf

    rng = np.random.default_rng(3)
    images = rng.normal(5.0, 2.0, size=(40, 4, 4, 3)).astype("float32")
    return tf.data.Dataset.from_tensor_slices((images, np.zeros(40, "int64"))).batch(10)


def _model(frozen: bool = False):  # type: ignore[no-untyped-def]
    import keras

    inputs = keras.Input((4, 4, 3))
    first = keras.layers.BatchNormalization(momentum=0.99, name="first")
    second = keras.layers.BatchNormalization(momentum=0.999, name="second")
    first.trainable = not frozen
    model = keras.Model(inputs, second(first(inputs)))
    return model, first, second


def test_the_statistics_become_the_average_over_the_batches(batches) -> None:  # type: ignore[no-untyped-def]
    from cnnlab.engine.kinds.train.batchnorm import recalibrate

    model, first, second = _model()
    assert recalibrate(model, batches, limit=3) == 3
    chunks = [x.numpy() for x, _ in batches.take(3)]
    means = np.mean([c.mean(axis=(0, 1, 2)) for c in chunks], axis=0)
    variances = np.mean([c.var(axis=(0, 1, 2)) for c in chunks], axis=0)
    np.testing.assert_allclose(first.moving_mean.numpy(), means, rtol=1e-4)
    np.testing.assert_allclose(first.moving_variance.numpy(), variances, rtol=1e-3)
    assert (first.momentum, second.momentum) == (0.99, 0.999)  # restored
    # The second layer sees the first's normalised output: mean 0, variance about 1.
    np.testing.assert_allclose(second.moving_mean.numpy(), 0.0, atol=1e-3)


def test_frozen_layers_are_left_alone(batches) -> None:  # type: ignore[no-untyped-def]
    from cnnlab.engine.kinds.train.batchnorm import recalibrate, trainable_batch_norms

    model, first, second = _model(frozen=True)
    before = first.moving_mean.numpy().copy()
    recalibrate(model, batches, limit=2)
    assert trainable_batch_norms(model) == [second]
    np.testing.assert_array_equal(first.moving_mean.numpy(), before)


def test_the_spec_records_the_zoo_default_and_the_cli_can_turn_it_off(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from cnnlab.engine.spec import SpecError, train_spec
    from cnnlab.models.defaults import training_defaults

    spec = train_spec(model="mobilenet_v2", data=str(tmp_path))
    assert spec.bn_recalibration == training_defaults("mobilenet_v2").bn_recalibration == 50
    assert train_spec(model="squeezenet", data=str(tmp_path)).bn_recalibration is None
    assert (
        train_spec(model="mobilenet_v2", data=str(tmp_path), bn_recalibration=None).to_dict()[
            "bn_recalibration"
        ]
        is None
    )
    with pytest.raises(SpecError, match="BN recalibration"):
        train_spec(model="mobilenet_v2", data=str(tmp_path), bn_recalibration=0)
