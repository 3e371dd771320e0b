"""Latency of one model or of marked experiments: a histogram per model and device on one
shared scale, and the accuracy / latency / size / Mobile AI score table with the Pareto front.

Every benchmark keeps all its samples, so the screen shows distributions rather than means;
the newest run of each model, device and warm/cold setting stands for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Static

from cnnlab.store import (
    Artifact,
    BenchRun,
    Device,
    Experiment,
    Store,
    StoreError,
    Version,
    bench_runs_for,
    data_version,
    experiments_by_ids,
    get_artifact,
    get_samples,
    list_devices,
)
from cnnlab.tui import text as fmt
from cnnlab.tui.charts import PALETTE
from cnnlab.tui.histogram import MARKS, HistogramPanel, LatencyHistogram, ms_text, shared_range
from cnnlab.tui.screens.base import LabScreen

PARETO_STYLE = "bold green"
MAX_HISTOGRAMS = 9
COLUMNS = (
    ("", 1),
    ("model", 13),
    ("variant", 10),
    ("device", 10),
    ("n", 3),
    ("top-1", 6),
    ("median", 6),
    ("p90", 6),
    ("p99", 6),
    ("size", 8),
    ("score", 7),
)


@dataclass(frozen=True)
class LatencyRow:
    """The newest benchmark of one model variant on one device in one (warm or cold) setting."""

    bench_run_id: int
    experiment_id: int
    model: str
    variant: str
    device: str
    bench_mode: str
    samples_ms: tuple[float, ...]
    median_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    mean_ms: float | None
    top1: float | None
    top3: float | None
    bytes: int | None
    score: float | None
    pareto: bool = False

    @property
    def label(self) -> str:
        return f"{self.model} {self.variant} · {self.device} ({self.bench_mode})"


@dataclass(frozen=True)
class LatencyData:
    rows: list[LatencyRow]
    data_version: Version


def _device_label(device: Device | None, run: BenchRun) -> str:
    serial = (run.extra or {}).get("device_serial")
    if device is None:
        return str(serial or "?")
    if device.kind == "host":
        return device.serial
    return device.model or device.serial


def _accuracy(artifact: Artifact | None, owner: Experiment) -> tuple[float | None, float | None]:
    """The TFLite variant's own accuracy when its conversion evaluated it, else the model's."""
    if artifact is not None:
        evaluation = artifact.meta.get("evaluation") or {}
        top1 = evaluation.get("top1", artifact.meta.get("top1"))
        if top1 is not None:
            return float(top1), evaluation.get("top3", artifact.meta.get("top3"))
    return owner.best_val_accuracy, None


def _score(top1: float | None, top3: float | None, mean_ms: float | None) -> float | None:
    from cnnlab.engine.convert_variants import mobile_ai_score

    if top1 is None or top3 is None or not mean_ms:
        return None
    return mobile_ai_score(top1, top3, mean_ms)


def mark_pareto(rows: Sequence[LatencyRow]) -> list[LatencyRow]:
    """Flag the accuracy-latency Pareto front, found per device and setting: milliseconds on
    a phone and on the host (or warm and cold) are not the same currency.
    """
    import dataclasses

    from cnnlab.report.plots import Point, pareto_front

    on_front: set[int] = set()
    groups: dict[tuple[str, str], list[int]] = {}
    for index, row in enumerate(rows):
        if row.median_ms is not None and row.top1 is not None:
            groups.setdefault((row.device, row.bench_mode), []).append(index)
    for members in groups.values():
        points = [
            Point(rows[i].label, rows[i].median_ms or 0.0, rows[i].top1 or 0.0) for i in members
        ]
        on_front.update(members[i] for i in pareto_front(points))
    return [dataclasses.replace(row, pareto=i in on_front) for i, row in enumerate(rows)]


def read_latency(store: Store, experiment_ids: Sequence[int]) -> LatencyData:
    """Every benchmark of these experiments' models, the newest per variant, device and mode."""
    version = data_version(store)
    with store.snapshot():
        newest: dict[tuple[int | None, int | None, str, int], BenchRun] = {}
        for run in bench_runs_for(store, experiment_ids):
            mode = str((run.extra or {}).get("mode", "warm"))
            holder = run.experiment_id if run.artifact_id is None else 0
            newest[(run.artifact_id, run.device_id, mode, holder)] = run
        devices = {d.id: d for d in list_devices(store)}
        artifacts: dict[int, Artifact | None] = {}
        for run in newest.values():
            if run.artifact_id is not None and run.artifact_id not in artifacts:
                try:
                    artifacts[run.artifact_id] = get_artifact(store, run.artifact_id)
                except StoreError:
                    artifacts[run.artifact_id] = None  # deleted since; its run still counts
        owner_ids = {
            a.experiment_id if (a := artifacts.get(r.artifact_id or -1)) else r.experiment_id
            for r in newest.values()
        }
        owners = {e.id: e for e in experiments_by_ids(store, sorted(owner_ids))}
        rows = []
        for (artifact_id, _device, mode, _holder), run in sorted(
            newest.items(), key=lambda item: item[1].id or 0
        ):
            artifact = artifacts.get(artifact_id) if artifact_id is not None else None
            owner = owners.get(artifact.experiment_id if artifact else run.experiment_id)
            if owner is None:
                continue
            try:
                samples = tuple(v / 1000 for v in get_samples(store, run.id or 0))
            except StoreError:
                samples = ()
            top1, top3 = _accuracy(artifact, owner)
            mean_ms = run.mean_us / 1000 if run.mean_us is not None else None
            rows.append(
                LatencyRow(
                    bench_run_id=run.id or 0,
                    experiment_id=owner.id,
                    model=f"#{owner.id} {owner.model or owner.name or ''}".strip(),
                    variant=str(artifact.meta.get("mode", artifact.kind)) if artifact else "?",
                    device=_device_label(devices.get(run.device_id), run),
                    bench_mode=mode,
                    samples_ms=samples,
                    median_ms=run.median_us / 1000 if run.median_us is not None else None,
                    p90_ms=run.p90_us / 1000 if run.p90_us is not None else None,
                    p99_ms=run.p99_us / 1000 if run.p99_us is not None else None,
                    mean_ms=mean_ms,
                    top1=top1,
                    top3=top3,
                    bytes=artifact.bytes if artifact else None,
                    score=_score(top1, top3, mean_ms),
                )
            )
    return LatencyData(mark_pareto(rows), version)


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


class LatencyScreen(LabScreen):
    """Latency distributions per device and the accuracy-latency trade-off of some models."""

    CSS_PATH = "latency.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("r", "refresh_now", "Refresh"),
    ]

    def __init__(self, experiment_ids: Sequence[int]) -> None:
        super().__init__()
        self.experiment_ids = list(experiment_ids)
        self.data: LatencyData | None = None
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        ids = ", ".join(f"#{i}" for i in self.experiment_ids)
        yield Static(f"Latency of {ids}: loading…", id="head", classes="bar")
        with Vertical(id="body"):
            yield Grid(id="histograms")
            yield DataTable(id="latency-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#latency-table", DataTable)
        for label, width in COLUMNS:
            table.add_column(label, key=label or "front", width=width)
        self.poll()

    def poll(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self.read(self.data.data_version if self.data else None)

    def schedule_poll(self) -> None:
        self._timer = self.set_timer(max(self.lab.poll_interval_s, 1.0), self.poll)

    def action_refresh_now(self) -> None:
        self.data = None
        self.poll()

    @work(thread=True, exclusive=True, exit_on_error=False, group="latency", description="latency")
    def read(self, version: Version | None) -> LatencyData | None:
        store = self.lab.store
        if version is not None and data_version(store) == version:
            return None
        return read_latency(store, self.experiment_ids)

    def worker_done(self, group: str, result: Any) -> None:
        if group == "latency":
            if result is not None:
                self.show(result)
            self.schedule_poll()

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
