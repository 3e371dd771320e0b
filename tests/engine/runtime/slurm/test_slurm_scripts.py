"""`cnnlab run --backend slurm` through a real single-node Slurm: the script runs on the node,
told to report into its run folder (never the database), a Recorder's epochs arrive through
report.jsonl, and `stop` (scancel) ends it `stopped`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from support.waiting import wait_for

from cnnlab.store import get_experiment, list_epochs, list_events, open_store

SLURM = ["--backend", "slurm", "--gpus", "0", "--sbatch-arg=--cpus-per-task=1"]
FINAL = ("done", "failed", "stopped", "lost")
SCRIPT = """
import json, os, signal, sys, time
print('env', json.dumps({k: v for k, v in os.environ.items() if k.startswith('CNNLAB_')}),
      flush=True)
if sys.argv[1] == 'wait':
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        time.sleep(0.1)
os.environ['TF_CPP_MIN_LOG_LEVEL'] = '2'
import keras
import numpy as np
from cnnlab.keras import Recorder
x, y = np.random.rand(16, 8, 8, 3).astype('float32'), np.random.randint(0, 2, 16)
model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(2)])
model.compile('adam', keras.losses.SparseCategoricalCrossentropy(from_logits=True))
model.fit(x, y, epochs=2, verbose=0, validation_split=0.25, callbacks=[Recorder('on a node')])
"""


def status(db_path: Path, experiment_id: int) -> str:
    with open_store(db_path) as store:
        return str(get_experiment(store, experiment_id).status)


def test_a_script_runs_on_a_node_reports_through_files_and_stops(
    slurm: Any, run_cnnlab: Any, db_path: Path, tmp_path: Path
) -> None:
    from cnnlab.engine import stop, stop_scheduler

    (tmp_path / "job.py").write_text(SCRIPT)
    run = ["run", *SLURM, "--json", "--db", str(db_path), "--", sys.executable, "job.py"]
    try:
        result = run_cnnlab(*run, "fit", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        fitted = int(json.loads(result.stdout)["id"])
        result = run_cnnlab(*run, "wait", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        waiting = int(json.loads(result.stdout)["id"])
        wait_for(lambda: status(db_path, fitted) in FINAL, 240, "the fitting script")
        wait_for(lambda: status(db_path, waiting) == "running", 120, "the waiting script")
        with open_store(db_path) as store:
            log = store.run_dir(waiting) / "log.txt"
            wait_for(lambda: "env " in log.read_text(), 60, "the waiting script's output")
            assert stop(store, waiting) == "stopping"
        wait_for(lambda: status(db_path, waiting) in FINAL, 120, "the stopped script")
        with open_store(db_path) as store:
            fit, waited = get_experiment(store, fitted), get_experiment(store, waiting)
            epochs = list_epochs(store, fitted)
            fit_log = (store.run_dir(fitted) / "log.txt").read_text()
            run_dir = store.run_dir(fitted)
            last = list_events(store, waiting)[-1]
    finally:
        with open_store(db_path) as store:
            stop_scheduler(store)
    assert fit.status == "done", (fit.error, fit_log[-3000:])
    assert (fit.backend, fit.host, fit.kind) == ("slurm", slurm.node, "script")
    env = json.loads(fit_log.split("env ", 1)[1].splitlines()[0])
    assert env == {"CNNLAB_EXPERIMENT_ID": str(fitted), "CNNLAB_RUN_DIR": str(run_dir)}
    assert [e.epoch for e in epochs] == [1, 2]  # the Recorder's, through report.jsonl
    assert waited.status == "stopped" and last.kind == "stopped", (waited.error, last.message)
