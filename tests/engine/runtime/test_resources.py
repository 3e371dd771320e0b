"""What each kind waits for, in the scheduler's own phrases (`engine.runtime.resources`)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from cnnlab.engine import stop
from cnnlab.engine.runtime import scheduler as scheduler_module
from cnnlab.engine.runtime.resources import Booking, Limits
from cnnlab.engine.runtime.scheduler import Scheduler
from cnnlab.store import Experiment, Store, create_experiment, get_experiment, set_status
from cnnlab.store.queue import hold, set_waiting


def job(store: Store, kind: str, status: str = "queued", **spec: Any) -> Experiment:
    return get_experiment(store, create_experiment(store, kind, spec=spec, status=status))


def booking(running: list[Experiment], **limits: Any) -> Booking:
    settings = {"trainer_slots": 1, "conversion_slots": 1, **limits}
    return Booking(Limits(**settings), running)


def test_a_phone_bench_needs_its_phone_only(store: Store) -> None:
    training = job(store, "train", "running")
    on_a = job(store, "bench", "running", device="R58A")
    free = booking([training, on_a])
    assert free.wait_reason(job(store, "bench", device="R58B")) is None  # beside a training
    assert free.wait_reason(job(store, "bench", device="R58A")) == (
        f"waiting for phone R58A (#{on_a.id} runs on it)"
    )


def test_trainings_wait_for_a_gpu_or_a_slot_and_conversions_for_their_own(store: Store) -> None:
    training = job(store, "train", "running")
    no_gpu = booking([training])
    assert no_gpu.wait_reason(job(store, "transfer")) == "waiting for a trainer slot (1 training)"
    assert no_gpu.wait_reason(job(store, "convert")) is None  # its own slot, no GPU
    gpus = booking([training], trainer_slots=2, gpus=["A100", "A100"])
    gpus.busy_gpus = {"0", "1"}
    assert gpus.wait_reason(job(store, "train")) == "waiting for a GPU"
    gpus.busy_gpus = {"0"}
    assert gpus.wait_reason(job(store, "train")) is None and gpus.free_gpu() == "1"
    converting = job(store, "convert", "running")
    assert booking([converting]).wait_reason(job(store, "import")) == (
        "waiting for a conversion slot (1 running)"
    )
    capped = booking([training, converting], max_parallel=2)
    assert capped.wait_reason(job(store, "bench", device="R58A")) == (
        "waiting for a free slot (2 jobs running, max_parallel)"
    )


def test_a_host_bench_waits_for_quiet_and_then_goes_first(store: Store) -> None:
    training = job(store, "train", "running")
    phone = job(store, "bench", "running", device="R58A")
    round_ = booking([training, phone])
    quiet = job(store, "bench", device="host")
    assert round_.wait_reason(quiet) == "waiting for the host to be quiet (1 job running)"
    round_.block(quiet)
    # Later CPU jobs let it go first instead of starving it; phones do not care.
    assert round_.wait_reason(job(store, "convert")) == (
        f"waiting for host bench #{quiet.id} to run on a quiet host"
    )
    assert round_.wait_reason(job(store, "bench", device="R58B")) is None
    assert round_.wait_reason(job(store, "bench", device="host", allow_busy=True)) is None
    running = job(store, "bench", "running", device="host")
    beside = booking([running])
    assert beside.wait_reason(job(store, "train")) == (
        f"waiting for host bench #{running.id} (it needs a quiet host)"
    )
    assert beside.wait_reason(job(store, "bench", device="R58A")) is None


def test_a_waiting_job_is_not_jumped_by_a_later_one_needing_the_same(store: Store) -> None:
    round_ = booking([job(store, "train", "running")], trainer_slots=2)
    first, later = job(store, "train"), job(store, "train")
    assert round_.wait_reason(first) is None
    round_.take(first, None)
    assert round_.wait_reason(later) == "waiting for a trainer slot (2 training)"
    round_.block(later)
    assert round_.wait_reason(job(store, "train")) == "waiting for a trainer slot (2 training)"
    # A slot frees up: the first in line takes it, not a later one seen in the same round.
    freed = booking([], trainer_slots=1)
    freed.block(later)
    assert freed.wait_reason(job(store, "train")) == (
        f"waiting for a trainer slot (#{later.id} is first in line)"
    )
    phone_free = booking([])
    second = job(store, "bench", device="R58A")
    phone_free.block(second)
    assert phone_free.wait_reason(job(store, "bench", device="R58A")) == (
        f"waiting for phone R58A (#{second.id} is first in line)"
    )


class FakeProcess:
    """What `_spawn` keeps of the job process it starts; the environment it was given."""

    pid = 4_000_000  # no such process: nothing is read from /proc

    def __init__(self, args: list[str], env: dict[str, str], **_: Any) -> None:
        self.env = env

    def poll(self) -> None:
        return None


def scheduler_round(store: Store, monkeypatch: pytest.MonkeyPatch, gpus: list[str]) -> Scheduler:
    """A scheduler on `store` that sees `gpus` and starts fake job processes; one round run."""
    monkeypatch.setattr(scheduler_module, "gpu_names", lambda: gpus)
    monkeypatch.setattr(scheduler_module.subprocess, "Popen", FakeProcess)
    scheduler = Scheduler(store, io.StringIO())
    scheduler._start_queued()
    return scheduler


def test_a_round_gives_trainings_a_gpu_and_conversions_and_benches_none(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    training, conversion = job(store, "train"), job(store, "convert")
    phone = job(store, "bench", device="R58A")
    scheduler = scheduler_round(store, monkeypatch, gpus=["H200"])
    given = {i: p.env.get("CUDA_VISIBLE_DEVICES") for i, (p, _) in scheduler.children.items()}
    assert given == {training.id: "0", conversion.id: "", phone.id: ""}
    assert scheduler._booking().busy_gpus == {"0"}


def test_a_round_writes_only_changed_phrases_and_frees_stopped_jobs(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    job(store, "train", "running")
    waiting, held = job(store, "train"), job(store, "train")
    hold(store, held.id)
    stop(store, held.id)  # stopped while held: a resume must not find it held still
    writes: list[dict[int, str | None]] = []
    monkeypatch.setattr(scheduler_module, "set_waiting", lambda _, r: writes.append(dict(r)))
    scheduler_round(store, monkeypatch, gpus=[])
    assert not get_experiment(store, held.id).held
    assert writes == [{waiting.id: "waiting for a trainer slot (1 training)"}]
    set_waiting(store, writes[0])
    scheduler_round(store, monkeypatch, gpus=[])
    assert writes[-1] == {}  # the same phrase: nothing to write, no write lock taken


def test_a_gpu_stays_busy_until_its_job_process_has_exited(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = job(store, "train")
    scheduler = scheduler_round(store, monkeypatch, gpus=["H200"])
    assert first.id in scheduler.children
    # Its row says done; its process still tears TensorFlow down, holding the GPU's memory.
    set_status(store, first.id, "done", expect=("running",))
    second = job(store, "train")
    scheduler._start_queued()
    assert second.id not in scheduler.children
    assert get_experiment(store, second.id).waiting_for == "waiting for a GPU"
    del scheduler.children[first.id]  # reaped: its process has exited
    scheduler._start_queued()
    assert scheduler.children[second.id][1] == "0"


def test_a_claim_never_spawned_is_queued_again_and_its_phone_taken_once(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    # A killed scheduler claimed this bench (running, no pid) and never started it.
    claimed = job(store, "bench", device="R58A")
    set_status(store, claimed.id, "running", host=socket.gethostname(), expect=("queued",))
    later = job(store, "bench", device="R58A")
    monkeypatch.setattr(scheduler_module, "gpu_names", lambda: [])
    monkeypatch.setattr(scheduler_module.subprocess, "Popen", FakeProcess)
    scheduler = Scheduler(store, io.StringIO())
    scheduler._adopt_claimed()
    assert get_experiment(store, claimed.id).status == "queued"
    scheduler._start_queued()
    assert list(scheduler.children) == [claimed.id]  # first in line, the phone to it alone
    assert get_experiment(store, later.id).waiting_for == (
        f"waiting for phone R58A (#{claimed.id} runs on it)"
    )


def test_a_job_of_another_host_lends_no_gpu_from_this_ones_proc(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys

    # Its pid is some process here, whose environment says nothing of that job.
    here = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)"],
        env={"CUDA_VISIBLE_DEVICES": "0"},
    )
    try:
        elsewhere = job(store, "train", "running")
        set_status(store, elsewhere.id, "running", host="gpu-02", pid=here.pid)
        monkeypatch.setattr(scheduler_module, "gpu_names", lambda: ["H200"])
        scheduler = Scheduler(store, io.StringIO())
        assert scheduler._gpu_of(get_experiment(store, elsewhere.id)) is None
        set_status(store, elsewhere.id, "running", host=scheduler.host, pid=here.pid)
        assert scheduler._gpu_of(get_experiment(store, elsewhere.id)) == "0"  # here: read
    finally:
        here.kill()
        here.wait()
