"""Stop and resume refuse requests that make no sense, and change nothing when they do."""

from __future__ import annotations

import pytest

from cnnlab.engine import TrainSpec, resume, stop, submit
from cnnlab.errors import CnnlabError
from cnnlab.store import Store, get_experiment, list_events, set_status

SPEC = TrainSpec(model="alexnet", data="/nowhere", epochs=1)


def test_stopping_a_queued_job_cancels_it(store: Store) -> None:
    experiment_id = submit(store, SPEC, start_scheduler=False)
    assert stop(store, experiment_id) == "stopped"
    assert get_experiment(store, experiment_id).status == "stopped"
    assert list_events(store, experiment_id)[-1].message == "Cancelled before it started."


def test_stopping_a_running_job_raises_its_flag(store: Store) -> None:
    experiment_id = submit(store, SPEC, start_scheduler=False)
    set_status(store, experiment_id, "running", pid=None)
    assert stop(store, experiment_id) == "stopping"
    assert get_experiment(store, experiment_id).stop_requested


@pytest.mark.parametrize("status", ["done", "failed", "lost", "stopped"])
def test_stop_refuses_finished_jobs(store: Store, status: str) -> None:
    experiment_id = submit(store, SPEC, start_scheduler=False)
    set_status(store, experiment_id, status)
    with pytest.raises(CnnlabError, match=f"is {status}; only queued or running"):
        stop(store, experiment_id)
    assert get_experiment(store, experiment_id).status == status


@pytest.mark.parametrize("status", ["queued", "done"])
def test_resume_refuses_jobs_that_are_not_interrupted(store: Store, status: str) -> None:
    experiment_id = submit(store, SPEC, start_scheduler=False)
    set_status(store, experiment_id, status)
    events = len(list_events(store, experiment_id))
    with pytest.raises(CnnlabError, match="only stopped, lost or failed"):
        resume(store, experiment_id)
    assert get_experiment(store, experiment_id).status == status
    assert len(list_events(store, experiment_id)) == events


def test_cli_reports_state_errors_with_exit_2(invoke, store: Store) -> None:  # type: ignore[no-untyped-def]
    experiment_id = submit(store, SPEC, start_scheduler=False)
    set_status(store, experiment_id, "done")
    result = invoke("stop", str(experiment_id), "--db", str(store.path))
    assert result.exit_code == 2
    assert "only queued or running jobs can be stopped" in result.stderr
    result = invoke("resume", "99", "--db", str(store.path))
    assert result.exit_code == 2
    assert "No experiment with id 99" in result.stderr
