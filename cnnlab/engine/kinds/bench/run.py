"""Benchmark jobs: one TFLite model on one device (the host or a phone over adb), every sample kept.

A job measures through `cnnlab.devices` and reports the device's identity, the summary and every
per-run sample through its reporter (so a host benchmark can run on a Slurm node, recorded as
`host:NODE`); warm and cold runs are labelled and never mixed. A phone unplugged mid-run keeps
the samples already taken and ends the job `failed` with "device SERIAL disconnected after N of
M runs".
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

from cnnlab.engine.kinds.bench.spec import BenchSpec, options_for
from cnnlab.engine.runtime.outcome import JobContext, JobOutcome
from cnnlab.errors import CnnlabError
from cnnlab.store import (
    Artifact,
    Store,
    get_artifact,
    get_experiment,
    list_artifacts,
    verify_artifact,
)

if TYPE_CHECKING:
    from cnnlab.engine import SlurmOptions

_TARGET = re.compile(r"^(artifact:)?(\d+)$")


class BenchStopped(Exception):
    """Raised from the per-sample callback when the user stops the job."""


def tflite_targets(store: Store, target: str) -> list[Artifact]:
    """The TFLite artifacts a TARGET names: `ID` (an experiment's) or `artifact:ID`, each
    checked against its recorded hash."""
    match = _TARGET.match(target.strip())
    if not match:
        raise CnnlabError(
            f"Cannot read target {target!r}; give an experiment id (12) or an artifact "
            "(artifact:7)."
        )
    number = int(match.group(2))
    if match.group(1):
        artifact = get_artifact(store, number)
        if artifact.kind != "tflite":
            raise CnnlabError(
                f"Artifact {number} is a {artifact.kind} file; benchmarks run TFLite models "
                f"(convert it first: `cnnlab convert {artifact.experiment_id}`)."
            )
        artifacts = [artifact]
    else:
        experiment = get_experiment(store, number)
        artifacts = [a for a in list_artifacts(store, number) if a.kind == "tflite"]
        if not artifacts:
            raise CnnlabError(
                f"Experiment {number} ({experiment.kind}, {experiment.status}) has no TFLite "
                f"model; convert it first: `cnnlab convert {number}`."
            )
    for artifact in artifacts:
        verify_artifact(store, artifact)
    return artifacts


def run_bench(spec: BenchSpec, job: JobContext) -> JobOutcome:
    from cnnlab.config import load_config
    from cnnlab.devices import (
        AdbServerAddress,
        DeviceDisconnected,
        benchmark_host,
        benchmark_phone,
        device_info,
        remote_host_serial,
    )

    artifact = get_artifact(job.store, spec.artifact_id)
    model = verify_artifact(job.store, artifact)  # the bytes measured are the ones recorded
    settings = load_config(job.store.path).devices
    address = AdbServerAddress(settings.adb_host, settings.adb_port)
    info = device_info(None if spec.device == "host" else address, spec.device)
    if job.remote:  # a Slurm node is not the host the database's machine is known as
        info = dataclasses.replace(info, serial=remote_host_serial())
    label = "cold" if spec.cold else "warm"
    before = _host_load(job)

    def on_sample(index: int, microseconds: float) -> None:
        job.reporter.progress(1, index + 1, spec.runs)
        if job.reporter.stop_requested():
            raise BenchStopped

    job.reporter.event(
        "bench_started",
        f"{label} benchmark of {model.name} on {spec.device}: {spec.runs} runs after "
        f"{spec.warmup} warm-up, {spec.threads or 'default'} threads, {spec.delegate}.",
        {"artifact_id": artifact.id, "device": spec.device, "mode": label},
    )
    try:
        if spec.device == "host":
            result = benchmark_host(
                model,
                runs=spec.runs,
                warmup=spec.warmup,
                threads=spec.threads,
                delegate=spec.delegate,
                on_sample=on_sample,
            )
        else:
            result = benchmark_phone(
                address,
                spec.device,
                model,
                runs=spec.runs,
                warmup=spec.warmup,
                threads=spec.threads,
                delegate=spec.delegate,
                cpu_mask=spec.cpu_mask,
                cold=spec.cold,
                require_full_delegation=spec.require_full_delegation,
                profile_ops=spec.profile_ops,
                layer_names=list(artifact.meta.get("layers") or []),
                on_sample=on_sample,
            )
    except DeviceDisconnected as exc:
        if exc.partial is not None and exc.partial.samples_us:
            run = exc.partial.to_bench_run(job.experiment.id, artifact.id)
            job.reporter.bench_run(info, run, exc.partial.samples_us)
        raise
    except BenchStopped:
        return JobOutcome(True, "Stopped during the benchmark; nothing was recorded")
    result = dataclasses.replace(
        result,
        extra={**result.extra, "host_load": _load_record(job, spec, before, _host_load(job))},
    )
    job.reporter.bench_run(
        info, result.to_bench_run(job.experiment.id, artifact.id), result.samples_us
    )
    summary = result.summary
    if summary is None:
        raise CnnlabError(f"The benchmark on {spec.device} returned no samples; see the log.")
    job.reporter.summary(final_metrics=summary.final_metrics())
    message = (
        f"{label}: median {summary.median_us / 1000:.2f} ms, "
        f"p90 {summary.p90_us / 1000:.2f} ms, p99 {summary.p99_us / 1000:.2f} ms "
        f"over {len(result.samples_us)} runs"
    )
    job.reporter.event("bench_done", message, {"device": info.serial, "mode": label})
    if spec.profile_ops:
        message += _profile_line(job, result.extra)
    return JobOutcome(False, message)


def _host_load(job: JobContext) -> dict[str, Any]:
    """The host's load now, and when (for the jobs that ran beside the bench)."""
    import os
    import time

    return {"load_1m": round(os.getloadavg()[0], 2), "at": time.time()}


def _load_record(
    job: JobContext, spec: BenchSpec, before: dict[str, Any], after: dict[str, Any]
) -> dict[str, Any]:
    """What else ran on the host during the bench (any job whose run overlapped it, a short
    conversion inside it too), and whether that makes its numbers busy: for a host bench, any
    job using the host's CPUs (a phone bench only talks to adb). None known on a Slurm node."""
    from cnnlab.store import ran_between

    beside = [] if job.remote else ran_between(job.store, before["at"], after["at"])
    others = [
        {"id": e.id, "kind": e.kind, "device": e.spec.get("device")}
        for e in beside
        if e.id != job.experiment.id
    ]
    cpu_jobs = [o for o in others if not (o["kind"] == "bench" and o["device"] != "host")]
    return {
        "load_1m_before": before["load_1m"],
        "load_1m_after": after["load_1m"],
        "others": others,
        "allowed_busy": spec.allow_busy,
        "busy": spec.device == "host" and bool(cpu_jobs),
    }


def _profile_line(job: JobContext, extra: dict[str, Any]) -> str:
    """The op profile's outcome: its slowest layer, or why there is none (the samples stay)."""
    failure = extra.get("op_profile_error")
    if failure:
        job.reporter.event("op_profile_failed", f"No op profile: {failure}.", {})
        return f"; no op profile ({failure})"
    layers = sorted(extra.get("layer_profile") or [], key=lambda layer: -layer["ms"])
    if not layers:
        return "; the op profile timed no node"
    top = layers[0]
    job.reporter.event(
        "op_profile",
        f"Op profile: {len(layers)} layers; slowest {top['layer']} "
        f"{top['ms']:.3f} ms ({top['percent']:.0f}%) on {top['ran_on']}.",
        {"layers": len(layers)},
    )
    return f"; slowest layer {top['layer']} ({top['percent']:.0f}%)"


def expand_devices(store: Store, devices: list[str]) -> list[str]:
    """The device list with `all` replaced by the host and every phone adb says is ready."""
    if "all" not in devices:
        return devices
    from cnnlab.config import load_config
    from cnnlab.devices import AdbServerAddress, list_inventory

    settings = load_config(store.path).devices
    inventory = list_inventory(AdbServerAddress(settings.adb_host, settings.adb_port))
    return [d.serial for d in inventory.devices if d.ready or d.kind == "host"]


def plan_bench(
    store: Store, target: str, devices: list[str], **options: Any
) -> list[tuple[BenchSpec, Artifact]]:
    """One spec per TFLite model of `target` and per device, checked before anything is queued."""
    artifacts = tflite_targets(store, target)
    if not devices:
        raise CnnlabError("Name at least one device: --device host, a serial, or all.")
    if options.get("allow_busy") and "host" not in devices:  # refused in the spec's words
        BenchSpec(artifact_id=artifacts[0].id, device=devices[0], **options)
    return [
        (
            BenchSpec(artifact_id=artifact.id, device=device, **options_for(options, device)),
            artifact,
        )
        for artifact in artifacts
        for device in devices
    ]


def submit_bench(
    store: Store,
    plans: list[tuple[BenchSpec, Artifact]],
    *,
    backend: str | None = None,
    slurm: SlurmOptions | None = None,
) -> list[int]:
    """Queue the planned benchmarks as children of the experiments owning the models (on
    Slurm only when asked: a benchmark's `host` is this machine otherwise)."""
    from cnnlab.engine.control import submit
    from cnnlab.store import update_summary

    ids = []
    for index, (spec, artifact) in enumerate(plans):
        owner = get_experiment(store, artifact.experiment_id)
        mode = artifact.meta.get("mode", "tflite")
        named = spec
        if not spec.name:
            label = f"{owner.name or owner.model} {mode} on {spec.device}"
            named = dataclasses.replace(spec, name=label)
        experiment_id = submit(
            store,
            named,
            parent_id=owner.id,
            start_scheduler=index == len(plans) - 1,
            backend=backend,
            slurm=slurm,
        )
        update_summary(store, experiment_id, model=owner.model)
        ids.append(experiment_id)
    return ids
