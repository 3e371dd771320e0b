"""What each job kind needs from this machine, and whether it is free now, in one phrase.

A training takes a trainer slot (a GPU where there are GPUs); a script (`cnnlab run`) a
trainer slot and the GPUs it asked for, none with `--gpus 0`; a conversion a CPU slot of its
own, with no GPU; a phone benchmark that phone, and only that phone, exclusively; a host
benchmark a quiet host (no other job but phone benchmarks), unless it was submitted with
`--allow-busy`. Everything is read from the store's running rows, so a restarted scheduler sees
the same claims: a phone held by a running bench stays held.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cnnlab.store import Experiment

TRAINER, CONVERSION, PHONE, HOST_BENCH = "trainer", "conversion", "phone", "host bench"
_POOLS = {
    "train": TRAINER,
    "transfer": TRAINER,
    "script": TRAINER,
    "convert": CONVERSION,
    "import": CONVERSION,
}


@dataclass(frozen=True)
class Needs:
    """What one job needs while it runs."""

    pool: str  # TRAINER, CONVERSION, PHONE or HOST_BENCH
    gpus: int = 0  # the GPUs it is given (CUDA_VISIBLE_DEVICES) where there are GPUs
    phone: str | None = None  # the adb serial it holds alone
    quiet_host: bool = False  # it runs only while no other job uses the host's CPUs

    @property
    def gpu(self) -> bool:
        return self.gpus > 0

    @property
    def uses_host_cpus(self) -> bool:
        """Whether it loads the host's CPUs (a phone bench only talks to adb)."""
        return self.pool != PHONE


def needs_of(experiment: Experiment) -> Needs:
    """What `experiment`'s kind declares it needs."""
    if experiment.kind == "bench":
        device = str(experiment.spec.get("device", "host"))
        if device == "host":
            return Needs(HOST_BENCH, quiet_host=not experiment.spec.get("allow_busy", False))
        return Needs(PHONE, phone=device)
    pool = _POOLS.get(experiment.kind, CONVERSION)
    if experiment.kind == "script":
        return Needs(pool, gpus=int(experiment.spec.get("gpus") or 0))
    return Needs(pool, gpus=1 if pool == TRAINER else 0)


@dataclass(frozen=True)
class Limits:
    """The machine's slots (`[engine]` in cnnlab.toml) and its GPUs."""

    trainer_slots: int
    conversion_slots: int
    max_parallel: int | None = None
    gpus: Sequence[str] = ()


@dataclass
class Booking:
    """What the running jobs hold; `wait_reason` says whether a job can start beside them."""

    limits: Limits
    running: list[Experiment]
    busy_gpus: set[str] = field(default_factory=set)
    # A quiet-host bench first in line: later CPU jobs let it go first instead of starving it.
    host_reserved_by: int | None = None
    # What a job earlier in the queue waits for (a pool, or "phone SERIAL"), and which job:
    # later jobs needing the same do not jump it.
    blocked: dict[str, int] = field(default_factory=dict)

    def _of(self, pool: str) -> list[Experiment]:
        return [e for e in self.running if needs_of(e).pool == pool]

    def free_gpu(self) -> str | None:
        return self.free_gpus(1)

    def free_gpus(self, count: int) -> str | None:
        """`count` free GPUs as CUDA_VISIBLE_DEVICES lists them ("0,2"), or None."""
        free = [str(i) for i in range(len(self.limits.gpus)) if str(i) not in self.busy_gpus]
        return ",".join(free[:count]) if count and len(free) >= count else None

    def wait_reason(self, experiment: Experiment, done: Iterable[int] = ()) -> str | None:
        """Why `experiment` cannot start now, in one phrase, or None when it can."""
        needs = needs_of(experiment)
        if self.limits.max_parallel is not None and len(self.running) >= self.limits.max_parallel:
            return f"waiting for a free slot ({len(self.running)} jobs running, max_parallel)"
        if needs.phone is not None:
            holder = next((e for e in self._of(PHONE) if needs_of(e).phone == needs.phone), None)
            if holder is not None:
                return f"waiting for phone {needs.phone} (#{holder.id} runs on it)"
            if (first := self.blocked.get(f"phone {needs.phone}")) is not None:
                return f"waiting for phone {needs.phone} (#{first} is first in line)"
            return None
        hogs = [e for e in self.running if needs_of(e).uses_host_cpus]
        quiet_bench = next((e for e in self._of(HOST_BENCH) if needs_of(e).quiet_host), None)
        if quiet_bench is not None:
            return f"waiting for host bench #{quiet_bench.id} (it needs a quiet host)"
        if needs.pool == HOST_BENCH:
            if needs.quiet_host and hogs:
                self.host_reserved_by = self.host_reserved_by or experiment.id
                count = f"{len(hogs)} job{'s' * (len(hogs) != 1)} running"
                return f"waiting for the host to be quiet ({count})"
            if self._of(HOST_BENCH):
                return f"waiting for host bench #{self._of(HOST_BENCH)[0].id}"
            return None
        if self.host_reserved_by is not None and self.host_reserved_by != experiment.id:
            return f"waiting for host bench #{self.host_reserved_by} to run on a quiet host"
        if needs.pool == TRAINER:
            if self.limits.gpus and needs.gpu and self.free_gpus(needs.gpus) is None:
                return "waiting for a GPU" if needs.gpus == 1 else f"waiting for {needs.gpus} GPUs"
            taken = len(self._of(TRAINER))
            if taken >= self.limits.trainer_slots:
                return f"waiting for a trainer slot ({taken} training)"
        else:
            taken = len(self._of(CONVERSION))
            if taken >= self.limits.conversion_slots:
                return f"waiting for a conversion slot ({taken} running)"
        if (first := self.blocked.get(needs.pool)) is not None:
            return f"waiting for a {needs.pool} slot (#{first} is first in line)"
        return None

    def block(self, experiment: Experiment) -> None:
        """`experiment` waits: later jobs needing the same thing wait behind it."""
        needs = needs_of(experiment)
        self.blocked.setdefault(
            f"phone {needs.phone}" if needs.phone else needs.pool, experiment.id
        )

    def take(self, experiment: Experiment, gpu: str | None) -> None:
        """`experiment` starts now: what it holds is booked for the rest of this round."""
        self.running.append(experiment)
        self.busy_gpus |= gpu_set(gpu)


def gpu_set(devices: str | None) -> set[str]:
    """The GPU indices a CUDA_VISIBLE_DEVICES value ("0", "0,1", "" or None) names."""
    return {d.strip() for d in (devices or "").split(",") if d.strip()}
