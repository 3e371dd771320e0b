"""Eight job processes appending epochs while the TUI keeps listing: nobody sees a lock error."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from cnnlab.store import ExperimentQuery, create_experiment, list_experiments, open_store

WRITERS = 8
EPOCHS = 500

WRITER = textwrap.dedent("""
    import sys
    from cnnlab.store import append_epoch, open_store
    store = open_store(sys.argv[1])
    experiment_id = int(sys.argv[2])
    for epoch in range(1, int(sys.argv[3]) + 1):
        append_epoch(store, experiment_id, epoch,
                     {"loss": 1 / epoch, "accuracy": 0.5, "val_loss": 1.1 / epoch,
                      "val_accuracy": 0.4}, lr=1e-3, seconds=0.01)
    print("ok")
""")

READER = textwrap.dedent("""
    import sys, time
    from cnnlab.store import ExperimentQuery, list_experiments, open_store
    store = open_store(sys.argv[1])
    pages = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        page = list_experiments(store, ExperimentQuery(limit=100))
        pages += 1
        if sum(e.epochs_run for e in page) == int(sys.argv[2]):
            break
    print("ok", pages)
""")


def test_eight_writers_and_a_reader_never_see_a_locked_database(db_path: Path) -> None:
    with open_store(db_path) as store:
        ids = [create_experiment(store, "train", name=f"writer {i}") for i in range(WRITERS)]

    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(db_path), str(WRITERS * EPOCHS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db_path), str(experiment_id), str(EPOCHS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for experiment_id in ids
    ]
    for process in [*writers, reader]:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        assert "locked" not in err and out.startswith("ok"), (out, err)
    assert int(out.split()[1]) > 1  # the reader really listed while the writers wrote

    with open_store(db_path) as store:
        assert store.read("SELECT count(*) FROM epochs")[0][0] == WRITERS * EPOCHS
        page = list_experiments(store, ExperimentQuery(limit=100))
        assert sorted(e.epochs_run for e in page) == [EPOCHS] * WRITERS
