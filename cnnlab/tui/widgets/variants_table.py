"""The TFLite variants of one model side by side: size, top-1/top-3, change from Keras, and
latency and Mobile AI score once benchmarked; read in its own worker from the store only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.widgets import DataTable
from textual.worker import Worker, WorkerState

from cnnlab.tui import text as fmt

if TYPE_CHECKING:
    from cnnlab.engine import TfliteVariant
    from cnnlab.tui.app import CnnlabApp

COLUMNS = (
    ("artifact", 8),
    ("mode", 8),
    ("optimize", 8),
    ("size", 9),
    ("top-1", 6),
    ("top-3", 6),
    ("Δ top-1", 8),
    ("Δ top-3", 8),
    ("latency", 9),
    ("score", 7),
    ("job", 5),
)


def delta_text(value: float | None) -> Text:
    """A change in accuracy in percentage points; losses in red."""
    if value is None:
        return Text("")
    points = value * 100
    style = "red" if points < -0.05 else "green" if points > 0.05 else ""
    return Text(f"{points:+.1f} pt", style=style)


def variant_cells(variant: TfliteVariant) -> list[str | Text]:
    return [
        Text(str(variant.artifact_id), style="bold"),
        variant.mode,
        variant.optimize or "",
        fmt.size_text(variant.bytes),
        fmt.percent_text(variant.top1),
        fmt.percent_text(variant.top3),
        delta_text(variant.delta_top1),
        delta_text(variant.delta_top3),
        "" if variant.latency_ms is None else f"{variant.latency_ms:.2f} ms",
        "" if variant.score is None else f"{variant.score:.3g}",
        "" if variant.convert_job_id is None else f"#{variant.convert_job_id}",
    ]


class VariantsTable(DataTable[Any]):
    """Call `load(experiment_id)` whenever the experiment's artifacts or benchmarks change."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for label, width in COLUMNS:
            self.add_column(label, key=label, width=width)
        self.variants: list[TfliteVariant] = []

    def load(self, experiment_id: int) -> None:
        self.read_variants(experiment_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="variants", description="tflite")
    def read_variants(self, experiment_id: int) -> list[TfliteVariant]:
        from typing import cast

        from cnnlab.engine import list_variants

        return list_variants(cast("CnnlabApp", self.app).store, experiment_id)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Failures bubble on to the screen, which hands them to the app's one error policy.
        if event.state == WorkerState.SUCCESS and event.worker.group == "variants":
            self.show(event.worker.result or [])
            event.stop()

    def show(self, variants: list[TfliteVariant]) -> None:
        self.variants = variants
        cursor = self.cursor_row
        self.clear()
        for variant in variants:
            self.add_row(*variant_cells(variant), key=str(variant.artifact_id))
        if variants:
            self.move_cursor(row=min(cursor, len(variants) - 1))

    def selected_artifact(self) -> int | None:
        if not self.variants or not 0 <= self.cursor_row < len(self.variants):
            return None
        return self.variants[self.cursor_row].artifact_id
