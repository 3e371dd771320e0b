"""A saved `benchmark_model` log as a bench run: the tool's summary, checked against the log.

A log holds only the tool's summary of one invocation, never per-run times: it becomes a bench
run that keeps that summary (`extra["summary_run"]`, the Latency screen's "steady" column) with
no samples, rather than samples invented from a mean. The log must be of a run that finished
(a failed run is refused with the phone bench's own reason for it), hold the tool's `count=`
lines, say which delegate it was asked for (or be told with `--delegate`), and show that
delegate ran: numbers labelled GPU that the CPU produced are refused, as a phone bench refuses
them, or stored as the CPU bench they were with `--as-cpu`.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from cnnlab.delegates import DELEGATES
from cnnlab.devices.log_delegate import default_delegation
from cnnlab.devices.parse import BenchmarkOutput, RunStats
from cnnlab.devices.phone import delegation_meta
from cnnlab.devices.saved_log import LogRun, read_log
from cnnlab.devices.saved_text import looks_like_log
from cnnlab.devices.tool_failures import tool_failure
from cnnlab.errors import CnnlabError
from cnnlab.store import Artifact, BenchRun


def log_run(
    text: str,
    name: str,
    serial: str,
    artifact: Artifact,
    *,
    delegate: str | None,
    threads: int | None,
    as_cpu: bool,
) -> tuple[BenchRun, dict[str, Any]]:
    """The bench run a log records and what the log said; every refusal is one sentence."""
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
    _same_model(run, artifact, name)
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
    delegation = delegation_meta(requested, output)
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
                "timed_with": list(run.timed_with),
                "memory_growth": {
                    "init_mb": output.init_memory_mb,
                    "overall_mb": output.overall_memory_mb,
                    "source": "benchmark_model's 'Memory footprint delta from the start of "
                    "the tool'",
                },
            },
        ),
        run.said(),
    )


def _same_model(run: LogRun, artifact: Artifact, name: str) -> None:
    """Refuse a log of another model: the tool prints the model file's size in MB (to six
    significant digits), which a wrong variant (float for int8) or model never matches."""
    if run.model_mb is None or run.model_mb <= 0:
        return
    recorded = artifact.bytes / 2**20
    if abs(run.model_mb - recorded) <= max(recorded * 1e-5, 1e-6):
        return
    variant = artifact.meta.get("mode", artifact.kind)
    raise CnnlabError(
        f"{name} measured a model of {run.model_mb:g} MB (its 'The input model file size' "
        f"line), but artifact {artifact.id} ({variant}) is {recorded:.6g} MB; import it into "
        f"the artifact it measured (`cnnlab variants {artifact.experiment_id}` lists each "
        "variant's size)."
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
