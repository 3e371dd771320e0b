"""The benchmark job's spec, validated before anything is queued.

Apart from the job code (`cnnlab.engine.kinds.bench.run`, which reads the store and runs the
devices), so that `cnnlab`'s option declarations (`cnnlab.engine.params`) can use it without
loading the store at every command's start; like every spec module this one imports nothing
heavy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from cnnlab.delegates import DELEGATES
from cnnlab.engine.spec import SpecError, whole_number

# Timed runs and warm-up runs per job: 100,000 samples of a 1 ms model is two minutes; a slower
# model's statistics are settled long before. Every sample is stored.
MAX_RUNS = 100_000
MAX_THREADS = 256  # more interpreter threads than any phone or workstation has cores
_MASK = re.compile(r"^(0x)?[0-9a-fA-F]+$")


@dataclass(frozen=True)
class BenchSpec:
    """Measure artifact `artifact_id` on `device` (`host` or an adb serial)."""

    kind: ClassVar[str] = "bench"

    artifact_id: int
    device: str = "host"
    runs: int = 100
    warmup: int = 10
    threads: int | None = None
    delegate: str = "cpu"
    cpu_mask: str | None = None
    cold: bool = False
    require_full_delegation: bool = False
    profile_ops: bool = False
    allow_busy: bool = False
    name: str = ""

    def __post_init__(self) -> None:
        whole_number(self.runs, "--runs", 1, MAX_RUNS)
        whole_number(self.warmup, "--warmup", 0, MAX_RUNS)
        if self.threads is not None:
            whole_number(self.threads, "--threads", 1, MAX_THREADS)
        if self.delegate not in DELEGATES:
            raise SpecError(
                f"Unknown delegate {self.delegate!r}; use one of {', '.join(DELEGATES)}."
            )
        if self.device == "host" and self.delegate not in ("cpu", "xnnpack"):
            raise SpecError(f"The host runs the cpu or xnnpack delegate, not {self.delegate!r}.")
        if self.cpu_mask is not None and not (
            isinstance(self.cpu_mask, str) and _MASK.match(self.cpu_mask)
        ):
            raise SpecError(f"CPU mask {self.cpu_mask!r} is not hexadecimal; write it like f0.")
        if self.require_full_delegation and (self.delegate == "cpu" or self.device == "host"):
            raise SpecError(
                "--require-full-delegation applies to a phone's gpu, nnapi or xnnpack delegate "
                f"(here: {self.delegate} on {self.device})."
            )
        if self.allow_busy and self.device != "host":
            raise SpecError(
                "--allow-busy applies to host benches (a phone bench never waits for the host; "
                f"it waits only for its phone, here {self.device})."
            )
        if self.profile_ops and self.device == "host":
            raise SpecError(
                "--profile-ops needs TFLite's benchmark_model, which runs on phones; the host "
                "bench uses LiteRT's Python interpreter, which has no op profiler. Give a "
                "phone's serial with --device."
            )
        if (
            not isinstance(self.device, str)
            or not self.device
            or any(c.isspace() for c in self.device)
        ):
            raise SpecError(f"Device serial {self.device!r} is not valid.")

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {"kind": self.kind, **asdict(self)}


def options_for(options: dict[str, Any], device: str) -> dict[str, Any]:
    """The options of a bench on several devices as they apply to one: `--allow-busy` is the
    host's own (a phone bench never waits for the host), so `--device host,R58 --allow-busy`
    is valid and only the host bench runs busy; on phones alone it is refused."""
    if options.get("allow_busy") and device != "host":
        return {**options, "allow_busy": False}
    return options
