"""Latency histograms drawn with block characters, several on one shared millisecond scale.

Means hide the tail that makes a phone app stutter, so every benchmark is shown as its whole
distribution with the median, p90 and p99 marked; histograms of different models or devices
share one x range (and one y scale, in percent of runs) so that they can be compared by eye.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

BLOCKS = " ▁▂▃▄▅▆▇█"
MARKS = (("median", "green"), ("p90", "yellow"), ("p99", "red"))
AXIS_WIDTH = 4  # "40%┤"


@dataclass(frozen=True)
class LatencyHistogram:
    """One benchmark's per-run latencies (ms) with the summary marks drawn over them."""

    label: str
    samples_ms: Sequence[float]
    median_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None
    style: str = "cyan"

    def marks(self) -> list[tuple[str, float, str]]:
        values = (self.median_ms, self.p90_ms, self.p99_ms)
        return [(name, v, style) for (name, style), v in zip(MARKS, values, strict=True) if v]


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Linear-interpolated percentile of already sorted values (as numpy's default)."""
    if not sorted_values:
        raise ValueError("no values")
    position = (len(sorted_values) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def shared_range(histograms: Sequence[LatencyHistogram]) -> tuple[float, float] | None:
    """One x range for all: the fastest run to the slowest, padded when all runs are equal."""
    values = [v for h in histograms for v in h.samples_ms if math.isfinite(v)]
    if not values:
        return None
    low, high = min(values), max(values)
    if high - low < 1e-9:
        pad = abs(high) * 0.05 or 0.05
        return max(0.0, low - pad), high + pad
    return low, high


def bin_counts(samples: Sequence[float], low: float, high: float, bins: int) -> list[int]:
    counts = [0] * bins
    for value in samples:
        if not math.isfinite(value):
            continue
        index = int((value - low) / (high - low) * bins)
        counts[min(max(index, 0), bins - 1)] += 1
    return counts


def peak_share(
    histograms: Sequence[LatencyHistogram], span: tuple[float, float], bins: int
) -> float:
    """The tallest bar of any histogram, as a share of its runs: the common y scale."""
    peak = 0.0
    for histogram in histograms:
        if histogram.samples_ms:
            counts = bin_counts(histogram.samples_ms, *span, bins)
            peak = max(peak, max(counts) / len(histogram.samples_ms))
    return peak or 1.0


def ms_text(value: float) -> str:
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def render_histogram(
    histogram: LatencyHistogram,
    span: tuple[float, float],
    width: int,
    height: int,
    *,
    y_max: float | None = None,
) -> Text:
    """`width` x `height` cells: title, bars, a marked axis, range labels, the marks' values."""
    title = Text(histogram.label, style="bold")
    title.truncate(width, overflow="ellipsis")
    lines = [title]
    bar_rows = height - 4
    bins = width - AXIS_WIDTH
    if bar_rows < 1 or bins < 4 or not histogram.samples_ms:
        lines.append(Text("no samples", style="dim"))
        return Text("\n").join(lines)
    low, high = span
    counts = bin_counts(histogram.samples_ms, low, high, bins)
    total = len(histogram.samples_ms)
    top = y_max if y_max else max(counts) / total
    eighths = [min(bar_rows * 8, round(c / total / top * bar_rows * 8)) for c in counts]
    for index, c in enumerate(counts):
        if c and not eighths[index]:
            eighths[index] = 1  # a single slow run must stay visible
    for row in range(bar_rows):
        floor = (bar_rows - 1 - row) * 8
        if row == 0:
            axis = f"{min(99, round(top * 100)):>2}%┤"
        elif row == bar_rows - 1:
            axis = " 0%┤"
        else:
            axis = "   │"
        line = Text(axis, style="dim")
        line.append("".join(BLOCKS[min(8, max(0, e - floor))] for e in eighths), histogram.style)
        lines.append(line)

    def column(value: float) -> int:
        return min(bins - 1, max(0, int((value - low) / (high - low) * bins)))

    axis_cells = ["─"] * bins
    axis_styles = ["dim"] * bins
    for _name, value, style in histogram.marks():
        axis_cells[column(value)] = "▲"
        axis_styles[column(value)] = f"bold {style}"
    axis_line = Text("   └", style="dim")
    for cell, style in zip(axis_cells, axis_styles, strict=True):
        axis_line.append(cell, style)
    lines.append(axis_line)
    left, right = ms_text(low), ms_text(high) + " ms"
    lines.append(Text(" " * AXIS_WIDTH + left.ljust(bins - len(right)) + right, style="dim"))
    lines.append(_legend(histogram, total, width))
    return Text("\n").join(lines)


def _legend(histogram: LatencyHistogram, total: int, width: int) -> Text:
    """The marks' values, named when there is room, else only coloured as on the axis."""
    for named in (True, False):
        legend = Text(" " * AXIS_WIDTH if named else "")
        for name, value, style in histogram.marks():
            legend.append("▲", style=f"bold {style}")
            legend.append(f"{name} {ms_text(value)}  " if named else f"{ms_text(value)} ")
        legend.append("" if named else "ms ")
        legend.append(f"n={total}", style="dim")
        if legend.cell_len <= width:
            return legend
    legend.truncate(width)
    return legend


class HistogramPanel(Widget):
    """One histogram, redrawn at the size the layout gives it, on a scale set by its screen."""

    DEFAULT_CSS = """
    HistogramPanel {
        width: 1fr;
        height: 1fr;
        min-height: 7;
        padding: 0 1;
    }
    """

    def __init__(self, histogram: LatencyHistogram, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.histogram = histogram
        self.span: tuple[float, float] = (0.0, 1.0)
        self.peers: Sequence[LatencyHistogram] = (histogram,)

    def set_scale(self, span: tuple[float, float], peers: Sequence[LatencyHistogram]) -> None:
        """Share the x range and the y scale with `peers` (the histograms shown beside it)."""
        self.span, self.peers = span, peers
        self.refresh()

    def render(self) -> Text:
        width, height = self.content_region.width, self.content_region.height
        y_max = peak_share(self.peers, self.span, max(1, width - AXIS_WIDTH))
        return render_histogram(self.histogram, self.span, width, height, y_max=y_max)
