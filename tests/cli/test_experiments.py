"""`cnnlab ls`, `show` and `rm`: output shapes, filters, where the database is, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cnnlab.store import (
    add_artifact,
    append_epoch,
    append_event,
    create_experiment,
    open_store,
    set_status,
)


@pytest.fixture
def lab(db_path: Path) -> Path:
    """A database with a finished training run, its conversion child, and a running job."""
    with open_store(db_path) as store:
        train = create_experiment(
            store,
            "train",
            name="fruit alexnet",
            model="alexnet",
            dataset="fruits360",
            spec={"epochs": 50, "batch": 32},
        )
        for epoch in (1, 2, 3):
            append_epoch(
                store,
                train,
                epoch,
                {"loss": 1 / epoch, "val_accuracy": 0.3 * epoch},
                lr=1e-3,
                seconds=113.0,
            )
        append_event(store, train, "early_stopping", "Epoch 3: early stopping")
        set_status(store, train, "running")
        set_status(store, train, "done")
        store.run_dir(train).mkdir(parents=True)
        (store.run_dir(train) / "model.keras").write_bytes(b"model")
        add_artifact(store, train, "keras", store.run_dir(train) / "model.keras")
        # Not left queued: a queued row makes `ls` start a real scheduler, which would run it
        # (and adopt the running row below) while the test reads.
        convert = create_experiment(store, "convert", name="int8", parent_id=train, model="alexnet")
        set_status(store, convert, "running")
        set_status(store, convert, "failed", error="Conversion failed: test row.")
        running = create_experiment(store, "train", name="cifar pretrain", model="mobilenet_v2")
        set_status(store, running, "running")
    return db_path


def test_ls_json_shape(invoke, lab: Path) -> None:  # type: ignore[no-untyped-def]
    result = invoke("ls", "--db", str(lab), "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"database", "total", "offset", "limit", "experiments"}
    assert data["total"] == 3
    assert [e["id"] for e in data["experiments"]] == [3, 2, 1]
    first = data["experiments"][2]
    assert first["best_val_accuracy"] == pytest.approx(0.9)
    assert first["epochs_run"] == 3
    assert first["status"] == "done"
    assert set(first) >= {
        "id",
        "name",
        "kind",
        "status",
        "model",
        "dataset",
        "parent_id",
        "group_id",
        "created_at",
        "started_at",
        "finished_at",
        "duration_s",
        "progress",
        "best",
        "final_metrics",
        "params",
        "error",
    }


def test_ls_filters_and_pages(invoke, lab: Path) -> None:  # type: ignore[no-untyped-def]
    def listed(*args: str) -> list[int]:
        result = invoke("ls", "--db", str(lab), "--json", *args)
        assert result.exit_code == 0, result.stderr
        return [e["id"] for e in json.loads(result.stdout)["experiments"]]

    assert listed("--status", "running") == [3]
    assert listed("--status", "running,done") == [3, 1]
    assert listed("--kind", "convert") == [2]
    assert listed("--model", "mobile*") == [3]
    assert listed("--limit", "1", "--offset", "1") == [2]
    assert listed("--sort", "best_val_accuracy") == [1, 3, 2]


def test_ls_table_for_people(invoke, lab: Path) -> None:  # type: ignore[no-untyped-def]
    result = invoke("ls", "--db", str(lab))
    assert result.exit_code == 0
    assert "fruit alexnet" in result.stdout and "cifar pretrain" in result.stdout
    assert "1-3 of 3 experiments" in result.stdout


def test_db_location_precedence(invoke, lab: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.chdir(other)
    empty = json.loads(invoke("ls", "--json").stdout)
    assert empty["database"] == str(other / "experiments.db") and empty["total"] == 0
    assert json.loads(invoke("ls", "--json", env={"CNNLAB_DB": str(lab)}).stdout)["total"] == 3
    assert json.loads(invoke("--db", str(lab), "ls", "--json").stdout)["total"] == 3
    # the command's own --db beats the group's, which beats CNNLAB_DB
    both = invoke(
        "--db",
        str(other / "experiments.db"),
        "ls",
        "--db",
        str(lab),
        "--json",
        env={"CNNLAB_DB": str(tmp_path / "nope.db")},
    )
    assert json.loads(both.stdout)["total"] == 3


def test_show_json_has_everything(invoke, lab: Path) -> None:  # type: ignore[no-untyped-def]
    result = invoke("show", "1", "--db", str(lab), "--json")
    data = json.loads(result.stdout)
    assert data["spec"] == {"epochs": 50, "batch": 32}
    assert [e["epoch"] for e in data["epochs"]] == [1, 2, 3]
    assert data["epochs"][0]["metrics"] == {"loss": 1.0, "val_accuracy": 0.3}
    assert data["events"][0]["kind"] == "early_stopping"
    assert data["artifacts"][0]["path"] == "runs/1/model.keras"
    assert data["children"] == [2]
    assert data["run_dir"] == str(lab.parent / "runs" / "1")


def test_show_for_people(invoke, lab: Path) -> None:  # type: ignore[no-untyped-def]
    result = invoke("show", "1", "--db", str(lab))
    assert result.exit_code == 0
    for text in ("fruit alexnet", "early_stopping", "model.keras", "val_accuracy", "fruits360"):
        assert text in result.stdout


@pytest.mark.parametrize(
    "command", [["show", "99"], ["rm", "99", "--yes"], ["rm", "1", "99", "--yes"]]
)
def test_unknown_ids_exit_2_with_one_line(invoke, lab: Path, command: list[str]) -> None:  # type: ignore[no-untyped-def]
    result = invoke(*command, "--db", str(lab))
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Error: No experiment with id 99; `cnnlab ls` lists the ones that exist."
    )
    assert json.loads(invoke("ls", "--db", str(lab), "--json").stdout)["total"] == 3


def test_rm_asks_first_and_without_an_answer_removes_nothing(run_cnnlab, lab: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_cnnlab("rm", "1", "--db", str(lab))  # no stdin, as in CI
    assert result.returncode != 0
    assert "Remove 1 experiment(s) (1) and their run folders?" in result.stdout
    assert (lab.parent / "runs" / "1" / "model.keras").exists()


def test_rm_removes_rows_and_folders(invoke, lab: Path) -> None:  # type: ignore[no-untyped-def]
    result = invoke("rm", "1", "--db", str(lab), input="y\n")
    assert result.exit_code == 0, result.stderr
    assert "Removed 1 experiment(s): 1." in result.stdout
    assert not (lab.parent / "runs" / "1").exists()
    remaining = json.loads(invoke("ls", "--db", str(lab), "--json").stdout)["experiments"]
    assert [(e["id"], e["parent_id"]) for e in remaining] == [(3, None), (2, None)]


def test_rm_refuses_running_jobs_unless_forced(invoke, lab: Path) -> None:  # type: ignore[no-untyped-def]
    refused = invoke("rm", "3", "--yes", "--db", str(lab))
    assert refused.exit_code == 2 and "still running" in refused.stderr
    forced = invoke("rm", "3", "--yes", "--force", "--db", str(lab))
    assert forced.exit_code == 0


def test_ls_marks_jobs_whose_process_vanished_as_lost(invoke, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with open_store(db_path) as store:
        experiment_id = create_experiment(store, "train")
        set_status(store, experiment_id, "running", pid=gone.pid)
    data = json.loads(invoke("ls", "--json", "--db", str(db_path)).stdout)
    [row] = data["experiments"]
    assert row["status"] == "lost"
    assert f"cnnlab resume {experiment_id}" in row["error"]


def test_the_sort_choices_are_the_stores_sortable_columns() -> None:
    from cnnlab.cli.experiments import SORT_CHOICES
    from cnnlab.store import SORTABLE

    assert SORT_CHOICES == SORTABLE


def test_show_prints_a_long_runs_first_best_and_last_epochs(invoke, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    from cnnlab.store import append_epoch, create_experiment, open_store, update_summary

    with open_store(db_path) as store:
        run = create_experiment(store, "fit", model="m", status="done")
        for number in range(1, 2001):
            append_epoch(store, run, number, {"val_accuracy": 0.9 if number == 777 else 0.5})
        update_summary(store, run, best_metric="val_accuracy", best_value=0.9, best_epoch=777)
    shown = invoke("show", str(run), "--db", str(db_path))
    assert shown.exit_code == 0, shown.output
    lines = [line for line in shown.output.splitlines() if "epochs shown" not in line]
    rows = [line.split()[0] for line in lines if line.startswith(" ") and line.split()[0].isdigit()]
    assert rows == [*map(str, range(1, 11)), "777", *map(str, range(1971, 2001))]
    assert "… 766 more" in shown.output and "… 1193 more" in shown.output
    assert "41 of 2,000 epochs shown" in shown.output


def test_logs_raw_prints_a_finished_jobs_whole_log(invoke, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    from cnnlab.store import create_experiment, open_store

    with open_store(db_path) as store:
        run = create_experiment(store, "script", status="done")
        folder = store.run_dir(run)
    folder.mkdir(parents=True)
    (folder / "log.txt").write_text("first line\nlast line before the end\n")
    for args in (["--raw"], ["--raw", "-f"]):
        shown = invoke("logs", str(run), *args, "--db", str(db_path))
        assert shown.exit_code == 0, shown.output
        assert shown.stdout == "first line\nlast line before the end\n"
