"""Line charts drawn with Unicode braille (2x4 dots a cell), as Rich text.

Drawn here rather than with a plotting library: curves of a few hundred epochs, or 2,000 runs
overlaid, need nothing more than a dot grid and Bresenham lines, and this keeps the TUI's start
fast, its colours within the 16 ANSI ones, and its output identical in snapshots.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text

PALETTE = (
    "cyan",
    "yellow",
    "magenta",
    "green",
    "blue",
    "red",
    "bright_cyan",
    "bright_yellow",
    "bright_magenta",
    "bright_green",
)
_DOT_BITS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
AXIS_WIDTH = 7


@dataclass(frozen=True)
class Series:
    """One curve: `values[i]` is the metric at epoch `i + 1` (None where it was not logged)."""

    label: str
    values: Sequence[float | None]
    style: str


def _y_range(series: Sequence[Series]) -> tuple[float, float] | None:
    finite = [v for s in series for v in s.values if v is not None and math.isfinite(v)]
    if not finite:
        return None
    low, high = min(finite), max(finite)
    if high - low < 1e-9:
        pad = abs(high) * 0.05 or 0.5
        return low - pad, high + pad
    return low, high


def _label(value: float) -> str:
    magnitude = abs(value)
    if magnitude >= 1000:
        text = f"{value:.3g}"
    elif magnitude >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.3f}"
    return text[: AXIS_WIDTH - 1].rjust(AXIS_WIDTH - 1)


def render_chart(
    series: Sequence[Series], width: int, height: int, *, title: str = "", legend: bool = True
) -> Text:
    """A chart `width` x `height` cells: legend line, plot with a y axis, and an x axis line."""
    lines: list[Text] = []
    header = Text(title, style="bold")
    if legend:
        for item in series[:6]:
            header.append("  ━ ", style=item.style)
            header.append(item.label)
        if len(series) > 6:
            header.append(f"  (+{len(series) - 6} more)", style="dim")
    header.truncate(width)
    lines.append(header)
    plot_rows = height - 2
    plot_cols = width - AXIS_WIDTH
    span = _y_range(series)
    points = max((len(s.values) for s in series), default=0)
    if plot_rows < 2 or plot_cols < 4 or span is None:
        lines.append(Text("waiting for the first epoch…", style="dim"))
        return Text("\n").join(lines)
    low, high = span
    dots_x, dots_y = plot_cols * 2, plot_rows * 4
    bits = [[0] * plot_cols for _ in range(plot_rows)]
    owner: list[list[str]] = [[""] * plot_cols for _ in range(plot_rows)]

    def dot_x(index: int) -> int:
        return 0 if points <= 1 else round(index * (dots_x - 1) / (points - 1))

    def dot_y(value: float) -> int:
        return round((high - value) * (dots_y - 1) / (high - low))

    for item in series:
        previous: tuple[int, int] | None = None
        for index, value in enumerate(item.values):
            if value is None or not math.isfinite(value):
                previous = None
                continue
            point = (dot_x(index), dot_y(value))
            for x, y in _line(previous or point, point):
                row, col = y // 4, x // 2
                bits[row][col] |= _DOT_BITS[x % 2][y % 4]
                owner[row][col] = item.style
            previous = point
    for row in range(plot_rows):
        if row == 0:
            axis = _label(high) + "┤"
        elif row == plot_rows - 1:
            axis = _label(low) + "┤"
        elif row == plot_rows // 2 and plot_rows > 4:
            axis = _label((high + low) / 2) + "┤"
        else:
            axis = " " * (AXIS_WIDTH - 1) + "│"
        lines.append(_plot_row(axis, bits[row], owner[row]))
    first, last = "1", str(max(points, 1))
    footer = " " * (AXIS_WIDTH - 1) + "└" + first
    footer += ("epoch".center(plot_cols - len(first) - len(last)) + last)[: plot_cols - len(first)]
    lines.append(Text(footer, style="dim"))
    return Text("\n").join(lines)


def _plot_row(axis: str, bits: list[int], owner: list[str]) -> Text:
    """One row of the plot: the axis, then braille cells in their curve's style."""
    line = Text(axis, style="dim")
    # One append per run of cells in the same style, not per cell: a 500-epoch chart has
    # thousands of cells and Text.append was half the cost of drawing it.
    run: list[str] = []
    run_style = ""
    for cell_bits, cell_owner in zip(bits, owner, strict=True):
        style = cell_owner if cell_bits else ""
        if style != run_style and run:
            line.append("".join(run), style=run_style or None)
            run = []
        run_style = style
        run.append(chr(0x2800 + cell_bits) if cell_bits else " ")
    if run:
        line.append("".join(run), style=run_style or None)
    return line


def _line(start: tuple[int, int], end: tuple[int, int]) -> list[tuple[int, int]]:
    """The dots of a straight segment (Bresenham), both ends included."""
    (x0, y0), (x1, y1) = start, end
    dx, dy = abs(x1 - x0), -abs(y1 - y0)
    sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
    error = dx + dy
    dots = []
    while True:
        dots.append((x0, y0))
        if x0 == x1 and y0 == y1:
            return dots
        doubled = 2 * error
        if doubled >= dy:
            error += dy
            x0 += sx
        if doubled <= dx:
            error += dx
            y0 += sy
