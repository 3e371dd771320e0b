"""Real background training jobs on tiny generated images: live epochs, early stopping, stop,
kill -9, resume, the parallel limit, and failures that keep what was written."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support.waiting import wait_for as support_wait_for

from cnnlab.store import Store, get_detail, get_experiment, list_epochs, open_store

TRAIN = ["--model", "alexnet", "--input", "32", "--batch", "8"]


def wait_for(condition: Callable[[], bool], timeout: float = 180.0, what: str = "it") -> None:
    support_wait_for(condition, timeout, what)


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A learnable 3-class Fruits360-layout folder of 32x32 JPEGs."""
    from click.testing import CliRunner

    from cnnlab.cli import cli

    folder = tmp_path_factory.mktemp("data") / "shapes"
    result = CliRunner().invoke(
        cli,
        [
            "data",
            "synth",
            str(folder),
            "--classes",
            "3",
            "--per-class",
            "40",
            "--size",
            "32",
            "--seed",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def random_labels(images: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same images dealt at random into the classes: nothing to learn, so it stops early."""
    folder = tmp_path_factory.mktemp("data") / "noise"
    rng = random.Random(0)
    for split in ("Training", "Test"):
        files = sorted((images / split).glob("*/*"))
        classes = sorted(p.name for p in (images / split).iterdir())
        for index, file in enumerate(files):
            target = folder / split / rng.choice(classes) / f"{index}{file.suffix}"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(file, target)
    return folder


def submit(run_cnnlab, db_path: Path, data: Path, *args: str) -> int:  # type: ignore[no-untyped-def]
    """Submit from a separate process that exits at once, as a user's shell would."""
    result = run_cnnlab("train", *TRAIN, "--data", str(data), "--json", "--db", str(db_path), *args)
    assert result.returncode == 0, result.stderr
    return int(json.loads(result.stdout)["id"])


def ended(store: Store, experiment_id: int) -> bool:
    return get_experiment(store, experiment_id).status in ("done", "failed", "stopped", "lost")


def test_epochs_land_live_and_the_run_outlives_its_submitter(  # type: ignore[no-untyped-def]
    run_cnnlab, db_path: Path, images: Path
) -> None:
    experiment_id = submit(
        run_cnnlab, db_path, images, "--epochs", "4", "--patience", "-1", "--name", "live"
    )
    store = open_store(db_path)
    seen_running_with_epochs = False

    def progressing() -> bool:
        nonlocal seen_running_with_epochs
        e = get_experiment(store, experiment_id)
        if e.status == "running" and e.epochs_run >= 1:
            seen_running_with_epochs = True
        return e.status in ("done", "failed", "lost")

    wait_for(progressing, what="the run")
    assert seen_running_with_epochs, "no epoch row was readable while the job still ran"
    detail = get_detail(store, experiment_id)
    experiment = detail.experiment
    assert experiment.status == "done", experiment.error
    assert [e.epoch for e in detail.epochs] == [1, 2, 3, 4]
    for epoch in detail.epochs:
        assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(epoch.metrics)
        assert epoch.lr == pytest.approx(1e-3)
        assert epoch.seconds is not None
        assert epoch.seconds > 0
    assert experiment.epochs_run == 4
    assert experiment.stopped_early is False
    assert experiment.train_seconds is not None
    assert experiment.train_seconds > 0
    assert experiment.best_metric == "val_accuracy"
    assert experiment.best_epoch in (1, 2, 3, 4)
    assert experiment.final_metrics["val_accuracy"] == detail.epochs[-1].metrics["val_accuracy"]
    assert experiment.params is not None
    assert experiment.params > 0
    kinds = [e.kind for e in detail.events]
    for kind in ("queued", "started", "best_epoch", "checkpoint", "done"):
        assert kind in kinds
    started = next(e for e in detail.events if e.kind == "started")
    assert {"cnnlab", "python", "tensorflow", "keras"} <= set(started.data["versions"])
    assert started.data["host"]
    artifacts = {a.kind: a for a in detail.artifacts}
    assert set(artifacts) == {"keras", "saved_model"}
    assert (db_path.parent / artifacts["keras"].path).is_file()
    assert (db_path.parent / artifacts["saved_model"].path / "saved_model.pb").is_file()
    assert all(len(a.sha256) == 64 and a.bytes > 0 for a in artifacts.values())
    run_dir = store.run_dir(experiment_id)
    assert "Epoch" in (run_dir / "log.txt").read_text()
    assert json.loads((run_dir / "spec.json").read_text())["model"] == "alexnet"
    logs = run_cnnlab("logs", str(experiment_id), "--db", str(db_path))
    assert "Epoch 4/4" in logs.stdout
    assert "done" in logs.stdout


def test_early_stopping_is_recorded(run_cnnlab, db_path: Path, random_labels: Path) -> None:  # type: ignore[no-untyped-def]
    experiment_id = submit(
        run_cnnlab,
        db_path,
        random_labels,
        "--epochs",
        "30",
        "--patience",
        "1",
        "--monitor",
        "val_loss",
    )
    store = open_store(db_path)
    wait_for(lambda: ended(store, experiment_id), what="early stopping")
    detail = get_detail(store, experiment_id)
    assert detail.experiment.status == "done", detail.experiment.error
    [stop] = [e for e in detail.events if e.kind == "early_stopping"]
    assert stop.data["monitor"] == "val_loss"
    assert stop.data["stopped_epoch"] == stop.data["best_epoch"] + 1  # patience 1
    assert stop.data["restored_best_weights"] is True
    assert stop.message.startswith(f"Epoch {stop.data['stopped_epoch']}: early stopping")
    assert detail.experiment.stopped_early is True
    assert detail.experiment.epochs_run == stop.data["stopped_epoch"] < 30
    assert detail.experiment.best_epoch == stop.data["best_epoch"]


def test_stop_writes_a_checkpoint_and_resume_continues_the_numbering(  # type: ignore[no-untyped-def]
    run_cnnlab, db_path: Path, images: Path
) -> None:
    experiment_id = submit(run_cnnlab, db_path, images, "--epochs", "6", "--patience", "-1")
    store = open_store(db_path)
    wait_for(lambda: get_experiment(store, experiment_id).epochs_run >= 1, what="epoch 1")
    assert run_cnnlab("stop", str(experiment_id), "--db", str(db_path)).returncode == 0
    wait_for(lambda: ended(store, experiment_id), what="the stop")
    stopped = get_detail(store, experiment_id)
    assert stopped.experiment.status == "stopped"
    assert "stop_requested" in [e.kind for e in stopped.events]
    state = json.loads((store.run_dir(experiment_id) / "checkpoint" / "state.json").read_text())
    done_before = [e.epoch for e in stopped.epochs]
    assert state["completed_epochs"] == len(done_before) >= 1
    assert done_before == list(range(1, len(done_before) + 1))

    resumed = run_cnnlab("resume", str(experiment_id), "--wait", "--db", str(db_path))
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    final = get_detail(store, experiment_id)
    assert final.experiment.status == "done"
    assert [e.epoch for e in final.epochs] == [1, 2, 3, 4, 5, 6]
    [event] = [e for e in final.events if e.kind == "resumed"]
    assert event.data["completed_epochs"] == len(done_before)


def test_a_killed_job_is_lost_keeps_its_epochs_and_resumes(  # type: ignore[no-untyped-def]
    run_cnnlab, db_path: Path, images: Path
) -> None:
    experiment_id = submit(run_cnnlab, db_path, images, "--epochs", "5", "--patience", "-1")
    store = open_store(db_path)
    wait_for(lambda: get_experiment(store, experiment_id).epochs_run >= 1, what="epoch 1")
    pid = get_experiment(store, experiment_id).pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: ended(store, experiment_id), 60, "the job to be marked lost")
    lost = get_experiment(store, experiment_id)
    assert lost.status == "lost"
    assert lost.error is not None
    assert "signal 9" in lost.error
    kept = [e.epoch for e in list_epochs(store, experiment_id)]
    assert kept[0] == 1
    assert run_cnnlab("resume", str(experiment_id), "--wait", "--db", str(db_path)).returncode == 0
    assert [e.epoch for e in list_epochs(store, experiment_id)] == [1, 2, 3, 4, 5]


def test_with_max_parallel_one_the_second_job_waits(  # type: ignore[no-untyped-def]
    run_cnnlab, db_path: Path, images: Path
) -> None:
    (db_path.parent / "cnnlab.toml").write_text("[engine]\nmax_parallel = 1\n")
    first = submit(run_cnnlab, db_path, images, "--epochs", "2", "--patience", "-1")
    second = submit(run_cnnlab, db_path, images, "--epochs", "1", "--patience", "-1")
    store = open_store(db_path)
    wait_for(lambda: get_experiment(store, first).status == "running", what="the first job")
    while get_experiment(store, first).status == "running":
        assert get_experiment(store, second).status == "queued"
        time.sleep(0.05)
    wait_for(lambda: ended(store, second), what="the second job")
    a, b = get_experiment(store, first), get_experiment(store, second)
    assert (a.status, b.status) == ("done", "done")
    assert a.finished_at is not None
    assert b.started_at is not None
    assert b.started_at >= a.finished_at - 1.0


def test_bad_runs_fail_with_one_line_and_bad_requests_are_refused(  # type: ignore[no-untyped-def]
    run_cnnlab, db_path: Path, images: Path, tmp_path: Path
) -> None:
    refused = run_cnnlab(
        "train", *TRAIN, "--model", "alexnett", "--data", str(images), "--db", str(db_path)
    )
    assert refused.returncode == 2
    assert "Unknown model 'alexnett'" in refused.stderr
    assert (
        run_cnnlab(
            "train", *TRAIN, "--data", str(tmp_path / "nothing"), "--db", str(db_path)
        ).returncode
        == 2
    )
    assert (
        run_cnnlab(
            "train", *TRAIN, "--data", str(images), "--epochs", "0", "--db", str(db_path)
        ).returncode
        == 2
    )
    too_big = run_cnnlab(
        "train", *TRAIN, "--data", str(images), "--batch", "4096", "--db", str(db_path)
    )
    assert too_big.returncode == 2  # counted at submit, no longer a job that fails
    assert "Batch size 4096 is larger than the 120 training images" in too_big.stderr
    store = open_store(db_path)
    assert store.read("SELECT count(*) FROM experiments")[0][0] == 0

    copy = tmp_path / "vanishing"
    shutil.copytree(images, copy)
    vanished = submit(run_cnnlab, db_path, copy, "--epochs", "1")
    shutil.rmtree(copy)
    wait_for(lambda: ended(store, vanished), what="the failure")
    failed = get_experiment(store, vanished)
    assert failed.status == "failed"
    assert failed.error is not None
    assert str(copy) in failed.error
    assert "\n" not in failed.error


def test_wait_prints_keras_like_lines_and_exits_zero(  # type: ignore[no-untyped-def]
    run_cnnlab, db_path: Path, images: Path
) -> None:
    result = run_cnnlab(
        "train",
        *TRAIN,
        "--data",
        str(images),
        "--epochs",
        "2",
        "--patience",
        "-1",
        "--wait",
        "--db",
        str(db_path),
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("Epoch 1/2 - ") and "val_accuracy: " in line for line in lines)
    assert any(line.startswith("Epoch 2/2 - ") for line in lines)
    assert "ended done" in result.stderr


def test_wait_with_json_keeps_stdout_one_json_document(  # type: ignore[no-untyped-def]
    run_cnnlab, db_path: Path, images: Path
) -> None:
    result = run_cnnlab(
        "train",
        *TRAIN,
        "--data",
        str(images),
        "--epochs",
        "1",
        "--patience",
        "-1",
        "--wait",
        "--json",
        "--db",
        str(db_path),
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["statuses"] == {str(data["ids"][0]): "done"}
    assert "Epoch 1/1 - " in result.stderr
