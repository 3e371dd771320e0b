"""The local queue's order, claims and holds (`cnnlab.store.queue`), and `cnnlab queue`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.scheduler import scheduler_lock_held

from cnnlab.engine import read_queue, scheduler_status, stop
from cnnlab.engine.runtime.scheduler import UNSERVED
from cnnlab.store import InvalidValue, Store, create_experiment, get_experiment, set_status
from cnnlab.store.backends import LOCAL
from cnnlab.store.queue import (
    claim,
    hold,
    move_to_front,
    queued_in_order,
    set_waiting,
)


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


def test_a_slurm_job_is_not_steered_by_the_local_queue(store: Store) -> None:
    local = create_experiment(store, "train")
    on_slurm = create_experiment(store, "train", backend="slurm")
    # Its sbatch never looks at a hold: a hold taken would be a lie ("queued (held)").
    for steer in (lambda: hold(store, on_slurm), lambda: move_to_front(store, on_slurm)):
        with pytest.raises(InvalidValue, match="runs on slurm, which decides when it starts"):
            steer()
    assert not get_experiment(store, on_slurm).held
    assert get_experiment(store, on_slurm).queue_rank is None
    move_to_front(store, local)
    assert get_experiment(store, local).queue_rank == local - 1.0  # ranked among local jobs


def test_a_job_stopped_while_held_gives_up_its_hold_and_its_phrase(store: Store) -> None:
    held, waiting = create_experiment(store, "train"), create_experiment(store, "train")
    hold(store, held)
    set_waiting(store, {waiting: "waiting for a GPU"})
    stop(store, held)  # no scheduler needed: the row gives them up as it leaves the queue
    stop(store, waiting)
    assert not get_experiment(store, held).held
    assert (get_experiment(store, waiting).to_json()["waiting_for"]) is None
    set_status(store, held, "queued", expect=("stopped",))  # what `cnnlab resume` does
    assert not get_experiment(store, held).held
    assert [e.id for e in queued_in_order(store, LOCAL)] == [held]


def test_no_stale_phrase_where_no_scheduler_serves(store: Store) -> None:
    waiting = create_experiment(store, "train")
    set_waiting(store, {waiting: "waiting for a GPU"})  # written by a scheduler since stopped
    assert [job.waiting_for for job in read_queue(store)] == [UNSERVED]
    assert scheduler_status(store).waiting == [
        {"id": waiting, "kind": "train", "waiting_for": UNSERVED}
    ]
    with scheduler_lock_held(store):
        assert [job.waiting_for for job in read_queue(store)] == ["waiting for a GPU"]


def test_engine_status_lists_the_first_ten_waiting_and_a_starting_scheduler(  # type: ignore[no-untyped-def]
    invoke, db_path: Path, store: Store
) -> None:
    with scheduler_lock_held(store):  # serving, but its limits not published yet
        ids = [create_experiment(store, "train") for _ in range(12)]
        set_waiting(store, dict.fromkeys(ids, "waiting for a trainer slot (1 training)"))
        shown = invoke("engine", "status", "--db", str(db_path))
        assert shown.exit_code == 0, shown.output
        assert "slots       not known yet" in shown.output and "gpus" not in shown.output
        assert f"#{ids[9]} train: waiting for a trainer slot" in shown.output
        assert f"#{ids[10]} " not in shown.output
        assert "and 2 more in the local queue (`cnnlab queue` lists them all)" in shown.output
        as_json = json.loads(invoke("engine", "status", "--json", "--db", str(db_path)).output)
        assert len(as_json["waiting"]) == 12
