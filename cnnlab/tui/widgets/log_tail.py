"""The live tail of a job's log: follows new lines while the view is at the bottom and stays
where it is when the user has scrolled up to read.
"""

from __future__ import annotations

from textual.widgets import Log


class LogTail(Log):
    """A `Log` whose appends scroll only if the user was already at the end."""

    DEFAULT_CSS = """
    LogTail {
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, max_lines=20_000, auto_scroll=False)

    @property
    def following(self) -> bool:
        return self.scroll_offset.y >= self.max_scroll_y

    def append(self, text: str) -> None:
        if text:
            self.write(text, scroll_end=self.following)
