"""An app's per-run times as a bench run: the samples themselves, and their summary.

A CSV or JSON of per-run times says nothing of the delegate that ran them, so `--delegate` is
required and the run is labelled as declared at import ("gpu (as declared at import)"), never as
measured; the samples are kept as a bench's are, up to the `MAX_RUNS` a bench keeps, and
summarized by the phone bench's own `summarize`, so they sit in the same histograms.
"""

from __future__ import annotations

from dataclasses import asdict

from cnnlab.delegates import DELEGATES
from cnnlab.devices.phone import delegation_meta
from cnnlab.devices.results import summarize
from cnnlab.devices.run_times import Times
from cnnlab.engine.kinds.bench.spec import MAX_RUNS
from cnnlab.errors import CnnlabError
from cnnlab.store import BenchRun


def times_run(
    times: Times, name: str, *, delegate: str | None, threads: int | None
) -> tuple[BenchRun, tuple[float, ...]]:
    """The bench run and the samples (µs) a file of per-run times records."""
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
                "delegation": {**delegation_meta(delegate, None), "described": described},
            },
        ),
        samples,
    )
