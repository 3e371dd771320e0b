"""`cnnlab demo --no-tui`: a dataset next to the database and paper 001's four models queued for
real background training; a second run reuses both while the jobs still run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cnnlab.cli.demo import DATA_FOLDER, MODELS
from cnnlab.engine import stop, stop_scheduler
from cnnlab.store import get_experiment, list_events, open_store

from ..conftest import Invoke


@pytest.fixture
def stopped_afterwards(db_path: Path) -> Iterator[None]:
    """Stop the demo's jobs and its scheduler at the end, to free the CPU for other tests."""
    yield
    if not db_path.exists():
        return
    with open_store(db_path) as store:
        for row in store.read("SELECT id FROM experiments WHERE status IN ('queued', 'running')"):
            stop(store, row[0])
        stop_scheduler(store)


def test_demo_writes_a_dataset_and_queues_the_four_models(
    invoke: Invoke, db_path: Path, stopped_afterwards: None
) -> None:
    result = invoke("demo", "--db", str(db_path), "--no-tui", "--json")
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    data = db_path.parent / DATA_FOLDER
    assert shown["dataset"] == str(data) and shown["dataset_written"] is True
    for split in ("Training", "Test"):
        classes = sorted(p.name for p in (data / split).iterdir())
        assert len(classes) == 3
        assert all(any((data / split / name).glob("*.jpg")) for name in classes)
    assert len(shown["experiments"]) == 4

    with open_store(db_path) as store:
        runs = [get_experiment(store, i) for i in shown["experiments"]]
        assert [r.model for r in runs] == list(MODELS)
        assert all(r.kind == "train" and r.status in ("queued", "running") for r in runs)
        assert all(r.spec["data"] == str(data) and r.spec["input"] == 48 for r in runs)
        early = [r for r in runs if r.spec.get("patience") is not None]
        assert [(r.model, r.spec["patience"], r.spec["monitor"]) for r in early] == [
            ("mobilenet_v2", 1, "val_loss")
        ]

    again = json.loads(invoke("demo", "--db", str(db_path), "--no-tui", "--json").stdout)
    assert again["dataset_written"] is False
    assert again["jobs_reused"] is True and again["experiments"] == shown["experiments"]


def test_demo_without_json_says_what_it_did(
    invoke: Invoke, db_path: Path, stopped_afterwards: None
) -> None:
    result = invoke("demo", "--db", str(db_path), "--no-tui")
    assert result.exit_code == 0, result.stderr
    assert "(written)" in result.stdout and "Queued: experiments 1, 2, 3, 4" in result.stdout
    with open_store(db_path) as store:
        assert list_events(store, 1) is not None
