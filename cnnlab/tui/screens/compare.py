"""Compare marked experiments: overlaid curves, final and best metrics, and the spec keys side
by side (only the keys that differ, until `a` shows them all).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from cnnlab.tui import text as fmt
from cnnlab.tui.charts import PALETTE, Series
from cnnlab.tui.reads import Curves, read_curves
from cnnlab.tui.screens.base import LabScreen, WorkerResult
from cnnlab.tui.widgets.chart import LineChart

MAX_SPEC_COLUMNS = 40


def spec_rows(curves: Curves, all_keys: bool) -> list[tuple[str, list[str]]]:
    """(key, value per experiment) for the keys that differ (or all of them), then, when any
    experiment is a transfer, which layers each one trained and froze.
    """
    shown = curves.experiments[:MAX_SPEC_COLUMNS]
    specs = [e.spec for e in shown]
    keys = sorted({key for spec in specs for key in spec})
    rows = []
    for key in keys:
        values = [
            "" if key not in spec else (v if isinstance(v := spec[key], str) else json.dumps(v))
            for spec in specs
        ]
        if all_keys or len(set(values)) > 1:
            rows.append((key, values))
    return rows + layer_rows(curves)


def layer_rows(curves: Curves) -> list[tuple[str, list[str]]]:
    """Trainable and frozen layers side by side ("all" for a run trained from scratch)."""
    shown = curves.experiments[:MAX_SPEC_COLUMNS]
    if not any(e.id in curves.layers for e in shown):
        return []
    layers = [curves.layers.get(e.id) for e in shown]
    return [
        (
            "trainable layers",
            [", ".join(x.trainable_layers) if x else "all" for x in layers],
        ),
        ("frozen layers", [", ".join(x.frozen_layers) if x else "none" for x in layers]),
        (
            "trainable / frozen params",
            [
                f"{fmt.count_text(x.trainable_params)} / {fmt.count_text(x.frozen_params)}"
                if x
                else ""
                for x in layers
            ],
        ),
    ]


@dataclass
class CurvesRead(WorkerResult, bubble=False):
    """The compared experiments' curves, specs and trainable layers."""

    curves: Curves


class CompareScreen(LabScreen):
    """Side by side: curves, metrics and spec differences of the marked experiments."""

    CSS_PATH = "compare.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("a", "toggle_keys", "All/differing keys"),
        Binding("1", "tab('curves')", "Curves", show=False),
        Binding("2", "tab('metrics')", "Metrics", show=False),
        Binding("3", "tab('spec')", "Spec", show=False),
    ]

    all_keys: reactive[bool] = reactive(False, init=False)

    def __init__(self, experiment_ids: list[int]) -> None:
        super().__init__()
        self.experiment_ids = experiment_ids
        self.curves: Curves | None = None

    def compose(self) -> ComposeResult:
        yield Static(f"Comparing {len(self.experiment_ids)} experiments", id="head", classes="bar")
        with TabbedContent(initial="curves"):
            with TabPane("1 Curves", id="curves"), Horizontal():
                yield LineChart("val accuracy", id="acc-chart")
                yield LineChart("val loss", id="loss-chart")
            with TabPane("2 Metrics", id="metrics"):
                yield DataTable(id="metrics-table", cursor_type="row", zebra_stripes=True)
            with TabPane("3 Spec", id="spec"):
                yield DataTable(id="spec-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.poll()

    def read_now(self) -> None:
        self.read(self.experiment_ids)

    @work(thread=True, exclusive=True, exit_on_error=False, group="poll", description="curves")
    def read(self, experiment_ids: list[int]) -> CurvesRead:
        return CurvesRead(read_curves(self.lab.store, experiment_ids))

    @on(CurvesRead)
    def curves_read(self, message: CurvesRead) -> None:
        self.curves = message.curves
        self.show()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_toggle_keys(self) -> None:
        self.all_keys = not self.all_keys

    def watch_all_keys(self) -> None:
        self.show_spec()

    def show(self) -> None:
        curves = self.curves
        assert curves is not None
        for chart_id, metric in (("#acc-chart", "val_accuracy"), ("#loss-chart", "val_loss")):
            series = [
                Series(
                    f"#{e.id} {e.name}".strip(),
                    curves.metrics.get(e.id, {}).get(metric, []),
                    PALETTE[i % len(PALETTE)],
                )
                for i, e in enumerate(curves.experiments)
            ]
            self.query_one(chart_id, LineChart).set_series(series)
        table = self.query_one("#metrics-table", DataTable)
        table.clear(columns=True)
        table.add_columns(
            "id", "name", "model", "status", "best val acc", "@", "final val loss", "epochs",
            "params", "took",
        )  # fmt: skip
        for i, e in enumerate(curves.experiments):
            final = e.final_metrics
            table.add_row(
                Text(str(e.id), style=PALETTE[i % len(PALETTE)]),
                e.name,
                e.model or "",
                fmt.display_status_text(e),
                Text(fmt.percent_text(e.best_val_accuracy), style="bold"),
                str(e.best_epoch or ""),
                fmt.metric_text(final.get("val_loss")),
                str(e.epochs_run),
                fmt.count_text(e.params),
                fmt.duration_text(e.duration_s),
            )
        self.show_spec()

    def show_spec(self) -> None:
        if self.curves is None:
            return
        table = self.query_one("#spec-table", DataTable)
        table.clear(columns=True)
        shown = self.curves.experiments[:MAX_SPEC_COLUMNS]
        table.add_column("key")
        for e in shown:
            table.add_column(f"#{e.id}")
        rows = spec_rows(self.curves, self.all_keys)
        for key, values in rows:
            table.add_row(Text(key, style="bold"), *values)
        which = "all keys" if self.all_keys else f"{len(rows)} differing keys (a: all)"
        extra = len(self.curves.experiments) - len(shown)
        note = f"  first {MAX_SPEC_COLUMNS} in spec" if extra > 0 else ""
        head = f"Comparing {len(self.curves.experiments)} experiments  {which}{note}"
        self.query_one("#head", Static).update(head)
