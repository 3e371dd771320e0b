"""Latency of one model or of marked experiments: a histogram per model and device on one
shared scale, and the accuracy / latency / size / Mobile AI score table with the Pareto front.

Every benchmark keeps all its samples, so the screen shows distributions rather than means;
the newest run of each model, device, warm/cold setting and delegate stands for it. The rows
and their statistics come from `cnnlab.report.latency`; this screen only draws them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from cnnlab.report.latency import LatencyData, LatencyRow, read_latency
from cnnlab.report.op_profile import LayerProfile, bar, read_profiles, side_by_side
from cnnlab.store import Version, data_version
from cnnlab.tui import text as fmt
from cnnlab.tui.charts import PALETTE
from cnnlab.tui.histogram import MARKS, HistogramPanel, LatencyHistogram, ms_text, shared_range
from cnnlab.tui.screens.base import LabScreen, WorkerResult

PARETO_STYLE = "bold green"
MAX_HISTOGRAMS = 9
COLUMNS = (
    ("", 1),
    ("model", 11),
    ("variant", 8),
    ("device", 9),
    ("ran", 5),
    ("n", 3),
    ("top-1", 5),
    ("median", 6),
    ("p90", 6),
    ("p99", 6),
    ("size", 7),
    ("score", 7),
)
TOP_LAYERS = 8
BAR_WIDTH = 24


def histograms(rows: Sequence[LatencyRow]) -> list[LatencyHistogram]:
    return [
        LatencyHistogram(
            row.label,
            row.samples_ms,
            row.median_ms,
            row.p90_ms,
            row.p99_ms,
            PALETTE[index % len(PALETTE)],
        )
        for index, row in enumerate(rows[:MAX_HISTOGRAMS])
    ]


def table_cells(row: LatencyRow) -> list[str | Text]:
    style = PARETO_STYLE if row.pareto else ""

    def cell(value: str) -> Text:
        return Text(value, style=style)

    return [
        Text("★", style=PARETO_STYLE) if row.pareto else "",
        cell(row.model),
        cell(row.variant if row.bench_mode == "warm" else f"{row.variant} {row.bench_mode}"),
        cell(row.device),
        cell(row.ran_short),
        cell(str(len(row.samples_ms))),
        cell(fmt.percent_text(row.top1)),
        cell("" if row.median_ms is None else ms_text(row.median_ms)),
        cell("" if row.p90_ms is None else ms_text(row.p90_ms)),
        cell("" if row.p99_ms is None else ms_text(row.p99_ms)),
        cell("" if row.bytes is None else fmt.size_text(row.bytes)),
        cell("" if row.score is None else f"{row.score:.1e}"),
    ]


def latency_ids(screen: Screen[Any]) -> list[int]:
    """What the latency screen should show from `screen`: its marked experiments, or the one it
    shows."""
    marked = getattr(screen, "marked", None)
    if marked:
        return sorted(int(i) for i in marked)
    experiment_id = getattr(screen, "experiment_id", None)
    return [experiment_id] if isinstance(experiment_id, int) else []


def row_detail(row: LatencyRow) -> Text:
    """The highlighted row's two distributions, each labelled with its count, and what ran."""
    text = Text.assemble((row.label, "bold"), "\n")
    if row.samples_ms:
        text.append(
            f"samples: n={len(row.samples_ms)} {row.samples_are}"
            + f", median {ms_text(row.median_ms or 0.0)} ms"
            + (f", p90 {ms_text(row.p90_ms)}" if row.p90_ms is not None else "")
        )
    else:
        text.append("samples: none (an imported summary)", style="dim")
    if row.steady_ms is not None:
        text.append(
            f"  ·  tool steady state: n={row.steady_n} runs of one invocation, "
            f"{ms_text(row.steady_ms)} ms"
        )
    text.append(f"  ·  ran on: {row.ran_on or row.delegate.upper()}")
    return text


def layer_lines(profile: LayerProfile, other: LayerProfile | None = None) -> Text:
    """The slowest layers as bars, or (with `other`, the pinned row) both side by side."""
    if other is None:
        shown = profile.slowest(TOP_LAYERS)
        peak = shown[0].ms if shown else 1.0
        text = Text(f"Slowest layers ({profile.total_ms:.3f} ms per run, {profile.runs} profiled)")
        for layer in shown:
            text.append(f"\n{layer.layer[:22]:<22} {layer.ms:8.3f} ms {layer.percent:5.1f}% ")
            text.append(bar(layer.ms / peak if peak else 0.0, BAR_WIDTH), style="bold cyan")
            text.append(f" {layer.ran_on}", style="dim")
        return text
    text = Text(f"A (pinned) {other.label}\nB {profile.label}\n")
    text.append(f"{'layer':<22} {'A ms':>8} {'B ms':>8} {'B/A':>6}", style="bold")
    entries = sorted(
        side_by_side(other, profile), key=lambda e: -max(e.first_ms or 0.0, e.second_ms or 0.0)
    )
    for entry in entries[:TOP_LAYERS]:
        a = "" if entry.first_ms is None else f"{entry.first_ms:8.3f}"
        b = "" if entry.second_ms is None else f"{entry.second_ms:8.3f}"
        ratio = "" if entry.ratio is None else f"{entry.ratio:6.2f}"
        text.append(f"\n{entry.layer[:22]:<22} {a:>8} {b:>8} {ratio:>6}")
    return text


@dataclass
class LatencyRead(WorkerResult, bubble=False):
    """The latency rows and their layer profiles, or None when nothing was committed since the
    last read."""

    data: LatencyData | None
    profiles: dict[int, LayerProfile] | None = None


class LatencyScreen(LabScreen):
    """Latency distributions per device and the accuracy-latency trade-off of some models."""

    CSS_PATH = "latency.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("r", "refresh_now", "Refresh"),
        Binding("p", "pin", "Pin to compare"),
    ]

    def __init__(self, experiment_ids: Sequence[int]) -> None:
        super().__init__()
        self.experiment_ids = list(experiment_ids)
        self.data: LatencyData | None = None
        self.profiles: dict[int, LayerProfile] = {}
        self.pinned: int | None = None  # the row whose layer profile the others are set beside

    def compose(self) -> ComposeResult:
        ids = ", ".join(f"#{i}" for i in self.experiment_ids)
        yield Static(f"Latency of {ids}: loading…", id="head", classes="bar")
        with Vertical(id="body"):
            yield Grid(id="histograms")
            yield DataTable(id="latency-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="row-detail")
            yield Static(id="layers")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#latency-table", DataTable)
        for label, width in COLUMNS:
            table.add_column(label, key=label or "front", width=width)
        self.poll()

    def read_now(self) -> None:
        self.read(self.data.data_version if self.data else None)

    def poll_every(self) -> float:
        return max(self.lab.poll_interval_s, 1.0)

    def action_refresh_now(self) -> None:
        self.data = None
        self.poll()

    @work(thread=True, exclusive=True, exit_on_error=False, group="latency", description="latency")
    def read(self, version: Version | None) -> LatencyRead:
        store = self.lab.store
        if version is not None and data_version(store) == version:
            return LatencyRead(None)
        data = read_latency(store, self.experiment_ids)
        profiles = read_profiles(store, self.experiment_ids, data.rows)
        return LatencyRead(data, {profile.row_id: profile for profile in profiles})

    @on(LatencyRead)
    def latency_read(self, message: LatencyRead) -> None:
        if message.data is not None:
            self.profiles = message.profiles or {}
            self.show(message.data)
        self.schedule_poll()

    def highlighted(self) -> LatencyRow | None:
        table = self.query_one("#latency-table", DataTable)
        if self.data is None or not self.data.rows or table.row_count == 0:
            return None
        return self.data.rows[min(table.cursor_row, len(self.data.rows) - 1)]

    @on(DataTable.RowHighlighted)
    def show_row(self) -> None:
        row = self.highlighted()
        detail = self.query_one("#row-detail", Static)
        layers = self.query_one("#layers", Static)
        detail.display = row is not None
        profile = self.profiles.get(row.bench_run_id) if row is not None else None
        layers.display = profile is not None
        if row is None:
            return
        detail.update(row_detail(row))
        if profile is not None:
            pinned = self.profiles.get(self.pinned) if self.pinned is not None else None
            layers.update(layer_lines(profile, pinned if pinned is not profile else None))

    def action_pin(self) -> None:
        """Pin the highlighted row's layer profile: the others are then shown beside it."""
        row = self.highlighted()
        if row is None or row.bench_run_id not in self.profiles:
            self.notify("This benchmark has no op profile (bench with --profile-ops).")
            return
        self.pinned = None if self.pinned == row.bench_run_id else row.bench_run_id
        self.show_row()

    def show(self, data: LatencyData) -> None:
        self.data = data
        rows = data.rows
        head = Text.assemble(
            ("Latency ", "bold"),
            (", ".join(f"#{i}" for i in self.experiment_ids), "bold"),
            f"  {len(rows)} benchmark{'s' * (len(rows) != 1)}, ms  ",
        )
        if rows:
            for name, style in MARKS:
                head.append(f"▲{name} ", style=f"bold {style}")
            head.append("  ★ Pareto front per device", style=PARETO_STYLE)
        else:
            head.append(
                "  no benchmarks yet: open an experiment and press b to benchmark it", style="dim"
            )
        self.query_one("#head", Static).update(head)
        self.draw_histograms(rows)
        table = self.query_one("#latency-table", DataTable)
        table.clear()
        for row in rows:
            table.add_row(*table_cells(row), key=str(row.bench_run_id))
        self.show_row()

    def draw_histograms(self, rows: Sequence[LatencyRow]) -> None:
        grid = self.query_one("#histograms", Grid)
        grid.remove_children()
        shown = histograms(rows)
        grid.display = bool(shown)
        if not shown:
            return
        columns = min(len(shown), 3)
        grid.styles.grid_size_columns = columns
        grid.styles.grid_size_rows = (len(shown) + columns - 1) // columns
        span = shared_range(shown) or (0.0, 1.0)
        panels = [HistogramPanel(h) for h in shown]
        for panel in panels:
            panel.set_scale(span, shown)
        grid.mount_all(panels)
