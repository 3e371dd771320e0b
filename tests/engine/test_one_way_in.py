"""One way in per kind: the same request through `cnnlab bench`/`cnnlab convert` and through
the TUI's form queues identical specs (the train kind's check is in test_params.py).

Both go through the engine's own planning (`plan_bench`, `submit_conversions`); a held
scheduler lock keeps the queued rows as they were queued. Nothing here imports TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from support.scheduler import scheduler_lock_held

from cnnlab.store import (
    ExperimentQuery,
    Store,
    add_artifact,
    create_experiment,
    list_experiments,
    open_store,
)
from cnnlab.tui.screens import bench_form, convert_form

Invoke = Callable[..., Result]


def lab(db_path: Path) -> tuple[Store, int, int]:
    """A database with a model being trained (converted once it is done) and a TFLite file."""
    store = open_store(db_path)
    training = create_experiment(
        store, "train", status="running", model="alexnet", spec={"model": "alexnet"}
    )
    owner = create_experiment(store, "import", status="done", spec={"path": "m.tflite"})
    model = store.run_dir(owner) / "m.tflite"
    model.parent.mkdir(parents=True)
    model.write_bytes(b"\x1c\x00\x00\x00TFL3" + bytes(64))
    add_artifact(store, owner, "tflite", model, meta={"mode": "float"})
    return store, training, owner


def queued(store: Store, kind: str) -> list[dict[str, Any]]:
    rows = list_experiments(store, ExperimentQuery(limit=100, sort="id", descending=False))
    return [
        {"spec": e.spec, "parent": e.parent_id, "wait_for": e.wait_for}
        for e in rows
        if e.kind == kind
    ]


BENCH_REQUESTS = [
    {"runs": "7", "warmup": "2", "threads": "2", "delegate": "xnnpack"},
    {"runs": "3", "warmup": "0", "threads": "", "delegate": "cpu"},
]


@pytest.mark.parametrize("request_", BENCH_REQUESTS, ids=["xnnpack", "defaults"])
def test_a_bench_request_queues_the_same_specs_from_the_cli_and_the_form(
    invoke: Invoke, tmp_path: Path, request_: dict[str, str]
) -> None:
    specs = []
    for way in ("cli", "form"):
        db_path = tmp_path / way / "experiments.db"
        db_path.parent.mkdir()
        store, _, owner = lab(db_path)
        with store, scheduler_lock_held(store):
            if way == "cli":
                options = [
                    arg
                    for key, text in request_.items()
                    if text
                    for arg in ((f"--{key}",) if key == "cold" else (f"--{key}", text))
                ]
                result = invoke(
                    "bench", str(owner), "--device", "host", *options, "--db", str(db_path)
                )
                assert result.exit_code == 0, result.output
            else:
                values = {"target": str(owner), "devices": "host", "cold": False, **request_}
                values.setdefault("cpu_mask", "")
                request, errors = bench_form.check_bench(values)
                assert errors == {} and request is not None
                bench_form.submit_request(store, request)
            specs.append(queued(store, "bench"))
    from_cli, from_form = specs
    assert len(from_cli) == 1
    assert from_form == from_cli


def test_a_convert_request_queues_the_same_specs_from_the_cli_and_the_form(
    invoke: Invoke, tmp_path: Path
) -> None:
    specs = []
    for way in ("cli", "form"):
        db_path = tmp_path / way / "experiments.db"
        db_path.parent.mkdir()
        store, training, _ = lab(db_path)
        with store, scheduler_lock_held(store):
            if way == "cli":
                result = invoke(
                    *("convert", str(training), "--mode", "float,int8", "--calibration", "50"),
                    *("--int8-io", "--name", "edge", "--db", str(db_path)),
                )
                assert result.exit_code == 0, result.output
            else:
                values = {
                    "modes": ["float", "int8"],
                    "optimize": convert_form.NO_OPTIMIZATION,
                    "calibration": "50",
                    "data": "",
                    "name": "edge",
                    "int8_io": True,
                    "select_tf_ops": False,
                    "float_fallback": False,
                }
                request, errors = convert_form.check_convert(training, values)
                assert errors == {} and request is not None
                convert_form.submit_request(store, request)
            specs.append(queued(store, "convert"))
    from_cli, from_form = specs
    assert [s["spec"]["mode"] for s in from_cli] == ["float", "int8"]
    assert all(s["wait_for"] is not None for s in from_cli)  # the model is still training
    assert from_form == from_cli
