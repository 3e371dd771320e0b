"""`--profile-ops` on the loopback phone: the tool's op profile, per node and per Keras layer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cnnlab.devices import AdbServerAddress, benchmark_phone

# The layers of conftest's tiny model, as Keras names them.
LAYERS = ["conv2d", "max_pooling2d", "depthwise_conv2d", "global_average_pooling2d", "dense"]


def test_the_op_profile_has_its_own_invocation_and_names_every_layer(
    prepared_phone: Any, address: AdbServerAddress, tflite_model: Path
) -> None:
    result = benchmark_phone(
        address,
        prepared_phone.serial,
        tflite_model,
        runs=3,
        warmup=1,
        profile_ops=True,
        layer_names=LAYERS,
    )
    *timed, profiling = (result.command or "").split("\n")
    assert len(timed) == 3 and "--enable_op_profiling=true" in profiling
    assert not any("--enable_op_profiling" in command for command in timed)
    assert prepared_phone.runs_done() == 6  # three samples, the summary, memory, the profile
    profile = result.extra["op_profile"]
    assert profile["runs"] == 3 and profile["delegate"] == "cpu"
    assert [op["node_type"] for op in profile["ops"]][:2] == ["CONV_2D", "MAX_POOL_2D"]
    layers = result.extra["layer_profile"]
    assert [entry["layer"] for entry in layers] == LAYERS
    assert {entry["ran_on"] for entry in layers} == {"CPU"}
    assert abs(sum(entry["percent"] for entry in layers) - 100) < 1e-6
    assert "SOFTMAX" in layers[-1]["ops"]  # the model's last op, named by no layer, is dense's
    assert len(result.samples_us) == 3  # the profile's runs are no samples


def test_a_partly_delegated_profile_says_which_layers_ran_on_the_gpu(
    prepared_phone: Any, address: AdbServerAddress, tflite_model: Path
) -> None:
    (prepared_phone.root / ".delegation").write_text("partial:1")
    result = benchmark_phone(
        address,
        prepared_phone.serial,
        tflite_model,
        runs=2,
        warmup=1,
        delegate="gpu",
        profile_ops=True,
        layer_names=LAYERS,
    )
    layers = result.extra["layer_profile"]
    gpu = [entry for entry in layers if entry["ran_on"] == "GPU"]
    cpu = [entry for entry in layers if entry["ran_on"] == "CPU"]
    assert len(gpu) == 1 and gpu[0]["layers"] and gpu[0]["ops"] == ["TfLiteGpuDelegateV2"]
    assert set(gpu[0]["layers"]).isdisjoint(entry["layer"] for entry in cpu)
    assert set(gpu[0]["layers"]) | {entry["layer"] for entry in cpu} == set(LAYERS)
    assert "--use_gpu=true" in (result.command or "").split("\n")[-1]


def test_a_profile_that_cannot_be_had_keeps_the_samples_and_says_why(
    prepared_phone: Any, address: AdbServerAddress, tflite_model: Path
) -> None:
    """A binary that does not know --enable_op_profiling warns and runs on (exit code 0): the
    bench is kept, and why it has no profile is recorded with it."""
    (prepared_phone.root / ".unknown_flags").write_text("enable_op_profiling")
    result = benchmark_phone(
        address, prepared_phone.serial, tflite_model, runs=2, warmup=1, profile_ops=True
    )
    assert len(result.samples_us) == 2 and "op_profile" not in result.extra
    assert result.extra["op_profile_error"] == (
        "this benchmark_model does not know --enable_op_profiling"
    )
