"""`cnnlab data synth` and `cnnlab data inspect` through the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

Invoke = Callable[..., Result]


def test_synth_then_inspect_json(invoke: Invoke, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    made = invoke(
        "data",
        "synth",
        str(folder),
        "--classes",
        "3",
        "--per-class",
        "8",
        "--size",
        "20",
        "--seed",
        "2",
    )
    assert made.exit_code == 0, made.output
    assert "Wrote 30 images of 20x20 in 3 classes" in made.stdout
    (folder / "Test" / "Pear" / "README.md").write_text("# not a picture")

    result = invoke("data", "inspect", str(folder), "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["kind"] == "fruits360"
    assert report["classes"] == ["Apple Red", "Banana", "Pear"]
    assert report["splits"]["train"]["images"] == 24
    assert report["splits"]["test"]["per_class"] == {"Apple Red": 2, "Banana": 2, "Pear": 2}
    assert report["image_sizes"] == {"20x20": 30}
    assert [Path(u["path"]).name for u in report["unreadable"]] == ["README.md"]


def test_inspect_table_reports_undecodable_files(invoke: Invoke, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    invoke("data", "synth", str(folder), "--classes", "2", "--per-class", "4", "--size", "16")
    (folder / "Training" / "Pear" / "broken.jpg").write_bytes(
        b"\xff\xd8\xff\xe0" + bytes(range(256)) * 2 + b"\xff\xd9"
    )

    result = invoke("data", "inspect", str(folder))

    assert result.exit_code == 0, result.output
    assert "unreadable files: 1" in result.stdout
    assert "broken.jpg: cannot decode" in result.stdout
    assert "16x16 (10)" in result.stdout


def test_inspect_single_folder_and_cifar(invoke: Invoke, fruits: Path, cifar_archive: Path) -> None:
    single = json.loads(invoke("data", "inspect", str(fruits / "Training"), "--json").stdout)
    cifar = json.loads(invoke("data", "inspect", str(cifar_archive), "--json").stdout)

    assert single["kind"] == "single"
    assert single["splits"]["all"]["images"] == 48
    assert cifar["kind"] == "cifar100"
    assert len(cifar["classes"]) == 100
    assert cifar["splits"]["train"]["images"] == 200


def test_bad_paths_and_arguments_are_one_line_errors(invoke: Invoke, tmp_path: Path) -> None:
    missing = invoke("data", "inspect", str(tmp_path / "nothing"))
    assert missing.exit_code == 2
    assert missing.stderr == f"Error: Dataset path {tmp_path / 'nothing'} does not exist.\n"

    one_class = invoke("data", "synth", str(tmp_path / "x"), "--classes", "1", "--per-class", "3")
    assert one_class.exit_code == 2
    assert "at least 2 classes, got 1" in one_class.stderr


def test_synth_and_inspect_keep_tensorflows_start_up_noise_off_the_terminal(
    tmp_path: Path,
) -> None:
    """Both decode or encode images with TensorFlow; a user asked for neither its banner nor
    its "failed call to cuInit" (a real process: the noise goes to fd 2, past click)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    folder = tmp_path / "demo"
    for args in (
        ["data", "synth", str(folder), "--classes", "2", "--per-class", "2", "--size", "16"],
        ["data", "inspect", str(folder)],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "cnnlab", *args],
            check=False,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
