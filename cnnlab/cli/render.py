"""Human-readable output of the CLI: Rich tables for lists, epochs, events and artifacts.

Rich is imported inside these functions so that commands which print nothing (or JSON) never
pay for it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console, JustifyMethod

    from cnnlab.store import Experiment, ExperimentDetail


def when(timestamp: float | None, *, short: bool = False) -> str:
    if timestamp is None:
        return ""
    return time.strftime("%m-%d %H:%M" if short else "%Y-%m-%d %H:%M", time.localtime(timestamp))


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


# Beside the status of a run whose `warning` is set (validation accuracy stuck at chance...).
WARNING_MARK = "⚠"


def marked_status(experiment: Experiment) -> str:
    """The status as `ls` and `show` print it (a queued job says why it waits), marked when
    the run carries a warning."""
    status = experiment.display_status
    return f"{status} {WARNING_MARK}" if experiment.warning else status


def number(value: float | None, digits: int = 4) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def progress(experiment: Experiment) -> str:
    total = experiment.spec.get("epochs")
    if experiment.status == "running" and experiment.progress_epoch:
        step = ""
        if experiment.progress_steps:
            step = f" {experiment.progress_step}/{experiment.progress_steps}"
        return f"{experiment.progress_epoch}/{total or '?'}{step}"
    return f"{experiment.epochs_run}/{total}" if total else str(experiment.epochs_run or "")


def _console() -> Console:
    """A console that never truncates when output goes to a pipe or a file."""
    import sys

    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=200, no_color=True)


def print_experiments(experiments: list[Experiment], *, total: int, offset: int) -> None:
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in (
        "id",
        "name",
        "kind",
        "model",
        "status",
        "epochs",
        "val acc",
        "params",
        "created",
        "duration",
    ):
        numeric = column in ("id", "epochs", "val acc", "params")
        justify: JustifyMethod = "right" if numeric else "left"
        flexible = column in ("name", "model")
        table.add_column(
            column,
            justify=justify,
            no_wrap=True,
            overflow="ellipsis",
            ratio=1 if flexible else None,
            min_width=8 if flexible else None,
        )
    for e in experiments:
        table.add_row(
            str(e.id),
            e.name,
            e.kind,
            e.model or "",
            marked_status(e),
            progress(e),
            number(e.best_val_accuracy),
            f"{e.params:,}" if e.params else "",
            when(e.created_at, short=True),
            duration(e.duration_s),
        )
    console = _console()
    if experiments:
        console.print(table)
    last = offset + len(experiments)
    console.print(f"[dim]{offset + 1 if experiments else 0}-{last} of {total} experiments[/dim]")


# `show` prints a long run's first and last epochs and its best, not 10,000 rows.
SHOWN_FIRST, SHOWN_LAST = 10, 30


def shown_epochs(epochs: Sequence[Any], best: int | None) -> list[Any]:
    """The epochs `show` prints: all of a short run; the first, the last and the best of a
    long one."""
    if len(epochs) <= SHOWN_FIRST + SHOWN_LAST + 10:
        return list(epochs)
    keep = {*range(SHOWN_FIRST), *range(len(epochs) - SHOWN_LAST, len(epochs))}
    keep |= {i for i, epoch in enumerate(epochs) if epoch.epoch == best}
    return [epochs[i] for i in sorted(keep)]


def print_detail(detail: ExperimentDetail, *, run_dir: Path) -> None:
    from rich.table import Table

    e = detail.experiment
    console = _console()
    console.print(f"[bold]#{e.id} {e.name}[/bold]  {e.kind}  [bold]{marked_status(e)}[/bold]")
    fields = {
        "model": e.model,
        "dataset": e.dataset,
        "parent": e.parent_id,
        "group": e.group_id,
        "children": ", ".join(map(str, detail.children)) or None,
        "created": when(e.created_at),
        "started": when(e.started_at),
        "finished": when(e.finished_at),
        "duration": duration(e.duration_s),
        "host": e.host,
        "pid": e.pid,
        "backend": e.backend,
        "backend job": e.backend_job_id,
        "best": f"{e.best_metric} {number(e.best_value)} at epoch {e.best_epoch}"
        if e.best_metric
        else None,
        "stopped early": e.stopped_early,
        "train seconds": number(e.train_seconds, 1),
        "params": f"{e.params:,}" if e.params else None,
        "error": e.error,
        "warning": e.warning,
        "run folder": run_dir,
    }
    for key, value in fields.items():
        if value not in (None, ""):
            console.print(f"  {key:<14} {value}", highlight=False)
    if e.spec:
        console.print("  spec           " + json.dumps(e.spec, sort_keys=True), highlight=False)
    if detail.epochs:
        names = sorted({name for epoch in detail.epochs for name in epoch.metrics})
        table = Table(
            "epoch", *names, "lr", "seconds", title="epochs", box=None, title_justify="left"
        )
        shown = shown_epochs(detail.epochs, e.best_epoch)
        for index, epoch in enumerate(shown):
            if index and epoch.epoch - shown[index - 1].epoch > 1:
                hidden = sum(
                    1 for x in detail.epochs if shown[index - 1].epoch < x.epoch < epoch.epoch
                )
                table.add_row(f"… {hidden} more", *([""] * (len(names) + 2)), style="dim")
            table.add_row(
                str(epoch.epoch),
                *(number(epoch.metrics.get(n)) for n in names),
                f"{epoch.lr:.3g}" if epoch.lr is not None else "",
                number(epoch.seconds, 1),
            )
        console.print(table)
        if len(shown) < len(detail.epochs):
            console.print(
                f"  {len(shown)} of {len(detail.epochs):,} epochs shown (the first, the best and "
                f"the last); every one: `cnnlab show {e.id} --json` or `cnnlab logs {e.id}`",
                highlight=False,
                style="dim",
            )
    if detail.events:
        table = Table("at", "event", "message", title="events", box=None, title_justify="left")
        for event in detail.events:
            table.add_row(when(event.at), event.kind, event.message)
        console.print(table)
    if detail.artifacts:
        table = Table(
            "id",
            "kind",
            "bytes",
            "sha256",
            "path",
            title="artifacts",
            box=None,
            title_justify="left",
        )
        for artifact in detail.artifacts:
            table.add_row(
                str(artifact.id),
                artifact.kind,
                f"{artifact.bytes:,}",
                artifact.sha256[:12],
                artifact.path,
            )
        console.print(table)
