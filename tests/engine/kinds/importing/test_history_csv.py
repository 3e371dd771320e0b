"""`cnnlab import` of Keras CSVLogger files written by real Keras callbacks in this session.

Each imported run is compared value for value with the `History` Keras returned: CSVLogger
writes Python's repr of each float, so the stored numbers are the same floats. The bad inputs
are the real files changed by hand, each refused with one sentence and no row written.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
from support.keras_logs import KerasLogs, shared_keras_logs

from cnnlab.engine.history_import import import_history
from cnnlab.errors import CnnlabError
from cnnlab.store import Store, count_experiments, get_detail

KERAS_TO_CNNLAB = {"loss", "accuracy", "val_loss", "val_accuracy"}


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> KerasLogs:
    return shared_keras_logs(tmp_path_factory)


def expected_epochs(history: dict[str, list[float]]) -> list[tuple[dict[str, float], float]]:
    """(metrics, lr) per epoch, as cnnlab should store them."""
    count = len(history["loss"])
    rows = []
    for i in range(count):
        metrics = {k: v[i] for k, v in history.items() if k != "learning_rate"}
        rows.append((metrics, history.get("learning_rate", [math.nan] * count)[i]))
    return rows


def test_a_csvlogger_file_becomes_a_fit_with_the_history_keras_returned(
    store: Store, logs: KerasLogs
) -> None:
    (run,) = import_history(store, logs.plain_csv, model="tiny cnn", data="synthetic 16px")
    detail = get_detail(store, run.experiment_id)
    e = detail.experiment
    assert (e.kind, e.status, e.name, e.model, e.dataset) == (
        "fit",
        "done",
        "plain.csv",
        "tiny cnn",
        "synthetic 16px",
    )
    assert e.spec["source"] == "csvlogger" and e.spec["path"] == str(logs.plain_csv)
    assert [epoch.epoch for epoch in detail.epochs] == [1, 2, 3]  # Keras wrote 0, 1, 2
    for epoch, (metrics, lr) in zip(detail.epochs, expected_epochs(logs.plain), strict=True):
        assert epoch.metrics == metrics  # the same floats, the top-k metric under its name
        assert epoch.lr == lr
        assert epoch.seconds is None  # a CSVLogger file has no times
    history = logs.plain
    assert e.epochs_run == 3
    assert e.final_metrics == expected_epochs(history)[-1][0]
    best = max(history["val_accuracy"])
    assert e.best_val_accuracy == best
    assert (e.best_metric, e.best_value) == ("val_accuracy", best)
    assert e.best_epoch == history["val_accuracy"].index(best) + 1  # the first to reach it
    assert e.train_seconds is None and e.stopped_early is None
    imported = [ev for ev in detail.events if ev.kind == "imported"]
    assert len(imported) == 1 and str(logs.plain_csv) in imported[0].message
    assert imported[0].data["sha256"] == e.spec["imported"]["sha256"]
    assert [ev.kind for ev in detail.events] == ["imported", "best_epoch"]


def test_a_custom_separator_reads_the_same_numbers(store: Store, logs: KerasLogs) -> None:
    (comma,) = import_history(store, logs.plain_csv)
    (semicolon,) = import_history(store, logs.semicolon_csv)
    first = get_detail(store, comma.experiment_id).epochs
    second = get_detail(store, semicolon.experiment_id).epochs
    assert [(e.metrics, e.lr) for e in first] == [(e.metrics, e.lr) for e in second]


def test_a_resumed_run_keeps_the_last_row_of_a_repeated_epoch_and_says_so(
    store: Store, logs: KerasLogs
) -> None:
    (run,) = import_history(store, logs.resumed_csv)
    detail = get_detail(store, run.experiment_id)
    first, second = expected_epochs(logs.resumed_first), expected_epochs(logs.resumed_second)
    # Epoch 1 (Keras' 0) from the first fit; 2 and 3 from the resumed one (initial_epoch=1).
    assert [e.metrics for e in detail.epochs] == [first[0][0], second[0][0], second[1][0]]
    (event,) = [ev for ev in detail.events if ev.kind == "imported"]
    assert "Epoch(s) 2 were logged more than once (a resumed run); the last of each is kept." in (
        event.message
    )
    assert event.data["repeated_epochs"] == [2]
    assert run.notes[0].startswith("Epoch(s) 2 were logged more than once")


def test_a_nan_loss_fails_the_row_as_a_diverged_training_and_keeps_its_epochs(
    store: Store, logs: KerasLogs
) -> None:
    assert math.isnan(logs.diverged["loss"][2])  # the real run diverged at Keras' epoch 2
    (run,) = import_history(store, logs.diverged_csv)
    detail = get_detail(store, run.experiment_id)
    e = detail.experiment
    assert e.status == "failed" and run.status == "failed"
    assert e.error == (
        "The loss became NaN at epoch 3 (as the Keras CSVLogger file records it): the run "
        "diverged; its epochs are kept as logged, that value as missing."
    )
    assert [epoch.epoch for epoch in detail.epochs] == [1, 2, 3]
    last = detail.epochs[-1].metrics
    assert "loss" not in last and "val_loss" not in last  # NaN is stored as missing
    assert last["accuracy"] == logs.diverged["accuracy"][2]
    assert detail.epochs[0].metrics["loss"] == logs.diverged["loss"][0]
    assert "failed" in [ev.kind for ev in detail.events]


def test_any_file_name_with_a_csvlogger_header_is_one(
    store: Store, logs: KerasLogs, tmp_path: Path
) -> None:
    # Keras' own docstring logs to 'training.log'.
    log = tmp_path / "a folder with spaces" / "training.log"
    log.parent.mkdir()
    shutil.copyfile(logs.plain_csv, log)
    (run,) = import_history(store, log, name="baseline, lab notebook 3")
    detail = get_detail(store, run.experiment_id)
    assert detail.experiment.name == "baseline, lab notebook 3"
    assert detail.experiment.spec["path"] == str(log)
    assert len(detail.epochs) == 3


def test_an_array_valued_metric_is_left_out_with_a_note(store: Store, tmp_path: Path) -> None:
    # CSVLogger's form for a metric with one value per class (F1Score without averaging).
    log = tmp_path / "f1.csv"
    log.write_text('epoch,f1_score,loss\n0,"[0.1, 0.2, 0.3]",1.5\n1,"[0.2, 0.3, 0.4]",1.25\n')
    (run,) = import_history(store, log)
    detail = get_detail(store, run.experiment_id)
    assert [e.metrics for e in detail.epochs] == [{"loss": 1.5}, {"loss": 1.25}]
    assert any("array-valued column(s) f1_score" in note for note in run.notes)


def test_older_keras_names_are_shown_as_cnnlab_names_them(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "keras2.csv"
    log.write_text("epoch,acc,loss,lr,val_acc,val_loss\n0,0.5,1.2,0.01,0.4,1.3\n")
    (run,) = import_history(store, log)
    (epoch,) = get_detail(store, run.experiment_id).epochs
    assert epoch.metrics == {"accuracy": 0.5, "loss": 1.2, "val_accuracy": 0.4, "val_loss": 1.3}
    assert epoch.lr == 0.01
    assert any("acc as accuracy" in note for note in run.notes)


def test_the_same_file_twice_is_refused_naming_the_first(store: Store, logs: KerasLogs) -> None:
    (first,) = import_history(store, logs.plain_csv)
    before = count_experiments(store)
    with pytest.raises(CnnlabError, match=rf"as fit {first.experiment_id} \(plain.csv\)"):
        import_history(store, logs.plain_csv, name="again")
    assert count_experiments(store) == before


def _refused(store: Store, path: Path, message: str) -> None:
    before = count_experiments(store)
    with pytest.raises(CnnlabError, match=message):
        import_history(store, path)
    assert count_experiments(store) == before


def test_a_missing_file_is_refused(store: Store, tmp_path: Path) -> None:
    _refused(store, tmp_path / "gone.csv", "gone.csv does not exist")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty.csv is empty"),
        (b"  \n\n", "empty.csv is empty"),
        (b"name,size\nalice,3\n", r"is not a Keras CSVLogger file: its header starts with 'name'"),
        (b"epoch\n0\n1\n", "names no metric after 'epoch'"),
        (b"epoch,loss,loss\n0,1,2\n", "its header names loss twice"),
        (b"epoch,accuracy,loss\n", "has a CSVLogger header but no epochs"),
        (b"epoch,accuracy,loss\n0,NA,NA\n", "no metric values in them"),
        (b"epoch,accuracy,loss\n0,0.5,1.2\n1,0.6,high\n", r"line 3, column 'loss': 'high'"),
        (b"epoch,accuracy,loss\n0,0.5,1.2\n1,0.6\n", "line 3: 2 values under 3 columns"),
        (b"epoch,accuracy,loss\nfirst,0.5,1.2\n", r"line 2: the epoch is 'first'"),
        (b"\xff\xfe\x00e\x00p", "is not text"),
    ],
)
def test_a_file_that_is_not_a_csvlogger_log_is_refused_and_writes_nothing(
    store: Store, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    _refused(store, path, message)
