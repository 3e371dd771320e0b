"""The local queue as users see and steer it: the order jobs will start in, and why each waits.

`cnnlab queue` and the TUI's queue view read it here and move a job to the front, hold it or
release it through these calls; the scheduler (`cnnlab.engine.runtime.scheduler`) starts jobs
in this order as what each needs frees up, and writes the phrase saying what that is. While no
scheduler serves the database, that phrase is stale and the queue says so instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnlab.engine.runtime.scheduler import UNSERVED, is_running
from cnnlab.store import Experiment, Store
from cnnlab.store.backends import LOCAL
from cnnlab.store.queue import hold, move_to_front, queued_in_order


@dataclass(frozen=True)
class QueuedJob:
    """One queued job, its place (1: next to start) and why it waits."""

    position: int
    experiment: Experiment
    served: bool = True  # a scheduler serves the database: its phrase is current

    @property
    def waiting_for(self) -> str:
        if self.experiment.held:
            return "held (cnnlab queue release ID lets it start)"
        if not self.served:
            return UNSERVED
        return self.experiment.waiting_for or "starting as soon as the scheduler looks"

    def to_json(self) -> dict[str, object]:
        return {
            "position": self.position,
            "id": self.experiment.id,
            "kind": self.experiment.kind,
            "name": self.experiment.name,
            "held": self.experiment.held,
            "waiting_for": self.waiting_for,
        }


def read_queue(store: Store) -> list[QueuedJob]:
    """The local queue in the order the scheduler considers it (held jobs last)."""
    served = is_running(store)
    return [
        QueuedJob(position, experiment, served)
        for position, experiment in enumerate(queued_in_order(store, LOCAL), start=1)
    ]


def to_front(store: Store, experiment_id: int) -> None:
    """Move a queued job first: it starts as soon as what it needs is free."""
    move_to_front(store, experiment_id)


def hold_job(store: Store, experiment_id: int, held: bool = True) -> None:
    """Keep a queued job from starting (`held=False` lets it start again)."""
    hold(store, experiment_id, held)
