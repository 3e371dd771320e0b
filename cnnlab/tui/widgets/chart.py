"""A widget that draws braille line charts at whatever size the layout gives it."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widget import Widget

from cnnlab.tui.charts import Series, render_chart


class LineChart(Widget):
    """Curves that grow as epochs land: call `set_series` with the whole curves each time."""

    DEFAULT_CSS = """
    LineChart {
        width: 1fr;
        height: 1fr;
        min-height: 6;
        padding: 0 1;
    }
    """

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.title = title
        self.series: Sequence[Series] = ()
        self.drawn_points = 0  # epochs in the longest curve of the last frame drawn

    def set_series(self, series: Sequence[Series]) -> None:
        self.series = series
        self.refresh()

    def render(self) -> Text:
        width, height = self.content_region.width, self.content_region.height
        self.drawn_points = max((len(s.values) for s in self.series), default=0)
        return render_chart(self.series, width, height, title=self.title)
