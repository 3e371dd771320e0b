"""What must work on every screen (issue 5, "Everywhere"): terminal resizes keep the app
working with the cursor where it was, and the command palette runs an action by its name.
"""

from __future__ import annotations

from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input

from cnnlab.tui.screens.devices import DevicesScreen
from cnnlab.tui.screens.experiment import ExperimentScreen

from .conftest import MakeApp
from .helpers import home, until


async def test_resizing_keeps_the_cursor_and_marks(make_app: MakeApp) -> None:
    async with make_app().run_test(size=(80, 24)) as pilot:
        screen = home(pilot)
        table = screen.table
        await until(pilot, lambda: table.row_count == 8)
        await pilot.press("down", "down", "down", "space")
        row = table.current_row
        assert row is not None
        chosen = row.experiment.id
        for size in ((160, 48), (80, 24), (100, 30)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            assert pilot.app.size == size
            assert table.size.width == size[0]  # the table follows the terminal
            current = table.current_row
            assert current is not None and current.experiment.id == chosen
            assert screen.marked == {chosen}
        # Still answering keys after the resizes: move and open.
        await pilot.press("up")
        assert table.cursor_row == 2
        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(pilot.app.screen, ExperimentScreen))
        detail = pilot.app.screen
        assert isinstance(detail, ExperimentScreen) and detail.experiment_id == chosen
        await pilot.resize_terminal(160, 48)
        await until(pilot, lambda: detail.experiment is not None)
        await pilot.press("escape")
        await until(pilot, lambda: pilot.app.screen is screen)
        assert table.current_row is not None and table.current_row.experiment.id == chosen


async def run_from_palette(pilot: Pilot[None], typed: str, expected: str) -> None:
    """Open the palette, type, wait for `expected` to be the highlighted hit, and run it."""
    await pilot.press("ctrl+p")
    await until(pilot, lambda: isinstance(pilot.app.screen, CommandPalette))
    palette = pilot.app.screen
    await pilot.press(*typed)
    await until(pilot, lambda: palette.query_one(Input).value == typed)
    hits = palette.query_one(CommandList)

    def highlighted() -> str:
        if hits.highlighted is None:
            return ""
        return str(hits.get_option_at_index(hits.highlighted).prompt)

    # The providers search in the background: wait for their answer, not for a fixed time.
    await until(pilot, lambda: expected in highlighted())
    await pilot.press("enter")
    await until(pilot, lambda: not isinstance(pilot.app.screen, CommandPalette))


async def test_command_palette_runs_an_action_by_name(make_app: MakeApp) -> None:
    async with make_app().run_test(size=(120, 30)) as pilot:
        screen = home(pilot)
        await until(pilot, lambda: screen.table.row_count == 8)
        assert not screen.as_tree
        await run_from_palette(pilot, "tree", "Tree")  # a binding of the screen
        assert pilot.app.screen is screen
        await until(pilot, lambda: screen.as_tree)
        await run_from_palette(pilot, "devices", "Devices")  # one of the app, not in the footer
        await until(pilot, lambda: isinstance(pilot.app.screen, DevicesScreen))
