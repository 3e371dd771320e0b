"""`cnnlab models` and `cnnlab models show`, through the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import Result

Invoke = Callable[..., Result]


def test_models_json_lists_counts_at_the_given_settings(invoke: Invoke) -> None:
    result = invoke("models", "--name", "alexnet*", "--input", "64", "--classes", "10", "--json")

    assert result.exit_code == 0, result.output
    models = json.loads(result.stdout)["models"]
    assert [m["name"] for m in models] == ["alexnet", "alexnet_separable"]
    first = models[0]
    assert first["input_shape"] == [64, 64, 3]
    assert first["classes"] == 10
    assert first["total_params"] == first["trainable_params"] + first["non_trainable_params"]
    assert first["macs"] > models[1]["macs"] > 0


def test_models_table_uses_each_models_own_settings(invoke: Invoke) -> None:
    result = invoke("models", "--name", "alexnet")

    assert result.exit_code == 0, result.output
    assert "48x48x3" in result.stdout
    assert "952,931" in result.stdout
    assert "952,835" in result.stdout


def test_models_show_prints_paper_002_table(invoke: Invoke) -> None:
    result = invoke("models", "show", "alexnet")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    conv2 = next(line for line in lines if line.startswith("conv2 "))
    assert conv2.split() == ["conv2", "Conv2D", "22x22x32", "4,640", "yes"]
    assert any(line.split()[:4] == ["fc1", "Dense", "512", "590,336"] for line in lines)


def test_models_show_json_with_width(invoke: Invoke) -> None:
    result = invoke(
        "models",
        "show",
        "mobilenet_v2",
        "--input",
        "32",
        "--classes",
        "5",
        "--width",
        "0.35",
        "--json",
    )

    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["input_shape"] == [32, 32, 3]
    assert shown["width"] == 0.35
    assert shown["layers"][-1]["output_shape"] == [None, 5]
    assert sum(layer["params"] for layer in shown["layers"]) == shown["total_params"]


def test_unknown_model_is_one_line_with_the_valid_names(invoke: Invoke) -> None:
    result = invoke("models", "show", "alexnot")

    assert result.exit_code == 2
    assert result.stderr.startswith("Error: Unknown model 'alexnot'; choose one of: alexnet,")
    assert len(result.stderr.strip().splitlines()) == 1


def test_too_small_input_says_the_minimum(invoke: Invoke) -> None:
    result = invoke("models", "show", "squeezenet", "--input", "20")

    assert result.exit_code == 2
    assert "minimum is 35x35" in result.stderr


def test_no_model_matches_the_glob(invoke: Invoke) -> None:
    result = invoke("models", "--name", "vgg*")

    assert result.exit_code == 2
    assert "No model matches 'vgg*'" in result.stderr
