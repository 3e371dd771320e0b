"""The `warning` summary column (migration m005): added to older databases, set and cleared
through `update_summary`, and part of an experiment's JSON shape."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from cnnlab.store import create_experiment, get_experiment, open_store, update_summary


def test_an_older_database_gains_the_column_and_keeps_its_rows(db_path: Path) -> None:
    with open_store(db_path) as store:
        old = create_experiment(store, "train", name="before m005", model="alexnet")
    # Make it the database an older cnnlab wrote: m004 its last migration, no `warning` column.
    conn = sqlite3.connect(db_path)
    conn.execute("ALTER TABLE experiments DROP COLUMN warning")
    for column in ("waiting_for", "held", "queue_rank"):  # m006, after it
        conn.execute(f"ALTER TABLE experiments DROP COLUMN {column}")
    conn.execute("DELETE FROM _migrations WHERE name IN ('m005_warning', 'm006_queue')")
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()

    with open_store(db_path) as store:
        experiment = get_experiment(store, old)
        assert experiment.name == "before m005"
        assert experiment.warning is None
        assert experiment.to_json()["warning"] is None
    conn = sqlite3.connect(db_path)
    names = [row[0] for row in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]
    conn.close()
    assert names[-2:] == ["m005_warning", "m006_queue"]


def test_a_warning_is_set_shown_in_json_and_cleared(db_path: Path) -> None:
    with open_store(db_path) as store:
        experiment_id = create_experiment(store, "train", model="alexnet")
        assert get_experiment(store, experiment_id).warning is None
        sentence = "Training accuracy rose to 95.0% while validation accuracy stayed at chance."
        update_summary(store, experiment_id, warning=sentence)
        experiment = get_experiment(store, experiment_id)
        assert experiment.warning == sentence
        assert experiment.to_json()["warning"] == sentence
        update_summary(store, experiment_id, warning=None)
        assert get_experiment(store, experiment_id).warning is None
