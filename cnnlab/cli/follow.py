"""Following a job from the store: epoch lines, events and a step bar, until it ends.

Like the TUI, this never talks to the job process: it polls the database cheaply
(`PRAGMA data_version` says whether anything changed) and prints what is new.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from cnnlab.store import Epoch, Event, Experiment, Store

POLL_S = 0.2
LOST_CHECK_S = 5.0
QUIET_EVENTS = ("checkpoint", "queued")


def epoch_line(epoch: Epoch, total: int | None) -> str:
    """A Keras-like line: `Epoch 3/50 - 12.3s - loss: 0.4321 - val_accuracy: 0.8800 - lr: ...`."""
    parts = [f"Epoch {epoch.epoch}/{total}" if total else f"Epoch {epoch.epoch}"]
    if epoch.seconds is not None:
        parts.append(f"{epoch.seconds:.1f}s")
    order = ("loss", "accuracy", "val_loss", "val_accuracy")
    names = [n for n in order if n in epoch.metrics] + sorted(
        n for n in epoch.metrics if n not in order
    )
    parts += [f"{name}: {epoch.metrics[name]:.4f}" for name in names]
    if epoch.lr is not None:
        parts.append(f"lr: {epoch.lr:.2e}")
    return " - ".join(parts)


def event_line(event: Event) -> str:
    stamp = time.strftime("%H:%M:%S", time.localtime(event.at))
    return f"[{stamp}] {event.kind}: {event.message}".rstrip(": ")


def follow(
    store: Store, experiment_id: int, *, follow: bool, events: bool = True, err: bool = False
) -> str:
    """Print epochs and events (and keep printing while `follow`); returns the final status."""
    from cnnlab.cli.context import look_after_jobs
    from cnnlab.store import Status, get_experiment, list_epochs, list_events

    last_epoch = 0
    last_event = 0
    bar = _StepBar() if follow and not err and sys.stdout.isatty() else None
    last_lost_check = time.monotonic()
    data_version = -1
    experiment = get_experiment(store, experiment_id)
    try:
        while True:
            version = store.conn.execute("PRAGMA data_version").fetchone()[0]
            if version != data_version:
                data_version = version
                experiment = get_experiment(store, experiment_id)
                total = experiment.spec.get("epochs")
                new_epochs = list_epochs(store, experiment_id, after=last_epoch)
                new_events = list_events(store, experiment_id, after_id=last_event)
                lines = [(e.at, epoch_line(e, total)) for e in new_epochs]
                if events:
                    lines += [
                        (e.at, event_line(e)) for e in new_events if e.kind not in QUIET_EVENTS
                    ]
                for _, line in sorted(lines, key=lambda item: item[0]):
                    if bar:
                        bar.clear()
                    click.echo(line, err=err)
                last_epoch = new_epochs[-1].epoch if new_epochs else last_epoch
                last_event = new_events[-1].id if new_events else last_event
                if bar:
                    bar.show(experiment)
            if not follow or Status(experiment.status).is_final:
                return experiment.status
            if time.monotonic() - last_lost_check > LOST_CHECK_S:
                look_after_jobs(store)  # a killed scheduler must not leave us waiting
                last_lost_check = time.monotonic()
            time.sleep(POLL_S)
    finally:
        if bar:
            bar.clear()


class _StepBar:
    """One line on a terminal showing the current epoch's steps, rewritten in place."""

    def __init__(self) -> None:
        self.shown = False

    def show(self, experiment: Experiment) -> None:
        if experiment.status != "running" or not experiment.progress_steps:
            return
        step, steps = experiment.progress_step or 0, experiment.progress_steps
        width = 30
        filled = int(width * step / steps)
        total = experiment.spec.get("epochs", "?")
        text = (
            f"Epoch {experiment.progress_epoch}/{total} "
            f"[{'=' * filled}{'.' * (width - filled)}] {step}/{steps}"
        )
        sys.stdout.write("\r" + text)
        sys.stdout.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stdout.write("\r\033[K")
            sys.stdout.flush()
            self.shown = False


def tail_log(store: Store, experiment_id: int, keep_following: bool) -> str:
    """Print the job's raw log (runs/<id>/log.txt), following it as it grows until the job
    ends, then what is left; returns the job's status. The status is read before each read of
    the file, so the last lines a job writes before it ends are never missed."""
    from cnnlab.store import FINAL_STATUSES, get_experiment

    path = store.run_dir(experiment_id) / "log.txt"
    position = 0
    while True:
        status = str(get_experiment(store, experiment_id).status)
        if path.exists():
            with path.open("rb") as handle:
                handle.seek(position)
                chunk = handle.read()
                position = handle.tell()
            sys.stdout.write(chunk.decode(errors="replace"))
            sys.stdout.flush()
        elif not keep_following:
            click.echo(f"No log yet at {path}.", err=True)
        if not keep_following or status in FINAL_STATUSES:
            return status
        time.sleep(POLL_S)
