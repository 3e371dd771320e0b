"""The one small interface a job reports through, and its SQLite implementation.

Jobs never write the store directly: they call a `Reporter`, every kind alike (an epoch, an
artifact, even one recorded on another experiment as a conversion's .tflite is, a benchmark's
samples and the device they came from). The local backend's reporter writes SQLite; a job on
another node (Slurm) gets one that writes files in its run folder
(`cnnlab.engine.runtime.file_reporter`), and nothing in the job's code changes.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cnnlab.store import (
    BenchRun,
    Store,
    StoreError,
    add_artifact,
    add_bench_run,
    append_epoch,
    append_event,
    get_experiment,
    heartbeat,
    set_progress,
    set_status,
    update_summary,
)

if TYPE_CHECKING:
    from cnnlab.devices import DeviceInfo

PROGRESS_INTERVAL_S = 0.5  # at most 2 progress writes per second
STOP_POLL_INTERVAL_S = 0.5


class Reporter(Protocol):
    """Everything a running job tells the outside world."""

    def status(self, status: str, *, error: str | None = None, pid: int | None = None) -> None: ...
    def epoch(
        self, epoch: int, metrics: Mapping[str, float], *, lr: float | None, seconds: float
    ) -> None: ...
    def progress(self, epoch: int, step: int, steps: int | None) -> None: ...
    def event(
        self, kind: str, message: str = "", data: Mapping[str, Any] | None = None
    ) -> None: ...
    def artifact(
        self,
        kind: str,
        path: Path,
        meta: Mapping[str, Any] | None = None,
        *,
        owner: int | None = None,  # the experiment it belongs to, if not the job's own
    ) -> None: ...
    def bench_run(self, device: DeviceInfo, run: BenchRun, samples_us: Sequence[float]) -> None: ...
    def summary(self, **fields: Any) -> None: ...
    def heartbeat(self) -> None: ...
    def stop_requested(self) -> bool: ...


class StoreReporter:
    """Reports straight into the SQLite store (jobs on the machine that holds it)."""

    def __init__(self, store: Store, experiment_id: int) -> None:
        self.store = store
        self.experiment_id = experiment_id
        self.stop_signalled = False  # set by the job's SIGTERM handler
        self._last_progress = 0.0
        self._last_stop_poll = 0.0
        self._stop_flag = False
        # Set (by the job's heartbeat) when writing on would be unsafe: every later report
        # raises it instead, so the job fails with that sentence rather than write into a void.
        self.fault: str | None = None

    def _check(self) -> None:
        if self.fault is not None:
            raise StoreError(self.fault)

    def _keep(self, write: Callable[[], object]) -> None:
        """A write the job must not lose: through `Store.retrying`, so that on a full disk the
        reserve beside the database is given up once and the epoch, or the reason the job
        failed, still lands."""
        self._check()
        self.store.retrying(write)

    def status(self, status: str, *, error: str | None = None, pid: int | None = None) -> None:
        self._keep(lambda: set_status(self.store, self.experiment_id, status, error=error, pid=pid))

    def epoch(
        self, epoch: int, metrics: Mapping[str, float], *, lr: float | None, seconds: float
    ) -> None:
        self._keep(
            lambda: append_epoch(
                self.store, self.experiment_id, epoch, metrics, lr=lr, seconds=seconds
            )
        )

    def progress(self, epoch: int, step: int, steps: int | None) -> None:
        self._check()
        now = time.monotonic()
        if now - self._last_progress < PROGRESS_INTERVAL_S and step != steps:
            return
        self._last_progress = now
        set_progress(self.store, self.experiment_id, epoch=epoch, step=step, steps=steps)

    def event(self, kind: str, message: str = "", data: Mapping[str, Any] | None = None) -> None:
        self._keep(lambda: append_event(self.store, self.experiment_id, kind, message, data))

    def artifact(
        self,
        kind: str,
        path: Path,
        meta: Mapping[str, Any] | None = None,
        *,
        owner: int | None = None,
    ) -> None:
        experiment_id = self.experiment_id if owner is None else owner
        self._keep(lambda: add_artifact(self.store, experiment_id, kind, path, meta=meta))

    def bench_run(self, device: DeviceInfo, run: BenchRun, samples_us: Sequence[float]) -> None:
        own = self.experiment_id
        self._keep(lambda: record_bench_run(self.store, own, device, run, samples_us))

    def summary(self, **fields: Any) -> None:
        self._keep(lambda: update_summary(self.store, self.experiment_id, **fields))

    def heartbeat(self) -> None:
        self._check()
        heartbeat(self.store, self.experiment_id)

    def stop_requested(self) -> bool:
        if self.stop_signalled or self._stop_flag:
            return True
        now = time.monotonic()
        if now - self._last_stop_poll >= STOP_POLL_INTERVAL_S:
            self._last_stop_poll = now
            self._stop_flag = get_experiment(self.store, self.experiment_id).stop_requested
        return self._stop_flag


def record_bench_run(
    store: Store,
    experiment_id: int,
    device: DeviceInfo,
    run: BenchRun,
    samples_us: Sequence[float],
) -> int:
    """The device as seen (merged with what is known of it), then the run and its samples as
    the job's own: what both reporters' `bench_run` amount to. Returns the run's id."""
    from cnnlab.devices import record_device

    device_id = record_device(store, device)
    row = dataclasses.replace(run, experiment_id=experiment_id, device_id=device_id)
    return add_bench_run(store, row, samples_us)
