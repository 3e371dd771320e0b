"""A script with `cnnlab.keras.Recorder` run through `cnnlab run`: its epochs land in the
script job's own experiment (no second row), `stop` ends the fit after its batch, and a resume
continues from the script's own checkpoint. The same script run directly records a row of its
own. Tiny real Keras fits (8x8 inputs, a few hundred parameters)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from support.waiting import wait_for

from cnnlab.engine import resume, stop, submit_script
from cnnlab.store import Store, count_experiments, get_experiment, list_epochs, open_store

FINAL = ("done", "failed", "stopped", "lost")
SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np
    from cnnlab.keras import Recorder

    epochs, pause = int(sys.argv[1]), float(sys.argv[2])
    keras.utils.set_random_seed(0)
    x = np.random.rand(32, 8, 8, 3).astype("float32")
    y = np.random.randint(0, 2, 32)
    start = 0
    if os.environ.get("CNNLAB_RESUMED") == "1" and os.path.exists("last.keras"):
        model = keras.models.load_model("last.keras")
        start = int(open("last.epoch").read())
        print("resumed at epoch", start, flush=True)
    else:
        model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3),
                                  keras.layers.Flatten(), keras.layers.Dense(2, "softmax")])
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])

    class Checkpoint(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.save("last.keras")
            open("last.epoch", "w").write(str(epoch + 1))
            time.sleep(pause)  # a slow epoch, so that a stop arrives during the fit

    model.fit(x, y, epochs=epochs, initial_epoch=start, batch_size=8, validation_split=0.25,
              verbose=0, callbacks=[Checkpoint(), Recorder("stage 1")])
    print("fit returned", flush=True)
    """
)


def final(store: Store, experiment_id: int) -> str:
    done = lambda: get_experiment(store, experiment_id).status in FINAL  # noqa: E731
    wait_for(done, 300, "the script job")
    return get_experiment(store, experiment_id).status


def test_the_recorder_reports_into_the_script_job(store: Store, tmp_path: Path) -> None:
    (tmp_path / "fit.py").write_text(SCRIPT)
    (tmp_path / "cnnlab.toml").write_text("[engine]\nidle_timeout_s = 30.0\n")
    experiment_id = submit_script(store, [sys.executable, "fit.py", "2", "0"], cwd=tmp_path)
    assert final(store, experiment_id) == "done", get_experiment(store, experiment_id).error
    assert [e.epoch for e in list_epochs(store, experiment_id)] == [1, 2]
    assert all("val_accuracy" in e.metrics for e in list_epochs(store, experiment_id))
    assert count_experiments(store) == 1  # no row of the Recorder's own
    assert get_experiment(store, experiment_id).kind == "script"


def test_the_same_script_run_directly_records_its_own_row(tmp_path: Path) -> None:
    (tmp_path / "fit.py").write_text(SCRIPT)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CNNLAB_")}
    env["CNNLAB_DB"] = str(tmp_path / "own.db")
    result = subprocess.run(
        [sys.executable, "fit.py", "2", "0"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    with open_store(tmp_path / "own.db") as own:
        assert count_experiments(own) == 1
        [row] = [get_experiment(own, 1)]
        assert (row.kind, row.status, row.name) == ("fit", "done", "stage 1")
        assert [e.epoch for e in list_epochs(own, 1)] == [1, 2]


def test_a_stopped_fit_resumes_from_its_checkpoint(store: Store, tmp_path: Path) -> None:
    (tmp_path / "fit.py").write_text(SCRIPT)
    (tmp_path / "cnnlab.toml").write_text("[engine]\nidle_timeout_s = 30.0\n")
    experiment_id = submit_script(store, [sys.executable, "fit.py", "4", "1.5"], cwd=tmp_path)
    epochs = lambda: [e.epoch for e in list_epochs(store, experiment_id)]  # noqa: E731
    wait_for(lambda: len(epochs()) >= 1, 300, "the first epoch")
    stop(store, experiment_id)
    assert final(store, experiment_id) == "stopped"
    log = (store.run_dir(experiment_id) / "log.txt").read_text()
    assert "fit returned" in log  # the Recorder ended the fit; the script went on to its end
    reached = epochs()
    assert 1 <= len(reached) < 4
    resume(store, experiment_id)
    assert final(store, experiment_id) == "done", get_experiment(store, experiment_id).error
    assert epochs() == [1, 2, 3, 4]
    log = (store.run_dir(experiment_id) / "log.txt").read_text()
    assert f"resumed at epoch {len(reached)}" in log
    assert count_experiments(store) == 1
