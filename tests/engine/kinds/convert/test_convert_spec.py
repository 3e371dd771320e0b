"""Conversion specs, converter error parsing and the Mobile AI score: no TensorFlow needed."""

from __future__ import annotations

import pytest

from cnnlab.engine import SpecError, spec_from_dict
from cnnlab.engine.kinds.convert.errors import explain, unconvertible_ops
from cnnlab.engine.kinds.convert.spec import ConvertSpec
from cnnlab.engine.kinds.importing.spec import ImportSpec
from cnnlab.layer_scopes import layer_from_scope
from cnnlab.report.latency import mobile_ai_score

# Cut from a real TensorFlow 2.21 converter failure (one flex op, one with no kernel at all).
_ERF = 'fused["Erf:", "functional_1_1/my_erf_1/Erf@__inference___call___814"]'
_IGAMMA = 'fused["Igamma:", "functional_1/gamma_layer_1/Igamma@__inference_y"]'
_CALLER = 'fused["StatefulPartitionedCall:", "StatefulPartitionedCall@__inference_x"]'
CONVERTER_TEXT = "\n".join(
    [
        f"Could not translate MLIR to FlatBuffer.<unknown>:0: error: loc(callsite({_ERF} at "
        f"callsite({_CALLER}))): 'tf.Erf' op is neither a custom op nor a flex op",
        f"<unknown>:0: note: loc(callsite({_ERF} at callsite({_CALLER}))): "
        "Error code: ERROR_NEEDS_FLEX_OPS",
        f"<unknown>:0: error: loc(callsite({_IGAMMA} at {_CALLER})): "
        "'tf.Igamma' op is neither a custom op nor a flex op",
        f"<unknown>:0: note: loc(callsite({_IGAMMA} at {_CALLER})): "
        "Error code: ERROR_NEEDS_CUSTOM_OPS",
        "Some ops in the model are custom ops",
        "Custom ops: Igamma",
    ]
)


def test_round_trip_and_description() -> None:
    spec = ConvertSpec(source_id=4, mode="int8", calibration=50, int8_io=True)
    assert spec_from_dict(spec.to_dict()) == spec
    assert spec.optimization == "default"
    assert spec.describe() == "int8 (default, 50 calibration images, int8 I/O)"
    assert ConvertSpec(source_id=4).optimization is None
    imported = ImportSpec(path="/m.h5", format="h5")
    assert spec_from_dict(imported.to_dict()) == imported


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"mode": "model.tflite"}, "Unknown conversion mode 'model.tflite'.*import it"),
        ({"mode": "int4"}, "Unknown conversion mode 'int4'; choose one of float, dynamic"),
        ({"optimize": "speed", "mode": "int8"}, "Unknown optimisation 'speed'"),
        ({"optimize": "size"}, "float mode never does"),
        ({"int8_io": True, "mode": "dynamic"}, "--int8-io needs --mode int8"),
        ({"float_fallback": True}, "--float-fallback only applies to --mode int8"),
        ({"calibration": 0, "mode": "int8"}, "at least 1 image, got 0"),
    ],
)
def test_bad_options_are_refused(values: dict[str, object], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        ConvertSpec(source_id=1, **values)  # type: ignore[arg-type]


def test_converter_failure_names_ops_layers_and_ways_out() -> None:
    ops = unconvertible_ops(CONVERTER_TEXT, ["conv", "my_erf", "gamma_layer", "dense"])
    assert [(o.op, o.layer, o.needs) for o in ops] == [
        ("Erf", "my_erf", "flex"),
        ("Igamma", "gamma_layer", "custom"),
    ]
    message = explain(ops, mode="float")
    assert message.startswith("The float conversion failed: 2 ops have no TFLite kernel")
    assert "Erf in layer 'my_erf': --select-tf-ops" in message
    assert "Igamma in layer 'gamma_layer': no TFLite or Flex kernel" in message
    assert "remove or replace the layer" in message
    assert "\n" not in message


def test_layer_from_scope_strips_keras_call_suffixes() -> None:
    assert layer_from_scope("functional_1/block_3_expand_1/Conv2D", ["block_3_expand"]) == (
        "block_3_expand"
    )
    assert layer_from_scope("sequential/resize_1/ResizeBilinear") == "resize"
    assert layer_from_scope("StatefulPartitionedCall/Op") is None


def test_mobile_ai_score_matches_the_formula() -> None:
    # Paper 003's int8 MobileNetV2 (91.3% top-1) with an assumed 99% top-3 and 10 ms.
    assert mobile_ai_score(0.913, 0.99, 10.0) == pytest.approx(2 ** (91.3 - 96 + 0) / 10)
    assert mobile_ai_score(0.96, 0.99, 1.0) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="positive"):
        mobile_ai_score(0.9, 0.9, 0)
