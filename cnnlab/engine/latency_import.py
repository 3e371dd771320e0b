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
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from cnnlab.delegates import DELEGATES
from cnnlab.devices.parse import BenchmarkOutput, RunStats
from cnnlab.devices.phone import _delegation_meta
from cnnlab.devices.results import summarize
from cnnlab.devices.saved_log import (
    FORMATS,
    UNITS,
    LogRun,
    SavedFileError,
    Times,
    decode_text,
    default_delegation,
    detect_format,
    looks_like_log,
    read_csv_times,
    read_json_times,
    read_log,
)
from cnnlab.devices.tool_failures import tool_failure
from cnnlab.engine.kinds.bench.run import tflite_targets
from cnnlab.engine.kinds.bench.spec import MAX_RUNS, MAX_THREADS, BenchSpec
from cnnlab.engine.spec import SpecError
from cnnlab.errors import CnnlabError
from cnnlab.store import (
    Artifact,
    BenchRun,
    Device,
    Store,
    add_imported_bench,
    get_experiment,
    list_devices,
)

MAX_FILE_BYTES = 64 * 1024 * 1024  # a log with op profiling is a few MB; a times file far less
HOST = "host"
RECORDED_BY = "cnnlab latency import"


@dataclass(frozen=True)
class DeviceIdentity:
    """What `--model`, `--manufacturer` and `--soc` say of a phone the database does not know."""

    model: str | None = None
    manufacturer: str | None = None
    soc: str | None = None

    @property
    def given(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v is not None}


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

    @property
    def message(self) -> str:
        if self.samples:
            figure = f"{self.samples} per-run times, median {self.median_ms:.3f} ms"
        else:
            figure = f"the tool's summary of {self.steady_n} runs, {self.steady_ms:.3f} ms"
        device = f"new device {self.device}" if self.new_device else f"device {self.device}"
        return (
            f"Recorded bench {self.experiment_id} of artifact {self.artifact_id} on {device} "
            f"({self.ran_on}): {figure}."
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
    chosen = _format(file_format, source.name, text)
    if unit is not None and unit not in UNITS:
        raise CnnlabError(f"Unknown unit {unit!r}; use one of {', '.join(UNITS)}.")
    if delegate is not None and delegate not in DELEGATES:
        raise CnnlabError(f"Unknown delegate {delegate!r}; use one of {', '.join(DELEGATES)}.")
    if threads is not None and not 1 <= threads <= MAX_THREADS:
        raise CnnlabError(f"--threads must be between 1 and {MAX_THREADS}, got {threads}.")
    artifact = _one_artifact(store, target)
    owner = get_experiment(store, artifact.experiment_id)
    known, new = _device(store, device, identity or DeviceIdentity(), source.name)
    serial = known.serial if known else new.serial  # type: ignore[union-attr]
    imported: dict[str, Any] = {
        "file": source.name,
        "path": str(source.absolute()),
        "sha256": digest,
        "bytes": size,
        "format": chosen,
    }
    if chosen == "log":
        if cold:
            raise CnnlabError(
                f"{source.name} is a benchmark_model log, whose summary is of warm runs; drop "
                "--cold (it applies to a file of per-run cold-start times)."
            )
        if unit is not None or column is not None:
            raise CnnlabError(
                f"{source.name} is a benchmark_model log, which states its own units; drop "
                "--unit and --column (they apply to CSV and JSON files)."
            )
        run, samples, said = _from_log(
            text, source.name, serial, artifact, delegate=delegate, threads=threads, as_cpu=as_cpu
        )
        imported["log_said"] = said
    else:
        if as_cpu:
            raise CnnlabError(
                f"--as-cpu applies to a benchmark_model log whose delegate did not run; "
                f"{source.name} is a {chosen.upper()} file that says nothing of its delegate."
            )
        times = (read_csv_times if chosen == "csv" else read_json_times)(
            text, source.name, unit=unit, column=column
        )
        run, samples = _from_times(times, source.name, delegate=delegate, threads=threads)
        run = replace(run, extra={**(run.extra or {}), "mode": "cold" if cold else "warm"})
        imported.update(unit=times.unit, unit_source=times.unit_source, column=times.column)
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
    )


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
    data = source.read_bytes()
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
    artifacts = tflite_targets(store, target)
    if len(artifacts) != 1:
        listed = ", ".join(f"artifact:{a.id} ({a.meta.get('mode', a.kind)})" for a in artifacts[:8])
        named = f"Experiment {target}" if target.strip().isdigit() else target
        raise CnnlabError(
            f"{named} has {len(artifacts)} TFLite models ({listed}); name the one the file "
            "measured as artifact:ID."
        )
    return artifacts[0]


def _device(
    store: Store, name: str, identity: DeviceIdentity, file_name: str
) -> tuple[Device | None, Device | None]:
    """(the stored device NAME names, None) or (None, the new device to record)."""
    devices = list_devices(store)
    by_serial = {d.serial: d for d in devices}
    found = by_serial.get(name)
    if found is None:
        models = [d for d in devices if d.kind != HOST and (d.model or "").lower() == name.lower()]
        if len(models) > 1:
            raise CnnlabError(
                f"Several recorded devices are {name} ({', '.join(d.serial for d in models)}); "
                "give --device SERIAL."
            )
        found = models[0] if models else None
    if found is not None:
        differ = {
            key: getattr(found, key)
            for key, value in identity.given.items()
            if getattr(found, key) != value
        }
        if differ:
            stored = ", ".join(f"{k} {v or '(not known)'}" for k, v in differ.items())
            raise CnnlabError(
                f"Device {found.serial} is already recorded ({stored}); --model, "
                "--manufacturer and --soc describe a new device only, so drop them or give the "
                "new device another name."
            )
        return found, None
    if not identity.model:
        phones = [d for d in devices if d.kind != HOST]
        listed = ", ".join(f"{d.serial} ({d.model})" if d.model else d.serial for d in phones)
        raise CnnlabError(
            f"Unknown device {name}; known: {listed or 'none'}; give --model to record a new "
            "one (or attach it and run `cnnlab devices`)."
        )
    if not name or any(c.isspace() for c in name) or name in (HOST, "all"):
        raise CnnlabError(
            f"{name!r} cannot name a new device; give a name without spaces other than host "
            'and all (--device pixel7 --model "Pixel 7").'
        )
    return None, Device(
        serial=name,
        kind="adb",  # the store knows host and phones; an imported phone is one of the latter
        manufacturer=identity.manufacturer,
        model=identity.model,
        soc=identity.soc,
        info={"recorded_by": RECORDED_BY, "first_file": file_name},
    )


# --- logs --------------------------------------------------------------------------------------


def _from_log(
    text: str,
    name: str,
    serial: str,
    artifact: Artifact,
    *,
    delegate: str | None,
    threads: int | None,
    as_cpu: bool,
) -> tuple[BenchRun, tuple[float, ...], dict[str, Any]]:
    run = read_log(text, name)
    output = run.output
    model_name = Path(run.graph).name if run.graph else Path(artifact.path).name
    if output.errors:
        code = 134 if output.fatal else 1
        why = str(tool_failure(serial, model_name, code, text))
        raise CnnlabError(
            f"{name} is the log of a failed run, so nothing was recorded: "
            f"{why[:1].lower()}{why[1:]}"
        )
    stats = _steady(run, name, text)
    requested = _chosen(run.delegate, delegate, "delegate", name, run.delegate_source)
    if requested is None:
        why = (
            "the LiteRT 2.x tool echoes none of its accelerator flags"
            if run.tool == "LiteRT 2.x"
            else "its start, where the tool echoes its flags, is missing"
        )
        raise CnnlabError(
            f"{name} does not say which delegate ran ({why}); pass --delegate "
            f"{'|'.join(DELEGATES)} as the run was started, or add the command line above the "
            "output."
        )
    used_threads = _chosen(run.threads, threads, "threads", name, "its 'Num threads' line")
    stored, output = _checked_delegation(run, requested, name, as_cpu)
    delegation = _delegation_meta(requested, output)
    peak = output.peak_memory_mb
    return (
        BenchRun(
            experiment_id=0,
            delegate=stored,
            threads=used_threads,
            warmup_runs=output.warmup.count if output.warmup else 0,
            runs=0,
            init_us=output.init_us,
            first_us=output.first_us,
            mean_us=stats.mean_us,
            min_us=stats.min_us,
            max_us=stats.max_us,
            std_us=stats.std_us,
            peak_memory_bytes=round(peak * 1024 * 1024) if peak is not None else None,
            extra={
                "mode": "warm",
                "runs_requested": _int(run.settings.get("num_runs")),
                "summary_run": asdict(stats),
                "summary_source": "summary_run: benchmark_model's steady state over one long "
                "invocation, from a saved log; a log holds no per-run samples, so none are "
                "stored (mean, min, max and std are the tool's own)",
                "delegation": delegation,
                "memory_growth": {
                    "init_mb": output.init_memory_mb,
                    "overall_mb": output.overall_memory_mb,
                    "source": "benchmark_model's 'Memory footprint delta from the start of "
                    "the tool'",
                },
            },
        ),
        (),
        run.said(),
    )


def _steady(run: LogRun, name: str, text: str) -> RunStats:
    """The tool's summary of the timed runs, or a sentence saying why the log has none."""
    output = run.output
    if not output.has_timings or output.inference_avg_us is None:
        if not (run.has_start or output.inference or looks_like_log(text)):
            raise CnnlabError(
                f"{name} is not a benchmark_model log (it has no 'Inference timings in us' "
                "line nor a BENCHMARK RESULTS block); give the tool's whole output, or a CSV "
                "or JSON of per-run times with --format."
            )
        raise CnnlabError(
            f"{name} ends before benchmark_model's summary, so it is cut short or the run did "
            "not finish; save the whole output of a run that finished."
        )
    stats = output.inference
    if run.tool == "LiteRT 2.x" and stats is None and output.inference_runs:
        stats = RunStats(count=output.inference_runs, avg_us=output.inference_avg_us)
    elif stats is None or output.warmup is None:
        raise CnnlabError(
            f"{name} lacks the tool's count= lines (warm-up, then the timed runs) before its "
            "summary, so the number of runs is not known; save the whole output."
        )
    if stats.count < 1 or not stats.mean_us or stats.mean_us <= 0:
        raise CnnlabError(
            f"{name} is a run with no timed inference (count={stats.count}); run the tool "
            "with --num_runs of 1 or more."
        )
    summary = output.inference_avg_us
    if summary > 0 and abs(stats.mean_us - summary) > max(0.01 * summary, 10.0):
        raise CnnlabError(
            f"{name}'s summary ({summary:g} us) does not match its count= line's mean "
            f"({stats.mean_us:g} us), so it mixes several runs' output; save one run per file."
        )
    return stats


def _chosen(from_file: Any, given: Any, what: str, name: str, where: str) -> Any:
    if from_file is not None and given is not None and from_file != given:
        raise CnnlabError(
            f"{name} says it ran with {what} {from_file} ({where}), not {given}; drop "
            f"--{what} or give --{what} {from_file}."
        )
    return from_file if from_file is not None else given


def _checked_delegation(
    run: LogRun, requested: str, name: str, as_cpu: bool
) -> tuple[str, BenchmarkOutput]:
    """The delegate to store and the output whose delegation says what ran; numbers labelled
    with a delegate that did not run them are refused (or, with `as_cpu`, stored as CPU when
    the log shows that the CPU ran them), as a phone bench refuses them."""
    said = default_delegation(run)
    output = replace(run.output, delegation=said)
    if requested == "cpu":
        if said is not None and said.ran_on_it:
            raise CnnlabError(
                f"{name} says the {said.delegate} delegate ran ({said.describe()}), not the "
                f"plain CPU; give --delegate {said.delegate.lower()} or drop --delegate."
            )
        return "cpu", output
    flag = f"--use_{requested}"
    ignored = [f for f in run.output.unconsumed_flags if f.partition("=")[0] == flag]
    if ignored:
        why, cpu_ran = f"this benchmark_model does not know {flag} and ignored it", True
    elif said is None or said.delegate.lower() != requested:
        why, cpu_ran = f"it says nothing of the {requested} delegate running", False
        if run.tool == "LiteRT 2.x":
            why = f"a LiteRT 2.x log does not say what ran on the {requested} accelerator"
    elif not said.ran_on_it:
        why, cpu_ran = said.describe(), said.extent in ("none", "unsupported")
    else:
        return requested, output
    if as_cpu and cpu_ran:
        return "cpu", output
    advice = (
        "import it with --as-cpu to record it as the CPU bench it was"
        if cpu_ran
        else "import a log that shows the delegate applied (the tool's 'Explicitly applied' "
        "line), or give --delegate cpu if it ran on the CPU"
    )
    raise CnnlabError(
        f"{name} is a run asked for the {requested} delegate that it did not run on ({why}), "
        f"so its times are not {requested} times and nothing was recorded; {advice}."
    )


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


# --- per-run times -------------------------------------------------------------------------------


def _from_times(
    times: Times, name: str, *, delegate: str | None, threads: int | None
) -> tuple[BenchRun, tuple[float, ...]]:
    if delegate is None:
        raise CnnlabError(
            f"{name}'s times do not say which delegate ran them; pass --delegate "
            f"{'|'.join(DELEGATES)} as the app ran the model."
        )
    samples = times.samples_us
    if len(samples) > MAX_RUNS:
        raise CnnlabError(
            f"{name} holds {len(samples):,} times, more than the {MAX_RUNS:,} a bench keeps; "
            "import a part of them."
        )
    summary = summarize(samples)
    described = "CPU" if delegate == "cpu" else f"{delegate} (as declared at import)"
    return (
        BenchRun(
            experiment_id=0,
            delegate=delegate,
            threads=threads,
            runs=len(samples),
            mean_us=summary.mean_us,
            median_us=summary.median_us,
            p90_us=summary.p90_us,
            p99_us=summary.p99_us,
            min_us=summary.min_us,
            max_us=summary.max_us,
            std_us=summary.std_us,
            extra={
                "runs_requested": len(samples),
                "samples_summary": asdict(summary),
                "summary_source": f"the {len(samples)} per-run times of an imported file",
                "delegation": {
                    "requested": delegate,
                    "delegate": None,
                    "extent": "cpu" if delegate == "cpu" else None,
                    "kernels": None,
                    "described": described,
                },
            },
        ),
        samples,
    )


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
        return {
            "median_ms": (run.median_us or 0) / 1000,
            "p90_ms": (run.p90_us or 0) / 1000,
            "p99_ms": (run.p99_us or 0) / 1000,
            "mean_ms": (run.mean_us or 0) / 1000,
        }
    steady = (run.extra or {}).get("summary_run") or {}
    value = steady.get("median_us") or steady.get("avg_us") or steady.get("curr_us")
    metrics = {"steady_ms": value / 1000} if value else {}
    if run.mean_us is not None:
        metrics["mean_ms"] = run.mean_us / 1000
    return metrics


__all__ = ["DeviceIdentity", "LatencyImport", "SavedFileError", "import_latency"]
