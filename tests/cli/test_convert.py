"""`cnnlab import`, `cnnlab convert --wait` through the real scheduler and job processes, and
`cnnlab variants`, as a user's shell runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def small_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny AlexNet .h5 and a dataset of its input size."""
    from cnnlab.data import write_synthetic_dataset
    from cnnlab.models import build_model

    folder = tmp_path_factory.mktemp("cli-convert")
    write_synthetic_dataset(folder / "shapes", classes=3, per_class=8, size=32, seed=4)
    build_model("alexnet", 32, 3, width=0.25).save(folder / "alexnet.h5")
    return folder / "alexnet.h5", folder / "shapes"


def test_import_convert_wait_and_list_variants(  # type: ignore[no-untyped-def]
    run_cnnlab, db_path: Path, small_model: tuple[Path, Path]
) -> None:
    model, data = small_model
    imported = run_cnnlab("import", str(model), "--data", str(data), "--json", "--db", str(db_path))
    assert imported.returncode == 0, imported.stderr
    source = json.loads(imported.stdout)["id"]
    converted = run_cnnlab(
        "convert", str(source), "--mode", "float,int8", "--calibration", "8", "--wait",
        "--json", "--db", str(db_path),
    )  # fmt: skip
    assert converted.returncode == 0, converted.stderr
    jobs = json.loads(converted.stdout)
    assert [job["status"] for job in jobs] == ["done", "done"]
    listed = run_cnnlab("variants", str(source), "--json", "--db", str(db_path))
    variants = json.loads(listed.stdout)
    assert [v["mode"] for v in variants] == ["float", "int8"]
    assert variants[1]["bytes"] <= 0.4 * variants[0]["bytes"]
    assert all(v["top1"] is not None and v["delta_top1"] is not None for v in variants)
    table = run_cnnlab("variants", str(source), "--db", str(db_path))
    assert "int8" in table.stdout and "Δ top-1" in table.stdout


def test_bad_requests_are_one_line_errors(  # type: ignore[no-untyped-def]
    invoke, db_path: Path, tmp_path: Path
) -> None:
    result = invoke("convert", "1", "--mode", "model.tflite", "--db", str(db_path))
    assert result.exit_code == 2
    assert "Unknown conversion mode 'model.tflite'" in result.stderr
    assert "import it with `cnnlab import`" in result.stderr
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"truncated")
    result = invoke("import", str(bad), "--db", str(db_path))
    assert result.exit_code == 2
    assert "is not an HDF5 file" in result.stderr
