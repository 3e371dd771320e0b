"""The local queue's order, claims and holds (`cnnlab.store.queue`), and `cnnlab queue`."""

from __future__ import annotations

import json
from pathlib import Path

from support.scheduler import scheduler_lock_held

from cnnlab.store import Store, create_experiment, get_experiment
from cnnlab.store.backends import LOCAL
from cnnlab.store.queue import claim, hold, move_to_front, queued_in_order, set_waiting


def test_order_front_hold_and_claim(store: Store) -> None:
    a, b, c = (create_experiment(store, "train") for _ in range(3))
    assert [e.id for e in queued_in_order(store, LOCAL)] == [a, b, c]
    move_to_front(store, c)
    hold(store, a)
    assert [e.id for e in queued_in_order(store, LOCAL)] == [c, b, a]  # held last
    assert claim(store, a, host="gpu-01") is None  # held: never started
    claimed = claim(store, c, host="gpu-01")
    assert claimed is not None and claimed.status == "running" and claimed.waiting_for is None
    assert claim(store, c, host="gpu-01") is None  # a claim happens once
    hold(store, a, held=False)
    assert [e.id for e in queued_in_order(store, LOCAL)] == [a, b]
    set_waiting(store, {b: "waiting for a GPU"})
    assert get_experiment(store, b).display_status == "queued (waiting for a GPU)"
    set_waiting(store, {b: None})
    assert get_experiment(store, b).display_status == "queued"


def test_cnnlab_queue_lists_steers_and_refuses(invoke, db_path: Path, store: Store) -> None:  # type: ignore[no-untyped-def]
    with scheduler_lock_held(store):  # nothing starts while the queue is steered
        a = create_experiment(store, "train", name="first")
        b = create_experiment(store, "convert", name="second")
        set_waiting(store, {a: "waiting for a GPU"})
        listed = invoke("queue", "--db", str(db_path))
        assert listed.exit_code == 0, listed.output
        assert "1. #1" in listed.output and "waiting for a GPU" in listed.output
        assert invoke("queue", "front", str(b), "--db", str(db_path)).exit_code == 0
        assert invoke("queue", "hold", str(a), "--db", str(db_path)).exit_code == 0
        shown = json.loads(invoke("queue", "--json", "--db", str(db_path)).output)
        assert [(j["id"], j["held"]) for j in shown] == [(b, False), (a, True)]
        assert shown[1]["waiting_for"].startswith("held")
        done = create_experiment(store, "train", status="done")
        refused = invoke("queue", "front", str(done), "--db", str(db_path))
        assert refused.exit_code == 2 and "is done, not queued" in refused.output
        missing = invoke("queue", "hold", "999", "--db", str(db_path))
        assert missing.exit_code == 2 and "No experiment with id 999" in missing.output
