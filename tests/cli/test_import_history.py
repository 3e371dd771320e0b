"""`cnnlab import` of past trainings from the shell: Keras' CSVLogger files and TensorBoard
folders (written by real Keras callbacks) become fit rows that `ls`, `show` and `report` show
as they show a trained run; each bad input is one `Error:` line, exit 2, and no row."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from support.keras_logs import KerasLogs, shared_keras_logs

from cnnlab.store import count_experiments, get_detail, open_store

from ..conftest import Invoke


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> KerasLogs:
    return shared_keras_logs(tmp_path_factory)


def rows(db: Path) -> int:
    with open_store(db) as store:
        return count_experiments(store)


def test_import_ls_show_of_a_csvlogger_file(invoke: Invoke, db_path: Path, logs: KerasLogs) -> None:
    db = str(db_path)
    result = invoke(
        "import", str(logs.plain_csv), "--model", "tiny cnn", "--data", "synth", "--db", db
    )
    assert result.exit_code == 0, result.stderr
    best = max(logs.plain["val_accuracy"])
    epoch = logs.plain["val_accuracy"].index(best) + 1
    assert result.stdout == (
        f"Imported plain.csv as experiment 1: 3 epoch(s); best val_accuracy {best:.4f} at "
        f"epoch {epoch}.\n"
    )
    listed = invoke("ls", "--json", "--db", db)
    (row,) = json.loads(listed.stdout)["experiments"]
    assert (row["kind"], row["status"], row["model"], row["dataset"], row["epochs_run"]) == (
        "fit",
        "done",
        "tiny cnn",
        "synth",
        3,
    )
    table = invoke("ls", "--db", db).stdout
    assert "plain.csv" in table and "fit" in table and "tiny cnn" in table
    shown = json.loads(invoke("show", "1", "--json", "--db", db).stdout)
    assert [e["metrics"]["loss"] for e in shown["epochs"]] == logs.plain["loss"]
    assert [e["lr"] for e in shown["epochs"]] == logs.plain["learning_rate"]
    text = invoke("show", "1", "--db", db).stdout
    assert "Imported 3 epoch(s) (epochs 1 to 3) from the Keras CSVLogger file" in text
    # `report` wants a run's time, which a CSVLogger file does not record: it says so.
    report = invoke("report", "1", "--db", db)
    assert report.exit_code == 2
    assert "has no finished run with a time and an accuracy" in report.stderr


def test_import_and_report_of_a_tensorboard_run(
    invoke: Invoke, db_path: Path, logs: KerasLogs
) -> None:
    db = str(db_path)
    result = invoke("import", str(logs.tensorboard / "plain"), "--json", "--db", db)
    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    (shape,) = answer["runs"]
    assert (answer["id"], answer["ids"], answer["skipped"]) == (1, [1], [])
    assert (shape["id"], shape["kind"], shape["status"], shape["epochs"]) == (1, "fit", "done", 3)
    report = invoke("report", "1", "--format", "json", "--db", db)
    assert report.exit_code == 0, report.stderr
    (group,) = json.loads(report.stdout)["groups"]
    (run,) = group["runs"]
    best = max(float(np.float32(v)) for v in logs.plain["val_accuracy"])
    assert run["accuracy"] == pytest.approx(best)
    with open_store(db_path) as store:
        seconds = get_detail(store, 1).experiment.train_seconds
    assert seconds is not None and run["minutes"] == pytest.approx(seconds / 60)


def test_a_folder_of_runs_prints_one_line_each_and_a_json_list(
    invoke: Invoke, db_path: Path, logs: KerasLogs
) -> None:
    result = invoke("import", str(logs.tensorboard), "--json", "--db", str(db_path))
    assert result.exit_code == 0, result.stderr
    shapes = json.loads(result.stdout)["runs"]
    assert [s["name"] for s in shapes] == ["tb/plain", "tb/resumed"]
    assert "Epoch(s) 2 were logged more than once" in shapes[1]["notes"][0]


def test_a_folder_imported_again_records_only_its_new_runs(
    invoke: Invoke, db_path: Path, logs: KerasLogs
) -> None:
    """`cnnlab import logs/fit` after a run was added (or one imported on its own): the runs
    imported before are skipped, each named, the others recorded (the whole folder was
    refused for its one old run); a folder all imported before is still refused."""
    db = str(db_path)
    first = invoke("import", str(logs.tensorboard / "plain"), "--db", db)
    assert first.exit_code == 0, first.stderr
    again = invoke("import", str(logs.tensorboard), "--json", "--db", db)
    assert again.exit_code == 0, again.stderr
    answer = json.loads(again.stdout)
    assert [run["name"] for run in answer["runs"]] == ["tb/resumed"]
    assert answer["skipped"] == [{"run": "tb/plain", "experiment_id": 1}]
    assert again.stderr == "Skipped tb/plain: imported already, as fit 1 (plain).\n"
    assert rows(db_path) == 2
    third = invoke("import", str(logs.tensorboard), "--db", db)
    assert third.exit_code == 2
    assert third.stderr.startswith("Error: ") and "imported already, as fit 1" in third.stderr
    assert rows(db_path) == 2


def test_a_tensorboard_import_prints_no_tensorflow_warning(logs: KerasLogs, tmp_path: Path) -> None:
    """TensorFlow's reader logged "tf_record_iterator ... is deprecated" (four lines, twice)
    to the terminal of whoever imported a folder; the real CLI, in its own process."""
    done = subprocess.run(
        [sys.executable, "-m", "cnnlab", "--db", str(tmp_path / "x.db"), "import",
         str(logs.tensorboard / "plain")],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Imported plain as experiment 1: 3 epoch(s)")
    assert "deprecated" not in done.stderr and "WARNING:tensorflow" not in done.stderr, done.stderr


def test_a_diverged_log_is_imported_and_marked_failed(
    invoke: Invoke, db_path: Path, logs: KerasLogs
) -> None:
    result = invoke("import", str(logs.diverged_csv), "--db", str(db_path))
    assert result.exit_code == 0
    assert "Marked failed: The loss became NaN at epoch 3" in result.stderr
    assert "failed" in invoke("ls", "--db", str(db_path)).stdout


def test_a_model_file_still_imports_as_before_and_refuses_a_model_label(
    invoke: Invoke, db_path: Path, tmp_path: Path
) -> None:
    model = tmp_path / "m.tflite"
    model.write_bytes(b"garbage")
    result = invoke("import", str(model), "--model", "x", "--db", str(db_path))
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: --model labels a training log; a model file names its own model, so leave it out.\n"
    )


def bad_inputs(logs: KerasLogs, tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    """name: (arguments after `import`, the error line's start after 'Error: ')."""
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    header = tmp_path / "header only.csv"
    header.write_text(logs.plain_csv.read_text().splitlines()[0] + "\n")
    other = tmp_path / "prices.csv"
    other.write_text("item,price\ntea,3\n")
    text = tmp_path / "text value.csv"
    lines = logs.plain_csv.read_text().splitlines()
    text.write_text("\n".join([lines[0], lines[1].replace(lines[1].split(",")[3], "oops")]))
    folder = tmp_path / "plain folder"
    folder.mkdir()
    (folder / "notes.txt").write_text("x")
    no_scalars = tmp_path / "no scalars"
    (no_scalars / "train").mkdir(parents=True)
    shutil.copyfile(
        next((logs.tensorboard / "plain" / "train").glob("events*")),
        no_scalars / "train" / "events.out.tfevents.0.host.0.v2",
    )
    cut = no_scalars / "train" / "events.out.tfevents.0.host.0.v2"
    cut.write_bytes(cut.read_bytes()[:200])  # the header records only
    return {
        "missing": ([str(tmp_path / "gone.csv")], f"{tmp_path / 'gone.csv'} does not exist"),
        "empty": ([str(empty)], "empty.csv is empty"),
        "header only": ([str(header)], "header only.csv has a CSVLogger header but no epochs"),
        "not a CSVLogger file": ([str(other)], "prices.csv is not a Keras CSVLogger file"),
        "text in a metric": ([str(text)], "text value.csv, line 2, column 'loss': 'oops'"),
        "neither kind of folder": ([str(folder)], f"{folder} is a folder with neither"),
        "no scalars": ([str(no_scalars)], f"{no_scalars} holds 1 TensorBoard event file(s)"),
        "wrong format": ([str(logs.plain_csv), "--format", "tensorboard"], "--format tensorboard"),
    }


CASES = [
    "missing",
    "empty",
    "header only",
    "not a CSVLogger file",
    "text in a metric",
    "neither kind of folder",
    "no scalars",
    "wrong format",
]


@pytest.mark.parametrize("case", CASES)
def test_a_bad_input_is_one_error_line_and_no_row(
    invoke: Invoke, db_path: Path, logs: KerasLogs, tmp_path: Path, case: str
) -> None:
    args, start = bad_inputs(logs, tmp_path)[case]
    invoke("import", str(logs.resumed_csv), "--db", str(db_path))  # a row there already
    before = rows(db_path)
    result = invoke("import", *args, "--db", str(db_path))
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith(f"Error: {start}"), result.stderr
    assert result.stderr.count("\n") == 1
    assert rows(db_path) == before == 1


def test_the_same_log_twice_is_refused(invoke: Invoke, db_path: Path, logs: KerasLogs) -> None:
    assert invoke("import", str(logs.plain_csv), "--db", str(db_path)).exit_code == 0
    again = invoke("import", str(logs.plain_csv), "--name", "again", "--db", str(db_path))
    assert again.exit_code == 2
    assert again.stderr == (
        "Error: plain.csv was imported already, as fit 1 (plain.csv); a second copy would "
        "count one training twice, so nothing was recorded; to import it anew, remove that "
        "fit first (`cnnlab rm 1`).\n"
    )
    assert rows(db_path) == 1
