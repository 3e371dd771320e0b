"""`cnnlab models` and `cnnlab models show`, through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

import pytest
from click.testing import Result

from cnnlab.models import MODEL_NAMES
from cnnlab.models.defaults import training_defaults
from cnnlab.models.zoo_counts import DEFAULT_COUNTS

Invoke = Callable[..., Result]
RunCnnlab = Callable[..., "subprocess.CompletedProcess[str]"]

# Runs `cnnlab models` in a fresh interpreter and reports what it imported and printed.
_LIST_WITHOUT_TENSORFLOW = """
import json, sys
from click.testing import CliRunner
from cnnlab.cli import cli
results = [
    CliRunner().invoke(cli, args, catch_exceptions=False)
    for args in (["models", "--json"], ["models"], ["models", "--name", "alexnet", "--input", "48"])
]
print(json.dumps({
    "exit_codes": [r.exit_code for r in results],
    "stderr": [r.stderr for r in results],
    "json": json.loads(results[0].stdout),
    "table": results[1].stdout,
    "imported": sorted(m for m in ("tensorflow", "keras") if m in sys.modules),
}))
"""


def test_models_at_default_settings_needs_no_tensorflow_and_says_nothing_on_stderr() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _LIST_WITHOUT_TENSORFLOW],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert done.stderr == ""
    report = json.loads(done.stdout)
    assert report["imported"] == []
    assert report["exit_codes"] == [0, 0, 0]
    assert report["stderr"] == ["", "", ""]
    listed = {m["name"]: m for m in report["json"]["models"]}
    assert list(listed) == list(MODEL_NAMES)
    for name, (total, trainable, non_trainable, macs) in DEFAULT_COUNTS.items():
        counts = listed[name]
        assert (counts["total_params"], counts["trainable_params"]) == (total, trainable)
        assert (counts["non_trainable_params"], counts["macs"]) == (non_trainable, macs)
    assert "37.75 G" in report["table"]  # efficientnet_b7 at 600x600


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
    assert result.stderr.splitlines() == [
        "counting 1/2: alexnet at 64x64 ...",
        "counting 2/2: alexnet_separable at 64x64 ...",
    ]


def test_models_builds_only_those_away_from_their_defaults(invoke: Invoke) -> None:
    result = invoke("models", "--name", "[as]*", "--input", "48", "--json")

    assert result.exit_code == 0, result.output
    models = {m["name"]: m for m in json.loads(result.stdout)["models"]}
    assert list(models) == ["alexnet", "alexnet_separable", "squeezenet", "squeezenet_1_1"]
    assert models["alexnet"]["total_params"] == DEFAULT_COUNTS["alexnet"][0]
    assert models["squeezenet"]["macs"] < DEFAULT_COUNTS["squeezenet"][3] / 10
    assert result.stderr.splitlines() == [
        "counting 1/2: squeezenet at 48x48 ...",
        "counting 2/2: squeezenet_1_1 at 48x48 ...",
    ]


def test_building_keeps_tensorflow_start_up_noise_off_stderr(
    run_cnnlab: RunCnnlab, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As a user runs it: TF_CPP_MIN_LOG_LEVEL unset, so no test fixture quiets anything.
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)

    done = run_cnnlab("models", "--name", "squeezenet_1_1", "--input", "40")

    assert done.returncode == 0, done.stderr
    assert done.stderr == "counting 1/1: squeezenet_1_1 at 40x40 ...\n"
    assert "40x40x3" in done.stdout


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
    assert "total 952,931 params: 952,835 trainable, 96 non-trainable" in result.stdout
    defaults = training_defaults("alexnet")
    section = lines[lines.index("training defaults (from scratch)") :]
    assert section[1].split() == ["lr", f"{defaults.lr:g}"]
    assert section[2].split() == ["batch", str(defaults.batch)]
    assert section[-1].split(maxsplit=1) == ["why", defaults.why]


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
    assert shown["training_defaults"] == training_defaults("mobilenet_v2").to_json()


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
