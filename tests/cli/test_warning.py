"""A run's warning in the CLI: a mark beside the status in `ls` and `show`, the sentence in
`show`, the field in both JSON shapes, the event in `logs`; rows without one are unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cnnlab.store import append_event, create_experiment, open_store, set_status, update_summary

SENTENCE = (
    "Training accuracy rose to 95.0% while validation accuracy stayed at chance (0.100 for 10 "
    "classes) in epochs 2-4: likely BatchNormalization moving statistics lagging behind."
)


@pytest.fixture
def lab(db_path: Path) -> Path:
    """Two finished runs, the second stuck at chance."""
    with open_store(db_path) as store:
        for name in ("healthy", "stuck"):
            experiment_id = create_experiment(store, "train", name=name, model="alexnet")
            set_status(store, experiment_id, "running")
            set_status(store, experiment_id, "done")
        append_event(store, 2, "stuck_at_chance", SENTENCE, {"classes": 10})
        update_summary(store, 2, warning=SENTENCE)
    return db_path


def test_ls_marks_only_the_run_with_a_warning(invoke, lab: Path) -> None:  # type: ignore[no-untyped-def]
    result = invoke("ls", "--db", str(lab))
    assert result.exit_code == 0, result.stderr
    rows = {line.split()[1]: line for line in result.stdout.splitlines()[1:3]}
    assert "done ⚠" in rows["stuck"]
    assert "⚠" not in rows["healthy"]
    assert " done " in rows["healthy"]

    listed = json.loads(invoke("ls", "--db", str(lab), "--json").stdout)["experiments"]
    assert {e["name"]: e["warning"] for e in listed} == {"stuck": SENTENCE, "healthy": None}
    assert {e["status"] for e in listed} == {"done"}  # the mark is never part of the status


def test_show_and_logs_print_the_warning(invoke, lab: Path) -> None:  # type: ignore[no-untyped-def]
    shown = invoke("show", "2", "--db", str(lab))
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.splitlines()[0].endswith("done ⚠")
    assert "  warning        Training accuracy rose to 95.0%" in shown.stdout
    assert "stuck_at_chance" in shown.stdout
    assert json.loads(invoke("show", "2", "--db", str(lab), "--json").stdout)["warning"] == (
        SENTENCE
    )
    healthy = invoke("show", "1", "--db", str(lab)).stdout
    assert "⚠" not in healthy and "warning" not in healthy

    logs = invoke("logs", "2", "--db", str(lab))
    assert logs.exit_code == 0, logs.stderr
    assert f"stuck_at_chance: {SENTENCE}" in logs.stdout
