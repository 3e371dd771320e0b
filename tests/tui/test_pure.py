"""Formatting, charts, the dataset check and the form's fields, without a terminal."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from support.images import write_images

from cnnlab.engine.plan import check_data
from cnnlab.models.defaults import training_defaults
from cnnlab.tui.charts import Series, render_chart
from cnnlab.tui.job_fields import build_spec, command_line, values_from_spec
from cnnlab.tui.text import duration_text, step_bar


def test_durations_and_bars() -> None:
    assert [duration_text(s) for s in (5, 75, 3_700, 200_000)] == ["5s", "1m15s", "1h01m", "2d07h"]
    assert step_bar(0, 80) == "········"
    assert step_bar(40, 80) == "████····"
    assert step_bar(80, 80) == "████████"


def test_chart_has_the_requested_size_and_draws_every_curve() -> None:
    chart = render_chart(
        [Series("a", [1.0, 0.5, 0.25], "cyan"), Series("b", [0.9, None, 0.3], "yellow")], 40, 10
    )
    lines = chart.plain.split("\n")
    assert len(lines) == 10
    assert all(len(line) <= 40 for line in lines)
    assert any(ch != " " and 0x2800 <= ord(ch) <= 0x28FF for ch in chart.plain)
    assert "1.000" in lines[1] and "0.250" in lines[-2]


def test_dataset_check(tmp_path: Path) -> None:
    assert not check_data(str(tmp_path / "nowhere")).ok
    for split in ("Training", "Test"):
        for name in ("apple", "pear", "plum"):
            (tmp_path / split / name).mkdir(parents=True)
            (tmp_path / split / name / "1.jpg").write_bytes(b"\xff\xd8\xff")
    check = check_data(str(tmp_path))
    assert check.ok and check.classes == 3, check
    assert check.data == str(tmp_path.resolve())
    # A regroup spec, which `cnnlab train` accepts, is accepted here too (the form's old
    # checker refused it), and a name the data layer does not know is not.
    regrouped = check_data(f"{tmp_path}#regroup=pome=apple|pear,stone=plum")
    assert regrouped.ok and regrouped.classes == 2, regrouped
    assert not check_data("synthetic").ok


def test_form_fields_build_a_spec_and_a_command_line(tmp_path: Path) -> None:
    write_images(tmp_path, ("a", "b"), per_class=21, fruits360=False, suffix=".png")
    values = values_from_spec({"model": "alexnet", "data": str(tmp_path), "epochs": 3})
    values["patience"] = "-1"
    spec, errors = build_spec(values)
    assert errors == {} and spec is not None
    assert (spec.model, spec.epochs, spec.patience) == ("alexnet", 3, None)
    assert command_line(values) == (
        f"cnnlab train --model alexnet --data {tmp_path} --epochs 3 --patience -1"
    )
    # Fields left empty take the model's training defaults, written into the spec.
    values = values_from_spec({"model": "mobilenet_v2", "data": str(tmp_path)})
    spec, errors = build_spec(values)
    assert errors == {} and spec is not None
    defaults = training_defaults("mobilenet_v2")
    assert (spec.lr, spec.batch, spec.patience, spec.bn_momentum) == (
        defaults.lr,
        defaults.batch,
        defaults.patience,
        defaults.bn_momentum,
    )
    assert command_line(values) == f"cnnlab train --model mobilenet_v2 --data {tmp_path}"
    values["lr"] = "-1"
    assert "learning rate" in build_spec(values)[1]["lr"]


@pytest.mark.parametrize("module", ["cnnlab.tui.app", "cnnlab.tui.screens.job_form"])
def test_the_app_modules_do_not_load_tensorflow(module: str) -> None:
    import subprocess

    code = f"import sys, {module}\nprint([m for m in ('tensorflow', 'keras') if m in sys.modules])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
