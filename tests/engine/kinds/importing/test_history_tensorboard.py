"""`cnnlab import` of TensorBoard folders written by Keras' own TensorBoard callback.

TensorBoard keeps each scalar as a float32 tensor, so the imported numbers are compared with
Keras' History rounded to float32, exactly. The plain run was logged with update_freq="batch":
its batch scalars (stepped by the global batch, 9 of them) must not become epochs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from support.keras_logs import KerasLogs, shared_keras_logs

from cnnlab.engine.history_import import import_history
from cnnlab.errors import CnnlabError
from cnnlab.store import Store, count_experiments, get_detail


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> KerasLogs:
    return shared_keras_logs(tmp_path_factory)


def as_float32(history: dict[str, list[float]], index: int) -> dict[str, float]:
    return {k: float(np.float32(v[index])) for k, v in history.items() if k != "learning_rate"}


def test_a_run_folder_becomes_a_fit_with_the_history_keras_returned(
    store: Store, logs: KerasLogs
) -> None:
    run_folder = logs.tensorboard / "plain"
    (run,) = import_history(store, run_folder, data="synthetic")
    detail = get_detail(store, run.experiment_id)
    e = detail.experiment
    assert (e.kind, e.status, e.name, e.dataset) == ("fit", "done", "plain", "synthetic")
    assert e.model == "tiny_logged"  # from the graph summary Keras wrote
    assert e.spec["source"] == "tensorboard" and e.spec["path"] == str(run_folder)
    assert [epoch.epoch for epoch in detail.epochs] == [1, 2, 3]  # not the 9 batch steps
    for index, epoch in enumerate(detail.epochs):
        assert epoch.metrics == as_float32(logs.plain, index)
        assert epoch.lr == float(np.float32(logs.plain["learning_rate"][index]))
        assert epoch.seconds is not None and epoch.seconds >= 0
    assert e.epochs_run == 3
    assert e.final_metrics == as_float32(logs.plain, 2)
    assert e.train_seconds == pytest.approx(sum(ep.seconds or 0 for ep in detail.epochs), 1e-3)
    assert e.started_at is not None and e.finished_at is not None
    assert e.started_at <= detail.epochs[0].at <= detail.epochs[-1].at == e.finished_at
    best = max(as_float32(logs.plain, i)["val_accuracy"] for i in range(3))
    assert (e.best_metric, e.best_value, e.best_val_accuracy) == ("val_accuracy", best, best)


def test_a_resumed_run_keeps_the_later_file_of_a_repeated_epoch(
    store: Store, logs: KerasLogs
) -> None:
    (run,) = import_history(store, logs.tensorboard / "resumed")
    epochs = get_detail(store, run.experiment_id).epochs
    expected = [
        as_float32(logs.resumed_first, 0),
        as_float32(logs.resumed_second, 0),
        as_float32(logs.resumed_second, 1),
    ]
    assert [e.metrics for e in epochs] == expected
    assert run.notes[0].startswith("Epoch(s) 2 were logged more than once")


def test_a_folder_of_runs_imports_each_as_its_own_fit(store: Store, logs: KerasLogs) -> None:
    runs = import_history(store, logs.tensorboard, name="lab 2024")
    assert [r.name for r in runs] == ["lab 2024/plain", "lab 2024/resumed"]
    assert [r.epochs for r in runs] == [3, 3]
    assert count_experiments(store) == 2


def test_a_folder_imported_before_is_refused_whole(store: Store, logs: KerasLogs) -> None:
    (first,) = import_history(store, logs.tensorboard / "resumed")
    with pytest.raises(CnnlabError, match=rf"as fit {first.experiment_id} \(resumed\)"):
        import_history(store, logs.tensorboard)  # plain/ is new, resumed/ is not
    assert count_experiments(store) == 1


def copied_run(logs: KerasLogs, tmp_path: Path) -> Path:
    target = tmp_path / "copied run"
    shutil.copytree(logs.tensorboard / "plain", target)
    return target


def train_file(run: Path) -> Path:
    (path,) = sorted((run / "train").glob("events.out.tfevents.*"))
    return path


def test_a_file_cut_short_is_read_to_its_last_whole_record(
    store: Store, logs: KerasLogs, tmp_path: Path
) -> None:
    run_folder = copied_run(logs, tmp_path)
    path = train_file(run_folder)
    path.write_bytes(path.read_bytes()[:-7])  # the last record (epoch 3's last scalar) cut
    (run,) = import_history(store, run_folder)
    assert any("ends inside a record (7 byte(s) of it are missing" in n for n in run.notes)
    assert any(path.name in n for n in run.notes)
    epochs = get_detail(store, run.experiment_id).epochs
    assert len(epochs) == 3
    assert epochs[0].metrics == as_float32(logs.plain, 0)


def test_a_corrupt_file_keeps_what_was_read_before_and_says_so(
    store: Store, logs: KerasLogs, tmp_path: Path
) -> None:
    run_folder = copied_run(logs, tmp_path)
    path = train_file(run_folder)
    data = bytearray(path.read_bytes())
    data[len(data) * 3 // 4] ^= 0xFF  # a flipped byte inside the training's last records
    path.write_bytes(bytes(data))
    (run,) = import_history(store, run_folder)
    (note,) = [n for n in run.notes if "is corrupt" in n]
    assert path.name in note and "the records after it are not" in note
    epochs = get_detail(store, run.experiment_id).epochs
    assert epochs[0].metrics["loss"] == float(np.float32(logs.plain["loss"][0]))
    event = [e for e in get_detail(store, run.experiment_id).events if e.kind == "imported"]
    assert "is corrupt" in event[0].message


def test_a_folder_without_epoch_scalars_is_refused(store: Store, tmp_path: Path) -> None:
    import tensorflow as tf

    run_folder = tmp_path / "empty run"
    writer = tf.summary.create_file_writer(str(run_folder / "train"))
    with writer.as_default():
        tf.summary.scalar("batch_loss", 1.0, step=1)  # a run stopped inside its first epoch
    writer.close()
    before = count_experiments(store)
    with pytest.raises(CnnlabError, match=r"no epoch scalars .*only batch_loss \(batch scalars"):
        import_history(store, run_folder)
    assert count_experiments(store) == before


def test_a_file_that_is_no_event_file_is_refused_naming_it(store: Store, tmp_path: Path) -> None:
    run_folder = tmp_path / "junk"
    (run_folder / "train").mkdir(parents=True)
    (run_folder / "train" / "events.out.tfevents.1.host.1.v2").write_bytes(b"not a record" * 4)
    with pytest.raises(CnnlabError, match=r"junk/train/events.out.tfevents.1.host.1.v2 is corrupt"):
        import_history(store, run_folder)
    assert count_experiments(store) == 0


def test_a_folder_of_neither_kind_is_refused(store: Store, tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("hello")
    with pytest.raises(CnnlabError, match=r"neither saved_model\.pb .* nor TensorBoard event"):
        import_history(store, tmp_path / "notes")
    assert count_experiments(store) == 0
