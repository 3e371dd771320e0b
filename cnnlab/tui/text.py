"""How numbers, times and states look in cells: one place, so tables, headers and tests agree.

Everything here is deterministic given the experiment row (ETA and durations are measured
between the row's own timestamps, never against the wall clock).
"""

from __future__ import annotations

import time

from rich.text import Text

from cnnlab.store import Experiment

STATUS_STYLES = {
    "queued": "bright_black",
    "running": "bold cyan",
    "done": "green",
    "failed": "bold red",
    "stopped": "yellow",
    "lost": "magenta",
}
BAR_WIDTH = 8
# Beside the status of a run whose `warning` is set (validation accuracy stuck at chance, a
# model that does not learn): " ⚠" keeps `done ⚠` inside the table's 7-cell status column.
WARNING_MARK = " ⚠"
WARNING_STYLE = "bold yellow"
_EIGHTHS = " ▏▎▍▌▋▊▉"


def status_text(status: str) -> Text:
    return Text(status, style=STATUS_STYLES.get(status, ""))


def display_status_text(experiment: Experiment) -> Text:
    """The status as people read it (`pending (Resources)` for a job Slurm holds back), with
    a warning mark when the run carries a warning."""
    text = Text(experiment.display_status, style=STATUS_STYLES.get(experiment.status, ""))
    if experiment.warning:
        text.append(WARNING_MARK, style=WARNING_STYLE)
    return text


def display_status_width(experiment: Experiment) -> int:
    """The cells `display_status_text` takes, without building it."""
    return len(experiment.display_status) + (len(WARNING_MARK) if experiment.warning else 0)


def backend_line(experiment: Experiment) -> Text | None:
    """Where a job runs outside this machine: Slurm's job id, state, node and why it waits."""
    if experiment.backend == "local":
        return None
    text = Text(experiment.backend, style="bold")
    if experiment.backend_job_id:
        text.append(f" job {experiment.backend_job_id}")
    for label, value, style in backend_details(experiment)[1:]:
        text.append(f"  {label} ", style="dim")
        text.append(value, style=style)
    return text


def backend_details(experiment: Experiment) -> list[tuple[str, str, str]]:
    """(label, value, style) for each backend field that is set, for headers and the spec tab."""
    e = experiment
    reason = e.backend_reason if e.backend_reason and e.backend_reason != "None" else None
    found = [
        ("backend", e.backend, "bold"),
        ("state", e.backend_state or "", "cyan" if e.backend_state == "RUNNING" else ""),
        ("node", e.backend_node or "", ""),
        ("pending reason" if e.backend_state == "PENDING" else "reason", reason or "", "yellow"),
    ]
    return [(label, value, style) for label, value, style in found if value]


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    return f"{hours // 24}d{hours % 24:02d}h"


def count_text(count: int | None) -> str:
    """Parameter counts: 1.23M, 860K, 512."""
    if count is None:
        return ""
    if count >= 10**9:
        return f"{count / 10**9:.2f}G"
    if count >= 10**6:
        return f"{count / 10**6:.2f}M"
    if count >= 10**4:
        return f"{count / 10**3:.0f}K"
    return str(count)


def size_text(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def percent_text(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def metric_text(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def timestamp_text(timestamp: float | None, *, seconds: bool = False) -> str:
    """Local time, short: the year is dropped because experiments are browsed recently."""
    if timestamp is None:
        return ""
    return time.strftime("%m-%d %H:%M:%S" if seconds else "%m-%d %H:%M", time.localtime(timestamp))


def total_epochs(experiment: Experiment) -> int | None:
    epochs = experiment.spec.get("epochs")
    return epochs if isinstance(epochs, int) and epochs > 0 else None


def fraction_done(experiment: Experiment) -> float | None:
    """How far a running job is, from its epoch and step within the epoch."""
    total = total_epochs(experiment)
    epoch = experiment.progress_epoch
    if total is None or epoch is None:
        return None
    step, steps = experiment.progress_step or 0, experiment.progress_steps
    within = step / steps if steps else 0.0
    return min(1.0, max(0.0, (epoch - 1 + within) / total))


def eta_seconds(experiment: Experiment) -> float | None:
    """Time left, extrapolated from the time between start and the last progress report."""
    done = fraction_done(experiment)
    if not done or experiment.started_at is None or experiment.progress_at is None:
        return None
    elapsed = experiment.progress_at - experiment.started_at
    return max(0.0, elapsed * (1 - done) / done)


def step_bar(step: int | None, steps: int | None, width: int = BAR_WIDTH) -> str:
    """A bar of eighth blocks for the step inside the current epoch."""
    if not steps:
        return "·" * width
    fraction = min(1.0, max(0.0, (step or 0) / steps))
    eighths = round(fraction * width * 8)
    full, partial = divmod(eighths, 8)
    bar = "█" * full + (_EIGHTHS[partial] if partial and full < width else "")
    return bar.ljust(width, "·")


def progress_text(experiment: Experiment) -> Text:
    """Epoch n/N, the step bar and the ETA for a running job; epochs run for the others."""
    total = total_epochs(experiment)
    if experiment.status != "running":
        if experiment.epochs_run:
            shown = f"{experiment.epochs_run}/{total}" if total else str(experiment.epochs_run)
            return Text(f"{shown} ep", style="dim")
        return Text("")
    epoch = experiment.progress_epoch or max(1, experiment.epochs_run)
    text = Text(f"{epoch}/{total or '?'} ", style="cyan")
    text.append(step_bar(experiment.progress_step, experiment.progress_steps), style="cyan")
    eta = eta_seconds(experiment)
    if eta is not None:
        text.append(f" {duration_text(eta)}", style="dim")
    return text
