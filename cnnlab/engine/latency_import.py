"""`cnnlab latency import`: latency measured elsewhere becomes a finished bench, like a bench job's.

A saved `benchmark_model` log (any TFLite version, its iOS app, the LiteRT 2.x tool) or a CSV or
JSON of per-run times from an app is checked whole before anything is written: the model it
measured is one TFLite artifact (the target `cnnlab bench` takes), the phone is one the
database knows (or is described as a new one), the delegate it names is the one that ran, and
every time is a positive number in a stated unit. Then the experiment, its bench run, its
samples and a new device are written in one transaction (`cnnlab.store.imported_bench`), so a
refused file leaves the database as it was.

A log holds only the tool's summary of one invocation, never per-run times: it is stored as a
phone bench keeps that summary (`extra["summary_run"]`, the Latency screen's "steady" column)
with no samples, rather than inventing samples from a mean. TensorFlow is never imported here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cnnlab.delegates import DELEGATES
from cnnlab.devices.results import summarize
from cnnlab.devices.run_times import UNITS
from cnnlab.devices.run_times_csv import read_csv_times
from cnnlab.devices.run_times_json import read_json_times
from cnnlab.devices.saved_text import FORMATS, SavedFileError, decode_text, detect_format
from cnnlab.engine.imported_device import DeviceIdentity, imported_device
from cnnlab.engine.imported_log import log_run
from cnnlab.engine.imported_times import times_run
from cnnlab.engine.kinds.bench.run import tflite_targets
from cnnlab.engine.kinds.bench.spec import MAX_THREADS, BenchSpec
from cnnlab.engine.spec import SpecError
from cnnlab.errors import CnnlabError
from cnnlab.store import Artifact, BenchRun, Store, add_imported_bench, get_experiment
from cnnlab.store.imported_bench import AlreadyImported, imported_before

MAX_FILE_BYTES = 64 * 1024 * 1024  # a log with op profiling is a few MB; a times file far less


@dataclass(frozen=True)
class LatencyImport:
    """What one import recorded."""

    experiment_id: int
    bench_run_id: int
    artifact_id: int
    device: str
    device_id: int
    new_device: bool
    format: str
    delegate: str
    ran_on: str
    samples: int
    steady_ms: float | None
    steady_n: int | None
    median_ms: float | None
    timed_with: tuple[str, ...] = ()  # what a log says ran during its timed runs

    @property
    def message(self) -> str:
        if self.samples:
            figure = f"{self.samples} per-run times, median {self.median_ms:.3f} ms"
        else:
            figure = f"the tool's summary of {self.steady_n} runs, {self.steady_ms:.3f} ms"
        device = f"new device {self.device}" if self.new_device else f"device {self.device}"
        caveat = (
            f" The log's runs were timed with {' and '.join(self.timed_with)} running, which "
            "slows them; a run without it gives the model's own latency."
            if self.timed_with
            else ""
        )
        return (
            f"Recorded bench {self.experiment_id} of artifact {self.artifact_id} on {device} "
            f"({self.ran_on}): {figure}.{caveat}"
        )


def import_latency(
    store: Store,
    path: Path | str,
    target: str,
    *,
    device: str,
    file_format: str | None = None,
    unit: str | None = None,
    column: str | None = None,
    delegate: str | None = None,
    threads: int | None = None,
    cold: bool = False,
    as_cpu: bool = False,
    identity: DeviceIdentity | None = None,
    name: str = "",
) -> LatencyImport:
    """Check FILE whole, then record it as a done bench of TARGET's one TFLite model on
    `device`; every refusal is one sentence and writes nothing."""
    source = Path(path).expanduser()
    text, digest, size = _read(source)
    if earlier := imported_before(store, digest):
        raise AlreadyImported(source.name, *earlier)
    chosen = _format(file_format, source.name, text)
    if unit is not None and unit not in UNITS:
        raise CnnlabError(f"Unknown unit {unit!r}; use one of {', '.join(UNITS)}.")
    if delegate is not None and delegate not in DELEGATES:
        raise CnnlabError(f"Unknown delegate {delegate!r}; use one of {', '.join(DELEGATES)}.")
    if threads is not None and not 1 <= threads <= MAX_THREADS:
        raise CnnlabError(f"--threads must be between 1 and {MAX_THREADS}, got {threads}.")
    artifact = _one_artifact(store, target)
    owner = get_experiment(store, artifact.experiment_id)
    known, new = imported_device(store, device, identity or DeviceIdentity(), source.name)
    serial = known.serial if known else new.serial  # type: ignore[union-attr]
    imported: dict[str, Any] = {
        "file": source.name,
        "path": str(source.absolute()),
        "sha256": digest,
        "bytes": size,
        "format": chosen,
    }
    run, samples = _measured(
        text,
        source.name,
        chosen,
        serial,
        artifact,
        imported,
        unit=unit,
        column=column,
        delegate=delegate,
        threads=threads,
        cold=cold,
        as_cpu=as_cpu,
    )
    mode = str((run.extra or {}).get("mode", "warm"))
    extra = {**(run.extra or {}), "device_serial": serial, "imported": imported}
    run = replace(run, artifact_id=artifact.id, extra=extra)
    variant = artifact.meta.get("mode", "tflite")
    label = name or f"{owner.name or owner.model or owner.id} {variant} on {serial} (imported)"
    spec = _spec(artifact.id, serial, run, cold=cold, name=name, imported=imported)
    summary = _final_metrics(run, samples)
    recorded = add_imported_bench(
        store,
        parent_id=owner.id,
        name=label,
        spec=spec,
        model=owner.model,
        run=run,
        samples_us=samples,
        device_id=known.id if known else None,
        new_device=new,
        final_metrics=summary,
    )
    steady = (run.extra or {}).get("summary_run") or {}
    steady_us = steady.get("median_us") or steady.get("avg_us") or steady.get("curr_us")
    delegation = (run.extra or {}).get("delegation") or {}
    return LatencyImport(
        experiment_id=recorded.experiment_id,
        bench_run_id=recorded.bench_run_id,
        artifact_id=artifact.id,
        device=serial,
        device_id=recorded.device_id,
        new_device=new is not None,
        format=chosen,
        delegate=run.delegate,
        ran_on=f"{delegation.get('described') or run.delegate!s}, {mode}",
        samples=len(samples),
        steady_ms=steady_us / 1000 if steady_us else None,
        steady_n=steady.get("count"),
        median_ms=run.median_us / 1000 if run.median_us is not None else None,
        timed_with=tuple((run.extra or {}).get("timed_with") or ()),
    )


def _measured(
    text: str,
    name: str,
    chosen: str,
    serial: str,
    artifact: Artifact,
    imported: dict[str, Any],
    *,
    unit: str | None,
    column: str | None,
    delegate: str | None,
    threads: int | None,
    cold: bool,
    as_cpu: bool,
) -> tuple[BenchRun, tuple[float, ...]]:
    """The bench run and samples the file records, with what it said added to `imported`."""
    if chosen == "log":
        if cold:
            raise CnnlabError(
                f"{name} is a benchmark_model log, whose summary is of warm runs; drop "
                "--cold (it applies to a file of per-run cold-start times)."
            )
        if unit is not None or column is not None:
            raise CnnlabError(
                f"{name} is a benchmark_model log, which states its own units; drop "
                "--unit and --column (they apply to CSV and JSON files)."
            )
        run, said = log_run(
            text, name, serial, artifact, delegate=delegate, threads=threads, as_cpu=as_cpu
        )
        imported["log_said"] = said
        return run, ()
    if as_cpu:
        raise CnnlabError(
            f"--as-cpu applies to a benchmark_model log whose delegate did not run; "
            f"{name} is a {chosen.upper()} file that says nothing of its delegate."
        )
    times = (read_csv_times if chosen == "csv" else read_json_times)(
        text, name, unit=unit, column=column
    )
    run, samples = times_run(times, name, delegate=delegate, threads=threads)
    run = replace(run, extra={**(run.extra or {}), "mode": "cold" if cold else "warm"})
    imported.update(unit=times.unit, unit_source=times.unit_source, column=times.column)
    return run, samples


def _read(source: Path) -> tuple[str, str, int]:
    """The file's text, SHA-256 and size; a missing, special, huge or empty file is refused."""
    if not source.exists():
        raise CnnlabError(f"{source} does not exist; give the path of the saved log or times.")
    if not source.is_file():
        raise CnnlabError(f"{source} is not a file; give the path of the saved log or times.")
    size = source.stat().st_size
    if size > MAX_FILE_BYTES:
        raise CnnlabError(
            f"{source.name} is {size / 2**20:.0f} MiB, more than a benchmark log or a file of "
            f"times ({MAX_FILE_BYTES // 2**20} MiB at most); check that it is the right file."
        )
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise CnnlabError(
            f"{source.name} cannot be read ({exc.strerror or exc}); fix its permissions "
            "(or copy it somewhere readable) and import it again."
        ) from None
    if not data.strip():
        raise CnnlabError(
            f"{source.name} is empty; save benchmark_model's whole output (stdout and stderr) "
            "or the app's per-run times in it."
        )
    text = decode_text(data, source.name)
    return text, hashlib.sha256(data).hexdigest(), len(data)


def _format(given: str | None, name: str, text: str) -> str:
    if given is None:
        return detect_format(name, text)
    if given not in FORMATS:
        raise CnnlabError(f"Unknown format {given!r}; use one of {', '.join(FORMATS)}.")
    return given


def _one_artifact(store: Store, target: str) -> Artifact:
    number = target.strip()
    if number.isdigit():
        experiment = get_experiment(store, int(number))
        if experiment.kind == "bench":
            parent = f" (its model's is {experiment.parent_id})" if experiment.parent_id else ""
            raise CnnlabError(
                f"Experiment {number} is a bench, not a model; give the experiment of the model "
                f"the file measured{parent} or its artifact:ID."
            )
    artifacts = tflite_targets(store, target)
    if len(artifacts) != 1:
        listed = ", ".join(f"artifact:{a.id} ({a.meta.get('mode', a.kind)})" for a in artifacts[:8])
        named = f"Experiment {target}" if target.strip().isdigit() else target
        raise CnnlabError(
            f"{named} has {len(artifacts)} TFLite models ({listed}); name the one the file "
            "measured as artifact:ID."
        )
    return artifacts[0]


def _spec(
    artifact_id: int, serial: str, run: BenchRun, *, cold: bool, name: str, imported: dict[str, Any]
) -> dict[str, Any]:
    try:
        base = BenchSpec(
            artifact_id=artifact_id,
            device=serial,
            threads=run.threads,
            delegate=run.delegate,
            cold=cold,
            name=name,
        ).to_dict()
    except SpecError as exc:
        raise CnnlabError(str(exc)) from None
    steady = (run.extra or {}).get("summary_run") or {}
    return {
        **base,
        "runs": run.runs or steady.get("count"),
        "warmup": run.warmup_runs,
        "imported": imported,
    }


def _final_metrics(run: BenchRun, samples: tuple[float, ...]) -> dict[str, float]:
    if samples:
        return summarize(samples).final_metrics()
    steady = (run.extra or {}).get("summary_run") or {}
    value = steady.get("median_us") or steady.get("avg_us") or steady.get("curr_us")
    metrics = {"steady_ms": value / 1000} if value else {}
    if run.mean_us is not None:
        metrics["mean_ms"] = run.mean_us / 1000
    return metrics


__all__ = ["DeviceIdentity", "LatencyImport", "SavedFileError", "import_latency"]
